// Reads a capture's Arrow batches back, in write order. A batch file cut short (a crash, a partial copy) yields
// every complete batch it holds and a warning; .tmp files are batches that were never finished and are ignored.
// Turning batches into SQL tables is the DuckDB loader's job; this file only gives batches and events.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as A from 'apache-arrow';
import './arrow-codec.js';
import { batchFiles } from './dir.js';

export { batchFiles };
import { COLUMNS, type PwruEvent } from './event-schema.js';
import { UserError } from '../errors.js';

export interface BatchRead { file: string; batch: A.RecordBatch }

/** Every complete record batch of a capture; `warn` hears about files cut short. */
export function* readBatches(dir: string, warn: (msg: string) => void = () => {}): Generator<BatchRead> {
  for (const file of batchFiles(dir)) {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(file);
    } catch (e) {
      throw new UserError(`cannot read ${file}: ${(e as Error).message}`, file);
    }
    let n = 0;
    try {
      const reader = A.RecordBatchReader.from(bytes);
      for (const batch of reader) {
        n++;
        yield { file, batch };
      }
      if (n === 0) warn(`${file}: no complete batch (file cut short or empty); skipped`);
    } catch (e) {
      warn(`${file}: cut short after ${n} complete batch(es): ${(e as Error).message}`);
    }
  }
}

/** Row i of a batch as a PwruEvent (the inverse of the batch writer). */
export function eventsOfBatch(batch: A.RecordBatch): PwruEvent[] {
  const cols = COLUMNS.map((c) => ({ c, v: batch.getChild(c.name) }));
  const out: PwruEvent[] = [];
  for (let i = 0; i < batch.numRows; i++) {
    const e = {} as Record<string, unknown>;
    for (const { c, v } of cols) {
      let x: unknown = v ? v.get(i) : null;
      if (x === undefined) x = null;
      if (c.kind === 'cb5' && x !== null) x = Array.from(x as Iterable<number>);
      e[c.field] = x;
    }
    out.push(e as unknown as PwruEvent);
  }
  return out;
}

export function* readEvents(dir: string, warn?: (msg: string) => void): Generator<PwruEvent> {
  for (const { batch } of readBatches(dir, warn)) yield* eventsOfBatch(batch);
}
