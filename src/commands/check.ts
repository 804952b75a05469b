// `skbtape check <capture> <rules>`: CI assertions over a capture. Prints each rule pass/fail with a few offending
// rows; exit 0 all pass, 1 any failure, 2 bad rules file or capture. The work is check/check.ts's.
import type { Command } from 'commander';
import type { CheckResult } from '../check/check.js';
import { addFormatOption, chosenFormat, formatObjects, formatRecord, type FormatSpec } from '../render/output.js';
import { paint } from '../render/color.js';
import { renderTable } from '../render/table.js';
import { writeOut } from '../render/stdout.js';
import { SUMMARIES } from './summaries.js';
import { strictOption, analysisResourceOptions } from './options.js';

export function renderCheckText(r: CheckResult): string {
  const c = paint();
  const out: string[] = [];
  for (const x of r.rules) {
    // The loss rule is the check's own: it has a line only when the file says allow_loss.
    const where = x.form === 'loss' && x.line === 0 ? 'every check; allow_loss: true to pass' : `${r.rulesFile}:${x.line}`;
    out.push(`${x.pass ? c.green('PASS') : c.red('FAIL')}  ${x.name}  (${where})`);
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

const FORMAT: FormatSpec = {};

export function register(program: Command): void {
  const cmd = analysisResourceOptions(program.command('check'))
    .description(SUMMARIES.check)
    .argument('<capture>', 'capture directory')
    .argument('<rules>', 'rules file (YAML)')
    .addOption(strictOption());
  addFormatOption(cmd, FORMAT)
    .addHelpText('after', `
Examples:
  skbtape check cap samples/check-example.yaml
  skbtape check cap rules.yaml --format ndjson        # one rule result a line
  skbtape check cap rules.yaml --format csv           # rule, line, pass, offending rows

Exit codes: 0 every rule passed; 1 a rule failed (its offending rows are printed; a rule whose flow matches no
track fails too, unless allow_empty: true; so does any loss report, the check's own rule 'no events lost', unless
the file says allow_loss: true at its top level; rules: [] checks only that); 2 a bad rules file, a rule whose SQL does not run, or bad input.`)
    .action(async (capture: string, rules: string, o: { format?: string; json?: boolean; color?: string; strict: boolean }) => {
      const format = chosenFormat(o, FORMAT);
      const warn = (w: string) => process.stderr.write(`skbtape: warning: ${w}\n`);
      const { runCheck } = await import('../check/check.js'); // DuckDB loads only when needed
      const r = await runCheck(capture, rules, { warn, strict: o.strict });
      if (format === 'csv') {
        const rows = r.rules.map((x) => ({ rule: x.name, line: x.line, pass: x.pass, offending_rows: x.total, warning: x.warning ?? null }));
        for (const chunk of formatObjects(rows, 'csv', ['rule', 'line', 'pass', 'offending_rows', 'warning'])) await writeOut(chunk);
      } else await writeOut(formatRecord(r, format, () => renderCheckText(r), () => r.rules));
      process.exitCode = r.failed > 0 ? 1 : 0;
    });
}
