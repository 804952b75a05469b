// The package's SQL files (queries/<stage>/<name>.sql), read once and cached. A missing file is a packaging bug,
// not a user error, so it throws as one. Which file runs when is each stage's business.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const QUERIES_DIR = fileURLToPath(new URL('../../queries/', import.meta.url));

const cache = new Map<string, string>();

/** The text of queries/<rel>.sql, e.g. `diff/20_diff_tracks`, `check/no_drops`, `analyze/flow_tracks`. */
export function sqlFile(rel: string): string {
  let s = cache.get(rel);
  if (s === undefined) {
    s = readFileSync(`${QUERIES_DIR}${rel}.sql`, 'utf8');
    cache.set(rel, s);
  }
  return s;
}
