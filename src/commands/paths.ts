// `skbtape paths <capture> [--flow F] [--limit N] [--json]`: the journey view. skb lifetimes grouped by kernel path,
// most common first, each with one example hop by hop. The work is analyze/paths.ts.
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { FLOW_HELP } from '../analyze/flow-filter.js';
import { addFormatOption, chosenFormat, formatRecord, type FormatSpec } from '../render/output.js';
import { writeOut } from '../render/stdout.js';
import { SUMMARIES } from './summaries.js';

const FORMAT: FormatSpec = { formats: ['table', 'json', 'ndjson'] };

export function register(program: Command): void {
  const cmd = program
    .command('paths')
    .description(SUMMARIES.paths)
    .argument('<captures...>', 'capture directories (several, or a directory of captures: groups are per capture)')
    .option('--flow <filter>', `only lifetimes matching, e.g. 'host 10.244.2.61 and port 80' (${FLOW_HELP})`)
    .option('--limit <n>', 'path groups to show', '10')
    .option('--no-cache', 'do not read or write <capture>/.cache');
  addFormatOption(cmd, FORMAT)
    .addHelpText('after', `
Examples:
  skbtape paths cap
  skbtape paths cap --flow 'tcp dst port 80 and not verdict delivered' --limit 3
  skbtape paths cap --format ndjson | jq .verdictText      # one path group a line
  skbtape paths fleet/ --flow 'node worker-2'               # a directory of captures: groups name their capture

Exit codes: 0 shown (a --flow that matches nothing is a warning naming it); 2 a bad --flow, or not a capture.`)
    .action(async (capture: string[], o: { flow?: string; limit: string; format?: string; json?: boolean; color?: string; cache: boolean }) => {
      const format = chosenFormat(o, FORMAT);
      if (!/^\d+$/.test(o.limit) || Number(o.limit) < 1) throw new UserError(`--limit wants a positive integer, not '${o.limit}'`, '--limit');
      const warn = (w: string) => process.stderr.write(`skbtape: warning: ${w}\n`);
      const { capturePaths, formatJourneys } = await import('../analyze/paths.js'); // DuckDB loads only when needed
      const r = await capturePaths(capture, { flow: o.flow, limit: Number(o.limit), cache: o.cache, warn });
      await writeOut(formatRecord(r, format, () => formatJourneys(r), () => r.groups));
    });
}
