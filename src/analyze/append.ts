// Arrow record batches -> DuckDB data chunks, copied buffer to buffer: fixed-width values and validity bitmaps go
// straight into chunk vectors, dictionary columns become ENUM codes remapped through one global dictionary.
// Opening the database, choosing captures and caching are left to analyze/loader.ts.
import duckdb from '@duckdb/node-bindings';
import { DuckDBAppender, DuckDBConnection, DuckDBDataChunk } from './duckdb.js';
import * as A from '../capture/arrow.js';
import { COLUMNS, type ColumnKind } from '../capture/event-schema.js';

/** The table every capture's events land in. */
export const RAW_EVENTS = 'raw_events';

const VECTOR_SIZE = duckdb.vector_size();

const SQL_TYPE: Record<Exclude<ColumnKind, 'dict'>, string> = {
  u8: 'UTINYINT', u16: 'USMALLINT', u32: 'UINTEGER', i32: 'INTEGER', u64: 'UBIGINT', utf8: 'VARCHAR', cb5: 'UINTEGER[5]',
};
const WIDTH: Record<'u8' | 'u16' | 'u32' | 'i32' | 'u64' | 'cb5', number> = { u8: 1, u16: 2, u32: 4, i32: 4, u64: 8, cb5: 20 };

/** Global dictionary of one column: every string any batch of any capture holds, in ENUM order. */
export class GlobalDict {
  readonly values: string[] = [];
  readonly index = new Map<string, number>();
  add(v: string): void {
    if (!this.index.has(v)) { this.index.set(v, this.values.length); this.values.push(v); }
  }
}

/** Collects the dictionaries of every dict column; call `addBatch` on every batch before creating the table. */
export class DictionaryCollector {
  readonly dicts = new Map<string, GlobalDict>(COLUMNS.filter((c) => c.kind === 'dict').map((c) => [c.name, new GlobalDict()]));

  addBatch(batch: A.RecordBatch): void {
    for (const [name, g] of this.dicts) {
      const v = batch.getChild(name);
      if (!v) continue;
      for (const d of v.data) {
        const dict = d.dictionary;
        if (!dict) continue;
        for (let k = 0; k < dict.length; k++) {
          const s = dict.get(k) as string | null;
          if (s !== null) g.add(s);
        }
      }
    }
  }
}

const enumTypeName = (col: string) => `${col}_enum`;

/**
 * Creates the ENUM types (one per dict column; an all-null column stays VARCHAR) and the raw_events table:
 * capture (ENUM of capture ids), seq (order in capture), then every COLUMNS column.
 * Returns the enum order actually stored by DuckDB, which is what codes must index.
 */
export async function createRawEvents(conn: DuckDBConnection, captureIds: string[], dicts: DictionaryCollector): Promise<Map<string, Map<string, number> | null>> {
  const order = new Map<string, Map<string, number> | null>();
  await createEnum(conn, 'capture_enum', captureIds);
  const cols: string[] = ['capture capture_enum NOT NULL', 'seq UINTEGER NOT NULL'];
  for (const c of COLUMNS) {
    if (c.kind === 'dict') {
      const g = dicts.dicts.get(c.name)!;
      if (g.values.length === 0) {
        order.set(c.name, null);
        cols.push(`${c.name} VARCHAR`);
      } else {
        order.set(c.name, await createEnum(conn, enumTypeName(c.name), g.values));
        cols.push(`${c.name} ${enumTypeName(c.name)}`);
      }
    } else {
      cols.push(`${c.name} ${SQL_TYPE[c.kind]}`);
    }
  }
  await conn.run(`CREATE TABLE ${RAW_EVENTS} (${cols.join(', ')})`);
  return order;
}

/** ENUM type from a list of strings, through a temp table (no SQL quoting of data); returns value -> stored index. */
async function createEnum(conn: DuckDBConnection, name: string, values: string[]): Promise<Map<string, number>> {
  await conn.run('CREATE OR REPLACE TEMP TABLE _enum_values (i UINTEGER, v VARCHAR)');
  const app = await conn.createAppender('_enum_values');
  try {
    values.forEach((v, i) => { app.appendUInteger(i); app.appendVarchar(v); app.endRow(); });
    app.flushSync();
  } finally {
    app.closeSync();
  }
  await conn.run(`CREATE TYPE ${name} AS ENUM (SELECT v FROM _enum_values ORDER BY i)`);
  await conn.run('DROP TABLE _enum_values');
  const reader = await conn.runAndReadAll(`SELECT unnest(enum_range(NULL::${name})) AS v`);
  const m = new Map<string, number>();
  reader.getRowObjects().forEach((r, i) => m.set(String(r['v']), i));
  return m;
}

interface ColPlan {
  name: string;
  kind: ColumnKind;
  /** Vector index in the chunk. */
  col: number;
  /** Byte width of an ENUM code for dict columns (1, 2, 4); 0 = all-null VARCHAR. */
  codeWidth: number;
  enumIndex: Map<string, number> | null;
}

/**
 * Appends Arrow batches to raw_events through one reusable data chunk. Values never pass through JS objects except
 * the rare utf8 columns (attachments) and dictionary strings (once per batch).
 */
/**
 * The native appender inside a DuckDBAppender (a private field). The public route (columnType() + DuckDBDataChunk.create)
 * rebuilds ENUM types from their values, which the appender then casts through VARCHAR: about 10x slower loads. The
 * DuckDB packages are pinned to exact versions for this; a version that moved the field fails here, loudly, by name.
 */
function nativeAppender(a: DuckDBAppender): duckdb.Appender {
  const raw = (a as unknown as { appender?: unknown }).appender;
  if (raw === null || typeof raw !== 'object') {
    throw new Error('@duckdb/node-api: DuckDBAppender no longer keeps its native appender in `.appender`; update nativeAppender() in src/analyze/append.ts for this version');
  }
  return raw as duckdb.Appender;
}

export class RawEventAppender {
  private readonly plans: ColPlan[];
  private readonly chunk: DuckDBDataChunk;
  private readonly seqBuf = new Uint32Array(VECTOR_SIZE);
  private readonly capBuf = new Uint8Array(VECTOR_SIZE * 4);
  private readonly codeBuf = new Uint32Array(VECTOR_SIZE);
  private readonly code16 = new Uint16Array(VECTOR_SIZE);
  private readonly code8 = new Uint8Array(VECTOR_SIZE);
  private readonly zeros = new Uint8Array(VECTOR_SIZE / 8);
  private readonly capWidth: number;
  rows = 0;
  missing = 0;

  constructor(private readonly appender: DuckDBAppender, enumOrder: Map<string, Map<string, number> | null>, captureCount: number) {
    // The chunk must carry the table's own logical types: an ENUM rebuilt from its values is another type, and the
    // appender would then cast every value through VARCHAR (10x slower).
    const raw = nativeAppender(appender);
    const types = Array.from({ length: appender.columnCount }, (_, i) => duckdb.appender_column_type(raw, i));
    this.chunk = new DuckDBDataChunk(duckdb.create_data_chunk(types));
    this.capWidth = enumWidth(captureCount);
    this.plans = COLUMNS.map((c, i) => {
      const order = c.kind === 'dict' ? enumOrder.get(c.name) ?? null : null;
      return { name: c.name, kind: c.kind, col: i + 2, codeWidth: order ? enumWidth(order.size) : 0, enumIndex: order };
    });
  }

  /** Appends every row of `batch` for capture number `captureIdx` (its ENUM code), numbering rows from `seqStart`. */
  appendBatch(batch: A.RecordBatch, captureIdx: number, seqStart: number): void {
    const n = batch.numRows;
    const sources = this.plans.map((p) => sourceOf(batch, p, this));
    const chunk = this.chunk.chunk;
    const capVec = duckdb.data_chunk_get_vector(chunk, 0);
    const seqVec = duckdb.data_chunk_get_vector(chunk, 1);
    fillCode(this.capBuf, this.capWidth, captureIdx);
    for (let start = 0; start < n; start += VECTOR_SIZE) {
      const m = Math.min(VECTOR_SIZE, n - start);
      duckdb.data_chunk_reset(chunk);
      duckdb.copy_data_to_vector(capVec, 0, this.capBuf.buffer, 0, m * this.capWidth);
      for (let i = 0; i < m; i++) this.seqBuf[i] = seqStart + start + i;
      duckdb.copy_data_to_vector(seqVec, 0, this.seqBuf.buffer, 0, m * 4);
      for (let k = 0; k < this.plans.length; k++) this.writeColumn(this.plans[k]!, sources[k]!, start, m);
      duckdb.data_chunk_set_size(chunk, m);
      this.appender.appendDataChunk(this.chunk);
    }
    this.rows += n;
  }

  private writeColumn(p: ColPlan, s: Source, start: number, m: number): void {
    const vec = duckdb.data_chunk_get_vector(this.chunk.chunk, p.col);
    if (!s.data) {
      this.setAllNull(vec, m);
      return;
    }
    const d = s.data;
    const row0 = d.offset + start;
    // Validity first: Arrow's LSB bitmap and DuckDB's uint64 mask share the byte layout.
    if (d.nullCount > 0 && d.nullBitmap && d.nullBitmap.length > 0) {
      duckdb.vector_ensure_validity_writable(vec);
      if (row0 % 8 === 0) {
        const bm = d.nullBitmap;
        duckdb.copy_data_to_vector_validity(vec, 0, bm.buffer as ArrayBuffer, bm.byteOffset + row0 / 8, Math.ceil(m / 8));
      } else {
        const bits = new Uint8Array(Math.ceil(m / 8));
        for (let i = 0; i < m; i++) if (d.getValid(start + i)) bits[i >> 3]! |= 1 << (i & 7);
        duckdb.copy_data_to_vector_validity(vec, 0, bits.buffer, 0, bits.length);
      }
    }
    switch (p.kind) {
      case 'u8': case 'u16': case 'u32': case 'i32': case 'u64': {
        const w = WIDTH[p.kind];
        const v = d.values as ArrayBufferView;
        duckdb.copy_data_to_vector(vec, 0, v.buffer as ArrayBuffer, v.byteOffset + row0 * w, m * w);
        break;
      }
      case 'cb5': {
        const child = d.children[0]!;
        const v = child.values as Uint32Array;
        const off = child.offset + row0 * 5;
        duckdb.copy_data_to_vector(duckdb.array_vector_get_child(vec), 0, v.buffer as ArrayBuffer, v.byteOffset + off * 4, m * 20);
        break;
      }
      case 'dict': {
        if (p.codeWidth === 0) { this.setAllNull(vec, m); break; }
        const idx = d.values as Int32Array;
        const remap = s.remap!;
        const out = p.codeWidth === 1 ? this.code8 : p.codeWidth === 2 ? this.code16 : this.codeBuf;
        for (let i = 0; i < m; i++) out[i] = remap[idx[row0 + i]!] ?? 0;
        duckdb.copy_data_to_vector(vec, 0, out.buffer, 0, m * p.codeWidth);
        break;
      }
      case 'utf8': {
        if (d.nullCount === d.length) break; // validity already all-null
        const vector = s.vector!;
        for (let i = 0; i < m; i++) {
          const x = vector.get(start + i) as string | null;
          if (x !== null) duckdb.vector_assign_string_element(vec, i, x);
        }
        break;
      }
    }
  }

  private setAllNull(vec: duckdb.Vector, m: number): void {
    duckdb.vector_ensure_validity_writable(vec);
    duckdb.copy_data_to_vector_validity(vec, 0, this.zeros.buffer, 0, Math.ceil(m / 8));
  }
}

interface Source {
  data: A.Data | null;
  vector: A.Vector | null;
  /** Batch dictionary index -> global ENUM code. */
  remap: Int32Array | null;
}

function sourceOf(batch: A.RecordBatch, p: ColPlan, app: RawEventAppender): Source {
  const vector = batch.getChild(p.name);
  if (!vector || vector.data.length === 0) return { data: null, vector: null, remap: null };
  // A record batch read from IPC holds one Data per column.
  const data = vector.data[0]!;
  let remap: Int32Array | null = null;
  if (p.kind === 'dict' && p.enumIndex) {
    const dict = data.dictionary;
    remap = new Int32Array(dict ? dict.length : 0);
    for (let k = 0; k < remap.length; k++) {
      const s = dict!.get(k) as string | null;
      const code = s === null ? undefined : p.enumIndex.get(s);
      if (code === undefined) { app.missing++; remap[k] = 0; } else remap[k] = code;
    }
  }
  return { data, vector, remap };
}

function enumWidth(count: number): number {
  return count <= 0xff ? 1 : count <= 0xffff ? 2 : 4;
}

function fillCode(buf: Uint8Array, width: number, code: number): void {
  const n = buf.length / 4;
  if (width === 1) buf.fill(code, 0, n);
  else if (width === 2) new Uint16Array(buf.buffer, 0, n).fill(code);
  else new Uint32Array(buf.buffer, 0, n).fill(code);
}
