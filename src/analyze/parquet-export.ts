// `skbtape export --parquet`: writes events, skb lifetimes and the snapshot tables of one or more captures as
// hive-partitioned Parquet (<dir>/<table>/node=<node>/date=<YYYY-MM-DD>/capture_id=<id>/part_0.parquet) through
// DuckDB's COPY … PARTITION_BY, so captures from many nodes land in one tree that Spark, Trino or DuckDB read as one
// table. Partition values are path-safe keys (capture-id.ts), so a re-export finds and replaces its own partition.
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { openAnalysis, type Analysis } from './loader.js';
import { nodeKey, partitionKey } from '../capture/capture-id.js';
import { duckdbWriteError, UserError, writeUserError } from '../errors.js';
import { progress } from '../render/progress.js';

/** What each exported table holds. Partition columns (capture, node, date) are added by the export. */
export const EXPORT_TABLES: readonly { table: string; select: string }[] = [
  // Every event with the lifetime it belongs to, so events join tracks on track_id without the skb-reuse rules.
  // track_no is a 128-bit window sum in DuckDB; Parquet would make it DOUBLE: BIGINT for every engine.
  { table: 'events', select: 'SELECT e.*, t.track_id, t.track_no::BIGINT AS track_no, t.hop, t.delta_ns FROM events e JOIN event_tracks t ON t.capture = e.capture AND t.seq = e.seq' },
  { table: 'tracks', select: 'SELECT * REPLACE (track_no::BIGINT AS track_no) FROM tracks_enriched' },
  // lo/hi are 128-bit integers for prefix matching: Parquet has no unsigned 128-bit type, so they go as decimal text.
  { table: 'ipcache', select: 'SELECT * REPLACE (lo::VARCHAR AS lo, hi::VARCHAR AS hi) FROM ipcache' },
  { table: 'endpoints', select: 'SELECT * REPLACE (ip_value::VARCHAR AS ip_value) FROM endpoints' },
  { table: 'bpf_metrics', select: 'SELECT * FROM bpf_metrics' },
  { table: 'metrics_delta', select: 'SELECT * FROM metrics_delta' },
  { table: 'tc_progs', select: 'SELECT * FROM tc_progs' },
  // The raw id and node travel in the file too (the partition keys are their path-safe forms).
  { table: 'captures', select: 'SELECT * EXCLUDE (capture_id, node), capture_id AS id, node AS node_name FROM captures' },
  { table: 'capture_rejects', select: 'SELECT * FROM capture_rejects' },
  { table: 'capture_logs', select: 'SELECT * FROM capture_logs' },
];

export interface ExportedTable {
  table: string;
  rows: number;
  /** Parquet files written, relative to the export directory. */
  files: string[];
}

export interface ExportResult {
  dir: string;
  /** node and capture_id are the partition keys (path-safe); id is the capture's own id. */
  captures: { capture: string; id: string; node: string; date: string; capture_id: string; createdAt: string }[];
  tables: ExportedTable[];
}

export interface ExportOptions {
  warn?: (m: string) => void;
  /** Overwrite a partition that holds another capture (same node, date and id, another recording). */
  replace?: boolean;
  /** A damaged, missing or duplicated batch is an error, not a warning and a skip. */
  strict?: boolean;
}

/** <table>/node=…/date=…/capture_id=… of one capture. */
const partitionDir = (tableDir: string, p: ExportResult['captures'][number]) => join(tableDir, `node=${p.node}`, `date=${p.date}`, `capture_id=${p.capture_id}`);

/**
 * Exports the captures into `outDir` (created if needed). Partitions of other captures already there are kept, so
 * several nodes can export into one tree; a capture exported again replaces its own partitions. A partition with the
 * same keys that another capture wrote (another recording under the same --name) is refused unless `replace`.
 */
export async function exportParquet(captures: string[], outDir: string, opts: ExportOptions = {}): Promise<ExportResult> {
  const dir = resolve(outDir);
  try {
    if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UserError(`${outDir} exists and is not a directory`, '--parquet');
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw writeUserError(e, outDir) ?? new UserError(`cannot create ${outDir}: ${(e as Error).message}`, '--parquet');
  }
  const a = await openAnalysis(captures, { cache: false, warn: opts.warn, strict: opts.strict });
  // A phase line on a terminal (quiet when piped): each table is one DuckDB COPY, the long part of an export.
  const bar = progress();
  try {
    const parts = await partitionKeys(a);
    if (!opts.replace) await refuseForeign(a, dir, parts);
    await a.connection.run('CREATE OR REPLACE TEMP TABLE export_partitions (capture VARCHAR, node VARCHAR, date VARCHAR, capture_id VARCHAR)');
    for (const p of parts) await a.connection.run('INSERT INTO export_partitions VALUES ($capture, $node, $date, $capture_id)', { capture: p.capture, node: p.node, date: p.date, capture_id: p.capture_id });
    const tables: ExportedTable[] = [];
    for (const t of EXPORT_TABLES) {
      const tableDir = join(dir, t.table);
      for (const p of parts) {
        const old = partitionDir(tableDir, p);
        try { rmSync(old, { recursive: true, force: true }); } catch (e) { throw writeUserError(e, old) ?? e; }
      }
      let rows: number;
      bar.update(() => `exporting ${t.table} → ${tableDir}`);
      try {
        rows = await copyPartitioned(a, t.select, tableDir);
      } catch (e) {
        // A full disk or read-only target: our half-written partitions go, other captures' stay.
        for (const p of parts) try { rmSync(partitionDir(tableDir, p), { recursive: true, force: true }); } catch { /* read-only */ }
        throw duckdbWriteError(e, tableDir) ?? e;
      }
      const files = parts.flatMap((p) => parquetFiles(partitionDir(tableDir, p))).map((f) => relative(dir, f)).sort();
      tables.push({ table: t.table, rows, files });
    }
    return { dir, captures: parts, tables };
  } finally {
    bar.done();
    a.close();
  }
}

/**
 * node = the capture's node (--node, else the recording host); date = the day (UTC) of its first event when the
 * clock offset is known, else the date pwru printed (--timestamp absolute with a date), else the day it was created.
 */
async function partitionKeys(a: Analysis): Promise<ExportResult['captures']> {
  const rows = await a.run(`
    SELECT capture, capture_id, node, created_at,
           coalesce(CASE WHEN first_ktime IS NOT NULL AND clock_offset_ns IS NOT NULL
                         THEN strftime(make_timestamp(((first_ktime::HUGEINT + clock_offset_ns) // 1000)::BIGINT), '%Y-%m-%d') END,
                    (SELECT regexp_extract(min(e.abs_time), '^(\d{4}-\d{2}-\d{2})', 1) FROM events e WHERE e.capture = c.capture AND e.abs_time LIKE '____-__-__%'),
                    left(created_at, 10), 'unknown') AS date
    FROM captures c ORDER BY capture`);
  return rows.map((r) => ({
    capture: String(r['capture']), id: String(r['capture_id']), createdAt: String(r['created_at']),
    node: nodeKey(String(r['node'] ?? 'unknown')), date: String(r['date']), capture_id: partitionKey(String(r['capture_id'])),
  }));
}

/** A partition already there that another capture wrote (its id or creation time differ) is not ours to replace. */
async function refuseForeign(a: Analysis, dir: string, parts: ExportResult['captures']): Promise<void> {
  for (const p of parts) {
    const d = partitionDir(join(dir, 'captures'), p);
    if (parquetFiles(d).length === 0) continue;
    const glob = `${d.replaceAll("'", "''")}/*.parquet`;
    const rows = await a.run(`SELECT id, created_at, dir FROM read_parquet('${glob}') LIMIT 1`);
    const o = rows[0];
    if (o && (String(o['id']) !== p.id || String(o['created_at']) !== p.createdAt)) {
      throw new UserError(`${relative(dir, d)} holds another capture (${String(o['id'])}, created ${String(o['created_at'])}, from ${String(o['dir'])}); give --replace to overwrite it, or give this capture another id first (skbtape attach CAPTURE --name NEW)`, '--replace');
    }
  }
}

async function copyPartitioned(a: Analysis, select: string, tableDir: string): Promise<number> {
  // COPY takes its target as a literal, not a parameter: the path is quoted here, and it is ours (resolved, not SQL).
  // The partition columns come from export_partitions; a table's own node column goes (it is the partition's).
  const target = `'${tableDir.replaceAll("'", "''")}'`;
  const sql = `
    COPY (SELECT y.*, p.node, p.date, p.capture_id
          FROM (SELECT COLUMNS(c -> c NOT IN ('node', 'date', 'capture_id')) FROM (${select}) x) y
          JOIN export_partitions p ON p.capture = y.capture)
    TO ${target} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (node, date, capture_id), OVERWRITE_OR_IGNORE true,
                  FILENAME_PATTERN 'part_{i}')`;
  const r = await a.connection.runAndReadAll(sql);
  const v = r.getRowsJS()[0]?.[0];
  return v === undefined || v === null ? 0 : Number(v);
}

function parquetFiles(d: string): string[] {
  if (!existsSync(d)) return [];
  return readdirSync(d, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? parquetFiles(join(d, e.name)) : e.name.endsWith('.parquet') ? [join(d, e.name)] : []);
}
