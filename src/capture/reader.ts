// Reads a capture's Arrow batches back, in write order, each file checked first (integrity.ts): a corrupt, copied or
// cut-short batch is reported by name and skipped (refused with `strict`), the rest loads; .tmp files are batches
// that were never finished and are ignored. Turning batches into SQL tables is the DuckDB loader's job.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import * as A from './arrow.js';
import './arrow-codec.js';
import { batchFiles, capturePaths } from './dir.js';
import { COLUMNS, type PwruEvent } from './event-schema.js';
import { eventArrowSchema } from './arrow-schema.js';
import { batchFault, entriesByFile, type BatchEntry } from './integrity.js';
import type { Manifest } from './manifest.js';
import { UserError } from '../errors.js';

export { batchFiles };

export interface BatchRead { file: string; batch: A.RecordBatch }

export interface ReadOptions {
  /** Hears about every batch skipped, and why. */
  warn?: (msg: string) => void;
  /** A damaged batch is an error (exit 2) instead of a warning and a skip. */
  strict?: boolean;
}

/** The manifest's entries by file name (empty for captures written before checksums). */
export { entriesByFile } from './integrity.js';

const EXPECTED = new Map(eventArrowSchema().fields.map((f) => [f.name, String(f.type)]));

/** A schema that is not ours (a flipped byte in a capture without checksums can rename or retype a column). */
function schemaFault(schema: A.Schema): string | null {
  for (const f of schema.fields) {
    const want = EXPECTED.get(f.name);
    if (want === undefined) return `unknown column '${f.name}'`;
    if (want !== String(f.type)) return `column ${f.name} is ${String(f.type)}, not ${want}`;
  }
  return null;
}

/** Reports a damaged batch: a warning and a skip, or with `strict` an error naming it. */
export function damaged(file: string, why: string, o: ReadOptions): void {
  if (o.strict) throw new UserError(`damaged batch ${file}: ${why}; refusing to read on (--strict)`, file);
  o.warn?.(`${file}: damaged batch skipped: ${why}`);
}

/** The complete, intact record batches of one file (none when it is damaged). */
export function* readBatchFile(file: string, entry: BatchEntry | undefined, o: ReadOptions = {}): Generator<A.RecordBatch> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    // Listed in the directory a moment ago: gone or unreadable now.
    return damaged(file, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, o);
  }
  const fault = batchFault(file, bytes, entry);
  if (fault !== null) return damaged(file, fault, o);
  // Decode the whole file before giving any batch out, so a file that breaks half-way gives nothing twice.
  const out: A.RecordBatch[] = [];
  try {
    for (const batch of A.RecordBatchReader.from(bytes)) {
      const bad = schemaFault(batch.schema);
      if (bad !== null) return damaged(file, bad, o);
      out.push(batch);
    }
  } catch (e) {
    if (out.length === 0) return damaged(file, `no complete batch (cut short or unreadable: ${(e as Error).message})`, o);
    o.warn?.(`${file}: cut short after ${out.length} complete batch(es): ${(e as Error).message}`);
  }
  if (out.length === 0) return damaged(file, 'no complete batch (file cut short or empty)', o);
  yield* out;
}

/** Every intact record batch of a capture, in write order. */
export function* readBatches(dir: string, o: ReadOptions & { manifest?: Manifest } = {}): Generator<BatchRead> {
  const entries = entriesByFile(o.manifest ?? looseManifest(dir));
  for (const file of batchFiles(dir)) for (const batch of readBatchFile(file, entries.get(basename(file)), o)) yield { file, batch };
}

/** The manifest's batch list without validating the rest (a reader given no manifest still checks the files). */
function looseManifest(dir: string): Pick<Manifest, 'batches'> | undefined {
  try {
    const m = JSON.parse(readFileSync(capturePaths(dir).manifest, 'utf8')) as { batches?: unknown };
    if (!Array.isArray(m.batches)) return undefined;
    const ok = (e: Partial<BatchEntry>) => typeof e?.file === 'string' && Number.isInteger(e.bytes) && typeof e.crc32 === 'string';
    return { batches: (m.batches as Partial<BatchEntry>[]).filter(ok) as BatchEntry[] };
  } catch {
    return undefined;
  }
}

/**
 * Every event of a batch object by object (the inverse of the batch writer). Each object is a copy of one template of
 * every field, in COLUMNS order: filled field by field on an empty object, 35 keyed stores turned it into a hash table
 * (V8's dictionary mode), 1.7 KB per event, and replay of 1 M events held 110 MB per batch.
 */
export function* eventRows(batch: A.RecordBatch): Generator<PwruEvent> {
  const n = batch.numRows;
  const cols = COLUMNS.map((c) => ({ field: c.field, get: columnGetter(batch.getChild(c.name), c.kind, n) }));
  for (let i = 0; i < n; i++) {
    const e = { ...EVENT_TEMPLATE };
    for (const c of cols) e[c.field] = c.get(i);
    yield e as unknown as PwruEvent;
  }
}

/** A batch's events as one array (callers that keep them all). */
export const eventsOfBatch = (batch: A.RecordBatch): PwruEvent[] => [...eventRows(batch)];

const EVENT_TEMPLATE: Record<string, unknown> = Object.fromEntries(COLUMNS.map((c) => [c.field, null]));

/** Cell i of one column as a plain value (null where invalid or absent). */
function columnGetter(v: A.Vector | null, kind: string, n: number): (i: number) => unknown {
  if (!v) return () => null;
  // A batch read from IPC holds one Data per column; anything else is decoded whole, as before.
  if (v.data.length !== 1) {
    const all = columnValues(v, kind, n);
    return (i) => all[i];
  }
  const d = v.data[0]!;
  if (kind === 'dict' && d.dictionary) {
    // Column by column, not vector.get(i) per cell: a dictionary cell's get() decodes its UTF-8 string again every
    // time (replay of 1 M events spent most of its 30 s there); here each dictionary is decoded once per batch.
    const words = Array.from({ length: d.dictionary.length }, (_, k) => d.dictionary!.get(k) as unknown);
    const keys = d.values as ArrayLike<number>;
    return (i) => (d.getValid(i) ? words[keys[i]!] ?? null : null);
  }
  // Fixed-width, strings and the cb list: the vector's own getter.
  const chunk = new A.Vector([d]);
  return (i) => {
    const x: unknown = chunk.get(i);
    if (x === undefined || x === null) return null;
    return kind === 'cb5' ? Array.from(x as Iterable<number>) : x;
  };
}

/** One column of a batch as plain values (null where invalid or absent), in row order. */
function columnValues(v: A.Vector, kind: string, n: number): unknown[] {
  const out: unknown[] = new Array(n).fill(null);
  let row = 0;
  for (const d of v.data) {
    const get = columnGetter(new A.Vector([d]), kind, d.length);
    for (let i = 0; i < d.length; i++, row++) out[row] = get(i);
  }
  return out;
}

export function* readEvents(dir: string, o: ReadOptions & { manifest?: Manifest } = {}): Generator<PwruEvent> {
  for (const { batch } of readBatches(dir, o)) yield* eventRows(batch);
}
