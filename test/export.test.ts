// export --parquet: hive partitions node=/date=/capture_id= for events, tracks and snapshot tables, read back by DuckDB's
// read_parquet with the same row counts; a second export of one capture replaces only its own partitions.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAnalysis } from '../src/analyze/loader.js';
import { EXPORT_TABLES, exportParquet } from '../src/analyze/parquet-export.js';
import { buildDemoCapture } from './helpers/captures.js';
import { ROOT } from './helpers/real.js';
import { SKBTAPE } from './helpers/cli.js';

let tmp: string;
let delivered: string;
let drop: string;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'skbtape-export-'));
  delivered = await buildDemoCapture('delivered', join(tmp, 'demo-delivered'));
  drop = await buildDemoCapture('drop', join(tmp, 'demo-drop'));
});
afterAll(() => { if (tmp) rmSync(tmp, { recursive: true, force: true }); });

async function readBack(sql: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    return (await c.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

describe('export --parquet', () => {
  it('writes hive partitions that read_parquet reads back with the same row counts', async () => {
    const out = join(tmp, 'pq');
    const r = await exportParquet([delivered, drop], out);
    expect(r.tables.map((t) => t.table)).toEqual(EXPORT_TABLES.map((t) => t.table));
    expect(r.captures.map((c) => c.capture)).toEqual(['demo-delivered', 'demo-drop']);
    for (const c of r.captures) expect(c.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const node = r.captures[0]!.node;
    const ev = r.tables.find((t) => t.table === 'events')!;
    // The capture ids are the manifests' own (node, start time, directory name), path-safe as they are.
    const ids = r.captures.map((c) => c.capture_id);
    expect(ids[0]).toMatch(/\.demo-delivered$/);
    expect(ids[1]).toMatch(/\.demo-drop$/);
    expect(ev.files).toEqual([
      `events/node=${node}/date=${r.captures[0]!.date}/capture_id=${ids[0]}/part_0.parquet`,
      `events/node=${node}/date=${r.captures[1]!.date}/capture_id=${ids[1]}/part_0.parquet`,
    ]);

    const a = await openAnalysis([delivered, drop]);
    const expected: Record<string, number> = {};
    try {
      for (const t of EXPORT_TABLES) expected[t.table] = Number((await a.run(`SELECT count(*) AS n FROM (${t.select})`))[0]!['n']);
    } finally {
      a.close();
    }
    expect(expected['events']).toBe(527);
    for (const t of r.tables) {
      expect(t.rows, t.table).toBe(expected[t.table]);
      if (t.rows === 0) continue;
      const [back] = await readBack(`SELECT count(*) AS n FROM read_parquet('${join(out, t.table)}/**/*.parquet', hive_partitioning = true)`);
      expect(Number(back!['n']), t.table).toBe(t.rows);
    }
    // Partition columns come back as columns; the tuple struct and function list survive the round trip.
    const rows = await readBack(`SELECT capture, node, verdict, count(*) AS n, any_value(tuple.daddr) AS daddr, max(len(funcs)) AS f
      FROM read_parquet('${out}/tracks/**/*.parquet', hive_partitioning = true) GROUP BY ALL ORDER BY capture`);
    expect(rows).toEqual([
      { capture: 'demo-delivered', node, verdict: 'delivered', n: 9n, daddr: expect.any(String), f: 52n },
      { capture: 'demo-drop', node, verdict: 'dropped', n: 3n, daddr: '10.244.2.61', f: 37n },
    ]);
  });

  it('CLI: exporting one capture again keeps the other capture\'s partitions', async () => {
    const out = join(tmp, 'pq2');
    await exportParquet([delivered, drop], out);
    const r = await execa(SKBTAPE, ['export', drop, '--parquet', out], { reject: false, cwd: ROOT });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^TABLE +ROWS +FILES +PATH\n/);
    expect(r.stdout).toMatch(/^events +111 +1 +events\/$/m);
    expect(r.stdout).toMatch(/wrote .*pq2 for demo-drop \(node=.*, date=\d{4}-\d{2}-\d{2}, capture_id=.*\.demo-drop\)$/);
    const rows = await readBack(`SELECT capture, count(*) AS n FROM read_parquet('${out}/events/**/*.parquet', hive_partitioning = true) GROUP BY ALL ORDER BY ALL`);
    expect(rows).toEqual([{ capture: 'demo-delivered', n: 416n }, { capture: 'demo-drop', n: 111n }]);
    const missing = await execa(SKBTAPE, ['export', drop], { reject: false, cwd: ROOT });
    expect([missing.exitCode, missing.stderr]).toEqual([2, 'skbtape: say where to write: one of --parquet <dir>, --pcapng <file> or --perfetto <file> (--parquet)']);
  });
});
