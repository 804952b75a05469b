// SQL that comes from a file someone else wrote (a `check` rules file from a pull request) runs sandboxed: after the
// capture is loaded, DuckDB's external access is switched off (no file reads or writes, no ATTACH, no extension
// loading) and the configuration locked so the SQL cannot switch it back; each such text must be one SELECT.
import { StatementType, type DuckDBValue } from './duckdb.js';
import type { Analysis, Row } from './loader.js';

/** Switch off file, network and extension access for the rest of this connection's life; it cannot be undone. */
export async function lockDown(an: Analysis): Promise<void> {
  await an.connection.run('SET enable_external_access = false');
  await an.connection.run('SET lock_configuration = true');
}

/** Why a sandboxed text was refused before it ran (the caller names the rule and its line). */
export class SandboxRefusal extends Error {}

/**
 * Runs one read-only statement. The statements are counted by DuckDB's own parser (never by splitting on `;`,
 * which a string literal may hold), and the one statement must be a SELECT: COPY, ATTACH, SET, PRAGMA, CREATE,
 * INSERT… are refused even though the lock-down would stop most of them, so a refused rule says why in our words.
 */
export async function runSandboxed(an: Analysis, sql: string, params: Record<string, DuckDBValue> = {}): Promise<Row[]> {
  const extracted = await an.connection.extractStatements(sql);
  if (extracted.count !== 1) throw new SandboxRefusal(`holds ${extracted.count} statements; a rule is one SELECT`);
  const prepared = await extracted.prepare(0);
  try {
    if (prepared.statementType !== StatementType.SELECT) {
      throw new SandboxRefusal(`is a ${StatementType[prepared.statementType] ?? 'non-SELECT'} statement; a rule is one read-only SELECT`);
    }
    if (Object.keys(params).length) prepared.bind(params);
    const reader = await prepared.runAndReadAll();
    return reader.getRowObjectsJS() as Row[];
  } finally {
    prepared.destroySync?.();
  }
}
