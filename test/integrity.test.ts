// Batch checksums: single-byte flips at many random offsets of a batch file are each either detected (the batch
// named and skipped, the others intact) or provably harmless (every decoded row equals the original); a deleted,
// copied or renamed batch and counts that lie are reported; `verify` exits 1 on any fault; `--strict` refuses.
// Real Arrow files from a real import; real DuckDB through the installed binary.
import { copyFileSync, cpSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { ROOT } from './helpers/real.js';
import { SKBTAPE } from './helpers/cli.js';
import { importCapture } from '../src/ingest/importer.js';
import { eventsOfBatch, readBatchFile, readEvents } from '../src/capture/reader.js';
import { verifyCapture } from '../src/capture/verify.js';
import { toJson } from '../src/render/table.js';

const tmp = mkdtempSync(join(tmpdir(), 'skbt-integrity-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const cap = join(tmp, 'cap');
const ev = (d: string, n: number) => join(d, 'events', `${String(n).padStart(6, '0')}.arrows`);
const cli = (args: string[]) => execa(SKBTAPE, args, { reject: false, cwd: ROOT });
let original: string[];

/** Events as comparable text, in order (BigInt-safe). */
const rowsOf = (dir: string, warn?: (w: string) => void) => [...readEvents(dir, { warn })].map((e) => toJson(e));

/** A small deterministic PRNG (mulberry32): the same offsets every run, so a failure can be replayed. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

beforeAll(async () => {
  // 416 events in batches of 100: five files, so a skipped batch leaves four intact ones to count.
  await importCapture(join(ROOT, 'samples/demo-delivered.pwru.txt'), cap, { format: 'auto', force: false, showProgress: false, batchRows: 100 });
  original = rowsOf(cap);
});

function copyOf(name: string): string {
  const d = join(tmp, name);
  cpSync(cap, d, { recursive: true });
  return d;
}

/**
 * Flips `count` random bytes, one at a time, in batch 2 and reads that file back as every reader does; returns
 * [detected, harmless]. Detected: the file is named and gives no row. Otherwise every decoded row must equal the original.
 */
function flipAll(count: number, seed: number, withManifestList: boolean): [number, number] {
  const d = copyOf(`flips-${seed}`);
  const m = JSON.parse(readFileSync(join(d, 'manifest.json'), 'utf8'));
  const entry = withManifestList ? m.batches[1] : undefined;
  const file = ev(d, 2);
  const pristine = readFileSync(file);
  const want = original.slice(100, 200);
  const rand = rng(seed);
  let detected = 0, harmless = 0;
  for (let i = 0; i < count; i++) {
    const at = Math.floor(rand() * pristine.length);
    const bytes = Buffer.from(pristine);
    bytes[at] = bytes[at]! ^ (1 + Math.floor(rand() * 255));
    writeFileSync(file, bytes);
    const warnings: string[] = [];
    const got = [...readBatchFile(file, entry, { warn: (w) => warnings.push(w) })].flatMap((b) => eventsOfBatch(b).map((e) => toJson(e)));
    if (warnings.length) {
      expect(warnings.join('\n'), `flip at ${at}`).toContain('000002.arrows: damaged batch skipped');
      expect(got, `flip at ${at}: nothing of a damaged batch is given out`).toEqual([]);
      detected++;
    } else {
      expect(got, `flip at ${at} was not detected, so it must change nothing`).toEqual(want);
      harmless++;
    }
  }
  // The last damaged state, as a whole capture: the other batches load, and verify names the fault.
  if (!withManifestList) delete m.batches;
  writeFileSync(join(d, 'manifest.json'), JSON.stringify(m));
  return [detected, harmless];
}

describe('batch checksums', () => {
  it('an intact capture verifies: every batch sealed and listed, counts equal', () => {
    const r = verifyCapture(cap);
    expect(r.faults).toEqual([]);
    expect(r.batches.map((b) => [b.state, b.rows])).toEqual([['ok', 100], ['ok', 100], ['ok', 100], ['ok', 100], ['ok', 16]]);
    expect(r.events).toEqual({ manifest: 416, files: 416 });
    expect(original).toHaveLength(416);
  });

  it('300 single-byte flips with the manifest\'s checksums: every one detected (CRC-32 misses no single-byte error)', () => {
    const [detected, harmless] = flipAll(300, 7, true);
    expect([detected, harmless]).toEqual([300, 0]);
  });

  it('120 flips with only the batch\'s own seal (manifest list gone): each detected or provably harmless', () => {
    const [detected, harmless] = flipAll(120, 11, false);
    console.log(`seal only: ${detected} of 120 flips detected, ${harmless} provably harmless`);
    expect(detected + harmless).toBe(120);
    // The seal covers the body; a flip in the schema message's own bytes is caught only when it changes what decodes.
    expect(detected).toBeGreaterThan(90);
  });

  it('a deleted batch, a copied batch and a renamed one are reported; counts that lie are a fault', () => {
    const del = copyOf('deleted');
    rmSync(ev(del, 3));
    const w1: string[] = [];
    expect(rowsOf(del, (w) => w1.push(w))).toHaveLength(316);
    expect(verifyCapture(del).faults).toEqual(['batch 000003.arrows is listed in the manifest but missing from events/', 'the manifest counts 416 events, the intact batch files hold 316']);

    const dup = copyOf('duplicated');
    copyFileSync(ev(dup, 2), ev(dup, 6));
    const w2: string[] = [];
    expect(rowsOf(dup, (w) => w2.push(w))).toEqual(original);
    expect(w2.join('\n')).toMatch(/000006\.arrows: damaged batch skipped: holds batch 2, not 6 \(a copied or renamed batch file\)/);
    expect(verifyCapture(dup).faults.join('\n')).toMatch(/000006.arrows is not listed in the manifest/);

    const ren = copyOf('renamed');
    rmSync(ev(ren, 5));
    renameSync(ev(ren, 4), ev(ren, 5));
    const v = verifyCapture(ren);
    expect(v.ok).toBe(false);
    expect(v.faults.join('\n')).toMatch(/000005\.arrows: .*(the manifest says|holds batch 4)/);
    expect(v.faults.join('\n')).toMatch(/000004\.arrows is listed in the manifest but missing/);

    const lie = copyOf('lying');
    const m = JSON.parse(readFileSync(join(lie, 'manifest.json'), 'utf8'));
    m.counts.events = 9999;
    writeFileSync(join(lie, 'manifest.json'), JSON.stringify(m));
    expect(verifyCapture(lie).faults).toEqual(['the manifest counts 9999 events, the intact batch files hold 416']);
  });

  it('through the binary: verify exits 1 naming the batch; readers warn and skip it, or with --strict refuse (exit 2)', async () => {
    const d = copyOf('cli');
    const bytes = readFileSync(ev(d, 2));
    bytes[Math.floor(bytes.length / 2)] ^= 0x40;
    writeFileSync(ev(d, 2), bytes);
    const ok = await cli(['verify', cap, '--json', '--color', 'never']);
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).batches).toHaveLength(5);
    const nd = await cli(['verify', cap, '--format', 'ndjson']);
    expect(nd.stdout.trim().split('\n').map((l) => JSON.parse(l).state)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    const v = await cli(['verify', d, '--format', 'csv']);
    expect(v.exitCode).toBe(1);
    expect(v.stdout.split('\n').filter((l) => l.includes(',damaged,'))).toHaveLength(1);
    expect(v.stderr).toMatch(new RegExp(`^skbtape: fault: ${ev(d, 2)}: checksum mismatch \\(CRC-32 [0-9a-f]{8}, the manifest says [0-9a-f]{8}\\)$`, 'm'));
    const q = await cli(['query', '--no-cache', d, 'SELECT count(*) AS n FROM events', '--format', 'csv']);
    expect(q.exitCode, q.stderr).toBe(0);
    expect(q.stdout).toBe('n\n316');
    expect(q.stderr).toContain('000002.arrows: damaged batch skipped: checksum mismatch');
    const strict: string[][] = [
      ['query', '--strict', '--no-cache', d, 'SELECT 1'], ['paths', '--strict', '--no-cache', d], ['replay', '--strict', d],
      ['diff', '--strict', cap, d], ['check', '--strict', d, join(ROOT, 'samples/check-example.yaml')],
      ['export', '--strict', d, '--parquet', join(tmp, 'pq')],
    ];
    for (const args of strict) {
      const r = await cli(args);
      expect(r.exitCode, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/^skbtape: damaged batch .*000002\.arrows: checksum mismatch .*refusing to read on \(--strict\) \(.*000002\.arrows\)$/);
    }
  });
});
