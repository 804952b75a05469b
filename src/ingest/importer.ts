// Streams saved pwru output (a file or stdin) through the line parser into a new capture directory.
// Used by `skbtape import`; the live recorder feeds the same parser and writer from pwru's stdout instead.
import { createReadStream, statSync } from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { CaptureWriter, DEFAULT_BATCH_ROWS } from '../capture/batch-writer.js';
import { defaultWorkers, workerScript } from './parallel.js';
import { fsUserError, UserError } from '../errors.js';
import type { InputFormat } from './line-parser.js';
import { pumpLines, pumpParallel } from './pump.js';
import { newManifest, writeManifest, type Manifest } from '../capture/manifest.js';
import { claimOutputDir } from '../capture/output-dir.js';
import { applyIdentity } from '../capture/capture-id.js';
import { capturePaths } from '../capture/dir.js';
import { importStatus, progress } from '../render/progress.js';

export interface ImportOptions {
  format: InputFormat;
  force: boolean;
  batchRows?: number;
  showProgress?: boolean;
  /** Where the status line goes (stderr; tests give a fake TTY). */
  statusStream?: NodeJS.WriteStream;
  /** Parser worker threads: 0 = parse on this thread, N = N workers, undefined = chosen from the machine and the input. */
  workers?: number;
  /** Bytes per parallel chunk (tests make it tiny to exercise chunk boundaries). */
  chunkBytes?: number;
  /** false: every line through the general parser, never the byte-level fast path (tests compare the two). */
  fast?: boolean;
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
  /** Lines the byte-level fast path read (the rest went through the general parser). */
  fastLines: number;
}

// Kept whole although long (about 85 lines): the input, the writer (one thread or workers) and the one failure path
// that keeps every batch written so far are set up together; the summary's checks follow.
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
    // 1 MiB reads: fewer, larger chunks for the byte-level line cutter (64 KiB by default).
    stream = createReadStream(input, { highWaterMark: 1 << 20 });
  }
  // pwru logs are often kept as .log.gz: read gzip by its magic bytes, whatever the name (stdin too).
  const raw = stream; // the file's own stream: its bytesRead is the share of the file read, gzip or not
  stream = gunzipIfGzip(stream);
  claimOutputDir(outDir, opts.force);
  const manifest = newManifest({ kind: input === '-' ? 'stdin' : 'file', path: input === '-' ? undefined : input, format: opts.format });
  applyIdentity(manifest, outDir, { node: opts.node, name: opts.name });
  if (opts.clockOffsetNs !== undefined) manifest.clock = { monotonicToWallNs: opts.clockOffsetNs, measuredAt: manifest.createdAt, source: 'import --clock-offset' };
  const statusStream = opts.statusStream ?? process.stderr;
  const bar = progress(statusStream, opts.showProgress ?? Boolean(statusStream.isTTY));
  const t0 = Date.now();
  // A file stream counts its own bytes; stdin is counted by a listener beside the single-thread pump.
  let piped = 0;
  const bytesRead = () => {
    const own = (raw as unknown as { bytesRead?: number }).bytesRead;
    return typeof own === 'number' ? own : piped;
  };
  const show = (n: number) => bar.update(() => importStatus(n, bytesRead(), size, Date.now() - t0));
  const batchRows = opts.batchRows ?? DEFAULT_BATCH_ROWS;
  let finish: (status: Manifest['status'], reason?: string) => void;
  let writer: CaptureWriter | null = null;
  const fail = (e: unknown): never => {
    // An input that broke off: keep every event read before it. (A failed write leaves the writer as it was.)
    if (writer !== null && !(e instanceof UserError)) try { writer.flush(true); } catch { /* failImport says why */ }
    return failImport(e, input, outDir, manifest, bar);
  };
  let fastLines = 0;
  try {
    const w = (writer = new CaptureWriter(outDir, manifest, { batchRows }));
    finish = (status, reason) => { try { w.finish(status, reason); } catch (e) { fail(e); } };
    if (input === '-') stream.on('data', (b: Buffer | string) => { piped += b.length; });
    const workers = chooseWorkers(opts.workers, input === '-' ? null : size);
    if (workers > 0) {
      // Worker threads parse; this thread reads, assembles the batches in order, compresses and writes them.
      fastLines = await pumpParallel(stream, w, { format: opts.format, workers, chunkBytes: opts.chunkBytes, fast: opts.fast }, () => show(manifest.counts.inputLines)).done;
    } else {
      fastLines = await pumpLines(stream, w, opts.format, (n) => { if ((n & 0x3fff) === 0) show(n); }, undefined, opts.fast);
    }
  } catch (e) {
    return fail(e);
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
  return { manifest, dir: outDir, warnings, fastLines };
}

/** Below this size a file is parsed on the main thread: starting workers (about 40 ms each) would not pay. */
const PARALLEL_MIN_BYTES = 16 << 20;

/**
 * Workers for this import: the ones asked for, or by default the machine's (defaultWorkers) for a file big enough
 * to pay for them; stdin, of unknown size, parses on one thread unless --workers says otherwise.
 */
function chooseWorkers(asked: number | undefined, size: number | null): number {
  if (asked !== undefined) return asked > 0 && workerScript() !== null ? asked : 0;
  return size !== null && size >= PARALLEL_MIN_BYTES ? defaultWorkers() : 0;
}

/**
 * An import that cannot go on: a write that failed (a full disk, a read-only mount: already the one-line error
 * naming the path) or an input that broke off. The capture keeps every batch written; the manifest says `failed`,
 * why, and counts the events those batches hold. A manifest that cannot be written either keeps its last flush.
 */
function failImport(e: unknown, input: string, outDir: string, manifest: Manifest, bar: { done(): void }): never {
  bar.done();
  manifest.status = 'failed';
  manifest.statusReason = e instanceof UserError ? e.message : `reading ${input}: ${(e as Error).message}`;
  manifest.finishedAt = new Date().toISOString();
  if (manifest.batches) manifest.counts.events = manifest.batches.reduce((n, b) => n + b.rows, 0);
  try {
    writeManifest(outDir, manifest);
  } catch {
    /* said below: the first error is the one that matters */
  }
  if (e instanceof UserError) throw e;
  const code = String((e as NodeJS.ErrnoException).code ?? '');
  if (code.startsWith('Z_')) throw new UserError(`gzip data that does not decompress: ${(e as Error).message}; the events before the damage are kept in ${outDir}`, input === '-' ? 'stdin' : input);
  // Errors reading the input are the user's (a path, a permission); anything else is a bug and keeps its stack.
  if ((e as NodeJS.ErrnoException).code && (e as NodeJS.ErrnoException).syscall) throw fsUserError(e, input);
  throw e;
}

/** The stream as text: passed through, or through gunzip when it starts with gzip's magic bytes (1f 8b). */
export function gunzipIfGzip(src: Readable): Readable {
  const out = new PassThrough();
  let started = false;
  const fail = (e: Error) => out.destroy(e);
  src.on('error', fail);
  src.once('end', () => { if (!started) out.end(); });
  src.once('data', (first: Buffer | string) => {
    started = true;
    src.pause();
    const b = typeof first === 'string' ? Buffer.from(first) : first;
    if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) {
      const gz = createGunzip();
      gz.on('error', fail);
      gz.pipe(out);
      gz.write(b);
      src.pipe(gz);
    } else {
      out.write(b);
      src.pipe(out);
    }
    src.resume();
  });
  return out;
}

function describeInput(m: Manifest): string {
  const c = m.counts;
  if (c.inputLines === 0 || c.inputLines === c.blankLines) return 'it is empty';
  const reasons = new Map<string, number>();
  for (const r of m.firstRejects) reasons.set(r.reason, (reasons.get(r.reason) ?? 0) + 1);
  const top = [...reasons.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'unreadable';
  return `${c.rejects} of ${c.inputLines} lines unreadable (first: line ${m.firstRejects[0]?.line}: ${top})`;
}
