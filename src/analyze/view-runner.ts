// Runs the package's model and view SQL files. A line `INSERT INTO <table> BY NAME FROM <macro>($bucket, $buckets);`
// (the lifetime stage of queries/views/20_skb_tracks.sql) runs once per bucket of skb addresses, so the windows and
// aggregates behind the macro hold one bucket at a time; how many buckets comes from the event count and DuckDB's
// memory limit.
import { readFileSync } from 'node:fs';
import type { DuckDBConnection } from '@duckdb/node-api';

/**
 * Events per bucket for each MiB of memory limit. In one pass the lifetime stage took about 700 B of DuckDB memory
 * per event (1 M events ran out of memory under 512 MB before the buckets); this keeps one bucket near half the limit,
 * the rest for the buffers of the tables it reads and writes.
 */
const EVENTS_PER_MIB = 750;

/** How many buckets of addresses the lifetime stage splits `events` into under `memoryLimit` bytes. */
export function bucketCount(events: number, memoryLimit: number): number {
  const perBucket = Math.max(1, Math.floor((memoryLimit / (1024 * 1024)) * EVENTS_PER_MIB));
  return Math.max(1, Math.ceil(events / perBucket));
}

const PER_BUCKET = /^INSERT INTO \w+ BY NAME FROM \w+\(\$bucket, \$buckets\);$/gm;

/**
 * Runs one SQL file; each per-bucket line runs for bucket 0 … buckets-1, with the numbers written into the text
 * (as literals, not bound parameters: a prepared statement planned the bucket's filter about 1.6x slower).
 */
export async function runSqlFile(conn: DuckDBConnection, file: string, buckets: number, progress?: (what: string) => void): Promise<void> {
  const text = readFileSync(file, 'utf8');
  let at = 0;
  for (const m of text.matchAll(PER_BUCKET)) {
    const before = text.slice(at, m.index);
    if (before.trim() !== '') await conn.run(before);
    for (let b = 0; b < buckets; b++) {
      await conn.run(m[0].replace('$buckets', String(buckets)).replace('$bucket', String(b)));
      progress?.(`lifetimes: bucket ${b + 1}/${buckets}`);
    }
    at = m.index + m[0].length;
  }
  const rest = text.slice(at);
  if (rest.trim() !== '') await conn.run(rest);
}
