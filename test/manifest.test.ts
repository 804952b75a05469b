// Broken manifests, field by field: each is one line naming the field (exit 2 through the binary, never a stack),
// counts that lie are a warning, and a `recording` manifest whose writer is gone reads as `interrupted` with the
// batch files' counts. Real captures from a real import.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { ROOT } from './helpers/real.js';
import { SKBTAPE } from './helpers/cli.js';
import { importCapture } from '../src/ingest/importer.js';
import { readManifest } from '../src/capture/manifest.js';
import { formatUserError, UserError } from '../src/errors.js';

const tmp = mkdtempSync(join(tmpdir(), 'skbt-manifest-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const cap = join(tmp, 'cap');
const cli = (args: string[]) => execa(SKBTAPE, args, { reject: false, cwd: ROOT });
let n = 0;

beforeAll(async () => {
  await importCapture(join(ROOT, 'samples/demo-delivered.pwru.txt'), cap, { format: 'auto', force: false, showProgress: false, batchRows: 100 });
});

/** A copy of the capture with its manifest changed by `edit`. */
function broken(edit: (m: Record<string, any>) => void): string {
  const d = join(tmp, `b${++n}`);
  cpSync(cap, d, { recursive: true });
  const p = join(d, 'manifest.json');
  const m = JSON.parse(readFileSync(p, 'utf8'));
  edit(m);
  writeFileSync(p, JSON.stringify(m));
  return d;
}

const errorOf = (dir: string): string => {
  try { readManifest(dir); } catch (e) { if (e instanceof UserError) return formatUserError(e); throw e; }
  return 'no error';
};

describe('the manifest validator', () => {
  const cases: [string, (m: Record<string, any>) => void, string][] = [
    ['source missing', (m) => { delete m.source; }, 'manifest field source: wants a value, got nothing'],
    ['host missing', (m) => { delete m.host; }, 'manifest field host: wants a value, got nothing'],
    ['host.kernel a number', (m) => { m.host.kernel = 6; }, 'manifest field host.kernel: wants a string, got 6'],
    ['a negative count', (m) => { m.counts.events = -3; }, 'manifest field counts.events: wants a non-negative integer, got -3'],
    ['a fractional count', (m) => { m.counts.rejects = 1.5; }, 'manifest field counts.rejects: wants a non-negative integer, got 1.5'],
    ['counts null', (m) => { m.counts = null; }, 'manifest field counts: wants an object, got null'],
    ['status null', (m) => { m.status = null; }, 'manifest field status: wants one of recording, complete, interrupted, failed, got null'],
    ['a bad status', (m) => { m.status = 'done'; }, 'manifest field status: wants one of recording, complete, interrupted, failed, got "done"'],
    ['a non-numeric ktime', (m) => { m.timeRange.firstKtime = 'soon'; }, 'manifest field timeRange.firstKtime: wants a decimal string of a 64-bit unsigned integer, got "soon"'],
    ['a ktime past 2^64', (m) => { m.timeRange.lastKtime = '18446744073709551616'; }, 'manifest field timeRange.lastKtime: wants a value below 2^64, got "18446744073709551616"'],
    ['a date that is not one', (m) => { m.createdAt = 'yesterday'; }, 'manifest field createdAt: wants an ISO date string, got "yesterday"'],
    ['a source kind of its own', (m) => { m.source.kind = 'tape'; }, 'manifest field source.kind: wants one of file, stdin, live, got "tape"'],
    ['a schemaVersion as text', (m) => { m.schemaVersion = '2'; }, 'manifest field schemaVersion: wants a positive integer, got "2"'],
    ['a layouts entry not a string', (m) => { m.layouts = [null]; }, 'manifest field layouts[0]: wants a string, got null'],
    ['a bad snapshot phase', (m) => { m.snapshots = [{ phase: 'middle', kind: 'endpoints', status: 'ok' }]; }, 'manifest field snapshots[0].phase: wants one of start, end, got "middle"'],
    ['a batch checksum that is not hex', (m) => { m.batches[1].crc32 = 'zz'; }, 'manifest field batches[1].crc32: wants 8 hex digits, got "zz"'],
    ['not an object', (m) => { for (const k of Object.keys(m)) delete m[k]; }, 'manifest field schemaVersion: wants a value, got nothing'],
  ];
  for (const [what, edit, msg] of cases) {
    it(`${what}: one line naming the field`, () => {
      const d = broken(edit);
      expect(errorOf(d)).toBe(`skbtape: ${msg} (${join(d, 'manifest.json')})`);
    });
  }

  it('through the binary: info and query exit 2 with the one line, never a stack', async () => {
    for (const d of [broken((m) => { delete m.host; }), broken((m) => { m.counts.events = -1; })]) {
      for (const args of [['info', d], ['query', '--no-cache', d, 'SELECT 1']]) {
        const r = await cli(args);
        expect(r.exitCode, r.stderr).toBe(2);
        expect(r.stderr).toMatch(/^skbtape: manifest field (host|counts\.events): wants [^\n]*\(.*manifest\.json\)$/);
      }
    }
  });

  it('counts that disagree with the files are a warning; the capture still loads', async () => {
    const d = broken((m) => { m.counts.events = 9999; });
    const info = await cli(['info', d]);
    expect(info.exitCode).toBe(0);
    expect(info.stdout).toContain(`the manifest counts 9999 events, the batch files hold 416`);
    const q = await cli(['query', '--no-cache', d, 'SELECT count(*) AS n FROM events', '--format', 'csv']);
    expect(q.exitCode).toBe(0);
    expect(q.stdout).toBe('n\n416');
    expect(q.stderr).toContain('the manifest counts 9999 events, the batch files hold 416');
  });

  it('a recording whose writer is gone reads as interrupted, counted from the files; a live one stays recording', async () => {
    // pid 1 exists but started long before this "writer": its start time tells it apart.
    const dead = broken((m) => { m.status = 'recording'; m.counts.events = 100; m.counts.batches = 1; m.writer.pid = 1; });
    const m = readManifest(dead);
    expect(m.status).toBe('interrupted');
    expect(m.statusReason).toBe('its writer (pid 1) stopped without finishing the capture');
    expect([m.counts.events, m.counts.batches]).toEqual([416, 5]);
    expect(m.warnings.join('\n')).toContain("416 events in 5 batch(es) (the manifest's last flush said 100 in 1)");
    // Written by this test process, which is alive: still recording, and `info` counts from the files the manifest is behind.
    const live = broken((m) => { m.status = 'recording'; m.counts.events = 200; m.counts.batches = 2; });
    expect(readManifest(live)).toMatchObject({ status: 'recording', counts: { events: 416, batches: 5 } });
    const info = await execa(SKBTAPE, ['info', live, '--json'], { reject: false });
    expect(info.exitCode, info.stderr).toBe(0);
    expect(JSON.parse(info.stdout)).toMatchObject({ status: 'recording', counts: { events: 416, batches: 5 } });
  });
});
