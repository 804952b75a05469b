// `skbtape paths <capture> [--flow F] [--limit N] [--format …] [--between A B]`: the journey view. skb lifetimes
// grouped by kernel path, most common first, each with one example hop by hop (analyze/paths.ts); with --between,
// the time from entering A to entering B per flow (analyze/latency.ts).
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { FLOW_HELP } from '../analyze/flow-filter.js';
import { addFormatOption, chosenFormat, formatRecord, type FormatSpec } from '../render/output.js';
import { writeOut } from '../render/stdout.js';
import { SUMMARIES } from './summaries.js';
import { strictOption, analysisResourceOptions } from './options.js';

const FORMAT: FormatSpec = { formats: ['table', 'json', 'ndjson'] };

interface Opts { flow?: string; limit: string; format?: string; json?: boolean; color?: string; cache: boolean; between?: string[]; strict: boolean }

export function register(program: Command): void {
  const cmd = analysisResourceOptions(program.command('paths'))
    .description(SUMMARIES.paths)
    .argument('<captures...>', 'capture directories (several, or a directory of captures: groups are per capture)')
    .option('--flow <filter>', `only lifetimes matching, e.g. 'host 10.244.2.61 and port 80' (${FLOW_HELP})`)
    .option('--limit <n>', 'path groups to show', '10')
    .addOption(strictOption())
    .option('--between <funcs...>', 'two function names A B: per flow, count/median/p90/p99/max of the time from entering A to entering B next (entry times, not durations)')
    .option('--no-cache', 'do not read or write <capture>/.cache');
  addFormatOption(cmd, FORMAT)
    .addHelpText('after', `
Examples:
  skbtape paths cap
  skbtape paths cap --flow 'tcp dst port 80 and not verdict delivered' --limit 3
  skbtape paths cap --format ndjson | jq .verdictText      # one path group a line
  skbtape paths cap --between ip_rcv tcp_v4_rcv            # µs from entering ip_rcv to entering tcp_v4_rcv, per flow
  skbtape paths fleet/ --flow 'node worker-2'               # a directory of captures: groups name their capture
pwru prints when a function is ENTERED, so --between (and \`query --report latency\`) give the time between two
entries, not how long a function ran.

Exit codes: 0 shown (a --flow that matches nothing is a warning naming it); 1 --between found no lifetime entering
B after A (a warning says which name matched nothing); 2 a bad --flow or --between, or not a capture.`)
    .action(async (capture: string[], o: Opts) => {
      const format = chosenFormat(o, FORMAT);
      if (!/^\d+$/.test(o.limit) || Number(o.limit) < 1) throw new UserError(`--limit wants a positive integer, not '${o.limit}'`, '--limit');
      const warn = (w: string) => process.stderr.write(`skbtape: warning: ${w}\n`);
      if (o.between !== undefined) {
        if (o.between.length !== 2) throw new UserError(`--between wants two function names (A B), got ${o.between.length}: ${o.between.join(' ')}`, '--between');
        if (capture.length !== 1) throw new UserError(`--between measures one capture, not ${capture.length}`, '--between');
        const { betweenLatency } = await import('../analyze/latency.js');
        const { renderBetween } = await import('../render/latency.js');
        const r = await betweenLatency(capture[0]!, o.between[0]!, o.between[1]!, { flow: o.flow, cache: o.cache, warn });
        await writeOut(formatRecord(r, format, () => renderBetween(r), () => r.rows));
        if (r.pairs === 0) process.exitCode = 1;
        return;
      }
      const { capturePaths, formatJourneys } = await import('../analyze/paths.js'); // DuckDB loads only when needed
      const r = await capturePaths(capture, { flow: o.flow, limit: Number(o.limit), cache: o.cache, warn, strict: o.strict });
      await writeOut(formatRecord(r, format, () => formatJourneys(r), () => r.groups));
    });
}
