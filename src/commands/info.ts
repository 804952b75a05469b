// `skbtape info <dir>`: the manifest summary of a capture.
import type { Command } from 'commander';
import { batchFiles } from '../capture/dir.js';
import { readManifest } from '../capture/manifest.js';
import { addFormatOption, chosenFormat, formatRecord, type FormatSpec } from '../render/output.js';
import { writeOut } from '../render/stdout.js';
import { captureSummary, renderSummary } from '../render/summary.js';
import { SUMMARIES } from './summaries.js';

const FORMAT: FormatSpec = { formats: ['table', 'json', 'ndjson'] };

export function register(program: Command): void {
  const cmd = program
    .command('info')
    .description(SUMMARIES.info)
    .argument('<dir>', 'capture directory');
  addFormatOption(cmd, FORMAT)
    .addHelpText('after', `
Examples:
  skbtape info cap
  skbtape info cap --format json | jq .counts

Exit codes: 0 shown (a capture still recording or interrupted is a warning); 2 not a capture, or a broken manifest.`)
    .action(async (dir: string, o: { format?: string; json?: boolean }) => {
      const format = chosenFormat(o, FORMAT);
      const m = readManifest(dir);
      const s = captureSummary(dir, m);
      if (m.status === 'recording' || m.status === 'interrupted') {
        s.warnings.push(`capture is ${m.status}: counts are as of the last flush; ${batchFiles(dir).length} batch file(s) on disk`);
      }
      await writeOut(formatRecord(s, format, () => renderSummary(s)));
    });
}
