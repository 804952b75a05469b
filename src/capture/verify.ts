// `skbtape verify` as data, and the capture-level checks every reader makes: each batch file against its checksums
// (integrity.ts), the capture-level faults (faults.ts: batches listed but gone, gaps, copies, unlisted files), and
// counts that disagree with the files. Printing and the exit code are commands/verify.ts's.
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { batchFiles } from './dir.js';
import { entriesByFile, fileCrc, readSeal, type BatchEntry } from './integrity.js';
import { readManifest, type Manifest } from './manifest.js';
import { readBatchFile } from './reader.js';
import { UserError } from '../errors.js';
import { readLoss } from './loss.js';
import { captureFaults } from './faults.js';

export { captureFaults, type CaptureFault } from './faults.js';

export interface BatchCheckRow { file: string; state: 'ok' | 'damaged' | 'missing' | 'unsealed'; rows: number | null; bytes: number | null; crc32: string | null; detail: string }

export interface VerifyResult {
  capture: string;
  status: string | null;
  ok: boolean;
  faults: string[];
  warnings: string[];
  events: { manifest: number | null; files: number };
  batches: BatchCheckRow[];
}

/** Checks everything `verify` promises; never throws for a damaged capture (each fault is a line of the result). */
export function verifyCapture(dir: string): VerifyResult {
  let m: Manifest | null = null;
  const faults: string[] = [];
  const warnings: string[] = [];
  try {
    m = readManifest(dir);
  } catch (e) {
    if (!(e instanceof UserError) || /no such capture directory|is a file, not a capture/.test(e.message)) throw e;
    faults.push(`manifest: ${e.message}`);
  }
  const files = batchFiles(dir);
  const entries = entriesByFile(m ?? undefined);
  const rows: BatchCheckRow[] = [];
  let events = 0;
  for (const f of files) {
    const r = checkFile(f, entries.get(basename(f)));
    rows.push(r);
    if (r.state === 'damaged') faults.push(`${f}: ${r.detail}`);
    else events += r.rows ?? 0;
  }
  for (const c of captureFaults(m, files)) {
    faults.push(c.text);
    if (c.kind === 'missing' && c.file && !rows.some((r) => r.file.endsWith(c.file!))) rows.push({ file: c.file, state: 'missing', rows: entries.get(c.file)?.rows ?? null, bytes: null, crc32: null, detail: c.text });
  }
  if (m && m.counts.events !== events) {
    const live = m.status === 'recording' || m.status === 'interrupted';
    // A writer that died (or is still writing) may be a flush ahead of or behind its manifest.
    (live ? warnings : faults).push(`the manifest counts ${m.counts.events} events, the intact batch files hold ${events}`);
  }
  if (m) lossFaults(dir, m, faults, warnings);
  if (rows.some((r) => r.state === 'unsealed')) warnings.push('some batches carry no checksum (written before skbtape sealed batches): only decoding checked them');
  return { capture: dir, status: m?.status ?? null, ok: faults.length === 0, faults, warnings, events: { manifest: m?.counts.events ?? null, files: events }, batches: rows };
}

/** loss.ndjson against the manifest's `loss` summary: every report kept, each line readable (capture/loss.ts). */
function lossFaults(dir: string, m: Manifest, faults: string[], warnings: string[]): void {
  const bad: string[] = [];
  const rows = readLoss(dir, (w) => bad.push(w));
  faults.push(...bad);
  if (m.loss === undefined) {
    if (rows.length) faults.push(`loss.ndjson holds ${rows.length} report(s) the manifest does not count`);
    return;
  }
  const events = rows.reduce((n, r) => n + (r.count ?? 0), 0);
  if (rows.length === m.loss.reports && events === m.loss.events) return;
  const live = m.status === 'recording' || m.status === 'interrupted';
  // A writer that died may have appended a report after the manifest's last flush.
  (live ? warnings : faults).push(`the manifest counts ${m.loss.reports} loss report(s) of ${m.loss.events} events, loss.ndjson holds ${rows.length} of ${events}`);
}

function checkFile(file: string, entry: BatchEntry | undefined): BatchCheckRow {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    return { file, state: 'damaged', rows: null, bytes: fileSize(file), crc32: null, detail: `cannot read: ${(e as Error).message}` };
  }
  const base = { file, bytes: bytes.length, crc32: fileCrc(bytes) };
  // The same checks every reader makes (checksums, then decoding and the schema), with the reason kept.
  const said: string[] = [];
  let n = 0;
  for (const b of readBatchFile(file, entry, { warn: (w) => said.push(w) })) n += b.numRows;
  if (said.length) return { ...base, state: 'damaged', rows: n || null, detail: said.map((w) => w.replace(`${file}: `, '').replace('damaged batch skipped: ', '')).join('; ') };
  const sealed = readSeal(bytes) !== null || entry !== undefined;
  return { ...base, state: sealed ? 'ok' : 'unsealed', rows: n, detail: sealed ? '' : 'no checksum; decodes' };
}

function fileSize(f: string): number | null {
  try { return statSync(f).size; } catch { return null; }
}
