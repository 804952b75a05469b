// The capture-level faults every reader checks before it loads (batches listed but gone, gaps in the numbering,
// copies, files the manifest does not know), from the manifest and the file list alone: no batch is read, so an
// analysis that reopens its cache never loads Arrow. Reading and checking each batch is verify.ts's job.
import { basename } from 'node:path';
import { batchFileName } from './dir.js';
import { entriesByFile, seqOfFile } from './integrity.js';
import type { Manifest } from './manifest.js';

/** A fault of the capture as a whole, as one line; `warning` ones (counts behind a live recording) are not faults. */
export interface CaptureFault { kind: 'missing' | 'duplicate' | 'unlisted' | 'counts' | 'manifest'; file?: string; text: string }

/**
 * Batches the manifest lists that are not on disk, gaps in the numbering, identical files under two names, and
 * files the manifest does not list although the capture is finished (a batch written after the manifest's last
 * flush, by a writer that died, is expected and not a fault).
 */
export function captureFaults(m: Manifest | null, files: string[]): CaptureFault[] {
  const out: CaptureFault[] = [];
  const onDisk = new Set(files.map((f) => basename(f)));
  const entries = entriesByFile(m ?? undefined);
  for (const name of entries.keys()) {
    if (!onDisk.has(name)) out.push({ kind: 'missing', file: name, text: `batch ${name} is listed in the manifest but missing from events/` });
  }
  const seqs = files.map(seqOfFile).filter((n) => Number.isFinite(n));
  const have = new Set(seqs);
  const last = Math.max(0, ...seqs);
  for (let n = 1; n < last; n++) {
    const name = batchFileName(n);
    if (!have.has(n) && !entries.has(name)) out.push({ kind: 'missing', file: name, text: `batch ${name} is missing (batches after it are there)` });
  }
  const byCrc = new Map<string, string>();
  for (const e of entries.values()) {
    const other = byCrc.get(e.crc32);
    if (other !== undefined) out.push({ kind: 'duplicate', file: e.file, text: `batch ${e.file} has the same checksum as ${other} (a duplicated batch)` });
    else byCrc.set(e.crc32, e.file);
  }
  if (m && m.batches !== undefined && (m.status === 'complete' || m.status === 'failed')) {
    for (const name of onDisk) if (!entries.has(name)) out.push({ kind: 'unlisted', file: name, text: `batch ${name} is not listed in the manifest of this ${m.status} capture` });
  }
  return out;
}
