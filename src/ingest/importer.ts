// Streams saved pwru output (a file or stdin) through the line parser into a new capture directory.
// Used by `skbtape import`; the live recorder feeds the same parser and writer from pwru's stdout instead.
import { createReadStream, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { applyStats, CaptureFiles, CaptureWriter, DEFAULT_BATCH_ROWS } from '../capture/batch-writer.js';
import { parallelImport, workerScript } from './parallel.js';
import { fsUserError, UserError } from '../errors.js';
import type { InputFormat } from './line-parser.js';
import { pumpLines } from './pump.js';
import { newManifest, writeManifest, type Manifest } from '../capture/manifest.js';
import { claimOutputDir } from '../capture/output-dir.js';
import { applyIdentity } from '../capture/capture-id.js';
import { capturePaths } from '../capture/dir.js';
import { fmtBytes, fmtRate, progress } from '../render/progress.js';

export interface ImportOptions {
  format: InputFormat;
  force: boolean;
  batchRows?: number;
  showProgress?: boolean;
  /** Worker threads for parsing: 0 or undefined = parse on this thread (half the memory), N = N workers. */
  workers?: number;
  /** Bytes per parallel chunk (tests make it tiny to exercise chunk boundaries). */
  chunkBytes?: number;
  /** --node (the node the pwru output came from; default this host) and --name (the capture's id and label). */
  node?: string;
  name?: string;
  /** --clock-offset: the node's wall-clock ns minus CLOCK_MONOTONIC ns, so its events get wall_time (decimal). */
  clockOffsetNs?: string;
}

export interface ImportResult {
  manifest: Manifest;
  dir: string;
  warnings: string[];
}

export async function importCapture(input: string, outDir: string, opts: ImportOptions): Promise<ImportResult> {
  let stream: Readable;
  let size = 0;
  if (input === '-') stream = process.stdin;
  else {
    try {
      const st = statSync(input);
      if (st.isDirectory()) throw new UserError(`${input} is a directory, expected a pwru output file`, input);
      size = st.size;
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw fsUserError(e, input);
    }
    stream = createReadStream(input);
  }
  claimOutputDir(outDir, opts.force);
  const manifest = newManifest({ kind: input === '-' ? 'stdin' : 'file', path: input === '-' ? undefined : input, format: opts.format });
  applyIdentity(manifest, outDir, { node: opts.node, name: opts.name });
  if (opts.clockOffsetNs !== undefined) manifest.clock = { monotonicToWallNs: opts.clockOffsetNs, measuredAt: `given with import --clock-offset at ${manifest.createdAt}` };
  const bar = progress(process.stderr, opts.showProgress ?? Boolean(process.stderr.isTTY));
  const t0 = Date.now();
  const show = (n: number) => bar.update(() => `importing: ${n.toLocaleString('en-US')} lines, ${fmtRate(n, Date.now() - t0)}${size ? `, ${fmtBytes(size)} file` : ''}`);
  const batchRows = opts.batchRows ?? DEFAULT_BATCH_ROWS;
  let finish: (status: Manifest['status'], reason?: string) => void;
  try {
    if (opts.workers !== undefined && opts.workers > 0 && workerScript() !== null) {
      // Worker threads parse; this thread cuts chunks and writes results in order.
      const files = new CaptureFiles(outDir, manifest.counts);
      writeManifest(outDir, manifest);
      finish = (status, reason) => {
        manifest.status = status;
        if (reason) manifest.statusReason = reason;
        manifest.finishedAt = new Date().toISOString();
        writeManifest(outDir, manifest);
      };
      const stats = await parallelImport(stream, files, manifest, { format: opts.format, batchRows, workers: opts.workers, chunkBytes: opts.chunkBytes, onProgress: show });
      applyStats(manifest, stats);
    } else {
      const writer = new CaptureWriter(outDir, manifest, { batchRows });
      finish = (status, reason) => void writer.finish(status, reason);
      await pumpLines(stream, writer, opts.format, (n) => { if ((n & 0x3fff) === 0) show(n); });
    }
  } catch (e) {
    bar.done();
    manifest.status = 'failed';
    manifest.statusReason = `reading ${input}: ${(e as Error).message}`;
    writeManifest(outDir, manifest);
    // Errors reading the input are the user's (a path, a permission); anything else is a bug and keeps its stack.
    if ((e as NodeJS.ErrnoException).code && (e as NodeJS.ErrnoException).syscall) throw fsUserError(e, input);
    throw e;
  }
  bar.done();
  const warnings: string[] = [];
  const c = manifest.counts;
  const name = input === '-' ? 'stdin' : input;
  if (c.events === 0 && c.logLines === 0) {
    finish('failed', 'nothing in the input looks like pwru output');
    throw new UserError(`nothing in ${name} looks like pwru output: ${describeInput(manifest)}`, name);
  }
  // pwru's header or log lines, and every other line rejected: no event read is a failure too, never a warning.
  if (c.events === 0 && c.rejects > 0) {
    finish('failed', 'every line that could be an event was rejected');
    const first = manifest.firstRejects[0];
    throw new UserError(`no event read from ${name}: all ${c.rejects} line(s) that could be events were rejected${first ? ` (first: line ${first.line}: ${first.reason})` : ''}; see ${capturePaths(outDir).rejects}`, name);
  }
  if (c.events === 0) warnings.push(`no events in ${input}: only ${c.logLines} header/log line(s)`);
  manifest.warnings.push(...warnings);
  finish('complete');
  return { manifest, dir: outDir, warnings };
}

function describeInput(m: Manifest): string {
  const c = m.counts;
  if (c.inputLines === 0 || c.inputLines === c.blankLines) return 'it is empty';
  const reasons = new Map<string, number>();
  for (const r of m.firstRejects) reasons.set(r.reason, (reasons.get(r.reason) ?? 0) + 1);
  const top = [...reasons.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'unreadable';
  return `${c.rejects} of ${c.inputLines} lines unreadable (first: line ${m.firstRejects[0]?.line}: ${top})`;
}
