// `skbtape diff <A> <B>`: where the paths of two captures part. Exit status like diff(1): 0 no difference,
// 1 differences (not allowed by --baseline), 2 error. The work is diff/diff.ts's; the text is render/diff.ts's.
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { FLOW_HELP } from '../analyze/flow-filter.js';
import { addFormatOption, chosenFormat, formatRecord, type FormatSpec } from '../render/output.js';
import { writeOut } from '../render/stdout.js';
import { SUMMARIES } from './summaries.js';
import { strictOption, analysisResourceOptions } from './options.js';
import type { DiffOptions } from '../diff/diff.js';

interface Opts { by?: string; flow?: string; format?: string; json?: boolean; color?: string; maxFlows?: string; baseline?: string; strict: boolean }

const FORMAT: FormatSpec = { formats: ['table', 'json', 'ndjson'] };

export function register(program: Command): void {
  const cmd = analysisResourceOptions(program.command('diff'))
    .description(SUMMARIES.diff)
    .argument('<a>', 'capture directory (before / known good), or a directory of captures (one per node)')
    .argument('<b>', 'capture directory (after), or a directory of captures: paired with A\'s by node')
    .option('--by <key>', 'flow key: identity, labels (the identities\' labels: two clusters), endpoint, ip, or port (server port and L4 only). Default: identity when both captures have snapshots (labels when they share no identity number and label snapshots name them all), else ip, else port when A and B share no address; a key asked for that a capture cannot give is an error')
    .option('--flow <filter>', `only tracks matching, e.g. 'tcp dst port 80', 'net 10.244.2.0/24 and not verdict delivered' (${FLOW_HELP})`)
    .addOption(strictOption())
    .option('--max-flows <n>', 'show at most n flows, changed first (default on a terminal: 20, with a count of the rest; else all)')
    .option('--baseline <file>', 'allowed changes, one per line: <kind> <subject-glob>; only others make the exit status 1');
  addFormatOption(cmd, FORMAT)
    .addHelpText('after', `
Examples:
  skbtape diff good-cap bad-cap
  skbtape diff good-cap bad-cap --flow 'tcp dst port 80' --format json | jq .changes
  skbtape diff nightly-1 nightly-2 --baseline allowed-changes.txt     # CI: only unexpected changes fail

Exit codes (like diff(1)): 0 no differences (or only ones --baseline allows); 1 differences; 2 bad input, a --by
key a capture cannot give, or not a capture. A --flow that matches nothing is a warning naming the capture.`)
    .action(async (a: string, b: string, o: Opts) => {
      const format = chosenFormat(o, FORMAT);
      let maxFlows: number | undefined;
      if (o.maxFlows !== undefined) {
        if (!/^\d+$/.test(o.maxFlows)) throw new UserError(`--max-flows wants a whole number, not '${o.maxFlows}'`, '--max-flows');
        maxFlows = Number(o.maxFlows);
      }
      if (maxFlows === undefined && format === 'table' && process.stdout.isTTY) maxFlows = 20;
      const warn = (w: string) => process.stderr.write(`skbtape: warning: ${w}\n`);
      const { diffCaptures } = await import('../diff/diff.js'); // DuckDB loads only when needed
      const { renderDiffText } = await import('../render/diff.js');
      const dopts = { by: o.by as DiffOptions['by'], flow: o.flow, maxFlows, baseline: o.baseline, warn, strict: o.strict };
      const { sourceKind } = await import('../analyze/sources.js');
      const fleet = [sourceKind(a), sourceKind(b)].map((k) => k === 'captures-dir');
      if (fleet[0] !== fleet[1]) throw new UserError(`${fleet[0] ? a : b} is a directory of captures and ${fleet[0] ? b : a} is not; give two captures, or two directories of captures (paired by node)`, 'diff');
      if (fleet[0]) {
        const { diffFleets } = await import('../diff/fleet-diff.js');
        const f = await diffFleets(a, b, dopts);
        const text = () => [
          ...f.pairs.map((p) => `== node ${p.node}: ${p.a} vs ${p.b}\n${renderDiffText(p.diff)}\n`),
          ...f.onlyInA.map((x) => `== node ${x.node}: only in A (${x.dir})\n`),
          ...f.onlyInB.map((x) => `== node ${x.node}: only in B (${x.dir})\n`),
        ].join('');
        await writeOut(formatRecord(f, format, text, () => f.pairs));
        process.exitCode = f.changes > 0 ? 1 : 0;
        return;
      }
      const r = await diffCaptures(a, b, dopts);
      await writeOut(formatRecord(r, format, () => renderDiffText(r), () => r.changes));
      process.exitCode = r.summary.changes > 0 ? 1 : 0;
    });
}
