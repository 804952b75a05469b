// Spawns a tracer (pwru, or bpftrace for the tracepoint source), waits until its probes are attached, hands its
// stdout on as a stream, and stops it: SIGTERM, drain, SIGKILL to its process group after a grace period.
// What the lines mean is the parser's business; when to stop is the recorder's.
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { execa, type ResultPromise } from 'execa';
import split2 from 'split2';

export interface TracerExit { code: number | null; signal: string | null }

export interface TracerOptions {
  /** Created by the tracer once probes are attached (pwru --ready-file). */
  readyFile?: string | null;
  /** A stderr/stdout line that also means "ready" (older pwru: `Listening for events..`). */
  readyPattern?: RegExp;
  /** Lines on stdout that belong to the tracer itself, not to events (bpftrace's `Attaching N probes...`). */
  readyOnStdout?: boolean;
  stderrFile: string;
  env?: NodeJS.ProcessEnv;
}

export interface TracerRun {
  pid: number;
  stdout: Readable;
  /** Resolves when ready; rejects with the tracer's own last message when it dies first. */
  ready(timeoutMs: number): Promise<void>;
  exited: Promise<TracerExit>;
  stderrTail(): string[];
  /** SIGTERM, wait up to graceMs for a clean exit, then SIGKILL the process group. */
  stop(graceMs: number): Promise<TracerExit>;
  /** SIGKILL the whole process group now. */
  kill(): void;
  /** The tracer said on stdout that it is ready (bpftrace's BEGIN line). */
  notifyReady(): void;
}

let setprivChecked: boolean | null = null;
function hasSetpriv(): boolean {
  // setpriv --pdeathsig makes the kernel SIGKILL the tracer if the recorder dies, so it never runs unobserved.
  setprivChecked ??= ['/usr/bin/setpriv', '/bin/setpriv'].some((p) => existsSync(p));
  return setprivChecked;
}

/** Go log / slog prefix removed, so errors read like pwru's own message. */
export const stripLogPrefix = (line: string) => line.replace(/^(\^C)?\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2} ((INFO|WARN|ERROR|DEBUG) )?/, '');

export function startTracer(cmd: string, args: string[], o: TracerOptions): TracerRun {
  const [file, argv] = hasSetpriv() ? ['setpriv', ['--pdeathsig', 'KILL', '--', cmd, ...args]] : [cmd, args];
  const child: ResultPromise = execa(file, argv, {
    stdin: 'ignore',
    buffer: false,
    reject: false,
    detached: true, // own process group: terminal Ctrl-C reaches the recorder, which decides how to stop pwru
    cleanup: true,
    env: o.env,
    extendEnv: o.env === undefined,
  });
  const tail: string[] = [];
  const errLog: WriteStream = createWriteStream(o.stderrFile);
  let readyResolve: (() => void) | null = null;
  let isReady = false;
  const markReady = () => {
    if (isReady) return;
    isReady = true;
    readyResolve?.();
  };
  child.stderr!.pipe(split2()).on('data', (line: string) => {
    errLog.write(line + '\n');
    tail.push(line);
    if (tail.length > 20) tail.shift();
    if (o.readyPattern?.test(line)) markReady();
  });
  const exited: Promise<TracerExit> = new Promise((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
    child.on('error', () => resolve({ code: null, signal: null }));
  }).then(async (r) => {
    await new Promise<void>((res) => errLog.end(res));
    return r as TracerExit;
  });
  const spawnError: Promise<Error> = new Promise((resolve) => child.on('error', resolve));
  const pid = child.pid ?? -1;
  const killGroup = (sig: NodeJS.Signals) => {
    try {
      if (pid > 0) process.kill(-pid, sig);
    } catch {
      /* already gone */
    }
  };

  return {
    pid,
    stdout: child.stdout!,
    stderrTail: () => [...tail],
    exited,
    ready(timeoutMs) {
      return new Promise<void>((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined;
        let poll: NodeJS.Timeout | undefined;
        const done = (err?: Error) => {
          clearTimeout(timer);
          clearInterval(poll);
          if (err) reject(err);
          else resolve();
        };
        if (isReady) return done();
        readyResolve = () => done();
        if (o.readyFile) {
          const rf = o.readyFile;
          poll = setInterval(() => { if (existsSync(rf)) markReady(); }, 20);
        }
        timer = setTimeout(() => done(new TracerNotReady(`${cmd} did not become ready within ${timeoutMs / 1000} s`, [...tail])), timeoutMs);
        void exited.then((r) => {
          if (!isReady) done(new TracerDied(cmd, r, [...tail]));
        });
        void spawnError.then((e) => done(new TracerDied(cmd, { code: null, signal: null }, [(e as Error).message])));
      });
    },
    async stop(graceMs) {
      try {
        if (pid > 0) process.kill(pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      const timer = setTimeout(() => killGroup('SIGKILL'), graceMs);
      const r = await exited;
      clearTimeout(timer);
      killGroup('SIGKILL'); // anything pwru left behind in its group
      return r;
    },
    kill() {
      killGroup('SIGKILL');
    },
    notifyReady: markReady,
  };
}

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
    const last = [...tail].reverse().find((l) => l.trim() !== '' && !/^\d+ \/ \d+ \[/.test(l));
    super(`${cmd} exited ${exit.signal ? `on ${exit.signal}` : `with code ${exit.code}`} before it was ready${last ? `: ${stripLogPrefix(last)}` : ''}`);
    this.exit = exit;
    this.tail = tail;
  }
}
