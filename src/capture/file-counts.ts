// Events and batches as the batch files on disk hold them, read from each file's seal (its first few kilobytes, no
// decoding): what `info` and every reader use when the manifest is behind (a live recording, a killed writer).
import { closeSync, openSync, readSync } from 'node:fs';
import { batchFiles } from './dir.js';
import { readSeal, schemaMessageLength } from './integrity.js';

/** The schema message with its seal is well under this; a larger one is read whole. */
const HEAD_BYTES = 16 * 1024;

function headOf(file: string): Uint8Array | null {
  let fd: number;
  try { fd = openSync(file, 'r'); } catch { return null; }
  try {
    let buf = Buffer.alloc(HEAD_BYTES);
    let n = readSync(fd, buf, 0, buf.length, 0);
    const len = schemaMessageLength(buf.subarray(0, Math.max(8, n)));
    if (len === null && n >= 8) {
      // A schema message longer than the first read: read it whole (its length is in bytes 4..8).
      const want = 8 + buf.readInt32LE(4);
      if (want > n && want < 1 << 24) { buf = Buffer.alloc(want); n = readSync(fd, buf, 0, want, 0); }
    }
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** Rows and files of the sealed batches; `unsealed` files (older captures) are counted apart, their rows unknown. */
export function countsFromFiles(dir: string): { events: number; batches: number; unsealed: number } {
  let events = 0, batches = 0, unsealed = 0;
  for (const f of batchFiles(dir)) {
    const head = headOf(f);
    const seal = head ? readSeal(head) : null;
    if (seal === null) { unsealed++; continue; }
    events += seal.rows;
    batches++;
  }
  return { events, batches, unsealed };
}

/** The warning for a finished capture whose manifest counts other events than its files hold; null when they agree. */
export function countsWarning(dir: string, m: { status: string; counts: { events: number } }): string | null {
  if (m.status === 'recording' || m.status === 'interrupted') return null; // readManifest took the files' counts
  const d = countsFromFiles(dir);
  if (d.unsealed > 0 || d.events === m.counts.events) return null;
  return `${dir}: the manifest counts ${m.counts.events} events, the batch files hold ${d.events} (skbtape verify ${dir} checks each batch)`;
}
