// A live recording: start the tracer, stream its stdout through parser and writer, run the test command once
// probes are attached, stop on the first of (command done + grace, signal, --duration, --max-events, tracer exit),
// drain, take end snapshots, finish the manifest. The tracer (pwru or bpftrace) is described by a TracerPlan;
// turning flags into that plan is pwru-args.ts's / tracepoint-source.ts's job.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { execa } from 'execa';
import { CaptureWriter } from './batch-writer.js';
import { capturePaths } from './capture-dir.js';
import { UserError } from './errors.js';
import { pumpLines } from './importer.js';
import type { InputFormat } from './line-parser.js';
import { newManifest, writeManifest, type Manifest } from './manifest.js';
import { takeNameTables } from './name-tables.js';
import { claimOutputDir } from './output-dir.js';
import { fmtBytes, fmtRate, progress } from './progress.js';
import { startTracer, stripLogPrefix, TracerDied, TracerNotReady, type TracerRun } from './pwru-process.js';
import { takeSnapshots } from './snapshots.js';
import type { ResolvedTarget } from './target-resolver.js';

/** Everything the recorder needs to know about the tracer it runs. */
export interface TracerPlan {
  tool: 'pwru' | 'bpftrace';
  cmd: string;
  args: string[];
  format: InputFormat;
  readyFile: string | null;
  readyPattern: RegExp;
  /** Written into the manifest (pwru version/argv, tracepoints…). */
  manifestPatch: Partial<Manifest>;
  /** The tracer's own stdout lines (not events): kept as log lines; `ready` ones mark the probes attached. */
  ownLine?: (line: string) => 'ready' | 'log' | null;
  /** Called with each own line, e.g. to count bpftrace's `Lost N events`. */
  onOwnLine?: (line: string, m: Manifest) => void;
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
  command?: string[];
  showProgress: boolean;
  env?: NodeJS.ProcessEnv;
}

export type StopReason = 'command-done' | 'signal' | 'duration' | 'max-events' | 'tracer-exit';

/** Handle the CLI uses to pass Ctrl-C in: first call stops cleanly, a second stops at once. */
export interface RecordControl {
  requestStop(reason: StopReason, hard?: boolean): void;
}

export interface RecordResult { manifest: Manifest; stopReason: StopReason; }

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
  let stopRequested: ((r: StopReason, hard: boolean) => void) | null = null;
  const early: [StopReason, boolean][] = [];
  const control: RecordControl = {
    requestStop(reason, hard = false) {
      if (stopRequested) stopRequested(reason, hard);
      else early.push([reason, hard]);
    },
  };
  const done = run(plan, o, (fn) => {
    stopRequested = fn;
    for (const [r, h] of early) fn(r, h);
  });
  return { control, done };
}

async function run(plan: TracerPlan, o: RecordOptions, onStopHook: (fn: (r: StopReason, hard: boolean) => void) => void): Promise<RecordResult> {
  claimOutputDir(o.outDir, o.force);
  const paths = capturePaths(o.outDir);
  const manifest = newManifest({ kind: 'live', format: plan.format, tool: plan.tool });
  Object.assign(manifest, plan.manifestPatch);
  manifest.clock = { monotonicToWallNs: monotonicToWallNs().toString(), measuredAt: new Date().toISOString() };
  if (o.target) manifest.target = { ...o.target } as Record<string, unknown>;
  const writer = new CaptureWriter(o.outDir, manifest, { batchRows: o.flushEvents });

  // Start snapshots: never fatal (a missing cilium-dbg is a warning and a manifest entry).
  const [snaps] = await Promise.all([
    o.snapshots.mode === 'none' ? Promise.resolve([]) : takeSnapshots(o.outDir, 'start', o.snapshots),
    takeNameTables(o.outDir, 'start', o.target).catch((e: Error) => { manifest.warnings.push(`name tables (start): ${e.message}`); }),
  ]);
  manifest.snapshots.push(...snaps);
  writeManifest(o.outDir, manifest);

  const bar = progress(process.stderr, o.showProgress);
  const t0 = Date.now();
  let tracer: TracerRun;
  try {
    tracer = startTracer(plan.cmd, plan.args, { readyFile: plan.readyFile, readyPattern: plan.readyPattern, stderrFile: paths.pwruStderr, env: plan.env ?? o.env });
  } catch (e) {
    writer.finish('failed', `cannot start ${plan.cmd}: ${(e as Error).message}`);
    throw new UserError(`cannot start ${plan.cmd}: ${(e as Error).message}`, '--pwru');
  }
  let linesSeen = 0;
  let bytes = 0;
  tracer.stdout.on('data', (b: Buffer) => { bytes += b.length; });
  let stopNow: ((r: StopReason, hard: boolean) => void) | null = null;
  const pump = pumpLines(tracer.stdout, writer, plan.format, () => {
    linesSeen++;
    if (o.maxEvents !== undefined && manifest.counts.events >= o.maxEvents) stopNow?.('max-events', false);
  }, plan.ownLine ? (line) => {
    const k = plan.ownLine!(line);
    if (k === null) return null;
    if (k === 'ready') tracer.notifyReady();
    plan.onOwnLine?.(line, manifest);
    return 'tracer';
  } : undefined);
  const statusLine = () => {
    const c = manifest.counts;
    const ms = Date.now() - t0;
    return `recording ${o.outDir}: ${c.events.toLocaleString('en-US')} events, ${fmtRate(c.events, ms)}, ${writer.skbCount().toLocaleString('en-US')} skbs, ${c.rejects} rejects, ${(ms / 1000).toFixed(1)} s, ${fmtBytes(bytes)}`;
  };
  let lastLines = 0;
  const flushTimer = setInterval(() => {
    // Hold the last event back only while lines are still arriving (its stack/dump lines may follow).
    writer.flush(linesSeen === lastLines);
    lastLines = linesSeen;
    bar.update(statusLine);
  }, o.flushMs);

  const fail = async (reason: string, tail: string[]): Promise<never> => {
    clearInterval(flushTimer);
    bar.done();
    tracer.kill();
    await pump.catch(() => {});
    manifest.pwru = { ...manifest.pwru, stderrTail: tail.slice(-10) };
    writer.finish('failed', reason);
    throw new UserError(reason, plan.tool === 'pwru' ? '--pwru' : '--source');
  };

  try {
    await tracer.ready(o.readyTimeoutMs);
  } catch (e) {
    if (e instanceof TracerDied || e instanceof TracerNotReady) return fail(e.message, e.tail);
    throw e;
  }

  // From here on: wait for the first stop condition.
  let resolveStop!: (v: [StopReason, boolean]) => void;
  const stopped = new Promise<[StopReason, boolean]>((r) => (resolveStop = r));
  let firstStop: StopReason | null = null;
  stopNow = (reason, hard) => {
    if (firstStop === null) firstStop = reason;
    resolveStop([reason, hard]);
    if (hard) hardStop();
  };
  let hardStopped = false;
  const hardStop = () => { hardStopped = true; tracer.kill(); };
  onStopHook((r, h) => {
    // A second request while stopping is "stop at once".
    if (firstStop !== null && r === 'signal') stopNow!(r, true);
    else stopNow!(r, h);
  });
  const timers: NodeJS.Timeout[] = [];
  if (o.durationMs !== undefined) timers.push(setTimeout(() => stopNow!('duration', false), o.durationMs));
  void tracer.exited.then(() => stopNow!('tracer-exit', false));

  let commandResult: Promise<void> = Promise.resolve();
  let commandProc: ReturnType<typeof execa> | null = null;
  if (o.command && o.command.length) {
    const argv = o.command;
    mkdirSync(dirname(paths.commandOut), { recursive: true });
    const startedAt = new Date().toISOString();
    const c0 = Date.now();
    commandProc = execa(argv[0]!, argv.slice(1), { reject: false, stdin: 'ignore', stdout: { file: paths.commandOut }, stderr: { file: paths.commandErr }, env: o.env, extendEnv: true });
    commandResult = (commandProc as unknown as Promise<{ exitCode?: number; signal?: string; failed: boolean; code?: string; message: string }>).then((r) => {
      manifest.command = { argv, exitCode: r.exitCode ?? null, signal: r.signal ?? null, durationMs: Date.now() - c0, startedAt };
      if (r.code === 'ENOENT') manifest.warnings.push(`test command not found: ${argv[0]}`);
      timers.push(setTimeout(() => stopNow!('command-done', false), o.graceMs));
    });
  }

  const [reason] = await stopped;
  for (const t of timers) clearTimeout(t);
  // Stop the test command if it is still running (stopped by signal/duration/max-events).
  if (commandProc && manifest.command === undefined) commandProc.kill('SIGTERM');
  let exit = hardStopped ? await tracer.exited : await tracer.stop(o.killGraceMs);
  await pump.catch((e: Error) => manifest.warnings.push(`reading ${plan.tool} output: ${e.message}`));
  await commandResult.catch(() => {});
  clearInterval(flushTimer);
  bar.done();
  writer.flush(true);

  let status: Manifest['status'] = 'complete';
  let statusReason: string | undefined = stopDescription(reason);
  const tail = tracer.stderrTail();
  if (hardStopped) { status = 'interrupted'; statusReason = 'stopped at once by a second signal'; }
  else if (reason === 'tracer-exit' && exit.code !== 0) {
    status = 'failed';
    const last = [...tail].reverse().find((l) => l.trim() && !/^\d+ \/ \d+ \[/.test(l));
    statusReason = `${plan.tool} exited ${exit.signal ? `on ${exit.signal}` : `with code ${exit.code}`}${last ? `: ${stripLogPrefix(last)}` : ''}`;
  } else if (exit.signal === 'SIGKILL' && !hardStopped) {
    manifest.warnings.push(`${plan.tool} did not exit within ${o.killGraceMs} ms of SIGTERM and was killed`);
  }
  manifest.pwru = manifest.pwru ? { ...manifest.pwru, stderrTail: tail.slice(-10) } : manifest.pwru;

  if (!hardStopped) {
    const [endSnaps] = await Promise.all([
      o.snapshots.mode === 'none' ? Promise.resolve([]) : takeSnapshots(o.outDir, 'end', o.snapshots),
      takeNameTables(o.outDir, 'end', o.target, { pids: writer.seenPids() }).catch((e: Error) => { manifest.warnings.push(`name tables (end): ${e.message}`); }),
    ]);
    manifest.snapshots.push(...endSnaps);
  }
  writer.finish(status, statusReason);
  return { manifest, stopReason: reason };
}

function stopDescription(r: StopReason): string {
  switch (r) {
    case 'command-done': return 'test command finished';
    case 'signal': return 'stopped by signal';
    case 'duration': return '--duration reached';
    case 'max-events': return '--max-events reached';
    case 'tracer-exit': return 'tracer exited by itself';
  }
}
