// `skbtape tracks <capture>`: one compact line per skb lifetime (analyze/tracks.ts), as text or --format json/ndjson/csv.
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { FLOW_HELP } from '../analyze/flow-filter.js';
import { addFormatOption, chosenFormat, formatRows, type FormatSpec } from '../render/output.js';
import { writeOut } from '../render/stdout.js';
import { parseDuration } from './record.js';
import { SUMMARIES } from './summaries.js';

interface Opts { flow?: string; since?: string; until?: string; last?: string; format?: string; json?: boolean; color?: string; cache: boolean }
/** `table` is the compact text, one line per lifetime (the default, piped too: it is what `grep` and a log want). */
const FORMAT: FormatSpec = { formats: ['table', 'json', 'ndjson', 'csv'] };
const COLUMNS = ['track', 'relNs', 'wall', 'src', 'dst', 'l4', 'srcIdentity', 'srcIdentityName', 'dstIdentity', 'dstIdentityName', 'srcEndpoint', 'dstEndpoint', 'tcpFlags', 'verdict', 'dropReason', 'dropSite', 'ifaces', 'netns', 'hops', 'durationNs'] as const;

export function register(program: Command): void {
  const cmd = program
    .command('tracks')
    .description(SUMMARIES.tracks)
    .argument('<capture>', 'capture directory')
    .option('--flow <filter>', `only lifetimes matching (${FLOW_HELP})`)
    .option('--since <duration>', 'only lifetimes starting this long after the capture\'s first event (10s, 500ms, 1m30s)')
    .option('--until <duration>', 'only lifetimes starting before this long after the capture\'s first event')
    .option('--last <n>', 'only the last n lifetimes')
    .option('--no-cache', 'do not read or write <capture>/.cache');
  addFormatOption(cmd, FORMAT)
    .addHelpText('after', `
One line per skb lifetime: time, src → dst (Cilium identity and endpoint where the snapshots have them), TCP flags
seen, verdict (a drop with its reason and site), devices and netns passed, hops and duration (first to last entry).

Examples:
  skbtape tracks cap --flow 'verdict dropped'
  skbtape tracks cap --since 2s --until 3s --format ndjson | jq .track
  skbtape tracks cap --last 20

Exit codes: 0 printed (a filter that kept nothing says so on stderr); 2 bad input.`)
    .action(async (capture: string, o: Opts) => {
      const format = chosenFormat(o, FORMAT);
      let last: number | undefined;
      if (o.last !== undefined) {
        if (!/^\d+$/.test(o.last) || Number(o.last) < 1) throw new UserError(`--last wants a positive integer, not '${o.last}'`, '--last');
        last = Number(o.last);
      }
      const ns = (v: string | undefined, flag: string) => (v === undefined ? undefined : parseDuration(v, flag) * 1e6);
      const sinceNs = ns(o.since, '--since'), untilNs = ns(o.until, '--until');
      if (sinceNs !== undefined && untilNs !== undefined && untilNs <= sinceNs) throw new UserError(`--until (${o.until}) must come after --since (${o.since})`, '--until');
      const warn = (w: string) => process.stderr.write(`skbtape: warning: ${w}\n`);
      const { compactTracks } = await import('../analyze/tracks.js'); // DuckDB loads only when needed
      const r = await compactTracks(capture, { flow: o.flow, sinceNs, untilNs, last, cache: o.cache, warn });
      if (format === 'table') {
        const { renderTracksText } = await import('../render/tracks.js');
        return writeOut(renderTracksText(r));
      }
      const rows = r.lines.map((l) => COLUMNS.map((c) => l[c]));
      for (const chunk of formatRows(COLUMNS, rows, format)) await writeOut(chunk);
    });
}
