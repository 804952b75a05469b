// A full disk, a read-only mount: import, the first query's cache, export (and record, in record-faults) give one
// line naming the errno and the path, exit 2, leave no temporary file, and keep the capture loadable up to its last
// whole batch with a manifest that says `failed` and why. A read-only capture with a stale cache is analyzed in
// memory. Real tmpfs and bind mounts this file makes and removes; real DuckDB through the installed binary.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { ROOT } from './helpers/real.js';
import { SKBTAPE } from './helpers/cli.js';
import { skipUnless } from './helpers/prereq.js';
import { canMount, readOnlyView, tmpfs, type Mounted } from './helpers/mounts.js';
import { readManifest } from '../src/capture/manifest.js';
import { verifyCapture } from '../src/capture/verify.js';

const tmp = mkdtempSync(join(tmpdir(), 'skbt-disk-'));
const mounts: Mounted[] = [];
afterAll(async () => {
  for (const m of mounts) await m.remove();
  rmSync(tmp, { recursive: true, force: true });
});
const cli = (args: string[]) => execa(SKBTAPE, args, { reject: false, cwd: ROOT });
const can = await canMount();
const skip = skipUnless(can, 'disk fault tests');
const big = join(tmp, 'big.pwru.txt');

/** Every file under dir whose name says it was never finished. */
const leftovers = (dir: string): string[] => readdirSync(dir, { recursive: true, withFileTypes: false }).map(String).filter((f) => /\.tmp(-\d+)?$/.test(f));

beforeAll(() => {
  // The demo capture ten times over (its header once): about 4,000 events, 80 batches of 50.
  const [header, ...rest] = readFileSync(join(ROOT, 'samples/demo-delivered.pwru.txt'), 'utf8').trimEnd().split('\n');
  writeFileSync(big, [header, ...Array.from({ length: 10 }, () => rest).flat()].join('\n') + '\n');
});

describe.skipIf(skip)('a full disk and a read-only mount', () => {
  it('import onto a full tmpfs: one line, exit 2, no .tmp left, failed with the reason, loadable up to the last whole batch', async () => {
    const fs = await tmpfs(512, 96);
    mounts.push(fs);
    const cap = join(fs.dir, 'cap');
    const r = await cli(['import', big, '-o', cap, '--batch-rows', '50']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^skbtape: no space left on device writing ${cap}/\\S+$`));
    expect(r.stderr).not.toMatch(/internal error|\n/);
    expect(leftovers(cap)).toEqual([]);
    const m = readManifest(cap);
    expect(m.status).toBe('failed');
    expect(m.statusReason).toMatch(/^no space left on device writing /);
    expect(m.counts.batches).toBeGreaterThan(0);
    const v = verifyCapture(cap);
    expect(v.faults).toEqual([]);
    expect(v.events.files).toBe(m.counts.events);
    // The first query cannot write its cache on the full disk: it analyzes in memory and says so.
    const q = await cli(['query', cap, 'SELECT count(*) AS n FROM events', '--format', 'csv']);
    expect(q.exitCode, q.stderr).toBe(0);
    expect(q.stdout).toBe(`n\n${m.counts.events}`);
    expect(q.stderr).toMatch(/cannot write the cache .*; analyzing without it/);
    expect(leftovers(cap)).toEqual([]);
  });

  it('export onto a full tmpfs: one line, exit 2, its half-written partitions removed', async () => {
    const cap = join(tmp, 'cap-export');
    expect((await cli(['import', big, '-o', cap])).exitCode).toBe(0);
    const fs = await tmpfs(256, 8);
    mounts.push(fs);
    const r = await cli(['export', cap, '--parquet', join(fs.dir, 'pq')]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^skbtape: no space left on device writing ${fs.dir}/pq\\S*$`));
    const left = existsSync(join(fs.dir, 'pq')) ? readdirSync(join(fs.dir, 'pq'), { recursive: true }).map(String).filter((f) => f.endsWith('.parquet')) : [];
    expect(left).toEqual([]);
  });

  it('import into a read-only mount: one line naming the path, nothing written', async () => {
    const ro = await readOnlyView(mkdtempSync(join(tmp, 'ro-src-')));
    mounts.push(ro);
    const r = await cli(['import', big, '-o', join(ro.dir, 'cap')]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe(`skbtape: read-only file system writing ${join(ro.dir, 'cap')}`);
  });

  it('a read-only capture with a stale cache: query and paths analyze it in memory, without an error', async () => {
    const src = join(tmp, 'cap-ro');
    expect((await cli(['import', big, '-o', src])).exitCode).toBe(0);
    expect((await cli(['query', src, 'SELECT 1'])).exitCode).toBe(0);
    expect(existsSync(join(src, '.cache', 'analysis.duckdb'))).toBe(true);
    // Stale: a file the fingerprint covers changed after the cache was built.
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(src, 'logs.ndjson'), later, later);
    const ro = await readOnlyView(src);
    mounts.push(ro);
    const q = await cli(['query', ro.dir, 'SELECT count(*) AS n FROM events', '--format', 'csv']);
    expect(q.exitCode, q.stderr).toBe(0);
    expect(q.stdout).toBe(`n\n${readManifest(src).counts.events}`);
    expect(q.stderr).toMatch(/cannot write the cache .*; analyzing without it/);
    const p = await cli(['paths', ro.dir]);
    expect(p.exitCode, p.stderr).toBe(0);
    expect(p.stdout).toMatch(/path/i);
  });
});
