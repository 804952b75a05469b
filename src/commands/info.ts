// `skbtape info <dir>`: the manifest summary of a capture.
import type { Command } from 'commander';
import { batchFiles } from '../capture/dir.js';
import { readManifest } from '../capture/manifest.js';
import { countsWarning } from '../capture/file-counts.js';
import { printJson } from '../render/table.js';
import { captureSummary, renderSummary } from '../render/summary.js';
import { SUMMARIES } from './summaries.js';

export function register(program: Command): void {
  program
    .command('info')
    .description(SUMMARIES.info)
    .argument('<dir>', 'capture directory')
    .option('--json', 'print as JSON', false)
    .action((dir: string, o: { json: boolean }) => {
      const m = readManifest(dir);
      const s = captureSummary(dir, m);
      const lie = countsWarning(dir, m);
      if (lie !== null) s.warnings.push(lie);
      if (m.status === 'recording' || m.status === 'interrupted') {
        s.warnings.push(`capture is ${m.status}: counts are as of the last flush; ${batchFiles(dir).length} batch file(s) on disk`);
      }
      if (o.json) printJson(s);
      else process.stdout.write(renderSummary(s));
    });
}
