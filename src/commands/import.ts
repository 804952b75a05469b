// `skbtape import <file|-> -o <dir>`: saved pwru output → capture directory, with a one-screen summary.
import { Option, type Command } from 'commander';
import { UserError } from '../errors.js';
import type { InputFormat } from '../ingest/line-parser.js';
import { captureSummary, renderSummary } from '../render/summary.js';
import { addFormatOption, chosenFormat, formatRecord, type FormatSpec } from '../render/output.js';
import { writeOut } from '../render/stdout.js';
import { SUMMARIES } from './summaries.js';

const FORMAT: FormatSpec = { formats: ['table', 'json', 'ndjson'] };

export function register(program: Command): void {
  const cmd = program
    .command('import')
    .description(SUMMARIES['import'])
    .argument('<file>', "pwru output file, or '-' for stdin")
    .requiredOption('-o, --output <dir>', 'capture directory to create')
    .addOption(new Option('--input-format <format>', 'what the file holds: pwru text, pwru --output-json lines, or auto (by each line)').choices(['auto', 'text', 'json']).default('auto'))
    .option('--force', 'replace a non-empty output directory', false)
    .option('--node <name>', 'the node the pwru output was recorded on (default: this host); the node column and export partition')
    .option('--name <id>', "the capture's id and its label in queries (default: node, start time and directory name)")
    .option('--clock-offset <ns>', "the recording node's wall clock minus CLOCK_MONOTONIC in ns (python3 -c 'import time; print(time.time_ns() - time.monotonic_ns())' on that node): puts its events on the wall clock, beside other nodes'")
    .option('--workers <n>', 'parser worker threads: auto (default: one per core, up to 4, for a file of 16 MiB or more; stdin and smaller files parse on the main thread), 0 (the main thread) or 1-16', 'auto')
    .addOption(new Option('--batch-rows <n>', 'rows per Arrow batch').default('65536').hideHelp());
  addFormatOption(cmd, FORMAT)
    .addHelpText('after', `
Examples:
  skbtape import pwru.log -o cap
  pwru --output-json 'tcp and port 80' | skbtape import - -o cap

Exit codes: 0 imported (unreadable lines are kept in rejects.ndjson with their line numbers); 2 bad input, or no
event read at all (nothing looks like pwru output, or every line that could be an event was rejected).`)
    .action(async (file: string, o: { output: string; inputFormat: string; format?: string; json?: boolean; color?: string; force: boolean; batchRows: string; workers?: string; node?: string; name?: string; clockOffset?: string }) => {
      if (o.format === 'auto') throw new UserError("--format is the summary's output format now; the input's is --input-format auto|text|json", '--format');
      const format = chosenFormat(o, FORMAT);
      const batchRows = Number(o.batchRows);
      if (!Number.isInteger(batchRows) || batchRows < 1) throw new UserError(`--batch-rows wants a positive integer, not '${o.batchRows}'`, '--batch-rows');
      if (o.clockOffset !== undefined && !/^-?\d{1,20}$/.test(o.clockOffset)) throw new UserError(`--clock-offset wants integer nanoseconds (wall clock minus monotonic), not '${o.clockOffset}'`, '--clock-offset');
      const { importCapture } = await import('../ingest/importer.js'); // Arrow and the workers load only when needed
      const workers = o.workers === 'auto' ? undefined : Number(o.workers);
      if (workers !== undefined && (!Number.isInteger(workers) || workers < 0 || workers > 16)) throw new UserError(`--workers wants auto or 0 to 16, not '${o.workers}'`, '--workers');
      const r = await importCapture(file, o.output, { format: o.inputFormat as InputFormat, force: o.force, batchRows, workers, node: o.node, name: o.name, clockOffsetNs: o.clockOffset });
      const s = captureSummary(r.dir, r.manifest);
      await writeOut(formatRecord(s, format, () => renderSummary(s)));
      for (const w of r.warnings) process.stderr.write(`skbtape: warning: ${w}\n`);
    });
}
