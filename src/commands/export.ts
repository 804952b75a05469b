// `skbtape export <capture...> --parquet <dir>`: hive-partitioned Parquet of events, tracks and snapshot tables for
// Spark / Trino / DuckDB. The work is analyze/parquet-export.ts; this prints what was written.
import type { Command } from 'commander';
import { UserError } from '../errors.js';

import { addFormatOption, chosenFormat, formatRecord, type FormatSpec } from '../render/output.js';
import { renderTable } from '../render/table.js';
import { writeOut } from '../render/stdout.js';
import { SUMMARIES } from './summaries.js';

const FORMAT: FormatSpec = { formats: ['table', 'json', 'ndjson'] };

export function register(program: Command): void {
  const cmd = program
    .command('export')
    .description(SUMMARIES['export'])
    .argument('<captures...>', 'capture directories')
    .option('--parquet <dir>', 'output directory (other captures already there are kept)');
  addFormatOption(cmd, FORMAT)
    .addHelpText('after', `
Examples:
  skbtape export node1/cap node2/cap --parquet lake/
Read it back with, e.g.:
  duckdb -c "SELECT capture, node, count(*) FROM read_parquet('<dir>/events/**/*.parquet', hive_partitioning=true) GROUP BY ALL"`)
    .action(async (captures: string[], o: { parquet?: string; format?: string; json?: boolean; color?: string }) => {
      const format = chosenFormat(o, FORMAT);
      if (o.parquet === undefined) throw new UserError('say where to write: --parquet <dir>', '--parquet');
      const warn = (w: string) => process.stderr.write(`skbtape: warning: ${w}\n`);
      const { exportParquet } = await import('../analyze/parquet-export.js'); // DuckDB loads only when needed
      const r = await exportParquet(captures, o.parquet, { warn });
      await writeOut(formatRecord(r, format, () => renderTable(['TABLE', 'ROWS', 'FILES', 'PATH'], r.tables.map((t) => [t.table, t.rows, t.files.length, t.files.length ? `${t.table}/` : '']))
        + `wrote ${r.dir} for ${r.captures.map((c) => `${c.capture} (node=${c.node}, date=${c.date})`).join(', ')}\n`, () => r.tables));
    });
}
