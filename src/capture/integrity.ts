// Checksums of batch files. Each batch carries a seal in its Arrow schema metadata (its sequence number, its rows and
// the CRC-32 of the bytes after the schema message), and the manifest lists every batch with the CRC-32 of the whole
// file, written at each flush: a flipped byte, a batch cut short, copied or renamed is found with or without the
// manifest. CRC-32 (node:zlib, native) detects every error burst up to 32 bits at GB/s; it guards against
// corruption, not against someone who rewrites both the file and the manifest.
import { crc32 } from 'node:zlib';
import { basename } from 'node:path';

export const SEAL_KEY = 'skbtape.seal';
const SEQ_DIGITS = 10;
const SEQ_HOLE = `b=${'~'.repeat(SEQ_DIGITS)}`;
const CRC_HOLE = `c=${'~'.repeat(8)}`;
/** Arrow's end-of-stream marker: continuation, then a zero length. */
const EOS = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
const SEAL_RE = /b=(\d{10}) r=(\d{10}) c=([0-9a-f]{8})/;

/** The manifest's record of one batch file, written when the file is. */
export interface BatchEntry { file: string; rows: number; bytes: number; crc32: string }

export const hex32 = (n: number) => (n >>> 0).toString(16).padStart(8, '0');
export const fileCrc = (bytes: Uint8Array) => hex32(crc32(bytes));

/** The seal a batch of `rows` rows is written with; sequence number and CRC are filled in by `sealBytes`. */
export const sealTemplate = (rows: number) => `${SEQ_HOLE} r=${String(rows).padStart(SEQ_DIGITS, '0')} ${CRC_HOLE}`;

/** Length of the schema message an Arrow IPC stream starts with (continuation marker, length, flatbuffer), or null. */
export function schemaMessageLength(bytes: Uint8Array): number | null {
  if (bytes.length < 8) return null;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) !== 0xffffffff) return null;
  const len = dv.getInt32(4, true);
  if (len <= 0 || 8 + len > bytes.length) return null;
  return 8 + len;
}

/**
 * Fills in the seal of a batch file about to be written as batch `seq`: the sequence number, then the CRC of the
 * body (every byte after the schema message, so filling the schema's own holes does not change it). In place.
 */
export function sealBytes(bytes: Uint8Array, seq: number): Omit<BatchEntry, 'file'> {
  const head = schemaMessageLength(bytes);
  if (head === null) throw new Error('sealBytes: not an Arrow IPC stream');
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = buf.subarray(0, head).indexOf(SEQ_HOLE);
  const ct = buf.subarray(0, head).indexOf(CRC_HOLE);
  if (at < 0 || ct < 0) throw new Error('sealBytes: the batch has no seal template');
  buf.write(`b=${String(seq).padStart(SEQ_DIGITS, '0')}`, at, 'latin1');
  buf.write(`c=${hex32(crc32(buf.subarray(head)))}`, ct, 'latin1');
  const rows = Number(SEAL_RE.exec(buf.subarray(0, head).toString('latin1'))![2]);
  return { rows, bytes: bytes.length, crc32: fileCrc(bytes) };
}

export interface Seal { seq: number; rows: number; bodyCrc: string }

/** The seal in a batch file's schema message; null when it has none (a capture written before seals). */
export function readSeal(bytes: Uint8Array): Seal | null {
  const head = schemaMessageLength(bytes);
  if (head === null) return null;
  const m = SEAL_RE.exec(Buffer.from(bytes.buffer, bytes.byteOffset, head).toString('latin1'));
  return m ? { seq: Number(m[1]), rows: Number(m[2]), bodyCrc: m[3]! } : null;
}

/** The sequence number a batch file's name says (000042.arrows -> 42). */
export const seqOfFile = (file: string) => Number(/^(\d+)\./.exec(basename(file))?.[1] ?? NaN);

/**
 * What is wrong with a batch file's bytes, before any decoding: null when nothing is. Checked against the manifest's
 * entry when it has one (the whole file), and against the file's own seal (its body, its sequence number).
 */
export function batchFault(file: string, bytes: Uint8Array, entry: BatchEntry | undefined): string | null {
  if (entry) {
    const short = entry.bytes - bytes.length;
    const eosOnly = short > 0 && short <= EOS.length && hex32(crc32(EOS.subarray(EOS.length - short), crc32(bytes))) === entry.crc32;
    if (short > 0 && !eosOnly) return `cut short: ${bytes.length} of ${entry.bytes} bytes`;
    if (short < 0) return `${bytes.length} bytes, the manifest says ${entry.bytes}`;
    if (short === 0 && fileCrc(bytes) !== entry.crc32) return `checksum mismatch (CRC-32 ${fileCrc(bytes)}, the manifest says ${entry.crc32})`;
  }
  const head = schemaMessageLength(bytes);
  if (head === null) return bytes.length === 0 ? 'empty file' : 'not an Arrow IPC stream (damaged header)';
  const seal = readSeal(bytes);
  if (seal === null) return null; // an older capture: only decoding can tell
  const bodyCrc = crc32(bytes.subarray(head));
  let match = hex32(bodyCrc) === seal.bodyCrc;
  // A file missing only (part of) its 8-byte end-of-stream marker still holds its whole batch: the checksum says so
  // when the missing bytes, put back, make it match.
  for (let k = 1; !match && k <= EOS.length; k++) match = hex32(crc32(EOS.subarray(EOS.length - k), bodyCrc)) === seal.bodyCrc;
  if (!match) return `checksum mismatch (body CRC-32 ${hex32(bodyCrc)}, its seal says ${seal.bodyCrc})`;
  const named = seqOfFile(file);
  if (seal.seq !== named) return `holds batch ${seal.seq}, not ${named} (a copied or renamed batch file)`;
  return null;
}

/** The manifest's batch entries by file name (what each reader checks a batch file against). */
export const entriesByFile = (m: { batches?: BatchEntry[] } | undefined) => new Map((m?.batches ?? []).map((e) => [e.file, e]));
