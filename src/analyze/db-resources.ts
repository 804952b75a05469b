// How much memory DuckDB may take and where it spills: the analysis database's memory_limit and temp_directory,
// chosen from the machine unless --memory-limit / --temp-dir say otherwise. The loader applies them; the command
// layer only sets them once per run (setAnalysisResources) from the shared option definitions.
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { freemem, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { UserError } from '../errors.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/**
 * The smallest limit measured to analyze 1 M events (bench/analyze.mjs --limits): 64 MB, with the lifetime stage in
 * 21 address buckets. Below it DuckDB's per-thread buffers alone come near the limit.
 */
export const MIN_MEMORY_LIMIT = 64e6;

export interface AnalysisResources {
  /** DuckDB's memory_limit in bytes; null = chosen from the machine (defaultMemoryLimit). */
  memoryLimit: number | null;
  /** Where the working database and DuckDB's spill files go (a fresh skbtape-analysis-* directory inside it). */
  tempDir: string | null;
}

let current: AnalysisResources = { memoryLimit: null, tempDir: null };

/** Set once by the CLI from --memory-limit / --temp-dir; every later openAnalysis uses them. */
export function setAnalysisResources(r: Partial<AnalysisResources>): void {
  current = { ...current, ...r };
}
export const analysisResources = (): AnalysisResources => current;

/**
 * A quarter of the memory that is free now, at least 256 MB and at most 512 MB. DuckDB's own default (80% of RAM) would
 * let one analysis take what the recorder and the other processes of the node need. DuckDB keeps what it read cached
 * up to its limit, so the limit is what the peak grows to: with 2 GB, 10 M events peaked at 1.45 GB (1 M: 0.46-0.55);
 * with 512 MB, 0.79 GB (1 M: 0.38), for the same CPU time (bench/analyze.mjs --memory-limit; the lifetime stage runs
 * in more address buckets, and tables are evicted to the working file, which costs little).
 */
export function defaultMemoryLimit(free = freemem(), total = totalmem()): number {
  const share = Math.min(free, total) / 4;
  return Math.round(Math.min(512 * MiB, Math.max(256 * MiB, share)));
}

const UNITS: Record<string, number> = {
  b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 1024, mib: MiB, gib: GiB, tib: 1024 * GiB, k: 1024, m: MiB, g: GiB, t: 1024 * GiB,
};

/** `2GB`, `512MiB`, `1.5G`, `25%` (of this machine's RAM) -> bytes; anything else is a one-line error naming the flag. */
export function parseMemoryLimit(text: string, total = totalmem()): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*|%)\s*$/i.exec(text);
  const n = m ? Number(m[1]) : NaN;
  const unit = m ? m[2]!.toLowerCase() : '';
  const bytes = unit === '%' ? (total * n) / 100 : unit in UNITS ? n * UNITS[unit]! : NaN;
  if (!m || !Number.isFinite(bytes) || (unit === '%' && (n <= 0 || n > 100))) {
    throw new UserError(`--memory-limit wants a size like 2GB, 512MB or 25% (of RAM), not '${text}'`, '--memory-limit');
  }
  if (bytes < MIN_MEMORY_LIMIT) {
    throw new UserError(`--memory-limit ${text} is below the ${MIN_MEMORY_LIMIT / 1e6} MB the lifetime stage needs`, '--memory-limit');
  }
  return Math.round(bytes);
}

/** --temp-dir must be a directory we can create things in (it is made when missing; nothing in it is touched). */
export function checkTempDir(dir: string): string {
  const abs = resolve(dir);
  if (existsSync(abs) && !statSync(abs).isDirectory()) throw new UserError(`--temp-dir ${dir} is not a directory`, '--temp-dir');
  try {
    mkdirSync(abs, { recursive: true });
  } catch (e) {
    throw new UserError(`--temp-dir ${dir}: cannot create it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, '--temp-dir');
  }
  return abs;
}

/** A fresh directory of our own for one analysis (its database and spill files), removed by `remove`. */
export function workDir(base = current.tempDir ?? tmpdir()): { path: string; remove(): void } {
  const path = mkdtempSync(join(base, 'skbtape-analysis-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** The memory limit this run gives DuckDB, in bytes. */
export const memoryLimitBytes = (): number => current.memoryLimit ?? defaultMemoryLimit();

/** DuckDB's settings for an analysis database whose spill files go to `spillDir`. */
export function duckdbSettings(spillDir: string): Record<string, string> {
  const limit = memoryLimitBytes();
  return { memory_limit: `${Math.floor(limit / MiB)}MiB`, temp_directory: spillDir };
}

/** DuckDB's "Out of Memory" as a one-line error that names the flag to raise it; null for any other error. */
export function outOfMemory(e: unknown): UserError | null {
  const msg = (e as Error)?.message ?? '';
  const m = /Out of Memory Error: ([^\n]*)/.exec(msg);
  if (m === null) return null;
  const limit = `${Math.floor(memoryLimitBytes() / MiB)} MiB`;
  return new UserError(`DuckDB ran out of memory under its ${limit} limit (${m[1]!.trim()}); give it more`, '--memory-limit');
}
