// Buffers parsed lines into typed-array columns and flushes complete Arrow batches into a capture directory.
// Each batch is its own Arrow IPC stream file, written under a .tmp name and renamed, so a kill at any byte
// loses at most the batch being written. Logs and rejects are appended as NDJSON at each flush.
// Parsing is the line parser's job; what the capture means is the manifest's.
import { appendFileSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as A from 'apache-arrow';
import { CAPTURE_COMPRESSION } from './arrow-codec.js';
import { batchFileName, capturePaths } from './capture-dir.js';
import { COLUMNS, eventArrowSchema, type ColumnSpec, type PwruEvent } from './event-schema.js';
import type { Parsed } from './line-parser.js';
import { writeManifest, type Manifest } from './manifest.js';

export const DEFAULT_BATCH_ROWS = 65536;
const MAX_STORED_LINE = 65536;
const FIRST_REJECTS_KEPT = 20;

/** One column's buffer for the batch in progress. */
class ColumnBuffer {
  readonly spec: ColumnSpec;
  readonly type: A.DataType;
  private valid: Uint8Array;
  private nulls = 0;
  private num?: Uint8Array | Uint16Array | Uint32Array | Int32Array | BigUint64Array;
  private codes?: Int32Array;
  private dict?: Map<string, number>;
  private dictValues?: string[];
  private strings?: (string | null)[];
  private cb?: Uint32Array;

  constructor(spec: ColumnSpec, type: A.DataType, cap: number) {
    this.spec = spec;
    this.type = type;
    this.valid = new Uint8Array((cap + 7) >> 3);
    switch (spec.kind) {
      case 'u8': this.num = new Uint8Array(cap); break;
      case 'u16': this.num = new Uint16Array(cap); break;
      case 'u32': this.num = new Uint32Array(cap); break;
      case 'i32': this.num = new Int32Array(cap); break;
      case 'u64': this.num = new BigUint64Array(cap); break;
      case 'dict': this.codes = new Int32Array(cap); this.dict = new Map(); this.dictValues = []; break;
      case 'utf8': this.strings = []; break;
      case 'cb5': this.cb = new Uint32Array(cap * 5); break;
    }
  }

  set(row: number, v: unknown): void {
    if (v === null || v === undefined) {
      this.nulls++;
      if (this.strings) this.strings.push(null);
      return;
    }
    this.valid[row >> 3]! |= 1 << (row & 7);
    if (this.codes) {
      const s = v as string;
      let code = this.dict!.get(s);
      if (code === undefined) {
        code = this.dictValues!.length;
        this.dict!.set(s, code);
        this.dictValues!.push(s);
      }
      this.codes[row] = code;
    } else if (this.strings) this.strings.push(v as string);
    else if (this.cb) this.cb.set(v as number[], row * 5);
    else (this.num as { [i: number]: number | bigint })[row] = v as number | bigint;
  }

  data(length: number): A.Data {
    const nullCount = this.nulls;
    const nullBitmap = nullCount ? this.valid.slice(0, (length + 7) >> 3) : undefined;
    const t = this.type;
    if (this.codes) {
      const dictionary = A.makeVector(A.vectorFromArray(this.dictValues!, new A.Utf8()).data[0]!);
      return A.makeData({ type: t as A.Dictionary<A.Utf8, A.Int32>, length, nullCount, nullBitmap, data: this.codes.slice(0, length), dictionary });
    }
    if (this.strings) {
      if (nullCount === length) return A.makeData({ type: t as A.Utf8, length, nullCount, nullBitmap, valueOffsets: new Int32Array(length + 1), data: new Uint8Array(0) });
      return A.vectorFromArray(this.strings, new A.Utf8()).data[0]! as A.Data;
    }
    if (this.cb) {
      const child = A.makeData({ type: new A.Uint32(), length: length * 5, nullCount: 0, data: this.cb.slice(0, length * 5) });
      return A.makeData({ type: t as A.FixedSizeList<A.Uint32>, length, nullCount, nullBitmap, child });
    }
    return A.makeData({ type: t as A.Int, length, nullCount, nullBitmap, data: (this.num as Uint32Array).slice(0, length) } as never);
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
  private readonly schema = eventArrowSchema();
  private readonly batchRows: number;
  private cols!: ColumnBuffer[];
  private rows = 0;
  private pending: PwruEvent | null = null;
  private logBuf: string[] = [];
  private rejectBuf: string[] = [];
  private readonly skbs = new Set<bigint>();
  private readonly pids = new Set<number>();
  private readonly layouts = new Set<string>();
  private minKtime: bigint | null = null;
  private maxKtime: bigint | null = null;
  private readonly onFlush?: (m: Manifest) => void;

  constructor(dir: string, manifest: Manifest, opts: WriterOptions = {}) {
    this.dir = dir;
    this.manifest = manifest;
    this.batchRows = opts.batchRows ?? DEFAULT_BATCH_ROWS;
    this.onFlush = opts.onFlush;
    const p = capturePaths(dir);
    mkdirSync(p.eventsDir, { recursive: true });
    writeFileSync(p.logs, '');
    writeFileSync(p.rejects, '');
    this.resetColumns();
    writeManifest(dir, manifest);
  }

  private resetColumns(): void {
    this.cols = COLUMNS.map((c, i) => new ColumnBuffer(c, this.schema.fields[i]!.type, this.batchRows));
    this.rows = 0;
  }

  /** Feed one parsed input line. */
  add(p: Parsed, lineNo: number, text: string): void {
    const c = this.manifest.counts;
    c.inputLines++;
    switch (p.kind) {
      case 'event':
        this.commitPending();
        this.pending = p.event;
        c.events++;
        break;
      case 'continuation':
        if (this.pending) {
          this.pending.attachment = this.pending.attachment === null ? p.text : `${this.pending.attachment}\n${p.text}`;
        }
        c.continuationLines++;
        break;
      case 'log':
        c.logLines++;
        if (p.logKind === 'header') this.manifest.headers.push({ line: lineNo, text });
        this.logBuf.push(JSON.stringify({ line: lineNo, kind: p.logKind, text: clip(text) }));
        break;
      case 'blank':
        c.blankLines++;
        break;
      case 'reject':
        c.rejects++;
        if (this.manifest.firstRejects.length < FIRST_REJECTS_KEPT) this.manifest.firstRejects.push({ line: lineNo, reason: p.reason });
        this.rejectBuf.push(JSON.stringify({ line: lineNo, text: clip(text), reason: p.reason }));
        break;
    }
  }

  /** Move the finished event (its continuation lines are all in) into the column buffers. */
  private commitPending(): void {
    const e = this.pending;
    if (!e) return;
    this.pending = null;
    const r = this.rows;
    for (const col of this.cols) col.set(r, e[col.spec.field]);
    this.rows++;
    this.skbs.add(e.skb);
    if (e.pid !== null && this.pids.size < 10_000) this.pids.add(e.pid);
    this.layouts.add(e.layout);
    if (e.ktime !== null && !e.layout.includes('abs') && !this.isRelative(e)) {
      if (this.minKtime === null || e.ktime < this.minKtime) this.minKtime = e.ktime;
      if (this.maxKtime === null || e.ktime > this.maxKtime) this.maxKtime = e.ktime;
    }
    if (e.absTime !== null) {
      const tr = (this.manifest.timeRange ??= {});
      tr.firstAbs ??= e.absTime;
      tr.lastAbs = e.absTime;
    }
    if (this.rows >= this.batchRows) this.flushBatch();
  }

  private isRelative(e: PwruEvent): boolean {
    // A relative timestamp is a small per-skb delta; absolute ktimes are ns since boot (≥ 1 s after boot).
    return e.ktime !== null && e.ktime < 1_000_000_000n;
  }

  private flushBatch(): void {
    if (this.rows === 0) return;
    const length = this.rows;
    const children = this.cols.map((c) => c.data(length));
    const struct = A.makeData({ type: new A.Struct(this.schema.fields), length, nullCount: 0, children });
    const batch = new A.RecordBatch(this.schema, struct);
    const w = new A.RecordBatchStreamWriter({ compressionType: CAPTURE_COMPRESSION });
    w.write(batch);
    w.finish();
    const bytes = w.toUint8Array(true);
    const n = ++this.manifest.counts.batches;
    const final = join(capturePaths(this.dir).eventsDir, batchFileName(n));
    writeFileSync(`${final}.tmp`, bytes);
    renameSync(`${final}.tmp`, final);
    this.resetColumns();
  }

  /**
   * Make everything received so far durable. With `includePending`, the last event is written too
   * (its continuation lines may still be coming: only do that at the end, or on a timer in live mode
   * where a late continuation line is then kept as a reject-free attachment of nothing).
   */
  flush(includePending = false): void {
    if (includePending) this.commitPending();
    this.flushBatch();
    const p = capturePaths(this.dir);
    if (this.logBuf.length) { appendFileSync(p.logs, this.logBuf.join('\n') + '\n'); this.logBuf = []; }
    if (this.rejectBuf.length) { appendFileSync(p.rejects, this.rejectBuf.join('\n') + '\n'); this.rejectBuf = []; }
    this.updateManifestStats();
    writeManifest(this.dir, this.manifest);
    this.onFlush?.(this.manifest);
  }

  private updateManifestStats(): void {
    this.manifest.counts.skbs = this.skbs.size;
    this.manifest.layouts = [...this.layouts];
    if (this.minKtime !== null) {
      const tr = (this.manifest.timeRange ??= {});
      tr.firstKtime = this.minKtime.toString();
      tr.lastKtime = this.maxKtime!.toString();
    }
  }

  skbCount(): number {
    return this.skbs.size;
  }

  /** Distinct pids seen in PROCESS (capped), for the pid → comm name table. */
  seenPids(): number[] {
    return [...this.pids];
  }

  /** Flush everything and write the final status. */
  finish(status: Manifest['status'], reason?: string): Manifest {
    this.manifest.status = status;
    if (reason) this.manifest.statusReason = reason;
    this.manifest.finishedAt = new Date().toISOString();
    this.flush(true);
    return this.manifest;
  }
}

function clip(text: string): string {
  return text.length <= MAX_STORED_LINE ? text : `${text.slice(0, MAX_STORED_LINE)}… [${text.length} characters, clipped]`;
}
