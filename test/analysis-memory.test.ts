// Bounded analysis memory (#12 item 4): the lifetime stage built in address buckets gives the same lifetimes as one
// pass, a small --memory-limit gives the same answers as none, the working files go and nothing else in --temp-dir
// is touched, and a bad --memory-limit / --temp-dir is one line on every analysis command.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { openAnalysis } from '../src/analyze/loader.js';
import { bucketCount } from '../src/analyze/view-runner.js';
import { defaultMemoryLimit, parseMemoryLimit } from '../src/analyze/db-resources.js';
import { importCapture } from '../src/ingest/importer.js';
import { SKBTAPE } from './helpers/cli.js';
import { buildDemoCapture } from './helpers/captures.js';
import { SHARED } from './helpers/real.js';
// @ts-expect-error plain JavaScript module without types
import { generateLines } from '../bench/gen-pwru.mjs';

const tmp = mkdtempSync(join(tmpdir(), 'skbt-mem-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const caps: string[] = [];

beforeAll(async () => {
  caps.push(await buildDemoCapture('delivered', join(tmp, 'delivered')), await buildDemoCapture('drop', join(tmp, 'drop')));
  // The hand-built lifetime cases (each rule of 20_skb_tracks.sql) and a generated stream where addresses are reused.
  const cases = join(SHARED, 'lifetimes');
  for (const f of existsSync(cases) ? readdirSync(cases).filter((n) => /^s\d+.*\.json$/.test(n)) : []) {
    const dir = join(tmp, basename(f, '.json'));
    await importCapture(join(cases, f), dir, { format: 'auto', force: true, showProgress: false });
    caps.push(dir);
  }
  const gen = join(tmp, 'gen.txt');
  writeFileSync(gen, [...generateLines({ lines: 3000, format: 'text', seed: 7 })].join(''));
  await importCapture(gen, join(tmp, 'gen'), { format: 'auto', force: true, showProgress: false });
  caps.push(join(tmp, 'gen'));
}, 120_000);

const TRACKS = `SELECT * EXCLUDE (tuple), to_json(tuple) AS tuple FROM skb_tracks ORDER BY capture, track_id`;
const HOPS = 'SELECT * EXCLUDE (addr_bucket) FROM event_track_map ORDER BY capture, seq';

async function lifetimes(buckets: number) {
  const a = await openAnalysis(caps, { lifetimeBuckets: buckets });
  try {
    return { tracks: await a.run(TRACKS), hops: await a.run(HOPS), buckets: await a.run('SELECT count(DISTINCT addr_bucket) AS n FROM event_track_map') };
  } finally {
    a.close();
  }
}

describe('the lifetime stage in address buckets', () => {
  it('7 buckets give every lifetime, hop and verdict of one pass, over every capture at once', async () => {
    const one = await lifetimes(1);
    const seven = await lifetimes(7);
    expect(caps.length).toBeGreaterThanOrEqual(3);
    expect(one.tracks.length).toBeGreaterThan(100);
    expect(Number(seven.buckets[0]!['n'])).toBe(7); // the buckets really split the events
    expect(seven.tracks).toEqual(one.tracks);
    expect(seven.hops).toEqual(one.hops);
    // Facts that do not come from the SQL under test: the demo drop capture is 3 skbs dropped by netfilter.
    const drops = one.tracks.filter((t) => t['capture'] === 'drop' && t['verdict'] === 'dropped');
    expect(drops.map((t) => t['drop_label'])).toEqual(Array(3).fill('SKB_DROP_REASON_NETFILTER_DROP'));
  }, 120_000);

  it('more buckets the more events and the less memory; sizes read as DuckDB and the user write them', () => {
    expect(bucketCount(10, 64e6)).toBe(1);
    expect(bucketCount(10_000_000, 2 ** 31)).toBeGreaterThan(bucketCount(10_000_000, 2 ** 33));
    expect(bucketCount(10_000_000, 2 ** 29)).toBeGreaterThan(bucketCount(1_000_000, 2 ** 29));
    expect(parseMemoryLimit('512MB')).toBe(512e6);
    expect(parseMemoryLimit('1.5GiB')).toBe(1.5 * 2 ** 30);
    expect(parseMemoryLimit('25%', 8 * 2 ** 30)).toBe(2 * 2 ** 30);
    expect(defaultMemoryLimit(64 * 2 ** 30, 64 * 2 ** 30)).toBe(512 * 2 ** 20); // capped
    expect(defaultMemoryLimit(1.6e9, 64 * 2 ** 30)).toBe(4e8); // a quarter of what is free
    expect(defaultMemoryLimit(2 ** 30, 2 ** 30)).toBe(256 * 2 ** 20); // at least 256 MB
  });
});

describe('--memory-limit and --temp-dir through the installed binary', () => {
  it('query under a 64 MB limit in a given temp dir: the same rows, its working files gone, a file of ours untouched', async () => {
    const sql = 'SELECT track_id, verdict, hops, path_sig FROM skb_tracks ORDER BY track_id';
    const cap = join(tmp, 'gen');
    const plain = await execa(SKBTAPE, ['query', cap, sql, '--no-cache', '--format', 'json']);
    const t = join(tmp, 'spill');
    mkdirSync(t);
    writeFileSync(join(t, 'keep.txt'), 'not ours');
    const small = await execa(SKBTAPE, ['query', cap, sql, '--no-cache', '--format', 'json', '--memory-limit', '64MB', '--temp-dir', t]);
    expect(small.stdout).toBe(plain.stdout);
    expect(JSON.parse(small.stdout).length).toBeGreaterThan(100);
    expect(readdirSync(t)).toEqual(['keep.txt']);
    expect(readFileSync(join(t, 'keep.txt'), 'utf8')).toBe('not ours');
  }, 60_000);

  it('every analysis command refuses a bad size, and a --temp-dir that is a file, in one line (exit 2)', async () => {
    const file = join(tmp, 'a-file');
    writeFileSync(file, 'x');
    const cap = caps[0]!;
    const runs: [string[], RegExp][] = [
      [['query', cap, 'SELECT 1'], /--memory-limit wants a size like 2GB, 512MB or 25% \(of RAM\), not 'lots' \(--memory-limit\)/],
      [['paths', cap], /not 'lots'/], [['tracks', cap], /not 'lots'/], [['diff', cap, cap], /not 'lots'/],
      [['check', cap, join(tmp, 'no-rules.yaml')], /not 'lots'/], [['export', cap, '--parquet', join(tmp, 'pq')], /not 'lots'/],
      [['filter', cap, '-o', join(tmp, 'cut'), '--flow', 'tcp'], /not 'lots'/], [['report', cap, '-o', join(tmp, 'r.html')], /not 'lots'/],
      [['replay', cap, '--flow', 'tcp'], /not 'lots'/],
    ];
    for (const [argv, want] of runs) {
      const r = await execa(SKBTAPE, [...argv, '--memory-limit', 'lots', '--temp-dir', file], { reject: false });
      expect(r.exitCode, argv[0]).toBe(2);
      expect(r.stderr, argv[0]).toMatch(want);
      expect(r.stderr.trim().split('\n'), argv[0]).toHaveLength(1);
      expect(r.stdout).toBe('');
    }
    const small = await execa(SKBTAPE, ['query', cap, 'SELECT 1', '--memory-limit', '10MB'], { reject: false });
    expect([small.exitCode, small.stderr.trim()]).toEqual([2, 'skbtape: --memory-limit 10MB is below the 64 MB the lifetime stage needs (--memory-limit)']);
    const notDir = await execa(SKBTAPE, ['paths', cap, '--temp-dir', file], { reject: false });
    expect([notDir.exitCode, notDir.stderr.trim()]).toEqual([2, `skbtape: --temp-dir ${file} is not a directory (--temp-dir)`]);
    expect(existsSync(join(tmp, 'cut')) || existsSync(join(tmp, 'pq')) || existsSync(join(tmp, 'r.html'))).toBe(false);
  }, 60_000);
});
