// `skbtape check <capture> <rules>`: CI assertions over a capture. Prints each rule pass/fail with a few offending
// rows; exit 0 all pass, 1 any failure, 2 bad rules file or capture. The work is check/check.ts's.
import type { Command } from 'commander';
import type { CheckResult } from '../check/check.js';
import { UserError } from '../errors.js';
import { renderTable, toJson } from '../render/table.js';
import { writeOut } from '../render/stdout.js';
import { SUMMARIES } from './summaries.js';

export function renderCheckText(r: CheckResult): string {
  const out: string[] = [];
  for (const x of r.rules) {
    out.push(`${x.pass ? 'PASS' : 'FAIL'}  ${x.name}  (${r.rulesFile}:${x.line})`);
    if (x.warning) out.push(`      warning: ${x.warning}`);
    if (!x.pass && x.rows.length) {
      const cols = Object.keys(x.rows[0]!);
      out.push(renderTable(cols, x.rows.map((row) => cols.map((c) => row[c]))).trimEnd().split('\n').map((l) => `      ${l}`).join('\n'));
      if (x.total > x.rows.length) out.push(`      … ${x.total - x.rows.length} more rows`);
    }
  }
  out.push(`${r.passed} passed, ${r.failed} failed`);
  return out.join('\n') + '\n';
}

export function register(program: Command): void {
  program
    .command('check')
    .description(SUMMARIES.check)
    .argument('<capture>', 'capture directory')
    .argument('<rules>', 'rules file (YAML)')
    .option('--format <fmt>', 'text or json', 'text')
    .addHelpText('after', `
Example:
  skbtape check cap samples/check-example.yaml

Exit codes: 0 every rule passed; 1 a rule failed (its offending rows are printed; a rule whose flow matches no
track fails too, unless allow_empty: true); 2 a bad rules file, a rule whose SQL does not run, or bad input.`)
    .action(async (capture: string, rules: string, o: { format: string }) => {
      if (o.format !== 'text' && o.format !== 'json') throw new UserError(`--format wants text or json, not '${o.format}'`, '--format');
      const warn = (w: string) => process.stderr.write(`skbtape: warning: ${w}\n`);
      const { runCheck } = await import('../check/check.js'); // DuckDB loads only when needed
      const r = await runCheck(capture, rules, { warn });
      await writeOut(o.format === 'json' ? toJson(r, 2) + '\n' : renderCheckText(r));
      process.exitCode = r.failed > 0 ? 1 : 0;
    });
}
