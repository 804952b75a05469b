// A live recording: start the tracer, stream its stdout through parser and writer, run the test command once
// probes are attached, stop on the first of (command done + grace, signal, --duration, --max-events, tracer exit),
// drain, take end snapshots, finish the manifest. The tracer (pwru or bpftrace) is described by a TracerPlan;
// turning flags into that plan is record/pwru-args.ts's / record/tracepoint-source.ts's job.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { CaptureWriter } from '../capture/batch-writer.js';
import { capturePaths } from '../capture/dir.js';
import { UserError } from '../errors.js';
import { pumpLines, pumpParallel } from '../ingest/pump.js';
import { defaultWorkers, workerScript } from '../ingest/parallel.js';
import type { InputFormat } from '../ingest/line-parser.js';
import { newManifest, writeManifest, type Manifest } from '../capture/manifest.js';
import { lossReport } from '../capture/loss.js';
import { takeNameTables } from '../snapshots/name-tables.js';
import { claimOutputDir } from '../capture/output-dir.js';
import { fmtBytes, fmtRate, progress } from '../render/progress.js';
import { newRenderState, renderHeader, renderText } from '../render/pwru-layout.js';
import { parseLayoutKey } from '../capture/layout.js';
import type { PwruEvent } from '../capture/event-schema.js';
import { findSetpriv, lastMessage, startTracer, trackGroup, TracerDied, TracerNotReady, type TracerExit, type TracerRun } from './tracer-process.js';
import { takeSnapshots } from '../snapshots/take.js';
import type { ResolvedTarget } from './target-resolver.js';

/** Everything the recorder needs to know about the tracer it runs. */
export interface TracerPlan {
  tool: 'pwru' | 'bpftrace';
  cmd: string;
  args: string[];
  format: InputFormat;
  /** Files the tracer reads (e.g. its program), written once the capture directory is claimed. */
  files?: { path: string; text: string }[];
  readyFile: string | null;
  readyPattern: RegExp;
  /** Written into the manifest (pwru version/argv, tracepoints…). */
  manifestPatch: Partial<Manifest>;
  /** The tracer's own stdout lines (not events): kept as log lines; `ready` ones mark the probes attached. */
  ownLine?: (line: string) => 'ready' | 'log' | null;
  /** Called with each own line, e.g. to count bpftrace's `Lost N events`. */
  onOwnLine?: (line: string, m: Manifest) => void;
  /** Turns known harmless tracer stderr lines into manifest warnings a user can read. */
  stderrNotes?: (tail: string[]) => string[];
  env?: NodeJS.ProcessEnv;
}

export interface RecordOptions {
  outDir: string;
  force: boolean;
  target: ResolvedTarget | null;
  snapshots: { mode: 'local' | 'kubectl' | 'none'; node?: string; ciliumPod?: string };
  readyTimeoutMs: number;
  /** After the test command exits, keep recording this long (late replies, retransmits). */
  graceMs: number;
  /** After SIGTERM, how long the tracer gets before SIGKILL. */
  killGraceMs: number;
  durationMs?: number;
  maxEvents?: number;
  flushMs: number;
  flushEvents: number;
  /** Parser worker threads (0: parse on this thread; undefined: chosen from the machine, ingest/parallel.ts). */
  workers?: number;
  /** Further network namespaces recorded (tracepoint source, several --netns): their interfaces get names too. */
  moreNetns?: string[];
  command?: string[];
  showProgress: boolean;
  /** Where the live status line goes (default stderr); tests pass a fake TTY. */
  statusStream?: NodeJS.WriteStream;
  /** `record --print`: each event as it is parsed, one line in pwru's text layout (the command writes it out). */
  printEvent?: (line: string) => void;
  /** Where the test command's own stdout and stderr are shown as well as kept in command/ (none: only kept). */
  commandEcho?: NodeJS.WritableStream;
  env?: NodeJS.ProcessEnv;
}

export type StopReason = 'command-done' | 'signal' | 'duration' | 'max-events' | 'tracer-exit';

/** Handle the CLI uses to pass Ctrl-C in. */
export interface RecordControl {
  /**
   * The first request picks the stop reason and stops cleanly (SIGTERM, drain, end snapshots); a request with
   * `hard` stops at once (SIGKILL, no end snapshots) even while a clean stop is under way. `detail` names the
   * signal for the manifest.
   */
  requestStop(reason: StopReason, hard?: boolean, detail?: string): void;
}

export interface RecordResult { manifest: Manifest; stopReason: StopReason | null; }

/** The first stop request, and whether a hard one followed. */
class StopState {
  reason: StopReason | null = null;
  detail?: string;
  hard = false;
  hardDetail?: string;
  readonly requested: Promise<void>;
  readonly hardRequested: Promise<void>;
  private resolveRequested!: () => void;
  private resolveHard!: () => void;

  constructor() {
    this.requested = new Promise((r) => (this.resolveRequested = r));
    this.hardRequested = new Promise((r) => (this.resolveHard = r));
  }

  request(reason: StopReason, hard: boolean, detail?: string): void {
    if (this.reason === null) {
      this.reason = reason;
      this.detail = detail;
      this.resolveRequested();
    }
    if (hard && !this.hard) {
      this.hard = true;
      this.hardDetail = detail;
      this.resolveHard();
    }
  }
}

/** Offset from CLOCK_MONOTONIC (= bpf_ktime_get_ns) to wall clock, best of a few samples. */
export function monotonicToWallNs(): bigint {
  let best: bigint | null = null;
  let bestSpan = Infinity;
  for (let i = 0; i < 5; i++) {
    const a = process.hrtime.bigint();
    const wall = BigInt(Date.now()) * 1_000_000n;
    const b = process.hrtime.bigint();
    const span = Number(b - a);
    if (span < bestSpan) { bestSpan = span; best = wall - (a + b) / 2n; }
  }
  return best!;
}

export function startRecording(plan: TracerPlan, o: RecordOptions): { control: RecordControl; done: Promise<RecordResult> } {
  const stop = new StopState();
  const control: RecordControl = { requestStop: (reason, hard = false, detail) => stop.request(reason, hard, detail) };
  return { control, done: run(plan, o, stop) };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** What the phases of one recording share. */
interface Rec {
  plan: TracerPlan;
  o: RecordOptions;
  stop: StopState;
  manifest: Manifest;
  writer: CaptureWriter;
  paths: ReturnType<typeof capturePaths>;
  /** The first write that failed (a full disk, a read-only mount): the recording stops at once and fails with it. */
  writeError: UserError | null;
}

/** The tracer's stdout being read into the capture, with the flush timer and the status line. */
interface Live {
  pumped: Promise<void>;
  pumpError: () => Error | null;
  stopTimers: () => void;
  /** From now on the status line counts events instead of saying the tracer is still getting ready. */
  markReady: () => void;
}

/** The phases, in order: prepare → start snapshots → start tracer → ready → test command → stop → drain → end snapshots → manifest. */
async function run(plan: TracerPlan, o: RecordOptions, stop: StopState): Promise<RecordResult> {
  const r = prepare(plan, o, stop);
  await startSnapshots(r);
  if (stop.reason !== null) {
    r.writer.finish('interrupted', `stopped by ${stop.detail ?? 'request'} before ${plan.tool} was started`);
    return { manifest: r.manifest, stopReason: stop.reason };
  }
  const tracer = spawnTracer(r);
  const live = streamOutput(r, tracer);
  const wasReady = await waitReady(r, tracer, live);
  if (wasReady) live.markReady();
  const cmd = wasReady ? startRun(r, tracer) : null;

  await stop.requested;
  for (const t of cmd?.timers ?? []) clearTimeout(t);
  // A test command still running is stopped with the recording (and the capture says it was cut short).
  const commandCut = cmd?.proc != null && r.manifest.command === undefined;
  if (commandCut) stopCommand(cmd!.proc!, stop, o.killGraceMs);
  const exit = await stopTracer(r, tracer);
  await drain(r, tracer, live);
  await (cmd?.done ?? Promise.resolve());
  live.stopTimers();
  const tail = tracer.stderrTail();
  if (r.manifest.pwru) r.manifest.pwru.stderrTail = tail.slice(-10);
  for (const note of plan.stderrNotes?.(tail) ?? []) if (!r.manifest.warnings.includes(note)) r.manifest.warnings.push(note);

  const { status, reason } = recordingStatus({
    tool: plan.tool, stopReason: stop.reason!, stopDetail: stop.detail, hard: stop.hard, hardDetail: stop.hardDetail,
    wasReady, commandCut, exit, lastMessage: lastMessage(tail),
  });
  if (exit.signal === 'SIGKILL' && !stop.hard && stop.reason !== 'tracer-exit') {
    r.manifest.warnings.push(`${plan.tool} did not exit within ${o.killGraceMs} ms of SIGTERM and was killed`);
  }
  if (!stop.hard) await endSnapshots(r);
  finishOrFail(r, status, reason);
  return { manifest: r.manifest, stopReason: stop.reason };
}

/**
 * The final flush and status; after a failed write, `failed` with the one-line error (which `record` exits with).
 * The capture keeps every whole batch; the manifest counts what they hold, written in place if the disk is full.
 */
function finishOrFail(r: Rec, status: Manifest['status'], reason: string): void {
  if (r.writeError === null) {
    try {
      r.writer.finish(status, reason);
      return;
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      r.writeError = e;
    }
  }
  const m = r.manifest;
  m.status = 'failed';
  m.statusReason = r.writeError.message;
  m.finishedAt = new Date().toISOString();
  if (m.batches) m.counts.events = m.batches.reduce((n, b) => n + b.rows, 0);
  try { writeManifest(r.o.outDir, m); } catch { /* the manifest keeps its last flush; it reads as interrupted */ }
  throw r.writeError;
}

/** A write failed: keep the first error and stop at once (nothing more can be stored). */
function writeFailed(r: Rec, e: unknown): void {
  if (!(e instanceof UserError)) throw e;
  if (r.writeError !== null) return;
  r.writeError = e;
  r.stop.request('signal', true, `a failed write (${e.message})`);
}

/** Claims the output directory, writes the tracer's files, and starts the manifest and the writer. */
function prepare(plan: TracerPlan, o: RecordOptions, stop: StopState): Rec {
  claimOutputDir(o.outDir, o.force);
  const paths = capturePaths(o.outDir);
  for (const f of plan.files ?? []) {
    mkdirSync(dirname(f.path), { recursive: true });
    writeFileSync(f.path, f.text);
  }
  const manifest = newManifest({ kind: 'live', format: plan.format, tool: plan.tool });
  Object.assign(manifest, plan.manifestPatch);
  manifest.clock = { monotonicToWallNs: monotonicToWallNs().toString(), measuredAt: new Date().toISOString() };
  if (o.target) manifest.target = { ...o.target } as Record<string, unknown>;
  const writer = new CaptureWriter(o.outDir, manifest, { batchRows: o.flushEvents });
  return { plan, o, stop, manifest, writer, paths, writeError: null };
}

/** `p`, or undefined as soon as a hard stop is asked for (snapshots must not hold up "stop at once"). */
const unlessHard = <T>(r: Rec, p: Promise<T>): Promise<T | undefined> => Promise.race([p, r.stop.hardRequested.then(() => undefined)]);

/** Start snapshots and name tables: never fatal (a missing cilium-dbg is a warning and a manifest entry). */
async function startSnapshots(r: Rec): Promise<void> {
  const { o, manifest } = r;
  const start = await unlessHard(r, Promise.all([
    o.snapshots.mode === 'none' ? Promise.resolve([]) : takeSnapshots(o.outDir, 'start', o.snapshots),
    takeNameTables(o.outDir, 'start', o.target, { netnsPaths: o.moreNetns }).catch((e: Error) => { manifest.warnings.push(`name tables (start): ${e.message}`); }),
  ]));
  if (start) manifest.snapshots.push(...start[0]);
  writeManifest(o.outDir, manifest);
}

/** End snapshots and name tables (the pids seen get their comm), unless a hard stop cuts them. */
async function endSnapshots(r: Rec): Promise<void> {
  const { o, manifest, stop } = r;
  const end = await unlessHard(r, Promise.all([
    o.snapshots.mode === 'none' ? Promise.resolve([]) : takeSnapshots(o.outDir, 'end', o.snapshots),
    takeNameTables(o.outDir, 'end', o.target, { pids: r.writer.seenPids(), netnsPaths: o.moreNetns }).catch((e: Error) => { manifest.warnings.push(`name tables (end): ${e.message}`); }),
  ]));
  if (end) manifest.snapshots.push(...end[0]);
  else manifest.warnings.push(`end snapshots skipped: stopped at once by a second ${stop.hardDetail ?? 'stop request'}`);
}

function spawnTracer(r: Rec): TracerRun {
  const { plan, o } = r;
  let tracer: TracerRun;
  try {
    tracer = startTracer(plan.cmd, plan.args, {
      readyFile: plan.readyFile, readyPattern: plan.readyPattern, stderrFile: r.paths.pwruStderr, env: plan.env ?? o.env,
      onStderrLine: (line) => stderrLoss(r, line),
    });
  } catch (e) {
    r.writer.finish('failed', `cannot start ${plan.cmd}: ${(e as Error).message}`);
    throw new UserError(`cannot start ${plan.cmd}: ${(e as Error).message}`, '--pwru');
  }
  if (tracer.spawnArgv[0] === plan.cmd) r.manifest.warnings.push(`setpriv not found: ${plan.tool} is not killed if skbtape itself is killed`);
  return tracer;
}

/**
 * pwru's own loss warnings on stderr (capture/loss.ts names the layouts) become loss reports. Its stderr is another
 * pipe than its events, so the report sits at the stdout lines read so far, and the time it arrived (CLOCK_MONOTONIC,
 * pwru's clock) bounds when the loss happened.
 */
function stderrLoss(r: Rec, line: string): void {
  if (r.plan.tool !== 'pwru') return;
  const rep = lossReport(line);
  if (rep === null || rep.source !== 'pwru') return;
  try {
    r.writer.loss.add({ ...rep, line: r.manifest.counts.inputLines, ktimeEnd: process.hrtime.bigint().toString(), text: line });
  } catch (e) {
    writeFailed(r, e);
  }
}

/** Reads the tracer's stdout into the capture; flushes on a timer; redraws the status line on a TTY. */
function streamOutput(r: Rec, tracer: TracerRun): Live {
  const { plan, o, stop, manifest, writer } = r;
  const bar = progress(o.statusStream ?? process.stderr, o.showProgress);
  const t0 = Date.now();
  let linesSeen = 0;
  let bytes = 0;
  tracer.stdout.on('data', (b: Buffer) => { bytes += b.length; });
  const pump = pumpTracer(r, tracer, () => { linesSeen++; });
  let pumpError: Error | null = null;
  const pumped = pump.done.then(() => undefined, (e: Error) => { if (e instanceof UserError) writeFailed(r, e); else pumpError = e; });
  let lastSeen = 0;
  let flushing = false;
  const flushTimer = setInterval(() => {
    // Text mode: hold the last event back only while lines are still arriving (its stack/dump lines may follow).
    // A JSON event is one line and complete as soon as it is read. (Worker threads count bytes, not lines.)
    if (r.writeError !== null || flushing) return;
    const seen = pump.parallel ? bytes : linesSeen;
    const includePending = plan.format === 'json' || seen === lastSeen;
    lastSeen = seen;
    flushing = true;
    pump.flush(includePending).catch((e: unknown) => {
      // Anything but a failed write is a bug: thrown, with its stack, as a synchronous flush's would be.
      if (e instanceof UserError) writeFailed(r, e); else setImmediate(() => { throw e; });
    }).finally(() => { flushing = false; });
  }, o.flushMs);
  let ready = false;
  const statusLine = () => {
    const c = manifest.counts;
    const ms = Date.now() - t0;
    // Until the tracer says it is ready, the seconds go to bpftrace's compiler or pwru's kprobe attachment.
    if (!ready && stop.reason === null) return `${plan.tool === 'bpftrace' ? 'compiling the bpftrace program…' : 'attaching probes…'} ${(ms / 1000).toFixed(1)} s`;
    const what = stop.reason === null ? 'recording' : `stopping (${stopDescription(stop.reason, stop.detail)})`;
    return `${what} ${o.outDir}: ${c.events.toLocaleString('en-US')} events, ${fmtRate(c.events, ms)}, ${writer.skbCount().toLocaleString('en-US')} skbs, ${c.rejects} rejects, ${(ms / 1000).toFixed(1)} s, ${fmtBytes(bytes)}`;
  };
  const statusTimer = o.showProgress ? setInterval(() => bar.update(statusLine), 250) : undefined;
  const stopTimers = () => {
    clearInterval(flushTimer);
    clearInterval(statusTimer);
    bar.done();
  };
  const markReady = () => {
    ready = true;
    // With --print the events own the terminal from here on: a status line redrawn under them would garble both.
    if (o.printEvent) { clearInterval(statusTimer); bar.done(); }
  };
  return { pumped, pumpError: () => pumpError, stopTimers, markReady };
}

/** The tracer's stdout being parsed into the writer, on this thread or on worker threads. */
interface TracerPump { done: Promise<unknown>; flush(includePending: boolean): Promise<void>; parallel: boolean }

/**
 * pwru's output is parsed on worker threads (this thread only reads the pipe and writes batches) unless the plan
 * needs each line here: a tracer's own stdout lines (bpftrace's ready line, its lost-event counts), --print, or
 * --max-events (counted at each line, so the stop comes at that event, not a chunk or a worker start-up later).
 */
function pumpTracer(r: Rec, tracer: TracerRun, onLine: () => void): TracerPump {
  const { plan, o, stop, manifest, writer } = r;
  const workers = o.workers ?? defaultWorkers();
  if (workers > 0 && !plan.ownLine && !o.printEvent && o.maxEvents === undefined && workerScript() !== null) {
    // Chunks of 1 MiB, not import's 4 MiB: what is in flight to the workers when the recorder is killed (at most two
    // chunks a worker, ParallelFeeder.room) stays under a second of a fast stream (~3 k JSON events per MiB), the bound
    // a crash has anyway; a slow one is sent by the flush timer before a chunk fills. 64 KiB chunks (one pipe read)
    // cost more per chunk than they parse: 2 workers took 13.6 CPU-s for 1 M JSON events against 6.1 on one thread.
    const p = pumpParallel(tracer.stdout, writer, { format: plan.format, workers, chunkBytes: 1 << 20 });
    return { ...p, parallel: true };
  }
  const done = pumpLines(tracer.stdout, writer, plan.format, () => {
    onLine();
    if (o.maxEvents !== undefined && manifest.counts.events >= o.maxEvents) stop.request('max-events', false);
  }, plan.ownLine ? (line) => {
    const k = plan.ownLine!(line);
    if (k === null) return null;
    if (k === 'ready') tracer.notifyReady();
    plan.onOwnLine?.(line, manifest);
    return 'tracer';
  } : undefined, undefined, o.printEvent ? printer(o.printEvent) : undefined);
  return { done, parallel: false, flush: async (includePending) => writer.flush(includePending) };
}

/**
 * `record --print`: events in pwru's text layout as they arrive, a header first. A JSON event (pwru --output-json,
 * the tracepoint source) is shown in the text layout of pwru v1.0.x with timestamps and meta, as `pwru` prints it.
 */
function printer(print: (line: string) => void): (e: PwruEvent) => void {
  const st = newRenderState();
  let last = '';
  return (e) => {
    const layout = e.layout.startsWith('J') ? 'E:ts,meta,tuple' : e.layout;
    if (layout !== last) {
      const h = renderHeader(parseLayoutKey(layout));
      if (h !== null) print(h);
      last = layout;
    }
    // pwru's JSON carries an empty tunnel_tuple on every event; its text layout has no column for one.
    const tunnel = e.layout.startsWith('J') && (e.tunnel === null || e.tunnel === '{}') ? null : e.tunnel;
    print(renderText({ ...e, layout, tunnel, attachment: null }, st));
  };
}

/** Waits for the probes, unless a stop comes first (Ctrl-C while pwru is still attaching). A tracer that died or never got ready fails the recording with its own message. */
async function waitReady(r: Rec, tracer: TracerRun, live: Live): Promise<boolean> {
  let readyError: unknown = null;
  const outcome = await Promise.race([
    tracer.ready(r.o.readyTimeoutMs).then(() => 'ready' as const, (e: unknown) => { readyError = e; return 'error' as const; }),
    r.stop.requested.then(() => 'stop' as const),
  ]);
  if (outcome !== 'error') return outcome === 'ready';
  live.stopTimers();
  tracer.kill();
  await tracer.exited;
  await Promise.race([live.pumped, sleep(2000)]);
  const e = readyError as Error;
  if (!(e instanceof TracerDied || e instanceof TracerNotReady)) throw e;
  if (r.manifest.pwru) r.manifest.pwru.stderrTail = e.tail.slice(-10);
  r.writer.finish('failed', e.message);
  // The full stderr is in the capture; the one line names pwru's own message.
  const where = e instanceof TracerNotReady ? '--ready-timeout' : /pcap_compile/.test(e.message) ? '--pcap-filter' : r.paths.pwruStderr;
  throw new UserError(e.message, where);
}

/** Probes attached: arm --duration, watch the tracer, start the test command (its exit + --grace stops us). */
function startRun(r: Rec, tracer: TracerRun): { timers: NodeJS.Timeout[]; proc: ResultPromise | null; done: Promise<void> } {
  const { o, stop } = r;
  const timers: NodeJS.Timeout[] = [];
  if (o.durationMs !== undefined) timers.push(setTimeout(() => stop.request('duration', false), o.durationMs));
  void tracer.exited.then(() => stop.request('tracer-exit', false));
  if (!o.command?.length) return { timers, proc: null, done: Promise.resolve() };
  const { proc, done } = startCommand(o.command, o, r.paths, r.manifest, () => {
    timers.push(setTimeout(() => stop.request('command-done', false), o.graceMs));
  });
  return { timers, proc, done };
}

/** SIGTERM (SIGKILL on a hard stop) unless the tracer already exited; a hard request during the grace kills at once. */
async function stopTracer(r: Rec, tracer: TracerRun): Promise<TracerExit> {
  const { stop } = r;
  if (stop.reason === 'tracer-exit') return tracer.exited;
  if (stop.hard) {
    tracer.kill();
    return tracer.exited;
  }
  void stop.hardRequested.then(() => tracer.kill());
  return tracer.stop(r.o.killGraceMs);
}

/**
 * Every line the tracer printed before it exited goes into the capture. Bounded only after a hard stop (a process
 * outside the tracer's group could hold the pipe open).
 */
async function drain(r: Rec, tracer: TracerRun, live: Live): Promise<void> {
  const { stop, manifest, plan } = r;
  const drained = await Promise.race([live.pumped.then(() => true), stop.hardRequested.then(() => sleep(2000)).then(() => false)]);
  // Output we could not read is lost to the capture like events the kernel dropped: a loss report without a count.
  const ownLoss = (text: string) => {
    manifest.warnings.push(text);
    try { r.writer.loss.add({ source: 'skbtape', count: null, line: manifest.counts.inputLines, scope: 'window', text }); } catch (e) { writeFailed(r, e); }
  };
  if (!drained) {
    tracer.stdout.destroy();
    ownLoss(`${plan.tool}'s output pipe was still open 2 s after the hard stop; the rest was not read`);
  }
  const err = live.pumpError();
  if (err) ownLoss(`reading ${plan.tool} output: ${err.message}`);
}

/** The facts a recording's final status is decided from. */
export interface StatusFacts {
  tool: string;
  stopReason: StopReason;
  stopDetail?: string;
  hard: boolean;
  hardDetail?: string;
  wasReady: boolean;
  commandCut: boolean;
  exit: { code: number | null; signal: string | null };
  lastMessage?: string | null;
}

/** The manifest's status and its reason, from how the recording stopped (pure; tested by a table). */
export function recordingStatus(f: StatusFacts): { status: Manifest['status']; reason: string } {
  if (f.hard) return { status: 'interrupted', reason: `stopped at once by a second ${f.hardDetail ?? 'stop request'}` };
  if (!f.wasReady) return { status: 'interrupted', reason: `${stopDescription(f.stopReason, f.stopDetail)} before ${f.tool} was ready` };
  if (f.stopReason === 'tracer-exit' && (f.exit.code !== 0 || f.exit.signal)) {
    const how = f.exit.signal ? `on ${f.exit.signal}` : `with code ${f.exit.code}`;
    return { status: 'failed', reason: `${f.tool} exited ${how}${f.lastMessage ? `: ${f.lastMessage}` : ''}` };
  }
  if (f.commandCut) return { status: 'interrupted', reason: `${stopDescription(f.stopReason, f.stopDetail, f.tool)} before the test command finished` };
  return { status: 'complete', reason: stopDescription(f.stopReason, f.stopDetail, f.tool) };
}

/** Runs the test command with its output going to command/; `onExit` fires when it has exited. */
function startCommand(argv: string[], o: RecordOptions, paths: ReturnType<typeof capturePaths>, manifest: Manifest, onExit: () => void): { proc: ResultPromise; done: Promise<void> } {
  mkdirSync(dirname(paths.commandOut), { recursive: true });
  const startedAt = new Date().toISOString();
  const c0 = Date.now();
  // Its own process group (terminal Ctrl-C reaches the recorder, which decides), a parent-death SIGKILL as for
  // pwru, and a guard that kills the whole group if the recorder dies by any means.
  // A command that cannot run is spawned as it is, so its error stays ENOENT/EACCES (exit 127/126), not setpriv's.
  const setpriv = runnable(argv[0]!, o.env?.['PATH'] ?? process.env['PATH']) ? findSetpriv() : null;
  const spawnArgv = setpriv ? [setpriv, '--pdeathsig', 'KILL', '--', ...argv] : argv;
  const proc = execa(spawnArgv[0]!, spawnArgv.slice(1), {
    reject: false, stdin: 'ignore', env: o.env, extendEnv: true, detached: true, cleanup: false,
    // Kept in command/ either way; also shown (record --print, or a terminal) without being held in memory.
    ...(o.commandEcho
      ? { stdout: [{ file: paths.commandOut }, 'pipe'] as const, stderr: [{ file: paths.commandErr }, 'pipe'] as const, buffer: false }
      : { stdout: { file: paths.commandOut }, stderr: { file: paths.commandErr } }),
  });
  if (o.commandEcho) for (const s of [proc.stdout, proc.stderr]) s?.on('data', (b: Buffer) => o.commandEcho!.write(b));
  const guard = proc.pid !== undefined ? startGuard(proc.pid) : null;
  if (proc.pid !== undefined) trackGroup(proc.pid);
  const done = proc.then((r) => {
    guard?.stdin?.end();
    const status = commandStatus(r.exitCode ?? null, r.signal ?? null, r.code);
    manifest.command = { argv, exitCode: r.exitCode ?? null, signal: r.signal ?? null, ...status, durationMs: Date.now() - c0, startedAt };
    if (r.code === 'ENOENT') manifest.warnings.push(`test command not found: ${argv[0]}`);
    else if (r.code === 'EACCES') manifest.warnings.push(`test command not executable: ${argv[0]}`);
    onExit();
  });
  return { proc, done };
}

/** Whether `cmd` names an executable file, directly or on PATH (as execvp would find it). */
function runnable(cmd: string, path: string | undefined): boolean {
  const ok = (f: string) => { try { accessSync(f, fsConstants.X_OK); return statSync(f).isFile(); } catch { return false; } };
  if (cmd.includes('/')) return ok(cmd);
  return (path ?? '').split(':').some((d) => d !== '' && ok(join(d, cmd)));
}

/** The guard of the command's group (command-guard.ts), or null when its script is not built. */
function startGuard(pgid: number): ChildProcess | null {
  const script = fileURLToPath(new URL('./command-guard.js', import.meta.url));
  if (!existsSync(script)) return null;
  // No parent-death signal here: one that came while the guard was still starting would kill it before its handler
  // is set. The end of its stdin is seen whenever it comes.
  const g = spawn(process.execPath, [script, String(pgid)], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
  g.on('error', () => { /* no guard: pdeathsig and the exit hook still stop the command itself */ });
  g.unref();
  (g.stdin as unknown as { unref?: () => void })?.unref?.();
  return g;
}

/**
 * The command's exit as a shell reports it, which `record` exits with: its code; 127 not found; 126 not
 * executable; 128+N killed by signal N.
 */
export function commandStatus(exitCode: number | null, signal: string | null, errCode?: string): { exit: number; exitText: string } {
  if (errCode === 'ENOENT') return { exit: 127, exitText: 'not found' };
  if (errCode === 'EACCES') return { exit: 126, exitText: 'not executable' };
  if (signal) return { exit: 128 + (osConstants.signals[signal as NodeJS.Signals] ?? 0), exitText: `killed by ${signal}` };
  if (exitCode === null) return { exit: 1, exitText: 'did not run' };
  return { exit: exitCode, exitText: exitCode === 0 ? 'ok' : 'failed' };
}

/** SIGTERM, then SIGKILL after the grace period (at once on a hard stop). */
function stopCommand(proc: ResultPromise, stop: StopState, graceMs: number): void {
  // The whole group: a script's own children stop with it.
  const signal = (sig: NodeJS.Signals) => {
    try { if (proc.pid !== undefined) process.kill(-proc.pid, sig); else proc.kill(sig); } catch { proc.kill(sig); }
  };
  signal('SIGTERM');
  const kill = () => signal('SIGKILL');
  const t = setTimeout(kill, stop.hard ? 0 : graceMs);
  void stop.hardRequested.then(kill);
  void proc.finally(() => clearTimeout(t)).catch(() => {});
}

function stopDescription(r: StopReason, detail?: string, tool = 'tracer'): string {
  switch (r) {
    case 'command-done': return 'test command finished';
    case 'signal': return `stopped by ${detail ?? 'signal'}`;
    case 'duration': return '--duration reached';
    case 'max-events': return '--max-events reached';
    case 'tracer-exit': return `${tool} exited by itself`;
  }
}
