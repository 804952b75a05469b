// Spawns a tracer (pwru, or bpftrace for the tracepoint source), waits until its probes are attached, hands its
// stdout on as a stream, and stops it: SIGTERM, drain, SIGKILL to its process group after a grace period.
// What the lines mean is the parser's business; when to stop is the recorder's.
import { createWriteStream, existsSync, rmSync, type WriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { execa, type ResultPromise } from 'execa';
import split2 from 'split2';

export interface TracerExit { code: number | null; signal: string | null }

export interface TracerOptions {
  /** Created by the tracer once probes are attached (pwru --ready-file). Removed before the start and after the exit. */
  readyFile?: string | null;
  /** A stderr line that also means "ready" (older pwru: `Listening for events..`). */
  readyPattern?: RegExp;
  stderrFile: string;
  env?: NodeJS.ProcessEnv;
  /** Each stderr line as it arrives (the recorder looks for pwru's loss warnings in them). */
  onStderrLine?: (line: string) => void;
}

export interface TracerRun {
  pid: number;
  /** The argv actually spawned (setpriv prefix included). */
  spawnArgv: string[];
  stdout: Readable;
  /** Resolves when ready; rejects with the tracer's own last message when it dies first or the timeout passes. */
  ready(timeoutMs: number): Promise<void>;
  /** Resolves once the tracer has exited and its stderr is fully read (so the tail holds its last words). */
  exited: Promise<TracerExit>;
  stderrTail(): string[];
  /** SIGTERM, wait up to graceMs for a clean exit, then SIGKILL the process group. */
  stop(graceMs: number): Promise<TracerExit>;
  /** SIGKILL the whole process group now. */
  kill(): void;
  /** The tracer said on stdout that it is ready (bpftrace's BEGIN line). */
  notifyReady(): void;
}

const SETPRIV_PATHS = ['/usr/bin/setpriv', '/bin/setpriv', '/usr/sbin/setpriv', '/sbin/setpriv'];
let setprivPath: string | null | undefined;
/**
 * setpriv --pdeathsig makes the kernel SIGKILL the tracer when the recorder dies (even by SIGKILL), so pwru never
 * runs on unobserved. Looked up by absolute path: the PATH given to tools may be trimmed (tests, minimal nodes).
 */
export function findSetpriv(): string | null {
  if (setprivPath === undefined) setprivPath = SETPRIV_PATHS.find((p) => existsSync(p)) ?? null;
  return setprivPath;
}

/** Go log / slog prefix removed, so errors read like pwru's own message. */
export const stripLogPrefix = (line: string) => line.replace(/^(\^C)?\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2} ((INFO|WARN|ERROR|DEBUG) )?/, '');

const isProgressBar = (l: string) => /^\d+ \/ \d+ \[/.test(l);

/** The tracer's last meaningful stderr line (progress bars and blanks skipped), without its log prefix. */
export function lastMessage(tail: string[]): string | undefined {
  const last = [...tail].reverse().find((l) => l.trim() !== '' && !isProgressBar(l));
  return last === undefined ? undefined : stripLogPrefix(last);
}

/** Tracer groups still alive, killed synchronously if the recorder exits without stopping them (no-setpriv fallback). */
const liveGroups = new Set<number>();
let exitHook = false;
export function trackGroup(pid: number): void {
  liveGroups.add(pid);
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const g of liveGroups) {
      try {
        process.kill(-g, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  });
}

/**
 * Kept whole although long (about 120 lines): the closures share one child's state (ready, exit, stderr tail, stop
 * timers), and the order of those handlers is the protocol (ready file or line, then exit, then drain).
 */
export function startTracer(cmd: string, args: string[], o: TracerOptions): TracerRun {
  if (o.readyFile) rmSync(o.readyFile, { force: true }); // a stale file would read as "ready" at once
  const setpriv = findSetpriv();
  const spawnArgv = setpriv ? [setpriv, '--pdeathsig', 'KILL', '--', cmd, ...args] : [cmd, ...args];
  const child: ResultPromise = execa(spawnArgv[0]!, spawnArgv.slice(1), {
    stdin: 'ignore',
    buffer: false,
    reject: false,
    detached: true, // own process group: terminal Ctrl-C reaches the recorder, which decides how to stop pwru
    cleanup: false, // execa's cleanup skips detached children anyway; the exit hook and pdeathsig do this job
    env: o.env,
    extendEnv: o.env === undefined,
  });
  const pid = child.pid ?? -1;
  if (pid > 0) trackGroup(pid);
  const tail: string[] = [];
  const errLog: WriteStream = createWriteStream(o.stderrFile);
  let readyResolve: (() => void) | null = null;
  let isReady = false;
  const markReady = () => {
    if (isReady) return;
    isReady = true;
    if (o.readyFile) rmSync(o.readyFile, { force: true });
    readyResolve?.();
  };
  const errLines = child.stderr!.pipe(split2());
  const stderrDone = new Promise<void>((resolve) => {
    errLines.on('end', resolve);
    errLines.on('error', () => resolve());
    child.stderr!.on('error', () => resolve());
  });
  errLines.on('data', (line: string) => {
    errLog.write(line + '\n');
    tail.push(line);
    if (tail.length > 20) tail.shift();
    if (o.readyPattern?.test(line)) markReady();
    o.onStderrLine?.(line);
  });
  let spawnFailure: Error | null = null;
  const exitedRaw: Promise<TracerExit> = new Promise((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
    child.on('error', (e) => {
      spawnFailure = e;
      resolve({ code: null, signal: null });
    });
  });
  const exited: Promise<TracerExit> = exitedRaw.then(async (r) => {
    liveGroups.delete(pid);
    // 'exit' can come before the last stderr lines are read: wait for them (bounded: a leftover grandchild may
    // hold the pipe open), so the tail has the tracer's own last words.
    await Promise.race([stderrDone, new Promise((res) => setTimeout(res, 1000))]);
    await new Promise<void>((res) => errLog.end(res));
    if (o.readyFile) rmSync(o.readyFile, { force: true });
    return r;
  });
  const killGroup = (sig: NodeJS.Signals) => {
    try {
      if (pid > 0) process.kill(-pid, sig);
    } catch {
      /* already gone */
    }
  };
  let readyFilePoll: NodeJS.Timeout | undefined;
  if (o.readyFile) {
    const rf = o.readyFile;
    readyFilePoll = setInterval(() => {
      if (existsSync(rf)) markReady();
      if (isReady) clearInterval(readyFilePoll);
    }, 20);
    void exitedRaw.then(() => clearInterval(readyFilePoll));
  }

  return {
    pid,
    spawnArgv,
    stdout: child.stdout!,
    stderrTail: () => [...tail],
    exited,
    ready(timeoutMs) {
      return new Promise<void>((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined;
        let settled = false;
        const done = (err?: Error) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          if (err) reject(err);
          else resolve();
        };
        if (isReady) return done();
        readyResolve = () => done();
        timer = setTimeout(() => {
          const last = lastMessage(tail);
          done(new TracerNotReady(`${cmd} was not ready within ${fmtSeconds(timeoutMs)}${last ? `; its last message: ${last}` : ''}`, [...tail]));
        }, timeoutMs);
        void exited.then((r) => {
          if (isReady) return;
          if (spawnFailure) done(new TracerDied(cmd, r, [...tail, spawnFailure.message]));
          else done(new TracerDied(cmd, r, [...tail]));
        });
      });
    },
    async stop(graceMs) {
      try {
        // setpriv execs the tracer, so this pid is the tracer itself.
        if (pid > 0) process.kill(pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      const timer = setTimeout(() => killGroup('SIGKILL'), graceMs);
      const r = await exited;
      clearTimeout(timer);
      killGroup('SIGKILL'); // anything the tracer left behind in its group
      return r;
    },
    kill() {
      killGroup('SIGKILL');
    },
    notifyReady: markReady,
  };
}

const fmtSeconds = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);

export class TracerNotReady extends Error {
  readonly tail: string[];
  constructor(msg: string, tail: string[]) {
    super(msg);
    this.tail = tail;
  }
}

export class TracerDied extends Error {
  readonly exit: TracerExit;
  readonly tail: string[];
  constructor(cmd: string, exit: TracerExit, tail: string[]) {
    const last = lastMessage(tail);
    super(`${cmd} exited ${exit.signal ? `on ${exit.signal}` : `with code ${exit.code}`} before it was ready${last ? `: ${last}` : ''}`);
    this.exit = exit;
    this.tail = tail;
  }
}
