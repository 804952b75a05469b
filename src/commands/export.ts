// `skbtape export <capture...> --parquet <dir>`: hive-partitioned Parquet of events, tracks and snapshot tables for
// Spark / Trino / DuckDB (analyze/parquet-export.ts). `skbtape export <capture> --perfetto <file>`: a trace for
// ui.perfetto.dev in Chrome's JSON trace event format (analyze/perfetto.ts). This prints what was written.
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { FLOW_HELP } from '../analyze/flow-filter.js';
import { addFormatOption, chosenFormat, formatRecord, type FormatSpec } from '../render/output.js';
import { renderTable } from '../render/table.js';
import { writeOut } from '../render/stdout.js';
import { SUMMARIES } from './summaries.js';

const FORMAT: FormatSpec = { formats: ['table', 'json', 'ndjson'] };

interface Opts { parquet?: string; perfetto?: string; flow?: string; force: boolean; format?: string; json?: boolean; color?: string; strict: boolean }

export function register(program: Command): void {
  const cmd = program
    .command('export')
    .description(SUMMARIES['export'])
    .argument('<captures...>', 'capture directories (one for --perfetto)')
    .option('--parquet <dir>', 'output directory (other captures already there are kept)')
    .option('--perfetto <file>', 'write a Perfetto / chrome://tracing trace (JSON trace events) of one capture')
    .option('--flow <filter>', `--perfetto: only lifetimes matching (${FLOW_HELP})`)
    .option('--force', '--perfetto: replace the file if it exists', false)
    .option('--strict', 'a damaged, missing or duplicated batch is an error (exit 2), not a warning and a skip', false);
  addFormatOption(cmd, FORMAT)
    .addHelpText('after', `
Examples:
  skbtape export node1/cap node2/cap --parquet lake/
  skbtape export cap --perfetto cap.trace.json        # then open it in ui.perfetto.dev
Read Parquet back with, e.g.:
  duckdb -c "SELECT capture, node, count(*) FROM read_parquet('<dir>/events/**/*.parquet', hive_partitioning=true) GROUP BY ALL"

--perfetto: one process per flow, one thread per skb lifetime; each hop is a slice from its function's ENTRY until
the next hop's entry (pwru gives entry times, not durations); drops are instant events with reason and site, clones
flow arrows from the parent lifetime, lost events (tracepoint source) a counter. Without absolute timestamps the
hops are laid out 1 µs per event, in capture order.

Exit codes: 0 written; 2 bad input (the --perfetto file exists without --force, not a capture, bad --flow).`)
    .action(async (captures: string[], o: Opts) => {
      const format = chosenFormat(o, FORMAT);
      const warn = (w: string) => process.stderr.write(`skbtape: warning: ${w}\n`);
      if (o.perfetto !== undefined) {
        if (o.parquet !== undefined) throw new UserError('give --parquet or --perfetto, not both', '--perfetto');
        if (captures.length !== 1) throw new UserError(`--perfetto exports one capture, not ${captures.length}`, '--perfetto');
        const { exportPerfetto } = await import('../analyze/perfetto.js'); // DuckDB loads only when needed
        const r = await exportPerfetto(captures[0]!, o.perfetto, { flow: o.flow, force: o.force, warn });
        return writeOut(formatRecord(r, format, () => `wrote ${r.file}: ${r.flows} flow(s), ${r.tracks} skb lifetime(s), ${r.slices} hop slices, ${r.drops} drop(s), ` +
          `${r.clones} clone link(s); ${r.clock === 'ktime' ? 'at their ktime' : 'no absolute timestamps: 1 µs per event'}; open it in ui.perfetto.dev\n`));
      }
      if (o.parquet === undefined) throw new UserError('say where to write: --parquet <dir> or --perfetto <file>', '--parquet');
      if (o.flow !== undefined) throw new UserError('--flow applies to --perfetto only', '--flow');
      const { exportParquet } = await import('../analyze/parquet-export.js'); // DuckDB loads only when needed
      const r = await exportParquet(captures, o.parquet, { warn, strict: o.strict });
      await writeOut(formatRecord(r, format, () => renderTable(['TABLE', 'ROWS', 'FILES', 'PATH'], r.tables.map((t) => [t.table, t.rows, t.files.length, t.files.length ? `${t.table}/` : '']))
        + `wrote ${r.dir} for ${r.captures.map((c) => `${c.capture} (node=${c.node}, date=${c.date})`).join(', ')}\n`, () => r.tables));
    });
}
