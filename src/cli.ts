// The commander program and the one error exit: a UserError prints one line and exits non-zero; anything else
// is a bug and shows its stack. A closed stdout (`skbtape replay | head`) ends the program quietly.
import { appendFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { formatUserError, UserError } from './errors.js';
import { StdoutClosed } from './render/stdout.js';
import { SKBTAPE_VERSION } from './version.js';
import { SUMMARIES } from './commands/summaries.js';
type CommandModule = { register(program: Command): void };

/**
 * Each command's module, loaded only when needed: a command line names one command, and only that one is loaded
 * (its own heavy imports are lazy too), so `skbtape info` does not pay for DuckDB, Arrow or execa. The top-level
 * help lists them from commands/summaries.ts without loading any (see buildProgram).
 */
const COMMANDS: Record<string, () => Promise<CommandModule>> = {
  record: () => import('./commands/record.js'),
  import: () => import('./commands/import.js'),
  info: () => import('./commands/info.js'),
  replay: () => import('./commands/replay.js'),
  query: () => import('./commands/query.js'),
  reports: () => import('./commands/reports.js'),
  paths: () => import('./commands/paths.js'),
  tracks: () => import('./commands/tracks.js'),
  report: () => import('./commands/report.js'),
  diff: () => import('./commands/diff.js'),
  check: () => import('./commands/check.js'),
  verify: () => import('./commands/verify.js'),
  filter: () => import('./commands/filter.js'),
  export: () => import('./commands/export.js'),
  snapshot: () => import('./commands/snapshot.js'),
  attach: () => import('./commands/attach.js'),
  demo: () => import('./commands/demo.js'),
};

/**
 * The program. `only` a command's name: that command, loaded. `'all'`: every command, loaded (the flag census).
 * Anything else (top-level help, no or an unknown command): every command listed by its one-line summary, none
 * loaded, so `skbtape --help` starts as fast as commander itself.
 */
export async function buildProgram(only?: string): Promise<Command> {
  const program = new Command();
  program
    .name('skbtape')
    .description('Record pwru / kernel skb traces into Arrow captures; analyze, replay and diff them with DuckDB.')
    .version(SKBTAPE_VERSION)
    .showSuggestionAfterError(true)
    .exitOverride();
  if (only === 'all' || (only !== undefined && only in COMMANDS)) {
    const names = only === 'all' ? Object.keys(COMMANDS) : [only];
    for (const m of await Promise.all(names.map((n) => COMMANDS[n]!()))) m.register(program);
  } else {
    for (const [name, summary] of Object.entries(SUMMARIES)) program.command(name).description(summary);
    program.addHelpText('after', `
Start here:
  skbtape demo                                  record a real curl in a throwaway lab (or analyze the samples)
  skbtape import pwru.log -o cap                a saved pwru output -> a capture directory
  skbtape paths cap                             each skb's journey, grouped by path, with its verdict
  skbtape diff good-cap bad-cap                 where two runs part
'skbtape <command> --help' (or 'skbtape help <command>') shows a command's options.`);
  }
  for (const sub of program.commands) {
    sub.exitOverride();
    sub.configureOutput({ outputError: (text, write) => write(`${commanderErrorText(text, sub.name())}\n`) });
  }
  program.configureOutput({ outputError: (text, write) => write(`${commanderErrorText(text)}\n`) });
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

/**
 * commander's own errors (unknown option, missing value, bad choice) in skbtape's one style:
 * `skbtape: <what>; <commander's hint> (--flag)` and where to read more. An unknown flag of `record` may be a pwru
 * flag skbtape does not know: it says how to pass one through.
 */
export function commanderErrorText(raw: string, command?: string): string {
  const [first = '', ...rest] = raw.trim().split('\n');
  let what = first.replace(/^error: /, '').replace(/\.$/, '');
  const hint = rest.join(' ').trim().replace(/^\((.*)\)$/, '$1').replace(/^Did you mean/, 'did you mean');
  if (hint) what += `; ${hint}`;
  const flag = [...first.matchAll(/'(-{1,2}[A-Za-z][\w-]*)(?:[ ,][^']*)?'/g)].map((m) => m[1]!).at(-1);
  const unknown = /^error: unknown option '(--[^'=]+)/.exec(first)?.[1];
  if (command === 'record' && unknown && !hint) what += `; if it is a pwru flag, pass it with --pwru-arg=${unknown}`;
  const help = command ? `skbtape ${command} --help` : 'skbtape --help';
  return `skbtape: ${what}${flag ? ` (${flag.replace(/^-o$/, '--output')})` : ''}\nsee '${help}'`;
}

export async function main(argv: string[]): Promise<void> {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
  });
  try {
    // `skbtape help record` needs record's module as much as `skbtape record --help` does.
    await (await buildProgram(argv[2] === 'help' ? argv[3] : argv[2])).parseAsync(argv);
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
