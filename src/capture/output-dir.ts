// Claims an output directory for a new capture: refuses a non-empty one unless --force, so an earlier capture
// is never overwritten by accident; and --force replaces only an earlier capture, never a folder of other files.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UserError, writeUserError } from '../errors.js';

export function claimOutputDir(dir: string, force: boolean, flag = '-o'): void {
  let entries: string[] = [];
  try {
    if (!statSync(dir).isDirectory()) throw new UserError(`output ${dir} exists and is not a directory`, flag);
    entries = readdirSync(dir);
  } catch (e) {
    if (e instanceof UserError) throw e;
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new UserError(`cannot use output ${dir}: ${(e as Error).message}`, flag);
  }
  if (entries.length > 0) {
    if (!force) throw new UserError(`output directory ${dir} is not empty (use --force to replace it)`, flag);
    if (!isCapture(dir)) {
      throw new UserError(`--force replaces only a capture directory (one holding skbtape's manifest.json); ${dir} holds other files, left untouched`, '--force');
    }
    for (const e of entries) rmSync(join(dir, e), { recursive: true, force: true });
  }
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    let err = e;
    // Node's recursive mkdir says ENOENT for a parent that exists on a read-only mount: ask once more for the errno.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && existsSync(dirname(dir))) try { mkdirSync(dir); } catch (e2) { err = e2; }
    throw writeUserError(err, dir) ?? new UserError(`cannot create output directory ${dir}: ${(err as Error).message}`, flag);
  }
}

/** Is `dir` a capture of ours: a manifest.json that skbtape wrote (it names its schema and skbtape version)? */
function isCapture(dir: string): boolean {
  try {
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    return typeof m['schemaVersion'] === 'number' && typeof m['skbtapeVersion'] === 'string';
  } catch {
    return false;
  }
}
