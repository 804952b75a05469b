// Phase lines of long DuckDB work (#12 item 8), through the installed binary: on a terminal (a pty from util-linux's
// `script`) the load says which batch and which view it is at, and each export what it writes, drawn over itself and
// cleared before the output; piped, stderr stays empty.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers/real.js';
import { SKBTAPE } from './helpers/cli.js';
import { skipUnless } from './helpers/prereq.js';

const hasScript = (() => { try { execFileSync('script', ['--version'], { stdio: 'ignore' }); return true; } catch { return false; } })();
const skip = skipUnless({ ok: hasScript, why: 'script (util-linux, Debian bsdutils) not found; make setup installs it', fixable: true }, 'status-line tests on a pty');

const tmp = mkdtempSync(join(tmpdir(), 'skbt-phase-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const cap = join(tmp, 'cap');
// `script -c` takes one command line: each argument is single-quoted (none of ours holds a quote).
const onPty = (args: string[]) => execa('script', ['-qfec', [SKBTAPE, ...args].map((a) => `'${a}'`).join(' '), '/dev/null'], { reject: false, cwd: ROOT });
const CLEAR = '\r\x1b[K';

describe.skipIf(skip)('phase lines', () => {
  beforeAll(async () => {
    expect((await execa(SKBTAPE, ['import', join(ROOT, 'samples/demo-delivered.pwru.txt'), '-o', cap])).exitCode).toBe(0);
  });

  it('on a terminal: the load names its batch, then the result; each export names what it writes', async () => {
    const q = await onPty(['query', cap, 'SELECT count(*) AS n FROM events', '--no-cache']);
    expect(q.exitCode, q.stdout).toBe(0);
    // The first phase is always drawn; each is drawn over the last, and the line is cleared before the table comes.
    expect(q.stdout.startsWith(`${CLEAR}loading cap: batch 1 of 1`)).toBe(true);
    const parts = q.stdout.split(CLEAR);
    expect(parts[0]).toBe('');
    for (const part of parts.slice(1, -1)) expect(part).toMatch(/^(loading cap: batch \d+ of \d+|building the analysis: \d+_\w+\.sql)$/);
    expect(parts.at(-1)).toMatch(/^ +n\r\n/);
    expect(q.stdout).toMatch(/416/);
    const pq = await onPty(['export', cap, '--parquet', join(tmp, 'lake')]);
    expect(pq.exitCode, pq.stdout).toBe(0);
    expect(pq.stdout).toContain(`${CLEAR}exporting events → ${join(tmp, 'lake', 'events')}`);
    const pf = await onPty(['export', cap, '--perfetto', join(tmp, 'trace.json')]);
    expect(pf.exitCode, pf.stdout).toBe(0);
    expect(pf.stdout).toContain(`${CLEAR}exporting ${join(tmp, 'trace.json')}: a slice per hop…${CLEAR}`);
  });

  it('piped: no phase line', async () => {
    for (const args of [['query', cap, 'SELECT 1 AS n', '--no-cache'], ['export', cap, '--pcapng', join(tmp, 'c.pcapng')]]) {
      const r = await execa(SKBTAPE, args, { reject: false, cwd: ROOT });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stderr, args.join(' ')).toBe('');
    }
  });
});
