// Opens DuckDB over one or more captures: creates raw_events and the side tables, appends every complete batch,
// runs queries/model/*.sql then queries/views/*.sql in name order, and (single capture, cache: true) keeps the result in <capture>/.cache.
// The database is always a file (the cache, or a working file under the temp dir), so DuckDB can evict and spill
// within its memory limit (analyze/db-resources.ts). How batches become chunks is analyze/append.ts's job.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBConnection, DuckDBInstance, type DuckDBValue } from './duckdb.js';
// Arrow (the batch reader, the appender) is loaded only when batches are read: a run that reopens its cache never
// reads one, and importing Arrow cost 0.15-0.3 CPU-s of such a run (a third of a cached 'skbtape paths').
import type * as A from 'apache-arrow';
import type { ReadOptions } from '../capture/reader.js';
import { batchFiles } from '../capture/dir.js';
import { entriesByFile } from '../capture/integrity.js';
import { captureFaults } from '../capture/faults.js';
import { countsWarning } from '../capture/file-counts.js';
import type { BatchEntry } from '../capture/integrity.js';
import { UserError } from '../errors.js';
import { capturePaths } from '../capture/dir.js';
import { readLoss } from '../capture/loss.js';
import type { DictionaryCollector } from './append.js';
import { SCHEMA_VERSION } from '../version.js';
import { readManifest, type Manifest } from '../capture/manifest.js';
import { identityOf, type CaptureIdentity } from '../capture/capture-id.js';
import { expandCaptures } from './sources.js';
import { createAndFill, ipValue, loadSideTables, type Cell, type TableDef } from './side-tables.js';
import { SKBTAPE_VERSION } from '../version.js';
import { duckdbSettings, memoryLimitBytes, outOfMemory, workDir } from './db-resources.js';
import { bucketCount, runSqlFile } from './view-runner.js';
import { progress } from '../render/progress.js';

export interface OpenOptions {
  /** Persist the loaded database in <capture>/.cache/analysis.duckdb (single-capture opens only). */
  cache?: boolean;
  warn?: (m: string) => void;
  /** Directory of view SQL files (default: the package's queries/views). */
  viewsDir?: string;
  /** A damaged, missing or duplicated batch is an error (exit 2) instead of a warning and a skip. */
  strict?: boolean;
  /** Address buckets of the lifetime stage (default: from the event count and the memory limit); tests and benches. */
  lifetimeBuckets?: number;
  /**
   * Hears each phase of a load (`loading cap: batch 3 of 12`, `building the analysis: 20_skb_tracks.sql`). Default: a
   * status line on stderr when it is a terminal (render/progress.ts), nothing when piped.
   */
  phase?: (text: string) => void;
}

export type Row = Record<string, unknown>;

export interface Analysis {
  readonly instance: DuckDBInstance;
  readonly connection: DuckDBConnection;
  /** Capture ids in the order given (the `capture` column of every table). */
  readonly captureIds: string[];
  /** 'loaded' (built now, maybe also cached) or 'cache' (reopened from <capture>/.cache). */
  readonly origin: 'loaded' | 'cache';
  /** Runs SQL ($name parameters) and returns plain-object rows; 64-bit integers come back as bigint. */
  run(sql: string, params?: Record<string, DuckDBValue>): Promise<Row[]>;
  close(): void;
}

export const CACHE_DIR = '.cache';
export const CACHE_DB = 'analysis.duckdb';
export const DB_CONFIG = { autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' };

export const defaultViewsDir = () => fileURLToPath(new URL('../../queries/views/', import.meta.url));

interface CaptureSrc { id: string; dir: string; manifest: Manifest; files: string[]; entries: Map<string, BatchEntry>; identity: CaptureIdentity }

export async function openAnalysis(captures: string[], opts: OpenOptions = {}): Promise<Analysis> {
  const warn = opts.warn ?? (() => {});
  if (captures.length === 0) throw new Error('openAnalysis: no capture given');
  const viewsDir = opts.viewsDir ?? defaultViewsDir();
  const srcs = resolveCaptures(expandCaptures(captures));
  for (const s of srcs) {
    const lie = countsWarning(s.dir, s.manifest);
    if (lie !== null) warn(lie);
    for (const f of captureFaults(s.manifest, s.files)) {
      if (opts.strict) throw new UserError(`${s.dir}: ${f.text}; refusing to load (--strict)`, f.file ?? s.dir);
      warn(`${s.dir}: ${f.text}`);
    }
    // A cache may have been built (with a warning) before a batch went bad: --strict checks the files themselves.
    if (opts.strict) for (const f of s.files) for (const _ of (await import('../capture/reader.js')).readBatchFile(f, s.entries.get(basename(f)), { strict: true })) void _;
  }
  const bar = opts.phase ? null : progress();
  const ro = { warn, strict: opts.strict, buckets: opts.lifetimeBuckets, phase: opts.phase ?? ((t: string) => bar!.update(() => t)) };
  try {
    if (opts.cache && srcs.length === 1) return await openCached(srcs[0]!, viewsDir, ro);
    return await buildWorking(srcs, viewsDir, ro);
  } finally {
    bar?.done();
  }
}

/**
 * An analysis nobody keeps (several captures, --no-cache, a cache we may not write), built in a working database file
 * of its own under the temp dir and removed on close: in memory, DuckDB could not give back what the load holds
 * (about 260 B per event) and the lifetime stage ran out of memory under any limit.
 */
async function buildWorking(srcs: CaptureSrc[], viewsDir: string, ro: Warned): Promise<Analysis> {
  try {
    const wd = workDir();
    const instance = await createInstance(join(wd.path, 'analysis.duckdb'), join(wd.path, 'spill'), wd.remove);
    return await buildInto(instance, srcs, viewsDir, ro, null, wd.remove);
  } catch (e) {
    if (e instanceof UserError) throw e;
    // A full or read-only temp dir: the working file is only there to bound memory, so the analysis goes on without it.
    ro.warn(`cannot write a working database under the temp dir (${(e as Error).message.split('\n')[0]}); analyzing in memory (--temp-dir)`);
    return buildInto(await DuckDBInstance.create(':memory:', DB_CONFIG), srcs, viewsDir, ro, null, null);
  }
}

/** Working files still to remove when the process ends without close() (an error between open and close). */
const leftovers = new Set<() => void>();
let exitHook = false;
const cleanupOnExit = (remove: () => void): (() => void) => {
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => { for (const r of leftovers) try { r(); } catch { /* best effort at exit */ } });
  }
  leftovers.add(remove);
  return () => { leftovers.delete(remove); remove(); };
};

/** A DuckDB instance over `path` with the run's memory limit and spill directory; `remove` undoes what it made. */
async function createInstance(path: string, spillDir: string, remove: () => void, extra: Record<string, string> = {}): Promise<DuckDBInstance> {
  try {
    return await DuckDBInstance.create(path, { ...DB_CONFIG, ...duckdbSettings(spillDir), ...extra });
  } catch (e) {
    remove();
    throw e;
  }
}

/**
 * Each capture's `capture` label: its --name, else its directory's name. Captures that share a label are told apart
 * by their node (`cap@node-a`: one name on several nodes, the usual fleet case), else by their parent directory
 * (`run1/cap`, `run2/cap`: two runs on one node), else by `#2`, `#3`.
 */
function resolveCaptures(captures: string[]): CaptureSrc[] {
  const srcs = captures.map((d) => {
    const dir = resolve(d);
    const manifest = readManifest(dir);
    // The file list is fixed here: a recording capture may gain batches while we load.
    return { id: '', dir, manifest, files: batchFiles(dir), entries: entriesByFile(manifest), identity: identityOf(manifest, dir) };
  });
  const groups = new Map<string, CaptureSrc[]>();
  for (const s of srcs) groups.set(s.identity.label, [...(groups.get(s.identity.label) ?? []), s]);
  const distinct = (xs: string[]) => new Set(xs).size === xs.length;
  for (const [label, g] of groups) {
    const byNode = g.map((s) => `${label}@${s.identity.node}`);
    const byParent = g.map((s) => `${basename(dirname(s.dir))}/${label}`);
    const names = g.length === 1 ? [label] : distinct(byNode) ? byNode : distinct(byParent) ? byParent : g.map((_, i) => (i ? `${label}#${i + 1}` : label));
    g.forEach((s, i) => { s.id = names[i]!; });
  }
  const used = new Set<string>();
  for (const s of srcs) {
    // A disambiguated label may still equal another capture's own label (`run1/cap` named so): number it.
    const base = s.id;
    for (let n = 2; used.has(s.id); n++) s.id = `${base}#${n}`;
    used.add(s.id);
  }
  return srcs;
}

type Warned = ReadOptions & { warn: (m: string) => void; phase: (text: string) => void; buckets?: number };

async function buildInto(instance: DuckDBInstance, srcs: CaptureSrc[], viewsDir: string, ro: Warned, fingerprint: string | null,
  removeFiles: (() => void) | null): Promise<Analysis> {
  const cleanup = removeFiles === null ? null : cleanupOnExit(removeFiles);
  const warn = ro.warn;
  const conn = await instance.connect();
  try {
    for (const s of srcs) {
      if (s.manifest.status === 'recording' || s.manifest.status === 'interrupted') {
        warn(`${s.dir}: capture status is ${s.manifest.status}; loading every complete batch`);
      }
    }
    await loadEvents(conn, srcs, ro);
    await loadCaptureTables(conn, srcs, warn);
    await loadSideTables(conn, srcs, warn);
    await runViews(conn, viewsDir, ro.phase, ro.buckets);
    if (fingerprint !== null) await createAndFill(conn, 'skbtape_cache', [['fingerprint', 'VARCHAR']], [[fingerprint]]);
  } catch (e) {
    conn.closeSync();
    instance.closeSync();
    cleanup?.();
    // Out of memory is no disk problem: no fallback would help, the limit must go up.
    throw outOfMemory(e) ?? e;
  }
  return analysisOf(instance, conn, srcs.map((s) => s.id), 'loaded', cleanup ?? undefined);
}

/** `afterClose`: removes the working files once DuckDB has let go of them. */
export function analysisOf(instance: DuckDBInstance, connection: DuckDBConnection, captureIds: string[], origin: 'loaded' | 'cache',
  afterClose?: () => void): Analysis {
  let closed = false;
  return {
    instance, connection, captureIds, origin,
    async run(sql, params) {
      const reader = await connection.runAndReadAll(sql, params);
      return reader.getRowObjectsJS() as Row[];
    },
    close() {
      if (closed) return;
      closed = true;
      try { connection.closeSync(); } finally { try { instance.closeSync(); } finally { afterClose?.(); } }
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Events

/**
 * Batches are kept between the dictionary pass and the append pass when their files fit under this (about 20 MB of
 * decoded columns); above it they are read twice. Decoding is cheap (0.5 CPU-s per million events against about 10
 * for the whole analysis), and keeping 64 MB of files, as before, held 300 MB of columns in the heap.
 */
const KEEP_BYTES = 4 * 1024 * 1024;

async function loadEvents(conn: DuckDBConnection, srcs: CaptureSrc[], ro: Warned): Promise<void> {
  const [{ readBatchFile }, { RAW_EVENTS, DictionaryCollector, RawEventAppender, createRawEvents }] = await Promise.all([import('../capture/reader.js'), import('./append.js')]);
  const warn = ro.warn;
  const dicts = new DictionaryCollector();
  const total = srcs.reduce((a, s) => a + s.files.reduce((b, f) => b + fileSize(f), 0), 0);
  const keep = total <= KEEP_BYTES;
  const kept: A.RecordBatch[][] = [];
  for (const s of srcs) {
    const mine: A.RecordBatch[] = [];
    // Cut files are reported here, once; the append pass (when it re-reads) stays quiet.
    s.files.forEach((f, i) => {
      ro.phase(`loading ${s.id}: batch ${i + 1} of ${s.files.length}`);
      for (const b of readBatchFile(f, s.entries.get(basename(f)), ro)) { dicts.addBatch(b); if (keep) mine.push(b); }
    });
    kept.push(mine);
  }
  const order = await createRawEvents(conn, srcs.map((s) => s.id), dicts);
  await loadAddresses(conn, dicts);
  const app = await conn.createAppender(RAW_EVENTS);
  try {
    const appender = new RawEventAppender(app, order, srcs.length);
    for (let ci = 0; ci < srcs.length; ci++) {
      const s = srcs[ci]!;
      let seq = 0;
      const it = keep ? kept[ci]! : (function* () { for (const f of s.files) yield* readBatchFile(f, s.entries.get(basename(f)), {}); })();
      for (const b of it) {
        appender.appendBatch(b, ci, seq);
        seq += b.numRows;
      }
    }
    app.flushSync();
    if (appender.missing > 0) warn(`${appender.missing} dictionary value(s) changed between passes and were loaded as the first ENUM value`);
  } finally {
    app.closeSync();
  }
}

function fileSize(f: string): number {
  try { return statSync(f).size; } catch { return 0; }
}

/** One row per distinct tuple address in any capture, with its integer value for prefix matching. */
async function loadAddresses(conn: DuckDBConnection, dicts: DictionaryCollector): Promise<void> {
  const seen = new Set<string>();
  const rows: Cell[][] = [];
  for (const col of ['saddr', 'daddr']) {
    for (const a of dicts.dicts.get(col)!.values) {
      if (seen.has(a)) continue;
      seen.add(a);
      const v = a === '' ? null : ipValue(a);
      if (v !== null) rows.push([a, a.includes(':') ? 6 : 4, v]);
    }
  }
  await createAndFill(conn, 'addresses', [['addr', 'VARCHAR'], ['family', 'UTINYINT'], ['value', 'UHUGEINT']], rows);
}

// ---------------------------------------------------------------------------------------------------------------
// captures, capture_logs, capture_rejects

const CAPTURES_DEF: TableDef = [
  ['capture', 'VARCHAR'], ['dir', 'VARCHAR'], ['status', 'VARCHAR'], ['status_reason', 'VARCHAR'], ['source_kind', 'VARCHAR'],
  ['source_path', 'VARCHAR'], ['source_format', 'VARCHAR'], ['tool', 'VARCHAR'], ['pwru_version', 'VARCHAR'],
  ['hostname', 'VARCHAR'], ['kernel', 'VARCHAR'], ['clock_offset_ns', 'BIGINT'], ['first_ktime', 'UBIGINT'],
  ['last_ktime', 'UBIGINT'], ['events', 'UBIGINT'], ['rejects', 'UBIGINT'], ['batches', 'UINTEGER'],
  ['schema_version', 'UINTEGER'], ['skbtape_version', 'VARCHAR'], ['created_at', 'VARCHAR'], ['finished_at', 'VARCHAR'],
  ['timestamp_mode', 'VARCHAR'], ['capture_id', 'VARCHAR'], ['node', 'VARCHAR'], ['derived_from', 'VARCHAR'],
];
const LOGS_DEF: TableDef = [['capture', 'VARCHAR'], ['line', 'UINTEGER'], ['kind', 'VARCHAR'], ['text', 'VARCHAR']];
const REJECTS_DEF: TableDef = [['capture', 'VARCHAR'], ['line', 'UINTEGER'], ['text', 'VARCHAR'], ['reason', 'VARCHAR']];
/** loss.ndjson as stored (capture/loss.ts); queries/views/25_loss.sql turns each report into a time window. */
const LOSS_DEF: TableDef = [
  ['capture', 'VARCHAR'], ['source', 'VARCHAR'], ['count', 'UBIGINT'], ['line', 'UINTEGER'], ['scope', 'VARCHAR'],
  ['ktime_bound', 'UBIGINT'], ['text', 'VARCHAR'],
];

const bigOrNull = (s: string | undefined): bigint | null => (s !== undefined && /^-?\d+$/.test(s) ? BigInt(s) : null);

async function loadCaptureTables(conn: DuckDBConnection, srcs: CaptureSrc[], warn: (m: string) => void): Promise<void> {
  const caps: Cell[][] = [];
  const logs: Cell[][] = [];
  const rejects: Cell[][] = [];
  const loss: Cell[][] = [];
  for (const s of srcs) {
    const m = s.manifest;
    caps.push([
      s.id, s.dir, m.status, m.statusReason, m.source.kind, m.source.path, m.source.format, m.source.tool ?? 'pwru',
      m.pwru?.version, m.host.hostname, m.host.kernel, bigOrNull(m.clock?.monotonicToWallNs),
      bigOrNull(m.timeRange?.firstKtime), bigOrNull(m.timeRange?.lastKtime), m.counts.events, m.counts.rejects,
      m.counts.batches, m.schemaVersion, m.skbtapeVersion, m.createdAt, m.finishedAt, timestampMode(m.pwru?.argv),
      s.identity.id, s.identity.node, m.derivedFrom?.captureId,
    ]);
    const p = capturePaths(s.dir);
    for (const o of ndjson(p.logs, warn)) logs.push([s.id, o['line'] as number, o['kind'] as string, o['text'] as string]);
    for (const o of ndjson(p.rejects, warn)) rejects.push([s.id, o['line'] as number, o['text'] as string, o['reason'] as string]);
    for (const o of readLoss(s.dir, warn)) loss.push([s.id, o.source, o.count, o.line, o.scope, bigOrNull(o.ktimeEnd), o.text]);
  }
  await createAndFill(conn, 'captures', CAPTURES_DEF, caps);
  await createAndFill(conn, 'capture_logs', LOGS_DEF, logs);
  await createAndFill(conn, 'capture_rejects', REJECTS_DEF, rejects);
  await createAndFill(conn, 'loss_reports', LOSS_DEF, loss);
}

/**
 * What pwru's TIMESTAMP meant, from the argv it was started with: 'relative' (ns since the previous event of the same
 * address), 'absolute' (bpf_ktime_get_ns(); `absolute` prints it too, after a wall-clock prefix), or null when the
 * argv does not say (an import): capture_clock (queries/views/10_events.sql) then tells from the values.
 */
export function timestampMode(argv: string[] | undefined): 'relative' | 'absolute' | null {
  if (!argv) return null;
  let mode: 'relative' | 'absolute' | null = null;
  argv.forEach((a, i) => {
    const v = a.startsWith('--timestamp=') ? a.slice('--timestamp='.length) : a === '--timestamp' ? argv[i + 1] : null;
    if (a === '--output-relative-timestamp' || v === 'relative') mode = 'relative';
    else if (v === 'current' || v === 'absolute') mode = 'absolute';
  });
  return mode;
}

function ndjson(file: string, warn: (m: string) => void): Record<string, unknown>[] {
  if (!existsSync(file)) return [];
  const out: Record<string, unknown>[] = [];
  readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    try {
      const o = JSON.parse(line) as unknown;
      if (o && typeof o === 'object') out.push(o as Record<string, unknown>);
    } catch {
      // A recorder killed mid-append leaves a partial last line.
      warn(`${file}:${i + 1}: not a JSON line; skipped`);
    }
  });
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Views

export function viewFiles(viewsDir: string): string[] {
  // queries/model/ (the vocabulary every view classifies through) first, then the views, each folder in name order.
  const sqlIn = (d: string) => (existsSync(d) ? readdirSync(d).filter((n) => n.endsWith('.sql')).sort().map((n) => join(d, n)) : []);
  return [...sqlIn(join(viewsDir, '../model')), ...sqlIn(viewsDir)];
}

/** Runs the model and view files; the lifetime stage in as many address buckets as the memory limit needs. */
export async function runViews(conn: DuckDBConnection, viewsDir: string, phase: (text: string) => void = () => {}, given?: number): Promise<void> {
  const { RAW_EVENTS } = await import('./append.js');
  const events = Number((await conn.runAndReadAll(`SELECT count(*) FROM ${RAW_EVENTS}`)).getRowsJS()[0]![0]);
  const buckets = given ?? bucketCount(events, memoryLimitBytes());
  for (const f of viewFiles(viewsDir)) {
    phase(`building the analysis: ${basename(f)}`);
    try {
      await runSqlFile(conn, f, buckets);
    } catch (e) {
      throw new Error(`${f}: ${(e as Error).message}`, { cause: e });
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Cache

/** What the cached database was built from: any change to the capture, the schema or the view SQL rebuilds it. */
export function cacheFingerprint(s: { dir: string; files: string[] }, viewsDir: string): string {
  const h = createHash('sha256');
  h.update(`skbtape ${SKBTAPE_VERSION} schema ${SCHEMA_VERSION}\n`);
  // The label (`capture` column) comes from the directory's name when no --name is set: a moved or copied capture
  // (cp -a keeps mtimes) must not answer with its old label.
  h.update(`dir ${s.dir}\n`);
  h.update(readFileSync(capturePaths(s.dir).manifest));
  for (const f of s.files) {
    const st = statSync(f);
    h.update(`${basename(f)} ${st.size} ${st.mtimeMs}\n`);
  }
  for (const p of [capturePaths(s.dir).logs, capturePaths(s.dir).rejects, capturePaths(s.dir).loss, capturePaths(s.dir).snapshotsDir, join(s.dir, 'names')]) {
    for (const f of existsSync(p) ? listFiles(p) : []) {
      const st = statSync(f);
      h.update(`${f} ${st.size} ${st.mtimeMs}\n`);
    }
  }
  for (const f of viewFiles(viewsDir)) h.update(readFileSync(f));
  return h.digest('hex');
}

function listFiles(p: string): string[] {
  const st = statSync(p);
  if (!st.isDirectory()) return [p];
  return readdirSync(p).sort().flatMap((n) => listFiles(join(p, n)));
}

async function openCached(s: CaptureSrc, viewsDir: string, ro: Warned): Promise<Analysis> {
  const warn = ro.warn;
  const fp = cacheFingerprint(s, viewsDir);
  const dbPath = join(s.dir, CACHE_DIR, CACHE_DB);
  if (existsSync(dbPath)) {
    const hit = await tryOpenCache(dbPath, fp, s.id);
    if (hit) return hit;
  }
  const tmp = `${dbPath}.tmp-${process.pid}`;
  try {
    mkdirSync(dirname(dbPath), { recursive: true });
    rmSync(tmp, { force: true });
    rmSync(`${tmp}.wal`, { force: true });
  } catch (e) {
    warn(`${dirname(dbPath)}: cannot write the cache (${(e as Error).message}); analyzing without it`);
    return buildWorking([s], viewsDir, ro);
  }
  try {
    const spill = workDir();
    const instance = await createInstance(tmp, spill.path, spill.remove);
    const built = await buildInto(instance, [s], viewsDir, ro, fp, spill.remove);
    try {
      ro.phase(`writing the cache ${join(CACHE_DIR, CACHE_DB)}`);
      await built.connection.run('CHECKPOINT');
    } finally {
      built.close();
    }
    renameSync(tmp, dbPath);
  } catch (e) {
    if (e instanceof UserError) throw e; // --strict refusing a damaged batch: not a cache problem
    // A full disk, a read-only capture, a directory we may not write: the cache is only a speed-up. Its partial
    // file goes, and the analysis is built in memory.
    for (const f of [tmp, `${tmp}.wal`]) try { rmSync(f, { force: true }); } catch { /* read-only: nothing was written */ }
    warn(`${dirname(dbPath)}: cannot write the cache (${(e as Error).message.split('\n')[0]}); analyzing without it`);
    return buildWorking([s], viewsDir, ro);
  }
  rmSync(`${tmp}.wal`, { force: true });
  const reopened = await tryOpenCache(dbPath, fp, s.id, 'loaded');
  if (!reopened) throw new Error(`${dbPath}: cache written but not readable`);
  return reopened;
}

async function tryOpenCache(dbPath: string, fp: string, id: string, origin: 'loaded' | 'cache' = 'cache'): Promise<Analysis | null> {
  let instance: DuckDBInstance;
  let spill: ReturnType<typeof workDir>;
  try {
    // A query over the cache (a sort of every event) spills too.
    spill = workDir();
  } catch {
    return null;
  }
  try {
    instance = await createInstance(dbPath, spill.path, spill.remove, { access_mode: 'READ_ONLY' });
  } catch {
    return null;
  }
  const conn = await instance.connect();
  try {
    const r = await conn.runAndReadAll('SELECT fingerprint FROM skbtape_cache');
    const rows = r.getRowObjectsJS();
    if (rows.length === 1 && rows[0]!['fingerprint'] === fp) return analysisOf(instance, conn, [id], origin, cleanupOnExit(spill.remove));
  } catch {
    // An old or foreign file: rebuilt below.
  }
  conn.closeSync();
  instance.closeSync();
  spill.remove();
  return null;
}
