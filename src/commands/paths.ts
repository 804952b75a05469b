// `skbtape paths <capture> [--flow F] [--limit N] [--json]`: the journey view. skb lifetimes grouped by kernel path,
// most common first, each with one example hop by hop. The work is analyze/paths.ts.
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { FLOW_HELP } from '../analyze/flow-filter.js';
import { toJson } from '../render/table.js';
import { writeOut } from '../render/stdout.js';
import { SUMMARIES } from './summaries.js';

export function register(program: Command): void {
  program
    .command('paths')
    .description(SUMMARIES.paths)
    .argument('<captures...>', 'capture directories (several, or a directory of captures: groups are per capture)')
    .option('--flow <filter>', `only lifetimes matching, e.g. 'host 10.244.2.61 and port 80' (${FLOW_HELP})`)
    .option('--limit <n>', 'path groups to show', '10')
    .option('--json', 'print the groups, tuples and hops as JSON', false)
    .option('--no-cache', 'do not read or write <capture>/.cache')
    .action(async (capture: string[], o: { flow?: string; limit: string; json: boolean; cache: boolean }) => {
      if (!/^\d+$/.test(o.limit) || Number(o.limit) < 1) throw new UserError(`--limit wants a positive integer, not '${o.limit}'`, '--limit');
      const warn = (w: string) => process.stderr.write(`skbtape: warning: ${w}\n`);
      const { capturePaths, formatJourneys } = await import('../analyze/paths.js'); // DuckDB loads only when needed
      const r = await capturePaths(capture, { flow: o.flow, limit: Number(o.limit), cache: o.cache, warn });
      await writeOut(o.json ? toJson(r, 2) + '\n' : formatJourneys(r));
    });
}
