// `skbtape query`: runs one SQL text (inline, a file, or a named report) over captures loaded by analyze/loader.ts and
// returns columns + rows; formats them as table / json / ndjson / csv. Loading and views are the loader's job.
import { readFileSync } from 'node:fs';
import type { DuckDBValue } from '@duckdb/node-api';
import { openAnalysis, type Analysis } from './loader.js';
import { fsUserError, UserError } from '../errors.js';
import { findReport } from './reports.js';
import { sourceKind } from './sources.js';


export type QuerySource = { sql: string } | { file: string } | { report: string };

export interface QueryOptions {
  /** `$name` parameters (see parseParams). */
  params?: Record<string, DuckDBValue>;
  /** Keep/reuse <capture>/.cache/analysis.duckdb (single capture only). */
  cache?: boolean;
  warn?: (m: string) => void;
  reportsDir?: string;
  /** Damaged batches are an error, not a warning and a skip. */
  strict?: boolean;
}

export interface QueryResult {
  /** Capture ids, in the order given (the `capture` column of every table). */
  captures: string[];
  columns: string[];
  /** DuckDB type names, one per column. */
  types: string[];
  /** Rows as arrays; 64-bit integers are bigint, timestamps ISO strings, lists arrays, structs objects. */
  rows: unknown[][];
}

/**
 * Runs one query over the captures. Bad SQL is a UserError `SQL error: <DuckDB's first line>` naming where the SQL
 * came from (the -f file, the report file, or `query`).
 */
export async function runQuery(captures: string[], source: QuerySource, opts: QueryOptions = {}): Promise<QueryResult> {
  const { sql, where } = resolveSource(source, opts.reportsDir);
  if (captures.length === 0) throw new UserError('no capture given', 'query');
  const a = await openSources(captures, opts);
  try {
    return { captures: a.captureIds, ...(await runSql(a, sql, where, opts.params)) };
  } finally {
    a.close();
  }
}

/** A query whose rows arrive in DuckDB's chunks (about 2048 rows) as they are computed; close() when done. */
export interface QueryStream extends Omit<QueryResult, 'rows'> {
  chunks: AsyncIterable<unknown[][]>;
  close(): void;
}

/**
 * As runQuery, but the rows stream from DuckDB's streaming result: the first chunk can be printed before the last
 * is computed, memory holds one chunk, and a reader that goes away (`| head`) stops the work. An SQL error raised
 * after the first rows is a UserError from the iteration.
 */
export async function streamQuery(captures: string[], source: QuerySource, opts: QueryOptions = {}): Promise<QueryStream> {
  const { sql, where } = resolveSource(source, opts.reportsDir);
  if (captures.length === 0) throw new UserError('no capture given', 'query');
  checkParams(sql, opts.params);
  const a = await openSources(captures, opts);
  try {
    const p = opts.params && Object.keys(opts.params).length > 0 ? opts.params : undefined;
    const result = await sqlStep(where, () => a.connection.stream(sql, p));
    const chunks = async function* (): AsyncGenerator<unknown[][]> {
      const it = result.yieldRowsJs()[Symbol.asyncIterator]();
      for (;;) {
        const next = await sqlStep(where, () => it.next());
        if (next.done) return;
        if (next.value.length) yield next.value.map((r) => r.map(plain));
      }
    };
    return { captures: a.captureIds, columns: result.columnNames(), types: result.columnTypes().map((t) => t.toString()), chunks: chunks(), close: () => a.close() };
  } catch (e) {
    a.close();
    throw e;
  }
}

/** One DuckDB call; its error becomes the one-line SQL UserError at `where`. */
async function sqlStep<T>(where: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    // DuckDB's first line, then all it said (Did you mean …, Candidate bindings, LINE n with its ^ caret).
    // The streaming call splits the statements first, and that step prefixes DuckDB's own message.
    const [first, ...rest] = (e as Error).message.replace(/\s+$/, '').replace(/^Failed to extract statements: /, '').split('\n');
    throw new UserError(`SQL error: ${first}`, where, 2, rest.length ? rest.join('\n') : undefined);
  }
}

function checkParams(sql: string, params?: Record<string, DuckDBValue>): void {
  for (const name of Object.keys(params ?? {})) {
    // DuckDB's own message for this ("Failed to retrieve bind parameter index") names neither the value nor the flag.
    if (!new RegExp(`\\$${name}\\b`).test(sql)) throw new UserError(`--param ${name} given, but the SQL has no $${name}`, '--param');
  }
}

/** Captures (or directories of them) load into DuckDB; exported Parquet trees are read where they are. Not both at once. */
async function openSources(args: string[], opts: QueryOptions): Promise<Analysis> {
  const trees = args.filter((a) => sourceKind(a) === 'parquet-tree');
  if (trees.length === 0) return openAnalysis(args, { cache: opts.cache ?? args.length === 1, warn: opts.warn, strict: opts.strict });
  if (trees.length < args.length) {
    throw new UserError(`give either captures or exported Parquet trees, not both (${trees.join(', ')} is a Parquet tree); export the captures into the tree first`, 'query');
  }
  const { openParquetTrees } = await import('./parquet-source.js');
  return openParquetTrees(trees, opts.warn);
}

/** Runs SQL on an open analysis; DuckDB's errors become one-line UserErrors at `where`. */
export async function runSql(a: Analysis, sql: string, where: string, params?: Record<string, DuckDBValue>): Promise<Omit<QueryResult, 'captures'>> {
  for (const name of Object.keys(params ?? {})) {
    // DuckDB's own message for this ("Failed to retrieve bind parameter index") names neither the value nor the flag.
    if (!new RegExp(`\\$${name}\\b`).test(sql)) throw new UserError(`--param ${name} given, but the SQL has no $${name}`, '--param');
  }
  let reader;
  try {
    // Without parameters the text may hold several statements (SET …; SELECT …); the last one's result is returned.
    reader = params && Object.keys(params).length > 0 ? await a.connection.runAndReadAll(sql, params) : await a.connection.runAndReadAll(sql);
  } catch (e) {
    // DuckDB's first line, then all it said (Did you mean …, Candidate bindings, LINE n with its ^ caret).
    const [first, ...rest] = (e as Error).message.replace(/\s+$/, '').split('\n');
    throw new UserError(`SQL error: ${first}`, where, 2, rest.length ? rest.join('\n') : undefined);
  }
  return {
    columns: reader.columnNames(),
    types: reader.columnTypes().map((t) => t.toString()),
    rows: reader.getRowsJS().map((r) => r.map(plain)),
  };
}

function resolveSource(source: QuerySource, reportsDir?: string): { sql: string; where: string } {
  if ('sql' in source) {
    if (!source.sql.trim()) throw new UserError('empty SQL', 'query');
    return { sql: source.sql, where: 'query' };
  }
  if ('file' in source) {
    try {
      return { sql: readFileSync(source.file, 'utf8'), where: source.file };
    } catch (e) {
      throw fsUserError(e, source.file);
    }
  }
  const r = findReport(source.report, reportsDir);
  return { sql: r.sql, where: r.file };
}


/** Dates lose their Date-ness in JSON and tables alike: make them ISO strings once. */
function plain(v: unknown): unknown {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object' && !(v instanceof Uint8Array)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  }
  return v;
}

// ---------------------------------------------------------------------------------------------------------------
// Parameters

/**
 * `--param name=value` pairs -> `$name` values. Integers bind as BIGINT (exact for 64-bit skb addresses and ktimes),
 * decimals as DOUBLE, true/false as BOOLEAN, anything else as VARCHAR; quote a value ('80') to force VARCHAR.
 */
export function parseParams(pairs: readonly string[]): Record<string, DuckDBValue> {
  const out: Record<string, DuckDBValue> = {};
  for (const p of pairs) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(p);
    if (!m) throw new UserError(`--param wants name=value, not '${p}'`, '--param');
    const [, name, raw] = m as unknown as [string, string, string];
    out[name] = paramValue(raw);
  }
  return out;
}

function paramValue(raw: string): DuckDBValue {
  if (/^-?\d+$/.test(raw)) return BigInt(raw);
  if (/^0x[0-9a-fA-F]{1,16}$/.test(raw)) return BigInt(raw);
  if (/^-?\d+\.\d+(e[+-]?\d+)?$/i.test(raw)) return Number(raw);
  if (raw === 'true' || raw === 'false') return raw === 'true';
  const q = /^'(.*)'$/s.exec(raw) ?? /^"(.*)"$/s.exec(raw);
  return q ? q[1]! : raw;
}
