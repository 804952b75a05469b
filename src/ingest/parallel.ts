// Parallel import: the main thread cuts the input into chunks of whole lines (each starting at an event line, so
// no event's continuation lines are split), worker threads parse them, and the main thread writes the results in
// input order. Parsing dominates import time, so this puts the second core to work.
// Line splitting and parse state follow the single-threaded pumpLines exactly (split on \n, drop \r, header carried).
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { applyStats, CaptureFiles, newEventStats, type EventStats } from '../capture/batch-writer.js';
import type { ChunkJob, ChunkResult } from './worker.js';
import { parseHeader, type InputFormat } from './line-parser.js';
import { writeManifest, type Manifest } from '../capture/manifest.js';

const CHUNK_BYTES = 4 << 20;
const NL = 0x0a;

/** dist/ingest/worker.js next to this file (or, when running from src under vitest, the built one). */
export function workerScript(): string | null {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const p of [join(here, 'worker.js'), join(here, '../../dist/ingest/worker.js')]) if (existsSync(p)) return p;
  return null;
}

/**
 * Does a line starting at buf[i] open an event (`{`, or `0x` + a kernel address of 12–16 hex digits + blank, as the
 * parser's KPTR_RE)? Only there may a chunk begin: a wrapped paste line that starts with `0x0800` never does.
 */
function eventStartsAt(buf: Buffer, i: number): boolean {
  if (buf[i] === 0x7b) return true;
  if (buf[i] !== 0x30 || buf[i + 1] !== 0x78) return false;
  let j = i + 2;
  while (j < buf.length && ((buf[j]! >= 0x30 && buf[j]! <= 0x39) || (buf[j]! >= 0x61 && buf[j]! <= 0x66) || (buf[j]! >= 0x41 && buf[j]! <= 0x46))) j++;
  return j - i - 2 >= 12 && j - i - 2 <= 16 && j < buf.length && (buf[j] === 0x20 || buf[j] === 0x09);
}

/** Offset just after a '\n' that is followed by an event line, searching back from `from`; -1 if none. */
function cutPoint(buf: Buffer, from: number): number {
  let i = buf.lastIndexOf(NL, from);
  while (i >= 0) {
    if (i + 1 < buf.length && eventStartsAt(buf, i + 1)) return i + 1;
    i = buf.lastIndexOf(NL, i - 1);
  }
  return -1;
}

function countLines(buf: Buffer): number {
  let n = 0;
  let i = buf.indexOf(NL);
  while (i >= 0) { n++; i = buf.indexOf(NL, i + 1); }
  return n;
}

/** The last pwru header line in a chunk (headers contain FUNC; event lines never do), or null. */
function lastHeader(buf: Buffer): string | null {
  let found: string | null = null;
  let i = buf.indexOf('FUNC');
  while (i >= 0) {
    const s = buf.lastIndexOf(NL, i) + 1;
    let e = buf.indexOf(NL, i);
    if (e < 0) e = buf.length;
    const line = buf.subarray(s, e).toString('utf8').replace(/\r$/, '');
    if (parseHeader(line)) found = line;
    i = buf.indexOf('FUNC', e);
  }
  return found;
}

export interface ParallelImportOptions { format: InputFormat; batchRows: number; workers?: number; chunkBytes?: number; fast?: boolean; onProgress?: (lines: number) => void }

/** Streams `input` into the capture's files; fills the manifest's counts/headers/rejects and returns event stats. */
// Kept whole although long (about 120 lines): the chunk cutter, the worker pool and the in-order writer share one
// queue and one backpressure state; split, each piece would need all of them passed in.
export async function parallelImport(input: Readable, files: CaptureFiles, m: Manifest, o: ParallelImportOptions): Promise<{ stats: EventStats; fastLines: number }> {
  const script = workerScript();
  if (!script) throw new Error('ingest worker script not found (build with `make setup`)');
  const nWorkers = Math.max(1, Math.min(o.workers ?? availableParallelism(), 4));
  // A bounded young generation keeps each worker's heap (and the process RSS) from ballooning between GCs.
  const workers = Array.from({ length: nWorkers }, () => new Worker(script, {
    resourceLimits: { maxYoungGenerationSizeMb: 6 },
    // None of the parent's flags: the worker is plain compiled JS, and Node refuses process-wide ones in a worker
    // (bin/skbtape.js runs with --max-semi-space-size: ERR_WORKER_INVALID_EXEC_ARGV); `--input-type` of a
    // `node -e` parent would make loading the worker file fail.
    execArgv: [],
  }));
  const stats: EventStats = newEventStats();
  let fastLines = 0;
  const done = new Map<number, ChunkResult>();
  let nextSeq = 0;
  let nextWrite = 0;
  let inFlight = 0;
  let failed: Error | null = null;
  let header: string | null = null;
  let startLine = 0;
  const idle: Worker[] = [...workers];
  const queue: ChunkJob[] = [];
  let wake: (() => void) | null = null;

  const merge = (r: ChunkResult) => {
    files.write(r);
    fastLines += r.fastLines;
    const c = m.counts;
    for (const k of ['inputLines', 'events', 'continuationLines', 'logLines', 'rejects', 'blankLines'] as const) c[k] += r.counts[k];
    m.headers.push(...r.headers);
    for (const fr of r.firstRejects) if (m.firstRejects.length < 20) m.firstRejects.push(fr);
    for (const s of r.skbs) stats.skbs.add(s);
    for (const p of r.pids) if (stats.pids.size < 10_000) stats.pids.add(p);
    for (const l of r.layouts) stats.layouts.add(l);
    if (r.minKtime !== null) {
      const lo = BigInt(r.minKtime), hi = BigInt(r.maxKtime!);
      if (stats.minKtime === null || lo < stats.minKtime) stats.minKtime = lo;
      if (stats.maxKtime === null || hi > stats.maxKtime) stats.maxKtime = hi;
    }
    if (r.firstAbs !== null) { stats.firstAbs ??= r.firstAbs; stats.lastAbs = r.lastAbs; }
    // The manifest follows the files at each chunk, so a killed import says what it holds.
    applyStats(m, stats);
    writeManifest(files.dir, m);
    o.onProgress?.(c.inputLines);
  };

  const dispatch = () => {
    while (idle.length && queue.length) {
      const w = idle.pop()!;
      const job = queue.shift()!;
      w.postMessage(job, [job.bytes.buffer as ArrayBuffer]);
    }
  };

  for (const w of workers) {
    w.on('message', (r: ChunkResult) => {
      idle.push(w);
      inFlight--;
      done.set(r.seq, r);
      while (done.has(nextWrite)) {
        try {
          merge(done.get(nextWrite)!);
        } catch (e) {
          failed ??= e as Error;
        }
        done.delete(nextWrite++);
      }
      dispatch();
      wake?.();
    });
    w.on('error', (e) => { failed ??= e; wake?.(); });
  }

  const submit = (bytes: Buffer) => {
    const h = lastHeader(bytes);
    // A private copy: the job's buffer is transferred to the worker.
    const copy = new Uint8Array(bytes.length);
    copy.set(bytes);
    queue.push({ seq: nextSeq++, startLine, header, format: o.format, bytes: copy, batchRows: o.batchRows, fast: o.fast });
    inFlight++;
    startLine += countLines(bytes) + (bytes.length && bytes[bytes.length - 1] !== NL ? 1 : 0);
    if (h !== null) header = h;
    dispatch();
  };

  // Reads are collected and joined once per chunk (joining on every read would copy the chunk ~64 times).
  let parts: Buffer[] = [];
  let partsLen = 0;
  let pending: Buffer = Buffer.alloc(0);
  const chunkBytes = o.chunkBytes ?? CHUNK_BYTES;
  try {
    for await (const chunk of input as AsyncIterable<Buffer | string>) {
      if (failed) throw failed;
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      parts.push(b);
      partsLen += b.length;
      if (pending.length + partsLen < chunkBytes) continue;
      pending = Buffer.concat([pending, ...parts]);
      parts = [];
      partsLen = 0;
      while (pending.length >= chunkBytes) {
        let cut = cutPoint(pending, pending.length - 1);
        // No event boundary in a huge run of continuation lines: cut at any line end rather than grow forever.
        if (cut <= 0 && pending.length >= 16 * chunkBytes) cut = pending.lastIndexOf(NL) + 1;
        if (cut <= 0) break;
        submit(pending.subarray(0, cut));
        pending = Buffer.from(pending.subarray(cut));
      }
      // Backpressure: never more than two chunks per worker in flight.
      while (inFlight >= nWorkers * 2 && !failed) await new Promise<void>((r) => (wake = r));
    }
    if (partsLen) pending = Buffer.concat([pending, ...parts]);
    if (pending.length) submit(pending);
    while (inFlight > 0 && !failed) await new Promise<void>((r) => (wake = r));
    if (failed) throw failed;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return { stats, fastLines };
}
