// The byte-level fast path against the general parser: every input imported both ways must give the same capture,
// byte for byte (batch files, logs, rejects, manifest): the real outputs, the samples, the lifetime cases, the seed,
// a generated corpus over pwru's option matrix and a mutated one. Counted by hand beside it: which lines the fast
// path took, so a fast path that declined everything could not pass.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importCapture } from '../src/ingest/importer.js';
import { identityCorpus } from './helpers/real.js';
import { captureBytes } from './helpers/capture-bytes.js';
// @ts-expect-error plain JavaScript module without types
import { generateRecords } from '../bench/gen-pwru.mjs';
// @ts-expect-error plain JavaScript module without types
import { createPrinter } from './fixtures/pwru-format.mjs';

const tmp = mkdtempSync(join(tmpdir(), 'skbt-fast-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;

/** Imports `file` both ways; returns the fast path's line count after asserting the captures are identical. */
async function both(file: string, batchRows = 64): Promise<{ fastLines: number; events: number }> {
  const fast = join(tmp, `f${++n}`), slow = join(tmp, `s${n}`);
  const a = await importCapture(file, fast, { format: 'auto', force: true, showProgress: false, batchRows, fast: true }).catch((e: Error) => e);
  const b = await importCapture(file, slow, { format: 'auto', force: true, showProgress: false, batchRows, fast: false }).catch((e: Error) => e);
  // A file nothing can be read from fails both ways with the same message.
  if (a instanceof Error || b instanceof Error) {
    expect(String(a), file).toBe(String(b).replace(slow, fast));
    return { fastLines: 0, events: 0 };
  }
  expect(b.fastLines, file).toBe(0);
  expect(captureBytes(fast), file).toEqual(captureBytes(slow));
  return { fastLines: a.fastLines, events: a.manifest.counts.events };
}

const isEventLine = (l: string) => /^(\d[\d:.T-]* +)?0x[0-9a-f]{12,16} |^\{/.test(l);

describe('fast path = general parser', () => {
  it('every real output, sample, lifetime case and the seed: identical captures', async () => {
    const files = identityCorpus();
    expect(files.length).toBeGreaterThan(10);
    let fastLines = 0;
    for (const f of files) fastLines += (await both(f, 7)).fastLines;
    // The samples are pwru v1.0.10 text and JSON: the fast path reads their event lines.
    expect(fastLines).toBeGreaterThan(50);
  });

  // pwru's output options, each printed by the fake pwru's printer (test/fixtures/pwru-format.mjs).
  const variants: Record<string, object> = {
    'text default': {},
    'text ts current': { timestamp: 'current' },
    'text ts relative, tcp flags': { timestamp: 'relative', tcpFlags: true },
    'text no meta': { timestamp: 'current', meta: false },
    'text no tuple': { timestamp: 'current', tuple: false },
    'text stack (continuation lines)': { timestamp: 'current', stack: true },
    'text caller (general path)': { caller: true },
    'text v1.0.12 absolute (general path)': { version: 'v1.0.12', timestamp: 'absolute', now: () => new Date(0) },
    'json': { json: true, timestamp: 'current' },
    'json flags, no meta': { json: true, meta: false, tcpFlags: true },
    'json caller, relative': { json: true, caller: true, timestamp: 'relative' },
  };
  for (const [name, opts] of Object.entries(variants)) {
    it(`generated corpus, ${name}: identical captures; the fast path takes what it should`, async () => {
      const printer = createPrinter({ version: 'v1.0.10', ...opts });
      const h = printer.header();
      const text = (h ?? '') + [...generateRecords(3000, { seed: 7 })].map((r: unknown) => printer.format(r)).join('');
      const f = join(tmp, `gen${++n}.txt`);
      writeFileSync(f, text);
      const r = await both(f, 500);
      const eventLines = text.split('\n').filter(isEventLine).length;
      expect(r.events).toBe(eventLines);
      if (name.includes('general path')) expect(r.fastLines).toBe(0);
      else expect(r.fastLines).toBe(eventLines);
    });
  }

  it('mutated lines (digits, widths, blanks, tabs, ranges, UTF-8): identical captures, both paths used', async () => {
    let seed = 99;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const pick = <T>(a: readonly T[]) => a[Math.floor(rand() * a.length)]!;
    const text = createPrinter({ version: 'v1.0.10', timestamp: 'current', tcpFlags: true });
    const json = createPrinter({ version: 'v1.0.10', json: true, timestamp: 'current' });
    const recs = [...generateRecords(4000, { seed: 3 })];
    const swaps: [RegExp, string[]][] = [
      [/\d/, ['', '9', '99999', 'a', 'é', '\t', ' ']],
      [/ /, ['', '  ', '\t', '\f', '\v']],
      [/[0-9a-f]{4}/, ['ffffff', '0', '0x', '[0x']],
      [/:\d+/, [':65535', ':65536', ':99999999999', ':']],
      [/"\w+":/, ['"stack":', '"cpu":', '"extra":', '"skb":']],
      [/\d+,/, ['-1,', '1.5,', '01,', '1e3,', '4294967296,', 'null,', '"1",']],
      [/[a-z_]{3,}/, ['kfree_skb_reason(SKB_DROP_REASON_NOT_SPECIFIED)', 'kfree_skb_reason (7)', 'x(tc)', '[curl]']],
    ];
    const lines: string[] = [text.header()];
    for (const r of recs) {
      let l = (rand() < 0.5 ? text : json).format(r).replace(/\n$/, '');
      if (rand() < 0.4) {
        const [re, repl] = pick(swaps);
        l = l.replace(re, pick(repl));
      }
      lines.push(l);
    }
    const f = join(tmp, 'mutated.txt');
    writeFileSync(f, lines.join('\n') + '\n');
    const r = await both(f, 333);
    expect(r.fastLines).toBeGreaterThan(1000);
    expect(r.events - r.fastLines).toBeGreaterThan(100);
  });
});

describe('ByteInterner', () => {
  it('same bytes, same id and string, through growth and the clear at its bound; non-printable bytes refused', async () => {
    const { ByteInterner } = await import('../src/ingest/byte-interner.js');
    const t = new ByteInterner<number>(5000);
    const b = Buffer.from(Array.from({ length: 4000 }, (_, i) => `v${i * 7919}`).join(' '));
    const spans: [number, number][] = [];
    for (let s = 0; s < b.length;) { const e = b.indexOf(0x20, s); spans.push([s, e < 0 ? b.length : e]); s = (e < 0 ? b.length : e) + 1; }
    const ids = spans.map(([s, e]) => t.intern(b, s, e));
    expect(new Set(ids).size).toBe(4000);
    spans.forEach(([s, e], i) => {
      expect(t.intern(b, s, e)).toBe(ids[i]);
      expect(t.strings[ids[i]!]).toBe(b.toString('latin1', s, e));
    });
    // Past 5000 entries the table starts over: ids restart, strings stay right.
    const more = Buffer.from(Array.from({ length: 2000 }, (_, i) => `w${i}`).join(' '));
    let last = -1;
    for (let s = 0; s < more.length;) { const e = more.indexOf(0x20, s); const end = e < 0 ? more.length : e; last = t.intern(more, s, end); expect(t.strings[last]).toBe(more.toString('latin1', s, end)); s = end + 1; }
    expect(last).toBeLessThan(2000);
    expect(t.intern(Buffer.from('a\tb'), 0, 3)).toBe(-1);
    expect(t.intern(Buffer.from('caf\u00e9'), 0, 5)).toBe(-1);
  });
});

describe('dictionary codes from interner ids', () => {
  it('interners cleared mid-batch (ids reused for other strings): the same capture as the general parser', async () => {
    const { readFileSync } = await import('node:fs');
    const { CaptureWriter } = await import('../src/capture/batch-writer.js');
    const { newManifest } = await import('../src/capture/manifest.js');
    const { newParserState } = await import('../src/ingest/line-parser.js');
    const { LineFeeder } = await import('../src/ingest/line-feeder.js');
    const { fastReaders } = await import('../src/ingest/fast-path.js');
    const lines: string[] = [];
    for (const json of [false, true]) {
      const printer = createPrinter({ version: 'v1.0.10', timestamp: 'current', json });
      lines.push((printer.header() ?? '') + [...generateRecords(1500, { seed: 11 })].map((r: unknown) => printer.format(r)).join(''));
    }
    const f = join(tmp, `clears${++n}.txt`);
    // Text, then JSON, then text again: the func and address columns switch interners inside a batch too.
    writeFileSync(f, lines[0]! + lines[1]! + lines[0]!.replace(/^SKB.*\n/, ''));
    const run = (dir: string, fast: boolean) => {
      const w = new CaptureWriter(dir, newManifest({ kind: 'file', path: f, format: 'auto' }), { batchRows: 1000 });
      // 24 entries per column: the func, tuple and address tables fill and start over many times per batch.
      const feeder = new LineFeeder(w, newParserState('auto'), { fast, readers: fastReaders(24) });
      feeder.feed(readFileSync(f));
      feeder.end();
      w.finish('complete');
      return feeder.fastLines;
    };
    const fastDir = join(tmp, `cf${n}`), slowDir = join(tmp, `cs${n}`);
    expect(run(fastDir, true)).toBe(4500);
    expect(run(slowDir, false)).toBe(0);
    const a = captureBytes(fastDir), b = captureBytes(slowDir);
    expect(Object.keys(a).filter((k) => k.startsWith('events/')).length).toBe(5);
    expect(a).toEqual(b);
  });
});

describe('column buffers reused from batch to batch', () => {
  it("a batch after a full one encodes exactly as the same rows in a fresh accumulator (no value of the last batch's rows left behind)", async () => {
    const { LineAccumulator, newCounts } = await import('../src/capture/batch-writer.js');
    const { blankEvent } = await import('../src/capture/event-schema.js');
    const full = (n: number) => ({
      ...blankEvent(n, 'J:', 0xffff91ba905e1ce8n + BigInt(n), `func_${n}`), cpu: 3, process: `p${n}:1`, pid: 1, dropReason: 'SKB_DROP_REASON_X', dropCode: 7,
      progKind: 'tc', ktime: 1843207115302870n, absTime: '15:04:05.000', netns: 4026531840, mark: 5, ifindex: 26, iface: 'eth0:26', proto: 2048,
      mtu: 1500, len: 60, cb: [1, 2, 3, 4, 5], saddr: '10.0.0.1', daddr: '10.0.0.2', sport: 1, dport: 2, l4: 'tcp', l4Proto: 6, tcpFlags: 2,
      tunnel: 't', caller: 'c', netnsName: 'n', metaKv: 'k=v', attachment: 'a', jsonStack: 's', jsonSkbMetadata: 'm', note: 'x',
    });
    const bare = (n: number) => blankEvent(n, 'E:', 0xffff91ba905e1000n + BigInt(n), 'ip_rcv');
    const batches = (events: ReturnType<typeof bare>[]) => {
      const acc = new LineAccumulator(newCounts(), [], [], 3);
      for (const e of events) acc.add({ kind: 'event', event: e }, e.lineNo, '');
      return acc.take(true).batches.map((b) => Buffer.from(b).toString('base64'));
    };
    const reused = batches([full(1), full(2), full(3), bare(4), bare(5)]);
    const fresh = batches([bare(4), bare(5)]);
    expect(reused).toHaveLength(2);
    expect(reused[1]).toBe(fresh[0]);
    // Not vacuous: the full rows do encode differently.
    expect(reused[0]).not.toBe(batches([bare(1), bare(2), bare(3)])[0]);
  });
});
