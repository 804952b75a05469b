// `skbtape export <capture...> --parquet <dir>`: hive-partitioned Parquet of events, tracks and snapshot tables for
// Spark / Trino / DuckDB. The work is src/parquet-export.ts; this prints what was written.
import type { Command } from 'commander';
import { UserError } from '../errors.js';

import { printJson, renderTable } from '../render/table.js';
import { writeOut } from '../render/stdout.js';
import { SUMMARIES } from './summaries.js';

export function register(program: Command): void {
  program
    .command('export')
    .description(SUMMARIES['export'])
    .argument('<captures...>', 'capture directories')
    .option('--parquet <dir>', 'output directory (other captures already there are kept)')
    .option('--replace', "overwrite a partition that holds another capture with the same node, date and id", false)
    .option('--json', 'print the result as JSON', false)
    .addHelpText('after', `
Read it back with, e.g.:
  duckdb -c "SELECT capture, node, count(*) FROM read_parquet('<dir>/events/**/*.parquet', hive_partitioning=true) GROUP BY ALL"`)
    .action(async (captures: string[], o: { parquet?: string; json: boolean; replace: boolean }) => {
      if (o.parquet === undefined) throw new UserError('say where to write: --parquet <dir>', '--parquet');
      const warn = (w: string) => process.stderr.write(`skbtape: warning: ${w}\n`);
      const { exportParquet } = await import('../analyze/parquet-export.js'); // DuckDB loads only when needed
      const r = await exportParquet(captures, o.parquet, { warn, replace: o.replace });
      if (o.json) return printJson(r);
      await writeOut(renderTable(['TABLE', 'ROWS', 'FILES', 'PATH'], r.tables.map((t) => [t.table, t.rows, t.files.length, t.files.length ? `${t.table}/` : ''])));
      await writeOut(`wrote ${r.dir} for ${r.captures.map((c) => `${c.capture} (node=${c.node}, date=${c.date}, capture_id=${c.capture_id})`).join(', ')}\n`);
    });
}
