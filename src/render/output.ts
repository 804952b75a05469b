// The one output option of every command that prints data: --format table|json|ndjson|csv (with --json meaning
// --format json), its default by where stdout goes, and rows or one record rendered in each format.
// `table` is the human form: a table for rows, the command's own text layout for a summary, a journey or a diff.
import { Option, type Command } from 'commander';
import { UserError } from '../errors.js';
import { setColorMode } from './color.js';
import { renderTable, toJson } from './table.js';

export const OUTPUT_FORMATS = ['table', 'json', 'ndjson', 'csv'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface FormatSpec {
  /** The formats the command can print (default all four). */
  formats?: readonly OutputFormat[];
  /**
   * The default when stdout is not a terminal. Rows (query, reports) go out as NDJSON, which is what jq, grep and
   * head want; a summary, a journey, a diff or a check stays text, which is what a CI log and `less` want.
   */
  piped?: 'table' | 'ndjson';
}

/** Adds `--format` and its `--json` alias to a command, with the help text naming its formats and default. */
export function addFormatOption(cmd: Command, spec: FormatSpec = {}): Command {
  const formats = spec.formats ?? OUTPUT_FORMATS;
  const dflt = spec.piped === 'ndjson' ? 'table on a terminal, ndjson when piped' : 'table';
  return cmd
    .addOption(new Option('--format <format>', `output: ${formats.join(' | ')} (default: ${dflt})`))
    .addOption(new Option('--json', 'the same as --format json'))
    .addOption(new Option('--color <when>', 'colour: auto (a terminal, NO_COLOR unset), always or never').default('auto'));
}

/** The format asked for (or the default), refused with the list when the command cannot print it. */
export function chosenFormat(o: { format?: string; json?: boolean; color?: string }, spec: FormatSpec = {}, isTTY = Boolean(process.stdout.isTTY)): OutputFormat {
  if (o.color !== undefined) setColorMode(o.color);
  const formats = spec.formats ?? OUTPUT_FORMATS;
  if (o.json && o.format !== undefined && o.format !== 'json') throw new UserError(`give --json or --format ${o.format}, not both`, '--json');
  const f = o.json ? 'json' : o.format ?? (isTTY || spec.piped !== 'ndjson' ? 'table' : 'ndjson');
  if (f === 'text') return 'table';
  if (!(formats as readonly string[]).includes(f)) {
    throw new UserError(`--format wants ${formats.join(', ')}, not '${f}'`, '--format');
  }
  return f as OutputFormat;
}

/** Output keys for JSON objects: a repeated column name (SELECT 1 a, 2 a) gets _2, _3… instead of overwriting. */
export function uniqueKeys(columns: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return columns.map((c) => {
    const n = (seen.get(c) ?? 0) + 1;
    seen.set(c, n);
    return n === 1 ? c : `${c}_${n}`;
  });
}

/** RFC 4180: quote when the text holds a comma, quote or line break; lists and structs as JSON text; NULL empty. */
export function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : typeof v === 'object' ? toJson(v) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/**
 * The text of rows in json, ndjson or csv, one chunk of rows at a time: `head` before the first chunk, `chunk` for
 * each, `tail` after the last. formatRows (rows in hand) and formatRowChunks (a streamed query) both write with it, so
 * the two give the same text. JSON is written element by element: JSON.stringify(rows, null, 2) is "[\n", each
 * element's own text indented by two more, and "\n]".
 */
function rowText(columns: readonly string[], format: Exclude<OutputFormat, 'table'>) {
  const keys = uniqueKeys(columns);
  const obj = (row: readonly unknown[]) => Object.fromEntries(keys.map((k, i) => [k, row[i] ?? null]));
  let n = 0;
  return {
    head: () => (format === 'csv' ? columns.map(csvCell).join(',') + '\n' : ''),
    chunk: (part: readonly unknown[][]): string => {
      if (part.length === 0) return '';
      if (format === 'ndjson') return part.map((row) => toJson(obj(row))).join('\n') + '\n';
      if (format === 'csv') return part.map((row) => row.map(csvCell).join(',')).join('\n') + '\n';
      return part.map((row) => `${n++ === 0 ? '[\n' : ',\n'}  ${toJson(obj(row), 2).replaceAll('\n', '\n  ')}`).join('');
    },
    tail: () => (format !== 'json' ? '' : n === 0 ? '[]\n' : '\n]\n'),
  };
}

/**
 * Rows as text chunks in one format (so a large result reaches `| head` before it is all built). `table` ends with a
 * row count unless `counted` is false.
 */
export function* formatRows(columns: readonly string[], rows: readonly unknown[][], format: OutputFormat, opts: { chunkRows?: number; counted?: boolean } = {}): Generator<string> {
  if (format === 'table') {
    yield renderTable([...columns], rows as unknown[][]);
    if (opts.counted !== false) yield rows.length === 1 ? '(1 row)\n' : `(${rows.length} rows)\n`;
    return;
  }
  const chunkRows = opts.chunkRows ?? 2000;
  const w = rowText(columns, format);
  yield w.head();
  for (let i = 0; i < rows.length; i += chunkRows) yield w.chunk(rows.slice(i, i + chunkRows));
  yield w.tail();
}

/**
 * formatRows over rows that arrive in chunks (a streamed query): NDJSON, CSV and JSON print each chunk as it comes;
 * a table needs every row for its column widths, so it gathers them first.
 */
export async function* formatRowChunks(columns: readonly string[], chunks: AsyncIterable<unknown[][]>, format: OutputFormat): AsyncGenerator<string> {
  if (format === 'table') {
    const rows: unknown[][] = [];
    for await (const c of chunks) rows.push(...c);
    yield* formatRows(columns, rows, format);
    return;
  }
  const w = rowText(columns, format);
  yield w.head();
  for await (const part of chunks) yield w.chunk(part);
  yield w.tail();
}

/** Objects (all with the same keys, or the first's) as rows in a format. */
export function formatObjects(objs: readonly Record<string, unknown>[], format: OutputFormat, columns?: readonly string[]): Generator<string> {
  const cols = columns ?? Object.keys(objs[0] ?? {});
  return formatRows(cols, objs.map((o) => cols.map((c) => o[c])), format);
}

/**
 * One record (a summary, a journey, a diff): `table` is the command's own text, `json` pretty JSON, `ndjson` the
 * record on one line, or its `items` one per line when the command gives a list (groups, changes, rules).
 */
export function formatRecord(value: unknown, format: OutputFormat, text: () => string, items?: () => readonly unknown[]): string {
  switch (format) {
    case 'table': return text();
    case 'json': return toJson(value, 2) + '\n';
    case 'ndjson': {
      const xs = items ? items() : [value];
      return xs.map((x) => toJson(x)).join('\n') + (xs.length ? '\n' : '');
    }
    case 'csv': throw new UserError('--format csv prints rows; this command prints a record: use json or ndjson', '--format');
  }
}
