// `skbtape reports [--json]`: lists the canned reports (queries/reports/*.sql) with their one-line descriptions.
import type { Command } from 'commander';
import { addFormatOption, chosenFormat, formatObjects, type FormatSpec } from '../render/output.js';
import { listReports } from '../analyze/reports.js';
import { writeOut } from '../render/stdout.js';
import { SUMMARIES } from './summaries.js';

const FORMAT: FormatSpec = { piped: 'ndjson' };

export function register(program: Command): void {
  const cmd = program
    .command('reports')
    .description(SUMMARIES.reports);
  addFormatOption(cmd, FORMAT)
    .addHelpText('after', `
Examples:
  skbtape reports
  skbtape query cap --report drops

Exit codes: 0 listed; 2 bad input.`)
    .action(async (o: { format?: string; json?: boolean }) => {
      const format = chosenFormat(o, FORMAT);
      const reports = listReports();
      const rows = format === 'table' ? reports.map((r) => ({ REPORT: r.name, DESCRIPTION: r.description })) : reports.map((r) => ({ ...r }));
      for (const chunk of formatObjects(rows, format, format === 'table' ? ['REPORT', 'DESCRIPTION'] : ['name', 'description', 'file'])) await writeOut(chunk);
    });
}
