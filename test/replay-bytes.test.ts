// `skbtape replay` streams (#12 item 3): events are read row by row from each batch and written in chunks, so the
// output must not depend on where a batch file or an output chunk ends. Through the installed binary: pwru's own text
// and JSON come back byte for byte, cut into 1000-row batch files or not, over many 32-line writes.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { execa } from 'execa';
import { SKBTAPE } from './helpers/cli.js';
// @ts-expect-error plain JavaScript module without types
import { generateLines } from '../bench/gen-pwru.mjs';

const tmp = mkdtempSync(join(tmpdir(), 'skbt-replay-bytes-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const LINES = 6000; // header + 5,999 events: six batch files of 1000 rows, a write every 32 lines
const input = (format: 'text' | 'json') => join(tmp, `pwru.${format}`);

async function imported(format: 'text' | 'json', batchRows?: number): Promise<string> {
  const dir = join(tmp, `${format}-${batchRows ?? 'whole'}`);
  const argv = ['import', input(format), '-o', dir, ...(batchRows ? ['--batch-rows', String(batchRows)] : [])];
  const r = await execa(SKBTAPE, argv, { reject: false });
  expect(r.exitCode, r.stderr).toBe(0);
  return dir;
}

beforeAll(() => {
  for (const format of ['text', 'json'] as const) writeFileSync(input(format), [...generateLines({ lines: LINES, format, seed: 3 })].join(''));
});

it('pwru text comes back byte for byte, from six 1000-row batch files and from one', async () => {
  const text = readFileSync(input('text'), 'utf8');
  const lines = text.split('\n');
  expect(lines[0]).toMatch(/^SKB\s+CPU\s+PROCESS/); // one header, then one line per event
  const cut = await imported('text', 1000);
  const whole = await imported('text');
  const a = await execa(SKBTAPE, ['replay', cut], { stripFinalNewline: false });
  const b = await execa(SKBTAPE, ['replay', whole], { stripFinalNewline: false });
  expect(a.stdout.length).toBe(text.length);
  expect(a.stdout).toBe(text);
  expect(b.stdout).toBe(text);
  // One skb's lines, picked by string ops on the input, are what --skb prints after the header, token for token
  // (pwru pads the tuple to the widest seen so far, and fewer lines were seen).
  const skb = lines[1]!.split(' ')[0]!;
  const tokens = (l: string) => l.trim().split(/\s+/).join(' ');
  const mine = lines.filter((l) => l.startsWith(`${skb} `)).map(tokens);
  const one = await execa(SKBTAPE, ['replay', cut, '--skb', skb]);
  expect(mine.length).toBeGreaterThan(1);
  expect(one.stdout.split('\n').map(tokens)).toEqual([tokens(lines[0]!), ...mine]);
}, 60_000);

it("pwru's JSON lines come back byte for byte through --layout json, from 1000-row batch files", async () => {
  const json = readFileSync(input('json'), 'utf8');
  const cut = await imported('json', 1000);
  const r = await execa(SKBTAPE, ['replay', cut, '--layout', 'json'], { stripFinalNewline: false });
  expect(r.stdout.split('\n').length - 1).toBe(LINES);
  expect(r.stdout).toBe(json);
}, 60_000);
