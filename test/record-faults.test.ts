// Faults while recording and importing, through the installed binary: a full disk under record (one line, exit 2,
// pwru stopped, the capture loadable up to its last whole batch, `failed` and why); the test command and its own
// children die with a recorder killed by SIGKILL, and stop with a recorder that stops normally; 20 random SIGKILLs of
// record and 20 of import each leave a capture that loads, reads as `interrupted`, counted from its files. Fake pwru
// printing real recorded events; real tmpfs mounts made and removed here.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { ROOT } from './helpers/real.js';
import { SKBTAPE } from './helpers/cli.js';
import { skipUnless } from './helpers/prereq.js';
import { canMount, tmpfs, type Mounted } from './helpers/mounts.js';
import { readManifest } from '../src/capture/manifest.js';
import { verifyCapture } from '../src/capture/verify.js';
import { sleep, waitFor } from './helpers/wait.js';

const FAKES = join(ROOT, 'test/fixtures/bin');
const EVENTS = join(ROOT, 'samples/demo-delivered.events.json');
const tmp = mkdtempSync(join(tmpdir(), 'skbt-recfault-'));
const mounts: Mounted[] = [];
afterAll(async () => {
  for (const m of mounts) await m.remove();
  rmSync(tmp, { recursive: true, force: true });
});
let n = 0;
const outDir = () => join(tmp, `cap${++n}`);

function env(extra: Record<string, string> = {}): Record<string, string> {
  const e: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('SKBTAPE_FAKE_')) e[k] = v;
  return { ...e, PATH: `${FAKES}${delimiter}${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`, ...extra };
}
const record = (args: string[], extra: Record<string, string> = {}) =>
  execa(SKBTAPE, ['record', '--snapshots', 'none', ...args], { env: env(extra), extendEnv: false, reject: false, cwd: ROOT });
const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };
const listening = (dir: string) => existsSync(join(dir, 'pwru.stderr')) && readFileSync(join(dir, 'pwru.stderr'), 'utf8').includes('Listening for events');
const leftovers = (dir: string) => readdirSync(dir, { recursive: true }).map(String).filter((f) => /\.tmp(-\d+)?$/.test(f));

/** A capture left by a kill: every batch on disk intact, and the manifest (as read) agrees with the files. */
function expectLoadable(dir: string, what: string): void {
  const v = verifyCapture(dir);
  const damaged = v.batches.filter((b) => b.state !== 'ok');
  expect(damaged, `${what}: ${v.faults.join('; ')}`).toEqual([]);
  const m = readManifest(dir);
  expect(['interrupted', 'complete', 'failed'], what).toContain(m.status);
  expect(m.counts.events, what).toBe(v.events.files);
}

/** A test command that starts a child of its own and writes both pids down: a script with a curl in it, in small. */
const FAMILY = `const { spawn } = require('node:child_process'); const c = spawn('sleep', ['300'], { stdio: 'ignore' });
require('node:fs').writeFileSync(process.argv[1], JSON.stringify([process.pid, c.pid])); setInterval(() => {}, 1000);`;
const family = (f: string): number[] => JSON.parse(readFileSync(f, 'utf8'));

describe('the test command dies with the recorder', () => {
  for (const k of [1, 2, 3]) {
    it(`SIGKILL of the recorder (${k} of 3): the command and its child are gone, the capture loads`, async () => {
      const dir = outDir();
      const pids = join(tmp, `family${n}.json`);
      const p = record(['-o', dir, '--', process.execPath, '-e', FAMILY, pids], { SKBTAPE_FAKE_PWRU_EVENTS: EVENTS, SKBTAPE_FAKE_PWRU_RATE: '2000', SKBTAPE_FAKE_PWRU_LOOP: '100' });
      await waitFor('the command and its child', () => existsSync(pids) && readFileSync(pids, 'utf8').length > 0);
      const [cmd, child] = family(pids);
      p.kill('SIGKILL');
      await p;
      await waitFor('the command and its child to die', () => !alive(cmd!) && !alive(child!), 10_000);
      expectLoadable(dir, `kill ${k}`);
      expect(readManifest(dir).status).toBe('interrupted');
    });
  }

  it('a recorder that stops normally (--duration) stops the command and its child', async () => {
    const dir = outDir();
    const pids = join(tmp, `family-normal.json`);
    const r = await record(['-o', dir, '--duration', '1500ms', '--', process.execPath, '-e', FAMILY, pids], { SKBTAPE_FAKE_PWRU_EVENTS: EVENTS });
    const [cmd, child] = family(pids);
    await waitFor('the command and its child to stop', () => !alive(cmd!) && !alive(child!), 10_000);
    expect(readManifest(dir).command?.exitText).toMatch(/killed by SIGTERM/);
    expect(r.stderr).not.toMatch(/internal error/);
  });
});

/**
 * The kill moments, drawn from a fixed seed before any run starts, so a failure replays whatever order the lanes
 * take them in (the moment is random on purpose: where in the stream a kill lands is what these tests sample).
 */
function randomDelays(seed: number, n: number, maxMs: number): number[] {
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  return Array.from({ length: n }, () => Math.floor(rand() * maxMs));
}
/** Runs step(0..n-1) two at a time: each step is mostly a process starting up, and there are two cores. */
async function inLanes(n: number, step: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => { while (next < n) await step(next++); };
  await Promise.all([lane(), lane()]);
}

describe('random SIGKILLs', () => {
  const big = join(tmp, 'big.pwru.txt');
  beforeAll(() => {
    const [header, ...rest] = readFileSync(join(ROOT, 'samples/demo-delivered.pwru.txt'), 'utf8').trimEnd().split('\n');
    writeFileSync(big, [header, ...Array.from({ length: 60 }, () => rest).flat()].join('\n') + '\n');
  });

  it('20 kills of record at random moments: each capture loads, interrupted, counted from its files', async () => {
    const delays = randomDelays(42, 20, 400);
    await inLanes(20, async (i) => {
      const dir = outDir();
      const p = record(['-o', dir, '--flush-events', '200', '--', 'sleep', '30'], { SKBTAPE_FAKE_PWRU_EVENTS: EVENTS, SKBTAPE_FAKE_PWRU_LOOP: '1000', SKBTAPE_FAKE_PWRU_RATE: '20000' });
      await waitFor('pwru listening', () => listening(dir));
      await sleep(delays[i]!);
      p.kill('SIGKILL');
      await p;
      expectLoadable(dir, `record kill ${i}`);
      expect(readManifest(dir).status, `record kill ${i}`).toBe('interrupted');
    });
  }, 300_000); // 20 recorder starts: the bound is against a hang only; each step waits on state

  it('20 kills of import at random moments: each capture loads, with logs and rejects kept and counts from the files', async () => {
    const delays = randomDelays(7, 20, 600);
    await inLanes(20, async (i) => {
      const dir = outDir();
      const p = execa(SKBTAPE, ['import', big, '-o', dir, '--batch-rows', '500'], { reject: false, cwd: ROOT });
      await waitFor('the capture to start', () => existsSync(join(dir, 'manifest.json')));
      await sleep(delays[i]!);
      p.kill('SIGKILL');
      await p;
      expectLoadable(dir, `import kill ${i}`);
      // Logs go out with the first batch at the latest: pwru's header line is kept once any batch is.
      if (readManifest(dir).counts.batches > 0) expect(readFileSync(join(dir, 'logs.ndjson'), 'utf8')).toMatch(/^\{"line":1,/);
    });
  }, 300_000);

  it('a full tmpfs under record: one line, exit 2, pwru stopped, no .tmp, failed with the reason, loadable', async () => {
    const c = await canMount();
    if (skipUnless(c, 'record on a full tmpfs')) return;
    const fs = await tmpfs(768, 160);
    mounts.push(fs);
    const dir = join(fs.dir, 'cap');
    const log = join(tmp, 'argv-full.ndjson');
    const r = await record(['-o', dir, '--flush-events', '100', '--', 'sleep', '60'], {
      SKBTAPE_FAKE_PWRU_EVENTS: EVENTS, SKBTAPE_FAKE_PWRU_LOOP: '1000', SKBTAPE_FAKE_PWRU_RATE: '20000', SKBTAPE_FAKE_PWRU_ARGV_LOG: log,
    });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim().split('\n').filter((l) => l.startsWith('skbtape:'))).toEqual([expect.stringMatching(new RegExp(`^skbtape: no space left on device writing ${dir}/\\S+$`))]);
    expect(r.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
    const pwruPid = JSON.parse(readFileSync(log, 'utf8').trim().split('\n').at(-1)!).pid as number;
    expect(alive(pwruPid)).toBe(false);
    expect(leftovers(dir)).toEqual([]);
    const m = readManifest(dir);
    expect(m.status).toBe('failed');
    expect(m.statusReason).toMatch(/^no space left on device writing /);
    expectLoadable(dir, 'full disk');
  });
});
