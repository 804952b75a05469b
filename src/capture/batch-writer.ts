// Encodes the column buffers' batches (columns.ts) as Arrow and flushes them into a capture directory.
// Each batch is its own Arrow IPC stream file, written under a .tmp name and renamed, so a kill at any byte
// loses at most the batch being written. Logs and rejects are appended as NDJSON at each flush.
// Parsing is the line parser's job; what the capture means is the manifest's.
import { appendFileSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { writeUserError } from '../errors.js';
import { join } from 'node:path';
import * as A from './arrow.js';
import { CAPTURE_COMPRESSION } from './arrow-codec.js';
import { batchFileName, capturePaths } from './dir.js';
import { COLUMNS, type ColumnSpec } from './event-schema.js';
import { eventArrowSchema } from './arrow-schema.js';
import { writeManifest, type Manifest } from './manifest.js';
import type { FastRow } from './fast-row.js';
import type { Parsed } from './parsed.js';
import {
  DEFAULT_BATCH_ROWS, LineAccumulator as ColumnAccumulator, type ChunkOutput, type EventStats, type LineCounts, type RawColumn,
} from './columns.js';
import { SEAL_KEY, sealBytes, sealTemplate, type BatchEntry } from './integrity.js';
import { applyIdentity } from './capture-id.js';
import { LossLog } from './loss.js';

/** Log and reject lines held before they are written out (with the manifest's counts) between batches. */
const SIDE_FLUSH_LINES = 4096;
/** ... or this many characters of them, whichever comes first (a non-pwru file is all rejects, some very long). */
const TEXT_FLUSH_CHARS = 1 << 20;

/** Column i of a batch of `length` rows as Arrow data, from its raw arrays. */
function columnData(spec: ColumnSpec, type: A.DataType, r: RawColumn, length: number): A.Data {
  const nullBitmap = r.nulls ? r.valid.slice(0, (length + 7) >> 3) : undefined;
  const base = { length, nullCount: r.nulls, nullBitmap };
  switch (spec.kind) {
    case 'dict': {
      const dictionary = A.makeVector(A.vectorFromArray(r.dict!, new A.Utf8()).data[0]!);
      return A.makeData({ ...base, type: type as A.Dictionary<A.Utf8, A.Int32>, data: r.values as Int32Array, dictionary });
    }
    case 'utf8':
      if (r.nulls === length) return A.makeData({ type: type as A.Utf8, length, nullCount: length, nullBitmap: new Uint8Array((length + 7) >> 3), valueOffsets: new Int32Array(length + 1), data: new Uint8Array(0) });
      return A.vectorFromArray(r.strings!, new A.Utf8()).data[0]! as A.Data;
    case 'cb5': {
      const child = A.makeData({ type: new A.Uint32(), length: length * 5, nullCount: 0, data: r.values as Uint32Array });
      return A.makeData({ ...base, type: type as A.FixedSizeList<A.Uint32>, child });
    }
    default:
      return A.makeData({ ...base, type: type as A.Int, data: r.values } as never);
  }
}

const EVENT_SCHEMA = eventArrowSchema();

export { DEFAULT_BATCH_ROWS, fragmentBuffers, newCounts, newEventStats } from './columns.js';
export type { ChunkOutput, EventStats, Fragment, LineCounts, RawColumn } from './columns.js';

/** The column accumulator with this file's Arrow encoder: full batches come out as capture files' bytes. */
export class LineAccumulator extends ColumnAccumulator {
  constructor(counts: LineCounts, headers: { line: number; text: string }[], firstRejects: { line: number; reason: string }[], batchRows = DEFAULT_BATCH_ROWS) {
    super(counts, headers, firstRejects, batchRows, encodeBatch);
  }
}

/**
 * The one place a batch becomes Arrow IPC bytes (LZ4-compressed bodies, the seal template in its metadata), so a
 * batch built on this thread and one assembled from import workers' fragments give the same bytes.
 */
export function encodeBatch(raws: RawColumn[], length: number): Uint8Array {
  const fields = EVENT_SCHEMA.fields;
  const children = COLUMNS.map((c, i) => columnData(c, fields[i]!.type, raws[i]!, length));
  const struct = A.makeData({ type: new A.Struct(fields), length, nullCount: 0, children });
  // The seal's sequence number and checksum are filled in when the file is written (integrity.ts).
  const schema = new A.Schema(fields, new Map([...EVENT_SCHEMA.metadata, [SEAL_KEY, sealTemplate(length)]]));
  const w = new A.RecordBatchStreamWriter({ compressionType: CAPTURE_COMPRESSION });
  w.write(new A.RecordBatch(schema, struct));
  w.finish();
  return w.toUint8Array(true);
}

/** Persists batches, logs and rejects into a capture directory, in order; each batch sealed and listed in `entries`. */
export class CaptureFiles {
  /** `loss`: told of every log row written, to keep the loss reports among them (capture/loss.ts). */
  constructor(readonly dir: string, private readonly counts: LineCounts, private readonly entries: BatchEntry[] = [], private readonly loss?: LossLog) {
    const p = capturePaths(dir);
    writing(p.eventsDir, () => mkdirSync(p.eventsDir, { recursive: true }));
    writing(p.logs, () => writeFileSync(p.logs, ''));
    writing(p.rejects, () => writeFileSync(p.rejects, ''));
  }

  write(out: { batches: Uint8Array[]; logs: string[]; rejects: string[] }): void {
    const p = capturePaths(this.dir);
    for (const bytes of out.batches) {
      const seq = this.counts.batches + 1;
      const name = batchFileName(seq);
      const final = join(p.eventsDir, name);
      const entry = sealBytes(bytes, seq);
      writing(final, () => {
        try {
          writeFileSync(`${final}.tmp`, bytes);
          renameSync(`${final}.tmp`, final);
        } catch (e) {
          // A full disk leaves a partial .tmp holding space: remove it, so the capture ends at its last whole batch.
          rmSync(`${final}.tmp`, { force: true });
          throw e;
        }
      });
      this.counts.batches = seq;
      this.entries.push({ file: name, ...entry });
    }
    if (out.logs.length) writing(p.logs, () => appendFileSync(p.logs, out.logs.join('\n') + '\n'));
    if (out.logs.length && this.loss) writing(p.loss, () => this.loss!.fromLogRows(out.logs));
    if (out.rejects.length) writing(p.rejects, () => appendFileSync(p.rejects, out.rejects.join('\n') + '\n'));
  }
}

/** Runs a write; a full disk, read-only mount or denied path becomes the one-line error naming `path`. */
export function writing<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw writeUserError(e, path) ?? e;
  }
}

/** Folds event statistics into the manifest (counts.skbs, layouts, time range). */
export function applyStats(m: Manifest, st: EventStats): void {
  m.counts.skbs = st.skbs.size;
  m.layouts = [...st.layouts];
  if (st.minKtime !== null || st.firstAbs !== null) {
    const tr = (m.timeRange ??= {});
    if (st.minKtime !== null) {
      tr.firstKtime = st.minKtime.toString();
      tr.lastKtime = st.maxKtime!.toString();
    }
    if (st.firstAbs !== null) {
      tr.firstAbs = st.firstAbs;
      tr.lastAbs = st.lastAbs!;
    }
  }
}

export interface WriterOptions {
  batchRows?: number;
  /** Called after each flush (progress display). */
  onFlush?: (m: Manifest) => void;
}

/**
 * Takes parser results in input order and keeps the capture directory consistent after every flush:
 * batches on disk, logs/rejects appended, manifest counts updated.
 */
export class CaptureWriter {
  readonly dir: string;
  readonly manifest: Manifest;
  private readonly acc: LineAccumulator;
  private readonly files: CaptureFiles;
  private readonly onFlush?: (m: Manifest) => void;
  /** Loss reports: found among log rows here; the recorder adds those of the tracer's stderr and its own. */
  readonly loss: LossLog;

  constructor(dir: string, manifest: Manifest, opts: WriterOptions = {}) {
    this.dir = dir;
    this.manifest = manifest;
    this.onFlush = opts.onFlush;
    this.acc = new LineAccumulator(manifest.counts, manifest.headers, manifest.firstRejects, opts.batchRows ?? DEFAULT_BATCH_ROWS);
    this.loss = new LossLog(dir, manifest);
    this.files = new CaptureFiles(dir, manifest.counts, (manifest.batches ??= []), this.loss);
    // The recorder's manifest carries only what --node / --name asked for: the id is made here, where the directory is known.
    if (manifest.capture?.id === undefined) applyIdentity(manifest, dir, { node: manifest.capture?.node, name: manifest.capture?.name });
    writeManifest(dir, manifest);
  }

  fastRow(): FastRow {
    return this.acc.fastRow();
  }

  /** One event line from the byte-level parser (see LineAccumulator.addFast). */
  addFast(row: FastRow, whole: boolean): void {
    this.acc.addFast(row, whole);
    // As after add(): the full batches only. Sealing the rows after them too would cut a one-row batch whenever a
    // JSON event follows a text event that filled one; batches are cut by row count alone, as the workers' are.
    if (this.acc.ready.length) this.flushReady();
  }

  /** One chunk parsed by an import worker (ingest/parallel.ts), in input order: durable as added lines would be. */
  addChunk(r: ChunkOutput): void {
    this.acc.addChunk(r);
    this.afterAdd();
  }

  /** Feed one parsed input line. */
  add(p: Parsed, lineNo: number, text: string): void {
    this.acc.add(p, lineNo, text);
    this.afterAdd();
  }

  private afterAdd(): void {
    // A batch filled up (--flush-events): make it durable with the manifest, so `info` (the manifest's counts) and
    // `replay` (the batch files) agree after a crash at any moment.
    if (this.acc.ready.length) this.flushReady();
    else if (this.acc.logBuf.length + this.acc.rejectBuf.length >= SIDE_FLUSH_LINES || this.acc.textChars > TEXT_FLUSH_CHARS) this.flushSide();
  }

  /**
   * Logs and rejects to disk, and the manifest's counts with them, without sealing the batch in progress: a file of
   * mostly non-event lines never holds them all in memory, and a killed import keeps every one written so far.
   */
  private flushSide(): void {
    this.files.write(this.acc.takeText());
    writeManifest(this.dir, this.manifest);
  }

  /** Make everything received so far durable (see LineAccumulator.take for `includePending`). */
  flush(includePending = false): void {
    this.persist(this.acc.take(includePending));
  }

  /** The batches that filled up, with logs and rejects, without sealing the rows after them (a chunk's rest). */
  private flushReady(): void {
    this.persist(this.acc.takeReady());
  }

  private persist(out: { batches: Uint8Array[]; logs: string[]; rejects: string[] }): void {
    this.files.write(out);
    applyStats(this.manifest, this.acc.stats);
    writeManifest(this.dir, this.manifest);
    this.onFlush?.(this.manifest);
  }

  skbCount(): number {
    return this.acc.stats.skbs.size;
  }

  /** Distinct pids seen in PROCESS (capped), for the pid → comm name table. */
  seenPids(): number[] {
    return [...this.acc.stats.pids];
  }

  /** Flush everything and write the final status. */
  finish(status: Manifest['status'], reason?: string): Manifest {
    this.manifest.status = status;
    if (reason) this.manifest.statusReason = reason;
    this.manifest.finishedAt = new Date().toISOString();
    this.acc.endInput();
    this.flush(true);
    return this.manifest;
  }
}
