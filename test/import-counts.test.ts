// Counts that match the disk (#12 item 6), through the installed binary: `import` writes the manifest's counts at each
// flush (one thread or worker threads), so after a kill -9 the manifest on disk, as written, already counts the
// batches it lists; `info` on a capture still `recording` whose manifest is behind counts from the batch files.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { thisWriter } from '../src/capture/liveness.js';
import { ROOT } from './helpers/real.js';
import { SKBTAPE } from './helpers/cli.js';
import { waitFor } from './helpers/wait.js';

const tmp = mkdtempSync(join(tmpdir(), 'skbt-counts-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const cli = (args: string[]) => execa(SKBTAPE, args, { reject: false, cwd: ROOT });
const batches = (dir: string) => (existsSync(join(dir, 'events')) ? readdirSync(join(dir, 'events')).filter((f) => /^\d{6}\.arrows$/.test(f)).length : 0);
// Written by rename, so never half a file; absent until the import claimed the directory.
const rawManifest = (dir: string) => JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
const listedBatches = (dir: string) => { try { return (rawManifest(dir).batches ?? []).length as number; } catch { return 0; } };
const info = async (dir: string) => {
  const r = await cli(['info', dir, '--format', 'json']);
  expect(r.exitCode, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};

// The demo's text events, 150 times over (62 k lines): many 500-row batches, so a kill lands mid-import.
const big = join(tmp, 'big.txt');
beforeAll(() => {
  const [header, ...rest] = readFileSync(join(ROOT, 'samples/demo-delivered.pwru.txt'), 'utf8').trimEnd().split('\n');
  writeFileSync(big, [header, ...Array.from({ length: 150 }, () => rest).flat()].join('\n') + '\n');
});

describe('a killed import reports what it holds', () => {
  for (const workers of [[], ['--workers', '2']]) {
    it(`kill -9 mid-import${workers.length ? ' (worker threads)' : ''}: the manifest as written counts its listed batches; info counts the files`, async () => {
      const dir = join(tmp, `kill${workers.length}`);
      const p = execa(SKBTAPE, ['import', big, '-o', dir, '--batch-rows', '500', ...workers], { reject: false, cwd: ROOT });
      // The state under test: the manifest on disk lists batches while the import still runs.
      await waitFor('the manifest to list three batches', () => listedBatches(dir) >= 3);
      p.kill('SIGKILL');
      await p;
      expect(p.exitCode ?? null).toBeNull(); // killed, not finished
      // The file itself, not readManifest (which would take the files' counts): written at a flush, not at the end.
      const m = rawManifest(dir);
      expect(m.status).toBe('recording');
      const listed = (m.batches as { rows: number }[]).reduce((n, b) => n + b.rows, 0);
      expect(listed).toBeGreaterThanOrEqual(1500);
      expect(m.counts.batches).toBe(m.batches.length);
      // Events counted but not yet in a sealed batch (the one being filled) are fewer than a batch; worker threads
      // feed the same writer, so the same bound holds for them.
      expect(m.counts.events).toBeGreaterThanOrEqual(listed);
      expect(m.counts.events - listed).toBeLessThan(500);
      expect(m.counts.events).toBeLessThan(62_000); // not the end's count
      const s = await info(dir);
      expect(s.status).toBe('interrupted'); // its writer is provably gone
      const v = await cli(['verify', dir, '--format', 'json']);
      const files = JSON.parse(v.stdout).events.files as number;
      expect(s.counts.events).toBe(files);
      expect(s.counts.batches).toBe(batches(dir));
    });
  }
});

describe('info on a capture still recording', () => {
  it('a manifest one flush behind (writer alive): counts from the batch files, status kept, a warning saying so', async () => {
    const dir = join(tmp, 'live');
    expect((await cli(['import', big, '-o', dir, '--batch-rows', '20000'])).exitCode).toBe(0);
    const done = rawManifest(dir);
    const total = done.counts.events;
    const last = done.batches.at(-1);
    // As a live writer leaves it between a batch's rename and its manifest write: one batch on disk, not yet counted.
    // The writer is this test process: alive, so the capture stays `recording`.
    const m = { ...done, status: 'recording', writer: thisWriter(), batches: done.batches.slice(0, -1),
      counts: { ...done.counts, events: total - last.rows, batches: done.counts.batches - 1 } };
    delete m.finishedAt;
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
    const s = await info(dir);
    expect(s.status).toBe('recording');
    expect(s.counts.events).toBe(total);
    expect(s.counts.batches).toBe(done.counts.batches);
    expect(s.warnings).toContain(`counts are from the batch files: ${total} events in ${done.counts.batches} batch(es) (the manifest's last flush said ${total - last.rows} in ${done.counts.batches - 1})`);
    const text = await cli(['info', dir]);
    expect(text.stdout).toMatch(new RegExp(`^events    ${total.toLocaleString('en-US')} from `, 'm'));
  });
});
