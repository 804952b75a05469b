// `skbtape export --parquet`: writes events, skb lifetimes and the snapshot tables of one or more captures as
// hive-partitioned Parquet (<dir>/<table>/capture=<id>/node=<host>/date=<YYYY-MM-DD>/part_0.parquet) through DuckDB's
// COPY … PARTITION_BY, so captures from many nodes land in one tree that Spark, Trino or DuckDB read as one table.
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { openAnalysis, type Analysis } from './loader.js';
import { duckdbWriteError, UserError, writeUserError } from '../errors.js';

/** What each exported table holds. Partition columns (capture, node, date) are added by the export. */
export const EXPORT_TABLES: readonly { table: string; select: string }[] = [
  // Every event with the lifetime it belongs to, so events join tracks on track_id without the skb-reuse rules.
  { table: 'events', select: 'SELECT e.*, t.track_id, t.track_no, t.hop, t.delta_ns FROM events e JOIN event_tracks t ON t.capture = e.capture AND t.seq = e.seq' },
  { table: 'tracks', select: 'SELECT * FROM tracks_enriched' },
  // lo/hi are 128-bit integers for prefix matching: Parquet has no unsigned 128-bit type, so they go as decimal text.
  { table: 'ipcache', select: 'SELECT * REPLACE (lo::VARCHAR AS lo, hi::VARCHAR AS hi) FROM ipcache' },
  { table: 'endpoints', select: 'SELECT * REPLACE (ip_value::VARCHAR AS ip_value) FROM endpoints' },
  { table: 'bpf_metrics', select: 'SELECT * FROM bpf_metrics' },
  { table: 'metrics_delta', select: 'SELECT * FROM metrics_delta' },
  { table: 'tc_progs', select: 'SELECT * FROM tc_progs' },
  { table: 'captures', select: 'SELECT * FROM captures' },
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
  captures: { capture: string; node: string; date: string }[];
  tables: ExportedTable[];
}

/**
 * Exports the captures into `outDir` (created if needed). Partitions of other captures already there are kept, so
 * several nodes can export into one tree; a capture exported again replaces its own partitions.
 */
export async function exportParquet(captures: string[], outDir: string, opts: { warn?: (m: string) => void; strict?: boolean } = {}): Promise<ExportResult> {
  const dir = resolve(outDir);
  try {
    if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UserError(`${outDir} exists and is not a directory`, '--parquet');
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw writeUserError(e, outDir) ?? new UserError(`cannot create ${outDir}: ${(e as Error).message}`, '--parquet');
  }
  const a = await openAnalysis(captures, { cache: false, warn: opts.warn, strict: opts.strict });
  try {
    const parts = await partitionKeys(a);
    await a.connection.run('CREATE OR REPLACE TEMP TABLE export_partitions (capture VARCHAR, node VARCHAR, date VARCHAR)');
    for (const p of parts) await a.connection.run('INSERT INTO export_partitions VALUES ($capture, $node, $date)', p);
    const tables: ExportedTable[] = [];
    for (const t of EXPORT_TABLES) {
      const tableDir = join(dir, t.table);
      for (const p of parts) {
        const old = join(tableDir, `capture=${p.capture}`);
        try { rmSync(old, { recursive: true, force: true }); } catch (e) { throw writeUserError(e, old) ?? e; }
      }
      let rows: number;
      try {
        rows = await copyPartitioned(a, t.select, tableDir);
      } catch (e) {
        // A full disk or read-only target: our half-written partitions go, other captures' stay.
        for (const p of parts) try { rmSync(join(tableDir, `capture=${p.capture}`), { recursive: true, force: true }); } catch { /* read-only */ }
        throw duckdbWriteError(e, tableDir) ?? e;
      }
      const files = parts.flatMap((p) => parquetFiles(join(tableDir, `capture=${p.capture}`))).map((f) => relative(dir, f)).sort();
      tables.push({ table: t.table, rows, files });
    }
    return { dir, captures: parts, tables };
  } finally {
    a.close();
  }
}

/** node = the capture's hostname; date = the day (UTC) of its first event when the clock offset is known, else of its creation. */
async function partitionKeys(a: Analysis): Promise<ExportResult['captures']> {
  const rows = await a.run(`
    SELECT capture,
           coalesce(nullif(regexp_replace(hostname, '[^A-Za-z0-9._-]', '_', 'g'), ''), 'unknown') AS node,
           coalesce(CASE WHEN first_ktime IS NOT NULL AND clock_offset_ns IS NOT NULL
                         THEN strftime(make_timestamp(((first_ktime::HUGEINT + clock_offset_ns) // 1000)::BIGINT), '%Y-%m-%d') END,
                    left(created_at, 10), 'unknown') AS date
    FROM captures ORDER BY capture`);
  return rows.map((r) => ({ capture: String(r['capture']), node: String(r['node']), date: String(r['date']) }));
}

async function copyPartitioned(a: Analysis, select: string, tableDir: string): Promise<number> {
  // COPY takes its target as a literal, not a parameter: the path is quoted here, and it is ours (resolved, not SQL).
  const target = `'${tableDir.replaceAll("'", "''")}'`;
  const sql = `
    COPY (SELECT x.*, p.node, p.date FROM (${select}) x JOIN export_partitions p ON p.capture = x.capture)
    TO ${target} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (capture, node, date), OVERWRITE_OR_IGNORE true,
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
