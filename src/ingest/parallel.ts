// Parsing on worker threads: the main thread cuts the byte stream into chunks of whole lines (each starting at an
// event line, so no event's continuation lines are split), workers parse them into fragments of raw columns, and
// the capture writer appends those in input order, cutting batches at the same rows as one thread would (so the
// capture is byte-identical: test/parallel-import.test.ts). Used by `import` and by `record` (live flushes too).
import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ChunkOutput } from '../capture/columns.js';
import type { ChunkJob, ChunkResult } from './worker.js';
import { parseHeader, type InputFormat } from './line-parser.js';

const CHUNK_BYTES = 4 << 20;
const NL = 0x0a;

/** dist/ingest/worker.js next to this file (or, when running from src under vitest, the built one). */
export function workerScript(): string | null {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const p of [join(here, 'worker.js'), join(here, '../../dist/ingest/worker.js')]) if (existsSync(p)) return p;
  return null;
}

/** Idle cores the workers need before they pay (measured: with one core busy elsewhere, 2 workers ran 0.65-0.86x one thread). */
const IDLE_CORES_NEEDED = 1.5;

/**
 * Parser workers worth starting on this machine now: one per core up to 4 (beyond that the main thread, which
 * assembles and compresses batches, is the bound); none on a single core, or while other work keeps the cores
 * busy (the 1-minute load average): a worker then only adds its start-up (a module load, ~0.4 CPU-s), copies and
 * memory (~45 MB each), and the main thread's share is all the CPU there is.
 */
export function defaultWorkers(load = loadavg()[0]!): number {
  const n = availableParallelism();
  if (n < 2 || workerScript() === null || n - load < IDLE_CORES_NEEDED) return 0;
  return Math.min(n, 4);
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

export interface ParallelOptions { format: InputFormat; workers: number; chunkBytes?: number; fast?: boolean }

/** Where chunks go, in input order (the capture writer). */
export interface ChunkSink { addChunk(r: ChunkOutput): void }

/** A job that may not start before the chunks ahead of it are parsed (it needs their parser state). */
interface Queued { job: ChunkJob; serial: boolean }

/**
 * Feeds a byte stream to parser workers and their results to `sink` in order. feed() as bytes arrive, room()
 * for backpressure, flush() to push out what arrived so far (a live recording's timer), end() at the end.
 */
export class ParallelFeeder {
  fastLines = 0;
  private readonly workers: Worker[];
  private readonly idle: Worker[];
  private readonly queue: Queued[] = [];
  private readonly done = new Map<number, ChunkResult>();
  private nextSeq = 0;
  private nextMerge = 0;
  private failed: Error | null = null;
  private header: string | null = null;
  private startLine = 0;
  /** Does the unsent buffer begin at an event line (or the input's start)? Not after a flush cut it elsewhere. */
  private atEvent = true;
  private last = { inEvent: false, inPanic: false };
  private parts: Buffer[] = [];
  private partsLen = 0;
  private pending: Buffer = Buffer.alloc(0);
  /** `pending` is the whole of an ArrayBuffer join() made: its bytes can go to a worker without a copy. */
  private pendingOwned = false;
  /** Input buffers the workers handed back, for join() to fill again. */
  private spares: ArrayBuffer[] = [];
  private waiters: { seq: number; wake: () => void }[] = [];
  private readonly chunkBytes: number;

  constructor(private readonly sink: ChunkSink, private readonly o: ParallelOptions) {
    const script = workerScript();
    if (!script) throw new Error('ingest worker script not found (build with `make setup`)');
    this.chunkBytes = o.chunkBytes ?? CHUNK_BYTES;
    // A bounded young generation keeps each worker's heap (and the process RSS) from ballooning between GCs.
    // None of the parent's flags: Node refuses process-wide ones in a worker (bin/skbtape.js runs with
    // --max-semi-space-size: ERR_WORKER_INVALID_EXEC_ARGV), and a `node -e` parent's --input-type breaks the load.
    this.workers = Array.from({ length: Math.max(1, o.workers) }, () => new Worker(script, { resourceLimits: { maxYoungGenerationSizeMb: 6 }, execArgv: [] }));
    this.idle = [...this.workers];
    for (const w of this.workers) {
      w.on('message', (r: ChunkResult) => this.received(w, r));
      w.on('error', (e) => this.fail(e));
    }
  }

  /** Bytes from the input; whole chunks are sent as soon as there are enough. Throws a failure seen so far. */
  feed(b: Buffer): void {
    if (this.failed) throw this.failed;
    this.parts.push(b);
    this.partsLen += b.length;
    if (this.pending.length + this.partsLen < this.chunkBytes) return;
    this.join();
    while (this.pending.length >= this.chunkBytes) {
      let cut = cutPoint(this.pending, this.pending.length - 1);
      // No event boundary in a huge run of continuation lines: cut at any line end rather than grow forever.
      if (cut <= 0 && this.pending.length >= 16 * this.chunkBytes) cut = this.pending.lastIndexOf(NL) + 1;
      if (cut <= 0) break;
      this.submit(cut, true);
    }
  }

  /** Resolves when fewer chunks are in flight than twice the workers (or on a failure, which feed then throws). */
  async room(): Promise<void> {
    while (this.nextSeq - this.nextMerge >= this.workers.length * 2 && !this.failed) await this.mergedUpTo(this.nextMerge);
  }

  /**
   * Sends what arrived so far up to its last event boundary (`includePending`: up to its last whole line, the last
   * event with it) and resolves once the sink has it all: the live recorder's timer, before the writer flushes.
   */
  async flush(includePending: boolean): Promise<void> {
    this.join();
    const cut = includePending ? this.pending.lastIndexOf(NL) + 1 : cutPoint(this.pending, this.pending.length - 1);
    if (cut > 0) this.submit(cut, !includePending || eventStartsAt(this.pending, cut));
    await this.mergedUpTo(this.nextSeq - 1);
    if (this.failed) throw this.failed;
  }

  /** End of input: the rest (a last line without its newline too), every result merged, the workers gone. */
  async end(): Promise<void> {
    try {
      this.join();
      if (this.pending.length) this.submit(this.pending.length, false);
      await this.mergedUpTo(this.nextSeq - 1);
      if (this.failed) throw this.failed;
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  /**
   * The unsent bytes and the parts read since, copied once into one new ArrayBuffer of their own (never a slice of
   * Node's shared pool): that buffer is what a job transfers to its worker.
   */
  private join(): void {
    if (!this.partsLen) return;
    const need = this.pending.length + this.partsLen;
    const spare = this.spares.pop();
    const all = Buffer.from(spare !== undefined && spare.byteLength >= need ? spare : new ArrayBuffer(Math.max(need, this.chunkBytes + (64 << 10))), 0, need);
    let at = this.pending.copy(all, 0);
    for (const p of this.parts) at += p.copy(all, at);
    this.pending = all;
    this.pendingOwned = true;
    this.parts = [];
    this.partsLen = 0;
  }

  /** pending[0, cut) as the next job; `nextAtEvent`: the rest begins at an event line. */
  private submit(cut: number, nextAtEvent: boolean): void {
    const bytes = this.pending.subarray(0, cut);
    const h = lastHeader(bytes);
    const rest = this.pending.subarray(cut);
    // The job's buffer is transferred (detached here): the rest is copied out first, normally a line or two. A
    // buffer this feeder does not own whole (the rest of an earlier cut) is copied for the job instead.
    let send: Uint8Array = bytes;
    if (!this.pendingOwned) {
      send = new Uint8Array(bytes.length);
      send.set(bytes);
    }
    const job: ChunkJob = { seq: this.nextSeq++, startLine: this.startLine, header: this.header, format: this.o.format, bytes: send, fast: this.o.fast };
    this.queue.push({ job, serial: !this.atEvent });
    this.startLine += countLines(bytes) + (bytes.length && bytes[bytes.length - 1] !== NL ? 1 : 0);
    if (h !== null) this.header = h;
    this.pending = Buffer.from(rest);
    this.pendingOwned = false;
    this.atEvent = nextAtEvent;
    this.dispatch();
  }

  private dispatch(): void {
    while (this.idle.length && this.queue.length) {
      const q = this.queue[0]!;
      // A chunk that begins mid-event waits for the one before it, and starts from its parser state.
      if (q.serial) {
        if (this.nextMerge !== q.job.seq) return;
        q.job.inEvent = this.last.inEvent;
        q.job.inPanic = this.last.inPanic;
      }
      this.queue.shift();
      this.idle.pop()!.postMessage(q.job, [q.job.bytes.buffer as ArrayBuffer]);
    }
  }

  private received(w: Worker, r: ChunkResult): void {
    this.idle.push(w);
    if (r.spare && this.spares.length < this.workers.length * 2) this.spares.push(r.spare);
    r.spare = undefined;
    this.done.set(r.seq, r);
    while (this.done.has(this.nextMerge)) {
      const next = this.done.get(this.nextMerge)!;
      this.done.delete(this.nextMerge++);
      this.fastLines += next.fastLines;
      this.last = { inEvent: next.inEvent, inPanic: next.inPanic };
      try {
        if (!this.failed) this.sink.addChunk(next);
      } catch (e) {
        this.fail(e as Error);
      }
    }
    this.dispatch();
    this.wake();
  }

  private fail(e: Error): void {
    this.failed ??= e;
    for (const w of this.waiters.splice(0)) w.wake();
  }

  /** Resolves when every chunk up to `seq` is merged (or on a failure). */
  private mergedUpTo(seq: number): Promise<void> {
    if (this.nextMerge > seq || this.failed) return Promise.resolve();
    return new Promise((wake) => this.waiters.push({ seq, wake }));
  }

  private wake(): void {
    this.waiters = this.waiters.filter((w) => {
      if (this.nextMerge <= w.seq && !this.failed) return true;
      w.wake();
      return false;
    });
  }
}
