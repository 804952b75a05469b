// `skbtape report <capture> [--diff <B>] -o report.html`: one self-contained HTML page (report/write.ts); prints
// where it went and what is in it, as text or --format json; a status line on a terminal while it builds.
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { addFormatOption, chosenFormat, formatRecord, type FormatSpec } from '../render/output.js';
import { progress, fmtBytes } from '../render/progress.js';
import { writeOut } from '../render/stdout.js';
import { SUMMARIES } from './summaries.js';
import { analysisResourceOptions } from './options.js';

interface Opts { output?: string; diff?: string; force: boolean; format?: string; json?: boolean; color?: string; cache: boolean }
const FORMAT: FormatSpec = { formats: ['table', 'json', 'ndjson'] };

export function register(program: Command): void {
  const cmd = analysisResourceOptions(program.command('report'))
    .description(SUMMARIES.report)
    .argument('<capture>', 'capture directory (A, with --diff)')
    .requiredOption('-o, --output <file.html>', 'where to write the page (refused if it exists, unless --force)')
    .option('--diff <capture>', 'compare with this capture (B): both side by side, changed flows first, the first divergent function marked')
    .option('--force', 'replace the output file', false)
    .option('--no-cache', 'do not read or write <capture>/.cache');
  addFormatOption(cmd, FORMAT)
    .addHelpText('after', `
The page holds the capture's facts (tracer, argv, target, test command and exit code, time range, events, rejects,
loss), flows with identity labels and verdicts, one journey diagram per distinct path (a lane per netns, hops in
time order, median deltas on the edges, the drop in red with its reason and site) with the tracks that took it and
one example's events in pwru's layout, drops and \`bpf metrics list\` deltas as charts. Deltas are times between
function ENTRIES (pwru gives entry times), not durations. Aggregated in DuckDB and capped (the page says what a cap
left out); JavaScript (ECharts) and CSS are inline and nothing is fetched, so it can be attached to a bug report.

Examples:
  skbtape report cap -o cap.html
  skbtape report good-cap --diff bad-cap -o diff.html

Exit codes: 0 written; 2 bad input (the output exists without --force, not a capture).`)
    .action(async (capture: string, o: Opts) => {
      const format = chosenFormat(o, FORMAT);
      if (!o.output) throw new UserError('say where to write the page: -o report.html', '--output');
      const warn = (w: string) => process.stderr.write(`skbtape: warning: ${w}\n`);
      const bar = progress();
      const { writeReport } = await import('../report/write.js'); // DuckDB loads only when needed
      let r;
      try {
        r = await writeReport(capture, o.output, { diff: o.diff, force: o.force, cache: o.cache, warn, step: (s) => bar.update(() => s) });
      } finally {
        bar.done();
      }
      const caps = r.captures.map((c) => `${c.id}: ${c.events.toLocaleString('en-US')} events, ${c.lifetimes} lifetimes, ${c.flows} flows, ${c.paths} paths, ${c.dropped} dropped`).join('; ');
      await writeOut(formatRecord(r, format, () => `wrote ${r.file} (${fmtBytes(r.bytes)}, ${r.ms} ms): ${caps}${r.diff ? `; diff: ${r.diff}` : ''}\n`));
    });
}
