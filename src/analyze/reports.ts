// The canned reports: queries/reports/<name>.sql, listed with the one-line description each file opens with.
// A command's own SQL lives in queries/<stage>/ instead (sql-files.ts); `_`-prefixed files here are never listed.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.js';

export const defaultReportsDir = () => fileURLToPath(new URL('../../queries/reports/', import.meta.url));

export interface ReportInfo {
  name: string;
  /** The file's first comment line. */
  description: string;
  file: string;
}

/** Every report in `dir`, by name. */
export function listReports(dir = defaultReportsDir()): ReportInfo[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => n.endsWith('.sql') && !n.startsWith('_'))
    .sort()
    .map((n) => {
      const file = join(dir, n);
      return { name: basename(n, '.sql'), description: describe(readFileSync(file, 'utf8')), file };
    });
}

/** The first `--` line, without the dashes: what `skbtape reports` shows. */
export function describe(sql: string): string {
  const first = sql.split('\n').find((l) => l.trim().startsWith('--'));
  return first ? first.trim().replace(/^--\s*/, '') : '';
}

/** The report called `name`, or a UserError listing the names there are. */
export function findReport(name: string, dir = defaultReportsDir()): ReportInfo & { sql: string } {
  const all = listReports(dir);
  const r = all.find((x) => x.name === name);
  if (!r) throw new UserError(`unknown report '${name}'; reports: ${all.map((x) => x.name).join(', ') || '(none)'}`, '--report');
  return { ...r, sql: readFileSync(r.file, 'utf8') };
}
