// manifest.json: what wrote a capture, from which source, with what result. Read, validated and written atomically
// (temp file + rename), so a reader never sees half a manifest even if the recorder dies mid-write.
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { hostname, release } from 'node:os';
import { capturePaths } from './dir.js';
import { UserError } from '../errors.js';
import { SCHEMA_VERSION, SKBTAPE_VERSION } from '../version.js';

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
  clock?: { monotonicToWallNs: string; measuredAt: string };
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
  };
}

export function writeManifest(dir: string, m: Manifest): void {
  const p = capturePaths(dir).manifest;
  const tmp = `${p}.tmp`;
  writeFileSync(tmp, JSON.stringify(m, null, 2) + '\n');
  renameSync(tmp, p);
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
  return validateManifest(m, p);
}

export function validateManifest(m: unknown, where: string): Manifest {
  const o = m as Partial<Manifest>;
  if (!o || typeof o !== 'object') throw new UserError('manifest is not an object', where);
  if (typeof o.schemaVersion !== 'number') throw new UserError('manifest has no schemaVersion', where);
  if (o.schemaVersion > SCHEMA_VERSION) {
    throw new UserError(`capture schema v${o.schemaVersion} is newer than this skbtape (v${SCHEMA_VERSION}); upgrade skbtape`, where);
  }
  if (!o.status || !['recording', 'complete', 'interrupted', 'failed'].includes(o.status)) throw new UserError(`manifest has a bad status: ${String(o.status)}`, where);
  if (!o.counts || typeof o.counts.events !== 'number') throw new UserError('manifest has no counts', where);
  o.snapshots ??= [];
  o.warnings ??= [];
  o.layouts ??= [];
  o.headers ??= [];
  o.firstRejects ??= [];
  return o as Manifest;
}
