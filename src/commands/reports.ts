// `skbtape reports [--json]`: lists the canned reports (queries/reports/*.sql) with their one-line descriptions.
import type { Command } from 'commander';
import { printJson, renderTable } from '../render/table.js';
import { listReports } from '../analyze/reports.js';
import { writeOut } from '../render/stdout.js';
import { SUMMARIES } from './summaries.js';

export function register(program: Command): void {
  program
    .command('reports')
    .description(SUMMARIES.reports)
    .option('--json', 'print name, description and file as JSON', false)
    .action(async (o: { json: boolean }) => {
      const reports = listReports();
      if (o.json) printJson(reports);
      else await writeOut(renderTable(['REPORT', 'DESCRIPTION'], reports.map((r) => [r.name, r.description])));
    });
}
