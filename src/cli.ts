// The commander program and the one error exit: a UserError prints one line and exits non-zero; anything else
// is a bug and shows its stack. A closed stdout (`skbtape replay | head`) ends the program quietly.
import { appendFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { formatUserError, UserError } from './errors.js';
import { StdoutClosed } from './stdout.js';
import { SKBTAPE_VERSION } from './version.js';
import * as importCmd from './commands/import.js';
import * as infoCmd from './commands/info.js';
import * as replayCmd from './commands/replay.js';
import * as recordCmd from './commands/record.js';
import * as snapshotCmd from './commands/snapshot.js';
import * as attachCmd from './commands/attach.js';
import * as queryCmd from './commands/query.js';
import * as reportsCmd from './commands/reports.js';
import * as pathsCmd from './commands/paths.js';
import * as exportCmd from './commands/export.js';
import * as diffCmd from './commands/diff.js';
import * as checkCmd from './commands/check.js';
import * as demoCmd from './commands/demo.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('skbtape')
    .description('Record pwru / kernel skb traces into Arrow captures; analyze, replay and diff them with DuckDB.')
    .version(SKBTAPE_VERSION)
    .showSuggestionAfterError(true)
    .exitOverride();
  for (const cmd of [recordCmd, importCmd, infoCmd, replayCmd, queryCmd, reportsCmd, pathsCmd, diffCmd, checkCmd, exportCmd, snapshotCmd, attachCmd, demoCmd]) cmd.register(program);
  for (const sub of program.commands) sub.exitOverride();
  // The test suite's flag census (test/flag-coverage.mjs): which flags each run was given on the command line.
  const flagLog = process.env['SKBTAPE_FLAG_LOG'];
  if (flagLog) {
    program.hook('preAction', (_top, cmd) => {
      const flags = cmd.options.filter((o) => cmd.getOptionValueSource(o.attributeName()) === 'cli').map((o) => o.long ?? o.short);
      appendFileSync(flagLog, `${JSON.stringify({ command: cmd.name(), flags })}\n`);
    });
  }
  return program;
}

export async function main(argv: string[]): Promise<void> {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
  });
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    process.exitCode = exitCodeFor(err);
  }
}

function exitCodeFor(err: unknown): number {
  if (err instanceof StdoutClosed) return 0;
  if (err instanceof CommanderError) {
    // commander already printed its message (unknown option, missing argument, --help, --version).
    return err.exitCode === 0 ? 0 : 2;
  }
  if (err instanceof UserError) {
    process.stderr.write(formatUserError(err) + '\n');
    return err.exitCode;
  }
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'EPIPE') return 0;
  process.stderr.write(`skbtape: internal error (a bug, please report it):\n${e?.stack ?? String(err)}\n`);
  return 70;
}
