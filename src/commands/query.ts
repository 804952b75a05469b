// `skbtape query <capture...> <sql> | -f file.sql | --report name`: SQL over captures, printed as a table (terminal)
// or NDJSON (pipe), or --format json/csv. The work is analyze/query.ts; this parses options and writes.
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import type { QuerySource } from '../analyze/query.js';
import { addFormatOption, chosenFormat, formatRowChunks, type FormatSpec } from '../render/output.js';
import { writeOut } from '../render/stdout.js';
import { SUMMARIES } from './summaries.js';
import { strictOption, analysisResourceOptions } from './options.js';

interface Opts { file?: string; report?: string; format?: string; json?: boolean; color?: string; param: string[]; cache: boolean; strict: boolean }

const FORMAT: FormatSpec = { piped: 'ndjson' };

export function register(program: Command): void {
  const cmd = analysisResourceOptions(program.command('query'))
    .description(SUMMARIES.query)
    .argument('<args...>', 'capture directories (or directories of captures, or exported Parquet trees), then the SQL text (unless -f or --report is given)')
    .option('-f, --file <file.sql>', 'read the SQL from a file')
    .option('-r, --report <name>', 'run a canned report (`skbtape reports` lists them)')
    .option('-p, --param <name=value>', 'bind $name in the SQL (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .addOption(strictOption())
    .option('--no-cache', 'do not read or write <capture>/.cache (single capture)');
  addFormatOption(cmd, FORMAT)
    .addHelpText('after', `
Examples:
  skbtape query cap/ "SELECT verdict, count(*) FROM skb_tracks GROUP BY ALL"
  skbtape query cap/ --report drops --format table
  skbtape query node1/ node2/ -p port=80 "SELECT capture, count(*) FROM events WHERE dport = \\$port GROUP BY ALL"
  skbtape query fleet-parquet/ --report cross-node
Rows from several captures carry their capture label in the \`capture\` column and their node in \`node\`. An
exported Parquet tree (export --parquet) is read in place: events, tracks (also skb_tracks), captures, … as views.

The SQL runs with DuckDB's full access to files (it is your own command line); \`check\` rules do not.

Exit codes: 0 the query ran (an empty result included); 2 a SQL error (DuckDB's whole message is printed), an
unknown report, or a path that is not a capture.`)
    .action(async (args: string[], o: Opts) => {
      // Loaded when the command runs: DuckDB's native module costs half a second at start-up.
      const { parseParams, streamQuery } = await import('../analyze/query.js');
      const format = chosenFormat(o, FORMAT);
      const params = parseParams(o.param);
      let captures = args;
      let source: QuerySource;
      if (o.file !== undefined && o.report !== undefined) throw new UserError('give -f or --report, not both', '--report');
      if (o.file !== undefined) source = { file: o.file };
      else if (o.report !== undefined) source = { report: o.report };
      else {
        if (args.length < 2) throw new UserError('give capture directories and then the SQL (or -f file.sql, or --report name)', 'query');
        captures = args.slice(0, -1);
        source = { sql: args.at(-1)! };
        // `query 'SELECT …' cap`: the SQL came first. Say so rather than look for a capture named `SELECT …`.
        const looksSql = (a: string) => /^\s*(select|with|from|describe|show|summarize|pivot|explain)\b/i.test(a);
        if (looksSql(captures[0]!) && !existsSync(captures[0]!) && !looksSql(source.sql)) {
          throw new UserError(`the SQL goes last: skbtape query ${captures.slice(1).concat(source.sql).join(' ')} '${captures[0]!.trim()}'`, 'query');
        }
      }
      const warn = (w: string) => process.stderr.write(`skbtape: warning: ${w}\n`);
      // Rows are printed chunk by chunk as DuckDB computes them; `| head` ends the work at its first failed write.
      const r = await streamQuery(captures, source, { params, cache: o.cache, warn, strict: o.strict });
      try {
        for await (const text of formatRowChunks(r.columns, r.chunks, format)) await writeOut(text);
      } finally {
        r.close();
      }
    });
}
