// `skbtape export <capture...> --parquet <dir>`: hive-partitioned Parquet of events, tracks and snapshot tables for
// Spark / Trino / DuckDB (analyze/parquet-export.ts); `export <capture> --pcapng <file>`: packets for Wireshark and
// tcpdump with synthetic headers (analyze/pcapng-export.ts); `export <capture> --perfetto <file>`: a trace for
// ui.perfetto.dev in Chrome's JSON trace event format (analyze/perfetto.ts). This parses options and prints what was written.
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { FLOW_HELP } from '../analyze/flow-filter.js';
import { addFormatOption, chosenFormat, formatRecord, type FormatSpec } from '../render/output.js';
import { renderTable } from '../render/table.js';
import { writeOut } from '../render/stdout.js';
import { SUMMARIES } from './summaries.js';
import { strictOption, analysisResourceOptions } from './options.js';

const FORMAT: FormatSpec = { formats: ['table', 'json', 'ndjson'] };

interface Opts { parquet?: string; pcapng?: string; perfetto?: string; per: string; flow?: string; force: boolean; replace: boolean; format?: string; json?: boolean; color?: string; strict: boolean }

export function register(program: Command): void {
  const cmd = analysisResourceOptions(program.command('export'))
    .description(SUMMARIES['export'])
    .argument('<captures...>', 'capture directories (or directories of captures); one for --pcapng and --perfetto')
    .option('--parquet <dir>', 'output directory (other captures already there are kept)')
    .option('--pcapng <file>', 'write one capture as pcapng (headers synthetic: built from the recorded tuple, flags and length)')
    .option('--per <unit>', 'with --pcapng: a packet per hop (every event with a tuple) or per track (one per skb lifetime)', 'hop')
    .option('--perfetto <file>', 'write a Perfetto / chrome://tracing trace (JSON trace events) of one capture')
    .option('--flow <filter>', `--perfetto: only lifetimes matching (${FLOW_HELP})`)
    .option('--force', '--perfetto: replace the file if it exists', false)
    .option('--replace', 'overwrite an existing --pcapng file, or a Parquet partition that holds another capture with the same node, date and id', false)
    .addOption(strictOption());
  addFormatOption(cmd, FORMAT)
    .addHelpText('after', `
Examples:
  skbtape export node-a/cap node-b/cap --parquet fleet/
  skbtape export cap --pcapng cap.pcapng && tshark -r cap.pcapng
  skbtape export cap --perfetto cap.trace.json        # then open it in ui.perfetto.dev

Parquet layout: <dir>/<table>/node=<node>/date=<YYYY-MM-DD>/capture_id=<id>/part_0.parquet (path-safe keys of the
capture's own node and date); read it back with 'skbtape query <dir> "SQL"' or, e.g.:
  duckdb -c "SELECT node, capture, count(*) FROM read_parquet('<dir>/events/**/*.parquet', hive_partitioning=true) GROUP BY ALL"

pcapng: the payload is synthetic (pwru records no packet bytes); epb_packetid is the skb lifetime, epb_verdict marks
drops, and each packet's comment has Function, Netns, Iface, Skb, Track, Verdict, Reason and identities.

--perfetto: one process per flow, one thread per skb lifetime; each hop is a slice from its function's ENTRY until
the next hop's entry (pwru gives entry times, not durations); drops are instant events with reason and site, clones
flow arrows from the parent lifetime, lost events (tracepoint source) a counter. Without absolute timestamps the
hops are laid out 1 µs per event, in capture order.

Exit codes: 0 written; 2 bad input, an existing file (without --force / --replace), another capture's partition
without --replace, not a capture, or a bad --flow.`)
    .action(async (captures: string[], o: Opts) => {
      const format = chosenFormat(o, FORMAT);
      const warn = (w: string) => process.stderr.write(`skbtape: warning: ${w}\n`);
      const targets = [o.parquet, o.pcapng, o.perfetto].filter((x) => x !== undefined).length;
      if (targets !== 1) throw new UserError('say where to write: one of --parquet <dir>, --pcapng <file> or --perfetto <file>', o.parquet === undefined ? '--parquet' : o.pcapng !== undefined ? '--pcapng' : '--perfetto');
      if (o.flow !== undefined && o.perfetto === undefined) throw new UserError('--flow applies to --perfetto only', '--flow');
      if (o.perfetto !== undefined) {
        if (captures.length !== 1) throw new UserError(`--perfetto exports one capture, not ${captures.length}`, '--perfetto');
        const { exportPerfetto } = await import('../analyze/perfetto.js'); // DuckDB loads only when needed
        const r = await exportPerfetto(captures[0]!, o.perfetto, { flow: o.flow, force: o.force, warn });
        return writeOut(formatRecord(r, format, () => `wrote ${r.file}: ${r.flows} flow(s), ${r.tracks} skb lifetime(s), ${r.slices} hop slices, ${r.drops} drop(s), ` +
          `${r.clones} clone link(s); ${r.clock === 'ktime' ? 'at their ktime' : 'no absolute timestamps: 1 µs per event'}; open it in ui.perfetto.dev\n`));
      }
      if (o.per !== 'hop' && o.per !== 'track') throw new UserError(`--per wants hop or track, not '${o.per}'`, '--per');
      if (o.pcapng !== undefined) {
        if (captures.length !== 1) throw new UserError(`--pcapng writes one capture, not ${captures.length}`, '--pcapng');
        const { exportPcapng } = await import('../analyze/pcapng-export.js');
        const r = await exportPcapng(captures[0]!, o.pcapng, { per: o.per, replace: o.replace, warn });
        return writeOut(formatRecord(r, format, () => `wrote ${r.file}: ${r.packets} packets of ${r.lifetimes} skb lifetimes on ${r.interfaces} interfaces; timestamps: ${r.clock}; headers synthetic\n`));
      }
      const { exportParquet } = await import('../analyze/parquet-export.js'); // DuckDB loads only when needed
      const r = await exportParquet(captures, o.parquet!, { warn, replace: o.replace, strict: o.strict });
      await writeOut(formatRecord(r, format, () => renderTable(['TABLE', 'ROWS', 'FILES', 'PATH'], r.tables.map((t) => [t.table, t.rows, t.files.length, t.files.length ? `${t.table}/` : '']))
        + `wrote ${r.dir} for ${r.captures.map((c) => `${c.capture} (node=${c.node}, date=${c.date}, capture_id=${c.capture_id})`).join(', ')}\n`, () => r.tables));
    });
}
