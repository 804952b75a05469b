// 100,000 mutated real pwru lines through the real parser and the real Arrow writer: nothing may throw, the line
// invariant must hold, and every event the writer counted must come back from the batch files.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { CaptureWriter } from '../src/capture/batch-writer.js';
import { readEvents } from '../src/capture/reader.js';
import { newParserState, parseLine } from '../src/ingest/line-parser.js';
import { newManifest } from '../src/capture/manifest.js';
import { renderText, newRenderState, renderJson } from '../src/render/pwru-layout.js';
import { realFiles, readLines } from './helpers/real.js';

const tmp = mkdtempSync(join(tmpdir(), 'skbt-fuzz-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// Small deterministic PRNG (mulberry32) so a failure reproduces.
function rng(seed: number) {
  return () => {
    seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FALLBACK = [
  '0xffff91ba905e1ce8 1   ~bin/curl:272299 4026531840 0       ~3a6f7d4e8c73:26 0x0800 9001  60    10.244.2.173:54864->10.244.2.61:80(tcp) __netif_rx',
  '0xffff9137d7d2c6e0      4   [curl(239350)]             ip_local_out',
  '{"skb":"0xffff8b7d9462c600","cpu":3,"process":"~bin/curl:8493","func":"ip_rcv","time":18289300781162,"netns":4026531840,"iface":"eth0:2","proto":2048,"mtu":1500,"len":60,"tuple":{"saddr":"10.0.0.1","daddr":"10.0.0.2","sport":1,"dport":2,"proto":6}}',
];

it('100,000 mutated lines: no crash, invariant holds, events round-trip', () => {
  const base = realFiles('pwru-').flatMap(readLines).filter((l) => l.trim() !== '');
  const pool = base.length ? [...base, ...FALLBACK] : FALLBACK;
  const rand = rng(20261127);
  const pick = <T>(a: T[]) => a[Math.floor(rand() * a.length)]!;
  const junk = ['', ' ', '\t', '0x', '[', ']', '(', ')', ':', '->', '=', '{', '}', '"', ',', '\u00e9', '\uFFFD', '\u0000', '9'.repeat(25), 'ffffffffffffffffffff'];
  const mutate = (l: string): string => {
    const k = Math.floor(rand() * 9);
    const at = Math.floor(rand() * (l.length + 1));
    const toks = l.split(/(\s+)/);
    switch (k) {
      case 0: return l.slice(0, at) + l.slice(at + 1 + Math.floor(rand() * 4));
      case 1: return l.slice(0, at) + pick(junk) + l.slice(at);
      case 2: return l.slice(0, at);
      case 3: { const i = Math.floor(rand() * toks.length), j = Math.floor(rand() * toks.length); [toks[i], toks[j]] = [toks[j]!, toks[i]!]; return toks.join(''); }
      case 4: return l.replace(/\d/g, (d) => (rand() < 0.05 ? String.fromCharCode(97 + Math.floor(rand() * 26)) : d));
      case 5: return toks.filter(() => rand() > 0.1).join('');
      case 6: return l + ' ' + pick(pool).slice(0, 40);
      case 7: return l.replace(/ +/g, () => ' '.repeat(1 + Math.floor(rand() * 3)));
      default: return l;
    }
  };
  const dir = join(tmp, 'cap');
  const m = newManifest({ kind: 'file', path: 'fuzz', format: 'auto' });
  const w = new CaptureWriter(dir, m, { batchRows: 8192 });
  const st = newParserState();
  const total = 100_000;
  for (let i = 1; i <= total; i++) {
    const line = mutate(pick(pool));
    w.add(parseLine(line, i, st), i, line);
  }
  w.finish('complete');
  const c = m.counts;
  expect(c.inputLines).toBe(total);
  expect(c.events + c.continuationLines + c.logLines + c.rejects + c.blankLines).toBe(total);
  expect(c.events).toBeGreaterThan(10_000);
  expect(c.rejects).toBeGreaterThan(1_000);
  let back = 0;
  const rs = newRenderState();
  for (const e of readEvents(dir)) {
    back++;
    // Every stored event renders without throwing, in both layouts.
    renderText(e, rs);
    renderJson(e);
  }
  expect(back).toBe(c.events);
});
