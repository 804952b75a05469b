// The batch in progress as typed-array columns: parsed lines (or the fast path's rows, or an import worker's fragments)
// go in, raw columns come out for the encoder. No Arrow and no I/O here, so an import worker loads only this, the
// parsers and the fast path; encoding batches and writing files is batch-writer.ts's job.
import { COLUMNS, type ColumnSpec, type PwruEvent } from './event-schema.js';
import type { Parsed } from './parsed.js';
import { SkbSet } from './skb-set.js';
import { FastRow, type IdSource } from './fast-row.js';
import type { Manifest } from './manifest.js';

/** Raw columns of a full batch of `length` rows to the bytes of its file. */
export type BatchEncoder = (raws: RawColumn[], length: number) => Uint8Array;

export const DEFAULT_BATCH_ROWS = 65536;
const MAX_STORED_LINE = 65536;
const FIRST_REJECTS_KEPT = 20;

/**
 * One column of a batch as plain arrays (structured-clone and transfer friendly): what an import worker hands back
 * for its chunk, and what the one encoder (encodeBatch) turns into Arrow. Rows that are null hold 0 / no string.
 */
export interface RawColumn {
  nulls: number;
  valid: Uint8Array;
  /** Numbers, codes (dict), 64-bit values or 5 uint32 per row (cb). */
  values?: Uint8Array | Uint16Array | Uint32Array | Int32Array | BigUint64Array;
  /** dict: the batch's dictionary in order of first appearance. */
  dict?: string[];
  /** utf8: one entry per row. */
  strings?: (string | null)[];
}

/** Sets bits [s, e) of a bitmap: single bits at the ends, whole bytes between. */
function setBits(b: Uint8Array, s: number, e: number): void {
  while (s < e && (s & 7)) { b[s >> 3]! |= 1 << (s & 7); s++; }
  if (e - s >= 8) {
    b.fill(0xff, s >> 3, e >> 3);
    s = e & ~7;
  }
  while (s < e) { b[s >> 3]! |= 1 << (s & 7); s++; }
}

/** One column's buffer for the batch in progress; one subclass per storage kind keeps each `set` call site monomorphic. */
abstract class ColumnBuffer {
  protected valid: Uint8Array;
  protected nulls = 0;
  constructor(readonly spec: ColumnSpec, cap: number) {
    this.valid = new Uint8Array((cap + 7) >> 3);
  }
  abstract set(row: number, v: unknown): void;
  /** The first `length` rows as plain arrays (views of this buffer: it is not written again after a batch). */
  abstract raw(length: number): RawColumn;
  /**
   * Copies rows [from, to) of `r` (a fragment of `rows` rows) to rows [at, at + to - from) of this buffer: validity
   * (a whole-byte fill when the fragment has no nulls), then the values.
   */
  appendRaw(r: RawColumn, from: number, to: number, at: number, rows: number): void {
    if (r.nulls === rows) {
      this.nulls += to - from;
      return; // values of null rows stay 0
    }
    const mine = this.valid;
    if (r.nulls === 0) setBits(mine, at, at + to - from);
    else {
      const v = r.valid;
      for (let i = from, j = at; i < to; i++, j++) {
        if (v[i >> 3]! & (1 << (i & 7))) mine[j >> 3]! |= 1 << (j & 7);
        else this.nulls++;
      }
    }
    this.appendValues(r, from, to, at);
  }
  protected abstract appendValues(r: RawColumn, from: number, to: number, at: number): void;
  /**
   * Ready for the next batch in the same memory, as new: the first `length` rows back to null and 0 (the rest were
   * never written). Reused rather than reallocated: a batch's arrays live long enough to reach V8's old generation,
   * where dead ones wait for a full GC, and ~8 MB per batch of them made the 10 M-line import's RSS peaks.
   */
  clear(length: number): void {
    this.valid.fill(0, 0, (length + 7) >> 3);
    this.nulls = 0;
    this.clearValues(length);
  }
  protected abstract clearValues(length: number): void;
  protected rawBase(length: number): RawColumn {
    return { nulls: this.nulls, valid: this.valid.subarray(0, (length + 7) >> 3) };
  }
}

type NumArray = Uint8Array | Uint16Array | Uint32Array | Int32Array;

class NumColumn extends ColumnBuffer {
  private readonly values: NumArray;
  constructor(spec: ColumnSpec, cap: number) {
    super(spec, cap);
    this.values = spec.kind === 'u8' ? new Uint8Array(cap) : spec.kind === 'u16' ? new Uint16Array(cap) : spec.kind === 'i32' ? new Int32Array(cap) : new Uint32Array(cap);
  }
  set(row: number, v: unknown): void {
    if (v === null) { this.nulls++; return; }
    this.valid[row >> 3]! |= 1 << (row & 7);
    this.values[row] = v as number;
  }
  raw(length: number): RawColumn {
    return { ...this.rawBase(length), values: this.values.subarray(0, length) };
  }
  protected appendValues(r: RawColumn, from: number, to: number, at: number): void {
    (this.values as Uint32Array).set((r.values as Uint32Array).subarray(from, to), at);
  }
  protected clearValues(length: number): void {
    this.values.fill(0, 0, length);
  }
}

class U64Column extends ColumnBuffer {
  private readonly values: BigUint64Array;
  /** The same memory as uint32 halves (little-endian hosts only: the fast path checks), written without BigInt. */
  private readonly halves: Uint32Array;
  constructor(spec: ColumnSpec, cap: number) {
    super(spec, cap);
    this.values = new BigUint64Array(cap);
    this.halves = new Uint32Array(this.values.buffer);
  }
  set(row: number, v: unknown): void {
    if (v === null) { this.nulls++; return; }
    this.valid[row >> 3]! |= 1 << (row & 7);
    this.values[row] = v as bigint;
  }
  setHiLo(row: number, hi: number, lo: number): void {
    this.valid[row >> 3]! |= 1 << (row & 7);
    this.halves[2 * row] = lo;
    this.halves[2 * row + 1] = hi;
  }
  /** An exact integer below 2^53. */
  setNum(row: number, v: number): void {
    this.setHiLo(row, Math.floor(v / 4294967296), v >>> 0);
  }
  raw(length: number): RawColumn {
    return { ...this.rawBase(length), values: this.values.subarray(0, length) };
  }
  protected appendValues(r: RawColumn, from: number, to: number, at: number): void {
    this.values.set((r.values as BigUint64Array).subarray(from, to), at);
  }
  protected clearValues(length: number): void {
    this.halves.fill(0, 0, 2 * length);
  }
}

class DictColumn extends ColumnBuffer {
  private readonly codes: Int32Array;
  private dict = new Map<string, number>();
  private values: string[] = [];
  /** The previous row's value and code: most columns repeat from row to row (layout, l4, process of a flow). */
  private last: unknown = null;
  private lastCode = 0;
  constructor(spec: ColumnSpec, cap: number) {
    super(spec, cap);
    this.codes = new Int32Array(cap);
  }
  set(row: number, v: unknown): void {
    if (v === null) { this.nulls++; return; }
    this.valid[row >> 3]! |= 1 << (row & 7);
    if (v === this.last) { this.codes[row] = this.lastCode; return; }
    let code = this.dict.get(v as string);
    if (code === undefined) {
      code = this.values.length;
      this.dict.set(v as string, code);
      this.values.push(v as string);
    }
    this.codes[row] = code;
    this.last = v;
    this.lastCode = code;
  }
  /** The source whose ids `byId` caches (code + 1 per id, 0 = not yet in this batch), and its generation. */
  private src: IdSource | null = null;
  private srcGen = -1;
  private byId = new Int32Array(0);
  /**
   * `v`, which the interner `src` gave id `id` (or derived from that id's string): its code found by array index,
   * the dictionary looked up only the first time the id appears in this batch. Another source (a file mixing text
   * and JSON) or a cleared interner starts the cache again.
   */
  setInterned(row: number, v: string | null, src: IdSource, id: number, gen: number): void {
    if (v === null) { this.nulls++; return; }
    // An id read before its interner was cleared may name another string now: set by value.
    if (gen !== src.gen) { this.set(row, v); return; }
    this.valid[row >> 3]! |= 1 << (row & 7);
    if (src !== this.src || gen !== this.srcGen) {
      this.src = src;
      this.srcGen = gen;
      this.byId = new Int32Array(Math.max(256, id + 1));
    } else if (id >= this.byId.length) {
      const grown = new Int32Array(Math.max(id + 1, this.byId.length * 2));
      grown.set(this.byId);
      this.byId = grown;
    }
    let code = this.byId[id]! - 1;
    if (code < 0) {
      code = this.dict.get(v) ?? -1;
      if (code < 0) {
        code = this.values.length;
        this.dict.set(v, code);
        this.values.push(v);
      }
      this.byId[id] = code + 1;
    }
    this.codes[row] = code;
  }
  raw(length: number): RawColumn {
    return { ...this.rawBase(length), values: this.codes.subarray(0, length), dict: this.values };
  }
  /**
   * The fragment's codes mapped to this batch's: each of its dictionary entries looked up once, on its first row
   * here, so this batch's dictionary keeps the order of first appearance, as if the rows had been set one by one.
   */
  protected appendValues(r: RawColumn, from: number, to: number, at: number): void {
    const src = r.values as Int32Array, dict = r.dict!, v = r.valid;
    const remap = new Int32Array(dict.length).fill(-1);
    for (let i = from, j = at; i < to; i++, j++) {
      if (!(v[i >> 3]! & (1 << (i & 7)))) continue;
      const c = src[i]!;
      let code = remap[c]!;
      if (code < 0) {
        const s = dict[c]!;
        code = this.dict.get(s) ?? -1;
        if (code < 0) {
          code = this.values.length;
          this.dict.set(s, code);
          this.values.push(s);
        }
        remap[c] = code;
      }
      this.codes[j] = code;
    }
    this.last = null;
  }
  protected clearValues(length: number): void {
    this.codes.fill(0, 0, length);
    // New containers, not cleared ones: the batch just encoded may still hold the old dictionary array.
    this.dict = new Map();
    this.values = [];
    this.last = null;
    this.lastCode = 0;
    this.src = null;
  }
}

class Utf8Column extends ColumnBuffer {
  /** One entry per row once a row holds a string; until then only `rows` counts them (nearly always all null). */
  private strings: (string | null)[] = [];
  private rows = 0;
  set(_row: number, v: unknown): void {
    if (v === null) {
      this.nulls++;
      if (this.strings.length) this.strings.push(null);
    } else {
      if (this.strings.length < this.rows) this.strings = new Array<string | null>(this.rows).fill(null);
      this.strings.push(v as string);
    }
    this.rows++;
  }
  raw(length: number): RawColumn {
    return { ...this.rawBase(length), strings: this.strings.slice(0, length) };
  }
  // Strings carry their own nulls: the bitmap copy is not used for them.
  override appendRaw(r: RawColumn, from: number, to: number, _at: number, rows: number): void {
    if (r.nulls === rows && !this.strings.length) {
      this.nulls += to - from;
      this.rows += to - from;
      return;
    }
    for (let i = from; i < to; i++) this.set(0, r.strings![i] ?? null);
  }
  protected appendValues(): void { /* see appendRaw */ }
  protected clearValues(): void {
    this.strings = [];
    this.rows = 0;
  }
}

class CbColumn extends ColumnBuffer {
  private readonly values: Uint32Array;
  constructor(spec: ColumnSpec, cap: number) {
    super(spec, cap);
    this.values = new Uint32Array(cap * 5);
  }
  set(row: number, v: unknown): void {
    if (v === null) { this.nulls++; return; }
    this.valid[row >> 3]! |= 1 << (row & 7);
    this.values.set(v as number[], row * 5);
  }
  raw(length: number): RawColumn {
    return { ...this.rawBase(length), values: this.values.subarray(0, length * 5) };
  }
  protected appendValues(r: RawColumn, from: number, to: number, at: number): void {
    this.values.set((r.values as Uint32Array).subarray(from * 5, to * 5), at * 5);
  }
  protected clearValues(length: number): void {
    this.values.fill(0, 0, length * 5);
  }
}

function makeColumn(spec: ColumnSpec, cap: number): ColumnBuffer {
  switch (spec.kind) {
    case 'u64': return new U64Column(spec, cap);
    case 'dict': return new DictColumn(spec, cap);
    case 'utf8': return new Utf8Column(spec, cap);
    case 'cb5': return new CbColumn(spec, cap);
    default: return new NumColumn(spec, cap);
  }
}


/** A chunk's rows as raw columns (an import worker's result), appended to the batch in progress in input order. */
export interface Fragment { rows: number; columns: RawColumn[] }

/** Every ArrayBuffer of a fragment, to transfer it to another thread without a copy. */
export function fragmentBuffers(f: Fragment): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const c of f.columns) {
    out.add(c.valid.buffer as ArrayBuffer);
    if (c.values) out.add(c.values.buffer as ArrayBuffer);
  }
  return [...out];
}

/** What an import worker makes of one chunk; the capture writer merges these in input order (addChunk). */
export interface ChunkOutput {
  fragment: Fragment;
  logs: string[];
  rejects: string[];
  counts: LineCounts;
  headers: { line: number; text: string }[];
  firstRejects: { line: number; reason: string }[];
  skbs: BigUint64Array;
  pids: number[];
  layouts: string[];
  minKtime: string | null;
  maxKtime: string | null;
  firstAbs: string | null;
  lastAbs: string | null;
}

type RowCommitter = (cols: ColumnBuffer[], row: number, e: PwruEvent) => void;

/**
 * One straight-line function that copies every field of an event into its column, generated from COLUMNS so the
 * schema stays defined in one place; direct property reads are several times faster than e[field] over 34 keys.
 */
const commitRow: RowCommitter = new Function('cols', 'row', 'e',
  COLUMNS.map((c, i) => `cols[${i}].set(row, e.${c.field});`).join('\n')) as RowCommitter;

/** FastRow fields whose value came through an interner: the prefix of its <p>Src, <p>Id and <p>Gen fields. */
const INTERNED: Record<string, [string]> = {
  process: ['proc'], iface: ['iface'], func: ['func'], dropReason: ['func'], progKind: ['func'], saddr: ['saddr'], daddr: ['daddr'], l4: ['l4'],
};

/** The same for a FastRow: its skb as two halves, its ktime as a number (-1 = none), interned values by their ids. */
const commitFastRow = new Function('cols', 'row', 'e', COLUMNS.map((c, i) => {
  if (c.field === 'skb') return `cols[${i}].setHiLo(row, e.skbHi, e.skbLo);`;
  if (c.field === 'ktime') return `if (e.ktime < 0) cols[${i}].set(row, null); else cols[${i}].setNum(row, e.ktime);`;
  const by = INTERNED[c.field];
  if (by) {
    if (c.kind !== 'dict') throw new Error(`interned field ${c.field} is not a dictionary column`);
    const p = `e.${by[0]}`;
    return `if (${p}Src !== null) cols[${i}].setInterned(row, e.${c.field}, ${p}Src, ${p}Id, ${p}Gen); else cols[${i}].set(row, e.${c.field});`;
  }
  return `cols[${i}].set(row, e.${c.field});`;
}).join('\n')) as (cols: ColumnBuffer[], row: number, e: FastRow) => void;

/** Counters the manifest keeps; an accumulator adds to the object it is given. */
export type LineCounts = Manifest['counts'];

export const newCounts = (): LineCounts => ({ inputLines: 0, events: 0, continuationLines: 0, logLines: 0, rejects: 0, blankLines: 0, batches: 0, skbs: 0 });

/** What the accumulated events say about the capture as a whole (merged across workers by the importer). */
export interface EventStats {
  skbs: SkbSet;
  pids: Set<number>;
  layouts: Set<string>;
  minKtime: bigint | null;
  maxKtime: bigint | null;
  firstAbs: string | null;
  lastAbs: string | null;
}

export const newEventStats = (): EventStats => ({ skbs: new SkbSet(), pids: new Set(), layouts: new Set(), minKtime: null, maxKtime: null, firstAbs: null, lastAbs: null });

/**
 * Takes parser results in input order and turns them into Arrow batch bytes, NDJSON log/reject lines and counts.
 * No I/O: the capture writer persists what it produces, and import workers hand it back to the main thread.
 */
export class LineAccumulator {
  private cols!: ColumnBuffer[];
  private rows = 0;
  private pending: PwruEvent | null = null;
  /** The byte-level path's pending event (its continuation lines may follow), in one of two reused rows. */
  private pendingFast: FastRow | null = null;
  private readonly fastRows = [new FastRow(), new FastRow()] as const;
  /** ktime range of fast rows as exact numbers, folded into `stats` at each take(). */
  private fastMinKtime = Infinity;
  private fastMaxKtime = -1;
  /** Lines the parser holds as the start of a wrapped event line (counted as input, not yet as anything else). */
  private held: { lineNo: number; text: string }[] = [];
  logBuf: string[] = [];
  rejectBuf: string[] = [];
  /** Characters in logBuf + rejectBuf. */
  textChars = 0;
  readonly ready: Uint8Array[] = [];
  readonly stats = newEventStats();

  constructor(
    readonly counts: LineCounts,
    readonly headers: { line: number; text: string }[],
    readonly firstRejects: { line: number; reason: string }[],
    private readonly batchRows = DEFAULT_BATCH_ROWS,
    /** Turns a full batch's raw columns into its file's bytes (batch-writer's encodeBatch); none: fragments only. */
    private readonly encode?: BatchEncoder,
  ) {
    this.resetColumns();
  }

  private resetColumns(): void {
    this.cols = COLUMNS.map((c) => makeColumn(c, this.batchRows));
    this.rows = 0;
  }

  /** Feed one parsed input line. */
  add(p: Parsed, lineNo: number, text: string): void {
    const c = this.counts;
    c.inputLines++;
    if (p.heldRejected !== undefined) this.rejectHeld(p.heldRejected);
    switch (p.kind) {
      case 'held':
        this.commitPending();
        this.held.push({ lineNo, text });
        break;
      case 'event':
        this.commitPending();
        this.pending = p.event;
        c.events++;
        if (p.joined) {
          // The held lines and this one were one wrapped event line: the first is the event line, the rest continue it.
          c.continuationLines += p.joined;
          this.held = [];
        }
        // A JSON event is whole on its line (the parser gives no continuation lines after one): commit it now, so
        // a batch filled by --flush-events holds every event counted so far.
        if (p.event.layout.startsWith('J:')) this.commitPending();
        break;
      case 'continuation': {
        const e = this.pending ?? this.pendingFast;
        if (e) e.attachment = e.attachment === null ? p.text : `${e.attachment}\n${p.text}`;
        c.continuationLines++;
        break;
      }
      case 'log':
        c.logLines++;
        if (p.logKind === 'header') this.headers.push({ line: lineNo, text });
        this.pushText(this.logBuf, JSON.stringify({ line: lineNo, kind: p.logKind, text: clip(text) }));
        break;
      case 'blank':
        c.blankLines++;
        break;
      case 'reject':
        c.rejects++;
        if (this.firstRejects.length < FIRST_REJECTS_KEPT) this.firstRejects.push({ line: lineNo, reason: p.reason });
        this.pushText(this.rejectBuf, JSON.stringify({ line: lineNo, text: clip(text), reason: p.reason }));
        break;
    }
  }

  /** The row the byte-level parser may fill next (never the pending one). */
  fastRow(): FastRow {
    return this.pendingFast === this.fastRows[0] ? this.fastRows[1] : this.fastRows[0];
  }

  /**
   * One event line read by the byte-level parser into `row` (from fastRow()). `whole`: a JSON event, complete on
   * its line; a text event waits for its continuation lines like a parsed one.
   */
  addFast(row: FastRow, whole: boolean): void {
    this.counts.inputLines++;
    this.counts.events++;
    this.commitPending();
    if (whole) this.commitFast(row);
    else this.pendingFast = row;
  }

  private commitFast(e: FastRow): void {
    commitFastRow(this.cols, this.rows, e);
    this.rows++;
    const st = this.stats;
    st.skbs.addHiLo(e.skbHi, e.skbLo);
    if (e.pid !== null && st.pids.size < 10_000) st.pids.add(e.pid);
    st.layouts.add(e.layout);
    // As commitPending: only absolute ktimes (>= 1 s after boot) make the time range.
    if (e.ktime >= 1_000_000_000) {
      if (e.ktime < this.fastMinKtime) this.fastMinKtime = e.ktime;
      if (e.ktime > this.fastMaxKtime) this.fastMaxKtime = e.ktime;
    }
    if (this.rows >= this.batchRows) this.sealBatch();
  }

  private foldFastStats(): void {
    if (this.fastMaxKtime < 0) return;
    const st = this.stats;
    const lo = BigInt(this.fastMinKtime), hi = BigInt(this.fastMaxKtime);
    if (st.minKtime === null || lo < st.minKtime) st.minKtime = lo;
    if (st.maxKtime === null || hi > st.maxKtime) st.maxKtime = hi;
    this.fastMinKtime = Infinity;
    this.fastMaxKtime = -1;
  }

  private pushText(buf: string[], row: string): void {
    buf.push(row);
    this.textChars += row.length;
  }

  /** Log and reject lines buffered so far, without sealing the batch in progress. */
  takeText(): { batches: Uint8Array[]; logs: string[]; rejects: string[] } {
    const out = { batches: [], logs: this.logBuf, rejects: this.rejectBuf };
    this.logBuf = [];
    this.rejectBuf = [];
    this.textChars = 0;
    return out;
  }

  /** One event that is already whole (`skbtape filter` copies events of another capture): no input line counted. */
  addEvent(e: PwruEvent): void {
    this.commitPending();
    this.pending = e;
    this.counts.events++;
    this.commitPending();
  }

  private rejectHeld(reason: string): void {
    for (const h of this.held) this.add({ kind: 'reject', reason }, h.lineNo, h.text);
    this.counts.inputLines -= this.held.length; // counted when they were held
    this.held = [];
  }

  /** End of input: a still-held line was an event line cut short, never completed. */
  endInput(): void {
    if (this.held.length) this.rejectHeld("event line stops before the header's columns are all there (cut short, or wrapped with nothing after it)");
  }

  /** Move the finished event (its continuation lines are all in) into the column buffers. */
  private commitPending(): void {
    if (this.pendingFast) {
      const f = this.pendingFast;
      this.pendingFast = null;
      this.commitFast(f);
      return;
    }
    const e = this.pending;
    if (!e) return;
    this.pending = null;
    commitRow(this.cols, this.rows, e);
    this.rows++;
    const st = this.stats;
    st.skbs.add(e.skb);
    if (e.pid !== null && st.pids.size < 10_000) st.pids.add(e.pid);
    st.layouts.add(e.layout);
    // A relative timestamp is a small per-skb delta; absolute ktimes are ns since boot (≥ 1 s after boot).
    if (e.ktime !== null && e.ktime >= 1_000_000_000n && e.absTime === null) {
      if (st.minKtime === null || e.ktime < st.minKtime) st.minKtime = e.ktime;
      if (st.maxKtime === null || e.ktime > st.maxKtime) st.maxKtime = e.ktime;
    }
    if (e.absTime !== null) {
      st.firstAbs ??= e.absTime;
      st.lastAbs = e.absTime;
    }
    if (this.rows >= this.batchRows) this.sealBatch();
  }

  private sealBatch(): void {
    if (this.rows === 0) return;
    const length = this.rows;
    if (!this.encode) throw new Error('LineAccumulator without an encoder sealed a batch (a fragment outgrew its capacity)');
    this.ready.push(this.encode(this.cols.map((c) => c.raw(length)), length));
    // encode() is done with the arrays (it returns the file's bytes): the next batch reuses them.
    for (const c of this.cols) c.clear(length);
    this.rows = 0;
  }

  /**
   * Everything read so far (the last event included: a chunk ends where the next event begins) as one fragment of
   * raw columns, without encoding it: an import worker's result. The accumulator must hold at most its capacity.
   */
  takeFragment(): Fragment {
    this.commitPending();
    this.foldFastStats();
    const rows = this.rows;
    const f = { rows, columns: this.cols.map((c) => c.raw(rows)) };
    this.resetColumns();
    return f;
  }

  /** A worker's chunk, after everything added so far: counts, headers, first rejects, text, statistics, rows. */
  addChunk(r: ChunkOutput): void {
    const c = this.counts;
    for (const k of ['inputLines', 'events', 'continuationLines', 'logLines', 'rejects', 'blankLines'] as const) c[k] += r.counts[k];
    this.headers.push(...r.headers);
    for (const fr of r.firstRejects) if (this.firstRejects.length < FIRST_REJECTS_KEPT) this.firstRejects.push(fr);
    for (const l of r.logs) this.pushText(this.logBuf, l);
    for (const l of r.rejects) this.pushText(this.rejectBuf, l);
    const st = this.stats;
    for (const s of r.skbs) st.skbs.add(s);
    for (const p of r.pids) if (st.pids.size < 10_000) st.pids.add(p);
    for (const l of r.layouts) st.layouts.add(l);
    if (r.minKtime !== null) {
      const lo = BigInt(r.minKtime), hi = BigInt(r.maxKtime!);
      if (st.minKtime === null || lo < st.minKtime) st.minKtime = lo;
      if (st.maxKtime === null || hi > st.maxKtime) st.maxKtime = hi;
    }
    if (r.firstAbs !== null) { st.firstAbs ??= r.firstAbs; st.lastAbs = r.lastAbs; }
    this.addFragment(r.fragment);
  }

  /** Rows of a worker's fragment, after every row added so far; batches are sealed at batchRows as for added rows. */
  addFragment(f: Fragment): void {
    this.commitPending();
    let from = 0;
    while (from < f.rows) {
      const n = Math.min(f.rows - from, this.batchRows - this.rows);
      for (let i = 0; i < this.cols.length; i++) this.cols[i]!.appendRaw(f.columns[i]!, from, from + n, this.rows, f.rows);
      this.rows += n;
      from += n;
      if (this.rows >= this.batchRows) this.sealBatch();
    }
  }

  /**
   * Everything complete so far: sealed batches, log and reject lines. With `includePending`, the last event goes
   * in too (its continuation lines may still be coming: only at the end, or when the input has gone quiet).
   */
  take(includePending: boolean): { batches: Uint8Array[]; logs: string[]; rejects: string[] } {
    if (includePending) this.commitPending();
    this.sealBatch();
    return this.takeReady();
  }

  /** The sealed batches and the text so far; the batch in progress stays open. */
  takeReady(): { batches: Uint8Array[]; logs: string[]; rejects: string[] } {
    this.foldFastStats();
    return { ...this.takeText(), batches: this.ready.splice(0) };
  }
}


function clip(text: string): string {
  return text.length <= MAX_STORED_LINE ? text : `${text.slice(0, MAX_STORED_LINE)}… [${text.length} characters, clipped]`;
}
