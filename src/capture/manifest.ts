// manifest.json: what wrote a capture, from which source, with what result. Read, validated and written atomically
// (temp file + rename), so a reader never sees half a manifest even if the recorder dies mid-write.
import { closeSync, existsSync, ftruncateSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { hostname, release } from 'node:os';
import { capturePaths } from './dir.js';
import type { BatchEntry } from './integrity.js';
import { checkManifestFields } from './manifest-check.js';
import { thisWriter, writerState, type WriterMark } from './liveness.js';
import { countsFromFiles } from './file-counts.js';
import { UserError, writeUserError } from '../errors.js';
import { SKBTAPE_VERSION } from '../version.js';
import { SCHEMA_VERSION } from '../version.js';

export type CaptureStatus = 'recording' | 'complete' | 'interrupted' | 'failed';

export interface SnapshotEntry {
  phase: 'start' | 'end';
  kind: string;
  status: 'ok' | 'unavailable' | 'failed' | 'attached';
  file?: string;
  argv?: string[];
  reason?: string;
  takenAt?: string;
}

export interface Manifest {
  schemaVersion: number;
  skbtapeVersion: string;
  createdAt: string;
  finishedAt?: string;
  status: CaptureStatus;
  statusReason?: string;
  source: { kind: 'file' | 'stdin' | 'live'; path?: string; format: string; tool?: 'pwru' | 'bpftrace' };
  pwru?: { version?: string; argv?: string[]; path?: string; stderrTail?: string[] };
  tracepoint?: {
    tracepoints: string[]; bpftraceVersion?: string; argv?: string[]; /** The program's file inside the capture. */ program?: string; notes?: string[];
    netnsInode?: number; netnsInodes?: number[]; ifindex?: number; lostEvents?: number;
  };
  host: { hostname: string; kernel: string };
  /**
   * Who the capture is (capture-id.ts): `id` unique across nodes (node, start time, directory name, unless `--name`
   * chose it), `node` the node it was recorded on (`--node`, default the recording host), `name` a chosen label.
   * Manifests written before these fields existed get the same values derived from host, createdAt and the directory.
   */
  capture?: { id?: string; node?: string; name?: string };
  /** `skbtape filter`: the capture this one was cut from, the filter, and the counts before and after. */
  derivedFrom?: {
    captureId: string; dir: string; flow: string | null; since?: string; until?: string; tracks?: string[];
    eventsBefore: number; eventsAfter: number; tracksBefore: number; tracksAfter: number;
  };
  /** wall-clock ns minus CLOCK_MONOTONIC ns at record time (decimal string: it needs 64 bits). */
  clock?: { monotonicToWallNs: string; measuredAt: string; /** Where the offset came from when not measured here (`import --clock-offset`). */ source?: string };
  timeRange?: { firstKtime?: string; lastKtime?: string; firstAbs?: string; lastAbs?: string };
  counts: {
    inputLines: number; events: number; continuationLines: number; logLines: number; rejects: number;
    blankLines: number; batches: number; skbs: number;
  };
  layouts: string[];
  headers: { line: number; text: string }[];
  firstRejects: { line: number; reason: string }[];
  target?: Record<string, unknown>;
  /** exit/exitText: as a shell reports it (127 not found, 126 not executable, 128+N signal N); `record` exits with it. */
  command?: { argv: string[]; exitCode: number | null; signal?: string | null; exit?: number; exitText?: string; durationMs: number; startedAt: string };
  snapshots: SnapshotEntry[];
  warnings: string[];
  /** Every batch file written, with its size and CRC-32 (integrity.ts), appended at each flush. */
  batches?: BatchEntry[];
  /** Who writes this capture (liveness.ts): a reader tells a live `recording` from one whose writer died. */
  writer?: WriterMark;
  /**
   * Loss reports (capture/loss.ts; the rows are loss.ndjson): how many, the events they count, and how many gave no
   * count. Absent in captures made before skbtape kept them (read as "not known", never as "no loss").
   */
  loss?: { reports: number; events: number; uncounted: number; sources: string[] };
}

export function newManifest(source: Manifest['source']): Manifest {
  return {
    schemaVersion: SCHEMA_VERSION,
    skbtapeVersion: SKBTAPE_VERSION,
    createdAt: new Date().toISOString(),
    status: 'recording',
    source,
    host: { hostname: hostname(), kernel: release() },
    counts: { inputLines: 0, events: 0, continuationLines: 0, logLines: 0, rejects: 0, blankLines: 0, batches: 0, skbs: 0 },
    layouts: [],
    headers: [],
    firstRejects: [],
    snapshots: [],
    warnings: [],
    writer: thisWriter(),
  };
}

export function writeManifest(dir: string, m: Manifest): void {
  const p = capturePaths(dir).manifest;
  const tmp = `${p}.tmp`;
  const text = JSON.stringify(m, null, 2) + '\n';
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, p);
  } catch (e) {
    rmSync(tmp, { force: true });
    // On a full disk the old manifest's own blocks still take the new text (about its size): rewrite it in place,
    // so a capture that ran out of space can still say `failed` and why.
    if ((e as NodeJS.ErrnoException).code === 'ENOSPC' && rewriteInPlace(p, text)) return;
    throw writeUserError(e, p) ?? e;
  }
}

function rewriteInPlace(p: string, text: string): boolean {
  let fd: number | null = null;
  try {
    const b = Buffer.from(text);
    // Only into blocks the file already has: a write that needs a new block would fail half-way.
    if (statSync(p).blocks * 512 < b.length) return false;
    fd = openSync(p, 'r+');
    writeSync(fd, b, 0, b.length, 0);
    ftruncateSync(fd, b.length);
    return true;
  } catch {
    return false;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

export function readManifest(dir: string): Manifest {
  const p = capturePaths(dir).manifest;
  let text: string;
  try {
    text = readFileSync(p, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    let isFile = false;
    try {
      isFile = statSync(dir).isFile();
    } catch {
      /* missing: said below */
    }
    // A saved pwru output given where a capture is expected: say how to make one of it.
    if (isFile || code === 'ENOTDIR') throw new UserError(`${dir} is a file, not a capture directory; to analyze saved pwru output, import it first: skbtape import ${dir} -o <dir>`, dir);
    if (code === 'ENOENT' && !existsSync(dir)) throw new UserError(`no such capture directory: ${dir}`, dir);
    throw new UserError(code === 'ENOENT' ? `not a capture directory: no manifest.json in ${dir}` : `cannot read ${p}: ${(e as Error).message}`, p);
  }
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch (e) {
    throw new UserError(`manifest is not valid JSON: ${(e as Error).message}`, p);
  }
  return asOnDisk(dir, validateManifest(m, p));
}

/**
 * A `recording` capture whose writer is provably gone (liveness.ts) reads as `interrupted`; for either, when the
 * batch files hold more or fewer events than the manifest's last flush said, the counts are the files'.
 */
function asOnDisk(dir: string, m: Manifest): Manifest {
  if (m.status === 'recording' && writerState(m.writer) === 'gone') {
    m.status = 'interrupted';
    m.statusReason = `its writer (pid ${m.writer!.pid}) stopped without finishing the capture`;
  }
  if (m.status !== 'recording' && m.status !== 'interrupted') return m;
  const disk = countsFromFiles(dir);
  if (disk.unsealed === 0 && (disk.events !== m.counts.events || disk.batches !== m.counts.batches)) {
    m.warnings.push(`counts are from the batch files: ${disk.events} events in ${disk.batches} batch(es) (the manifest's last flush said ${m.counts.events} in ${m.counts.batches})`);
    m.counts.events = disk.events;
    m.counts.batches = disk.batches;
  }
  return m;
}

export function validateManifest(m: unknown, where: string): Manifest {
  checkManifestFields(m, where);
  const o = m as Manifest;
  o.snapshots ??= [];
  o.warnings ??= [];
  o.layouts ??= [];
  o.headers ??= [];
  o.firstRejects ??= [];
  return o;
}
