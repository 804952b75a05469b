// `skbtape diff <A> <B>`: where the paths of two captures part. Exit status like diff(1): 0 no difference,
// 1 differences (not allowed by --baseline), 2 error. The work is diff/diff.ts's; the text is render/diff.ts's.
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { FLOW_HELP } from '../analyze/flow-filter.js';
import { toJson } from '../render/table.js';
import { writeOut } from '../render/stdout.js';
import { SUMMARIES } from './summaries.js';

interface Opts { by?: string; flow?: string; format: string; maxFlows?: string; baseline?: string }

export function register(program: Command): void {
  program
    .command('diff')
    .description(SUMMARIES.diff)
    .argument('<a>', 'capture directory (before / known good)')
    .argument('<b>', 'capture directory (after)')
    .option('--by <key>', 'flow key: identity, endpoint or ip (default: identity when both captures have snapshots, else ip; a key asked for that a capture cannot give is an error)')
    .option('--flow <filter>', `only tracks matching, e.g. 'tcp dst port 80', 'net 10.244.2.0/24 and not verdict delivered' (${FLOW_HELP})`)
    .option('--format <fmt>', 'text or json', 'text')
    .option('--max-flows <n>', 'show at most n flows (changed first)')
    .option('--baseline <file>', 'allowed changes, one per line: <kind> <subject-glob>; only others make the exit status 1')
    .action(async (a: string, b: string, o: Opts) => {
      if (o.format !== 'text' && o.format !== 'json') throw new UserError(`--format wants text or json, not '${o.format}'`, '--format');
      let maxFlows: number | undefined;
      if (o.maxFlows !== undefined) {
        if (!/^\d+$/.test(o.maxFlows)) throw new UserError(`--max-flows wants a whole number, not '${o.maxFlows}'`, '--max-flows');
        maxFlows = Number(o.maxFlows);
      }
      const warn = (w: string) => process.stderr.write(`skbtape: warning: ${w}\n`);
      const { diffCaptures } = await import('../diff/diff.js'); // DuckDB loads only when needed
      const { renderDiffText } = await import('../render/diff.js');
      const r = await diffCaptures(a, b, { by: o.by as 'identity' | undefined, flow: o.flow, maxFlows, baseline: o.baseline, warn });
      await writeOut(o.format === 'json' ? toJson(r, 2) + '\n' : renderDiffText(r));
      process.exitCode = r.summary.changes > 0 ? 1 : 0;
    });
}
