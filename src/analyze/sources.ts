// What the directories given to query, paths, diff and export are: a capture (manifest.json), a directory of
// captures (each child holding one; a fleet's captures copied into one place), or an exported Parquet tree
// (`export --parquet`: <table>/node=…/date=…/capture_id=…/*.parquet), which only `query` reads.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { MANIFEST } from '../capture/dir.js';
import { UserError } from '../errors.js';

export type SourceKind = 'capture' | 'captures-dir' | 'parquet-tree' | 'other';

const isDir = (p: string) => { try { return statSync(p).isDirectory(); } catch { return false; } };

/** A tree `export --parquet` wrote: a table directory of ours holding node= partitions. */
export function isParquetTree(dir: string): boolean {
  return ['events', 'tracks', 'captures'].some((t) => isDir(join(dir, t)) && readdirSync(join(dir, t)).some((n) => n.startsWith('node=')));
}

/** The captures directly inside `dir`, sorted by name. */
export function childCaptures(dir: string): string[] {
  if (!isDir(dir)) return [];
  return readdirSync(dir).sort().map((n) => join(dir, n)).filter((p) => existsSync(join(p, MANIFEST)));
}

export function sourceKind(dir: string): SourceKind {
  if (existsSync(join(dir, MANIFEST))) return 'capture';
  if (isParquetTree(dir)) return 'parquet-tree';
  if (childCaptures(dir).length > 0) return 'captures-dir';
  return 'other';
}

/**
 * Each argument as capture directories: a capture as itself, a directory of captures as its children. A Parquet
 * tree is refused here (naming the command that reads it); anything else is left for readManifest to explain.
 */
export function expandCaptures(args: readonly string[], where = 'capture'): string[] {
  return args.flatMap((a) => {
    const k = sourceKind(a);
    if (k === 'captures-dir') return childCaptures(a);
    if (k === 'parquet-tree') throw new UserError(`${a} is an exported Parquet tree; only 'skbtape query' reads it (the capture directories it came from work everywhere)`, where);
    return [a];
  });
}
