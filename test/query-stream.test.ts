// `skbtape query` streams: rows reach stdout chunk by chunk as DuckDB computes them, so `| head` gets its lines and
// ends the work. Through the installed binary, on a real capture.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { execa } from 'execa';
import { ROOT } from './helpers/real.js';
import { SKBTAPE } from './helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'skbt-qstream-'));
const cap = join(tmp, 'cap');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(async () => {
  const r = await execa(SKBTAPE, ['import', join(ROOT, 'samples/demo-delivered.pwru.txt'), '-o', cap], { reject: false });
  expect(r.exitCode, r.stderr).toBe(0);
});

/** Reads the child's stdout until two whole lines came, then stops: leaving the loop destroys the pipe, as `head -2` does. */
async function firstTwoLines(child: ReturnType<typeof execa>): Promise<string[]> {
  const lines: string[] = [];
  let text = '';
  for await (const chunk of child.stdout!) {
    text += String(chunk);
    const parts = text.split('\n');
    text = parts.pop()!;
    lines.push(...parts);
    if (lines.length >= 2) break;
  }
  return lines;
}

it('a billion-row result piped to a reader that stops after two lines: two rows, then a quiet exit 0', async () => {
  // Built whole before printing, this result would not fit in memory or in the test's time: only streaming passes.
  const child = execa(SKBTAPE, ['query', cap, 'SELECT range AS n FROM range(1000000000)', '--format', 'ndjson'], { reject: false, buffer: false });
  const lines = await firstTwoLines(child);
  const r = await child;
  expect(lines.slice(0, 2)).toEqual(['{"n":0}', '{"n":1}']);
  expect(r.exitCode).toBe(0);
  expect(String(r.stderr ?? '')).toBe('');
});

it('streamed JSON and CSV print what the whole result printed: the array of objects, the header then rows', async () => {
  const sql = 'SELECT seq, func, skb FROM events ORDER BY seq';
  const json = await execa(SKBTAPE, ['query', cap, sql, '--format', 'json']);
  const rows = JSON.parse(json.stdout);
  const nd = await execa(SKBTAPE, ['query', cap, sql, '--format', 'ndjson']);
  expect(nd.stdout.split('\n').map((l) => JSON.parse(l))).toEqual(rows);
  expect(json.stdout).toBe(JSON.stringify(rows, null, 2));
  const csv = await execa(SKBTAPE, ['query', cap, sql, '--format', 'csv']);
  const lines = csv.stdout.split('\n');
  expect(lines[0]).toBe('seq,func,skb');
  expect(lines.length).toBe(rows.length + 1);
  expect(lines[1]).toBe(`${rows[0].seq},${rows[0].func},${rows[0].skb}`);
  const empty = await execa(SKBTAPE, ['query', cap, 'SELECT 1 AS a WHERE false', '--format', 'json']);
  expect(empty.stdout).toBe('[]');
});

it('replay piped to a reader that stops after two lines: its first lines, then a quiet exit 0', async () => {
  const whole = (await execa(SKBTAPE, ['replay', cap])).stdout.split('\n');
  expect(whole.length).toBeGreaterThan(50);
  const child = execa(SKBTAPE, ['replay', cap], { reject: false, buffer: false });
  const lines = await firstTwoLines(child);
  const r = await child;
  expect(lines.slice(0, 2)).toEqual(whole.slice(0, 2));
  expect(r.exitCode).toBe(0);
  expect(String(r.stderr ?? '')).toBe('');
});
