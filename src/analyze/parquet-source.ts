// `skbtape query` over exported Parquet trees (`export --parquet`): one view per exported table over every tree
// given (read_parquet with hive partitioning, so node, date and capture_id come back as columns), named as in a
// loaded capture (events, tracks and its alias skb_tracks, ipcache, …), so one SQL text runs on either.
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DuckDBInstance } from './duckdb.js';
import { analysisOf, DB_CONFIG, type Analysis } from './loader.js';
import { EXPORT_TABLES } from './parquet-export.js';

/** Table → other names it answers to (the views a loaded capture has under those names). */
// events carries each event's track_id and hop, so it also answers for track_hops (the cross-node report reads it).
const ALIASES: Record<string, string[]> = { tracks: ['skb_tracks', 'tracks_enriched'], events: ['events_enriched', 'track_hops'] };

const hasParquet = (d: string): boolean =>
  existsSync(d) && readdirSync(d, { withFileTypes: true }).some((e) => (e.isDirectory() ? hasParquet(join(d, e.name)) : e.name.endsWith('.parquet')));

export async function openParquetTrees(trees: readonly string[], warn: (m: string) => void = () => {}): Promise<Analysis> {
  const instance = await DuckDBInstance.create(':memory:', DB_CONFIG);
  const conn = await instance.connect();
  try {
    for (const { table } of EXPORT_TABLES) {
      const dirs = trees.map((t) => join(resolve(t), table)).filter(hasParquet);
      if (dirs.length === 0) continue; // a table no capture had rows for (no snapshots): no view, DuckDB says so if asked
      // Paths are ours (resolved directories), quoted as SQL literals: read_parquet takes no parameters for them.
      const globs = dirs.map((d) => `'${d.replaceAll("'", "''")}/**/*.parquet'`).join(', ');
      for (const name of [table, ...(ALIASES[table] ?? [])]) {
        await conn.run(`CREATE VIEW ${name} AS SELECT * FROM read_parquet([${globs}], hive_partitioning = true, union_by_name = true)`);
      }
    }
    const ids = existsSync(join(resolve(trees[0]!), 'captures'))
      ? (await conn.runAndReadAll('SELECT DISTINCT capture FROM captures ORDER BY 1')).getRowsJS().map((r) => String(r[0]))
      : [];
    if (ids.length === 0) warn(`no captures table in ${trees.join(', ')}`);
    return analysisOf(instance, conn, ids, 'loaded');
  } catch (e) {
    conn.closeSync();
    instance.closeSync();
    throw e;
  }
}
