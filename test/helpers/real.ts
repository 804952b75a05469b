// Where the third-party real outputs live (../shared/real, beside the checkout). They are read in place, never
// copied into the repo; tests that need them skip with a printed reason when the folder is absent.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { noteSkip } from './prereq.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SHARED = resolve(ROOT, '../shared');
export const REAL_DIR = join(SHARED, 'real');
const seedDir = join(SHARED, 'seed');

let warned = false;
export function realFiles(prefix = ''): string[] {
  if (!existsSync(REAL_DIR)) {
    if (!warned) noteSkip('real-output tests', `${REAL_DIR} is absent`);
    warned = true;
    return [];
  }
  return readdirSync(REAL_DIR).filter((f) => f.startsWith(prefix) && f.endsWith('.txt')).sort().map((f) => join(REAL_DIR, f));
}

export const SEED: string | null = existsSync(seedDir)
  ? join(seedDir, readdirSync(seedDir).find((f) => f.endsWith('.txt')) ?? 'missing')
  : (noteSkip('seed tests', `${seedDir} is absent`), null);

export function readLines(file: string): string[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** Every pwru output the identity tests read: the real ones, the samples, the lifetime cases and the seed. */
export function identityCorpus(): string[] {
  const lifetimes = join(SHARED, 'lifetimes');
  return [
    ...realFiles('pwru-'),
    ...readdirSync(join(ROOT, 'samples')).filter((f) => /\.pwru\.(txt|json)$/.test(f)).map((f) => join(ROOT, 'samples', f)),
    ...(existsSync(lifetimes) ? readdirSync(lifetimes).filter((f) => /^s\d+.*\.json$/.test(f)).map((f) => join(lifetimes, f)) : []),
    ...(SEED ? [SEED] : []),
  ];
}
