// import's status line: on a TTY, share read, bytes, rate, lines and time left, redrawn in place and cleared at the
// end; through a pipe, nothing (the installed binary with stderr piped).
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { execa } from 'execa';
import { importCapture } from '../src/ingest/importer.js';
import { importStatus } from '../src/render/progress.js';
import { SKBTAPE } from './helpers/cli.js';
// @ts-expect-error plain JavaScript module without types
import { generateLines } from '../bench/gen-pwru.mjs';

const tmp = mkdtempSync(join(tmpdir(), 'skbt-progress-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const file = join(tmp, 'gen.txt');
writeFileSync(file, [...generateLines({ lines: 40_000 })].join(''));

it('importStatus: percent, bytes of size, rate and time left from the figures given; from a pipe, no percent', () => {
  expect(importStatus(1000, 50 << 20, 100 << 20, 2000)).toBe('importing: 50% · 50.0 MiB of 100.0 MiB · 25.0 MiB/s · 1,000 lines · 2 s left');
  expect(importStatus(1000, 100 << 20, 100 << 20, 4000)).toBe('importing: 100% · 100.0 MiB of 100.0 MiB · 25.0 MiB/s · 1,000 lines');
  expect(importStatus(7, 3 << 20, 0, 1000)).toBe('importing: 3.0 MiB · 3.0 MiB/s · 7 lines');
  expect(importStatus(0, 0, 10 << 20, 0)).toBe('importing: 0% · 0 B of 10.0 MiB · 0 lines');
});

it('on a TTY: lines with %, bytes, rate and lines, each drawn over the last, cleared at the end', async () => {
  const writes: string[] = [];
  const fakeTty = { isTTY: true, columns: 200, write: (s: string) => (writes.push(s), true) } as unknown as NodeJS.WriteStream;
  await importCapture(file, join(tmp, 'tty'), { format: 'auto', force: true, statusStream: fakeTty });
  const size = statSync(file).size;
  const lines = writes.filter((w) => w.includes('importing'));
  expect(lines.length).toBeGreaterThanOrEqual(1);
  for (const w of lines) {
    expect(w.startsWith('\r\x1b[K')).toBe(true);
    expect(w).not.toContain('\n');
    expect(w).toMatch(/importing: \d+% · [\d.]+ [KM]iB of [\d.]+ MiB · [\d.]+ [KM]iB\/s · [\d,]+ lines/);
  }
  expect(lines[0]).toContain(`of ${(size / 2 ** 20).toFixed(1)} MiB`);
  expect(writes.at(-1)).toBe('\r\x1b[K');
});

it('piped: the binary writes no status line', async () => {
  const r = await execa(SKBTAPE, ['import', file, '-o', join(tmp, 'piped')]);
  expect(r.stderr).toBe('');
  expect(r.stdout).toContain('40,000');
});
