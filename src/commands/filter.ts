// `skbtape filter <capture> --flow F [--since T] [--until T] [--track ID…] -o <new>`: a smaller capture of the
// lifetimes kept, in the same format. The work is analyze/capture-filter.ts; this prints what was kept.
import type { Command } from 'commander';
import { FLOW_HELP } from '../analyze/flow-filter.js';
import { UserError } from '../errors.js';
import { addFormatOption, chosenFormat, formatRecord, type FormatSpec } from '../render/output.js';
import { renderTable } from '../render/table.js';
import { writeOut } from '../render/stdout.js';
import { SUMMARIES } from './summaries.js';
import { analysisResourceOptions } from './options.js';

interface Opts { output: string; flow?: string; since?: string; until?: string; track: string[]; force: boolean; format?: string; json?: boolean; color?: string }

const FORMAT: FormatSpec = { formats: ['table', 'json', 'ndjson'] };

export function register(program: Command): void {
  const cmd = analysisResourceOptions(program.command('filter'))
    .description(SUMMARIES['filter'])
    .argument('<capture>', 'capture directory to cut from (left as it is)')
    .requiredOption('-o, --output <dir>', 'the new capture directory')
    .option('--flow <filter>', `keep the skb lifetimes matching (${FLOW_HELP})`)
    .option('--since <time>', 'keep lifetimes whose first event is at or after: an ISO time, or a duration after the first event (1.5s)')
    .option('--until <time>', 'keep lifetimes whose first event is before: an ISO time, or a duration after the first event')
    .option('--track <id>', 'keep this lifetime (cap:0xffff…:N as paths/query print it; repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--force', 'replace an earlier capture at -o', false);
  addFormatOption(cmd, FORMAT)
    .addHelpText('after', `
Examples:
  skbtape filter cap -o cap-80 --flow 'tcp port 80'
  skbtape filter cap -o drops --flow 'verdict dropped' --since 2s --until 5s

Whole skb lifetimes are kept, with the capture's snapshots, name tables, logs and rejects; the manifest's
derivedFrom names the source capture, the filter, and the counts before and after.

Exit codes: 0 written (a filter that matched nothing warns and writes an empty capture); 2 bad input.`)
    .action(async (capture: string, o: Opts) => {
      const format = chosenFormat(o, FORMAT);
      if (o.flow === undefined && o.since === undefined && o.until === undefined && o.track.length === 0) {
        throw new UserError('say what to keep: --flow, --since, --until or --track', 'filter');
      }
      const warn = (w: string) => process.stderr.write(`skbtape: warning: ${w}\n`);
      const { filterCapture } = await import('../analyze/capture-filter.js'); // DuckDB loads only when needed
      const r = await filterCapture(capture, o.output, { flow: o.flow, since: o.since, until: o.until, tracks: o.track, force: o.force, warn });
      const out = { dir: r.dir, derivedFrom: r.manifest.derivedFrom, counts: r.manifest.counts };
      await writeOut(formatRecord(out, format, () => renderTable(['', 'BEFORE', 'AFTER'], [['events', r.eventsBefore, r.eventsAfter], ['lifetimes', r.tracksBefore, r.tracksAfter]]) + `wrote ${r.dir}\n`));
    });
}
