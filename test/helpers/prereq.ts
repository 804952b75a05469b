// One gate for tests that need something of the machine (root, a Debian tool, tracefs, ../shared). A skip is kept
// for what the machine truly lacks and is logged with its reason for the end-of-run summary (skip-reporter.ts).
// Under CI=true a reason the set-up can fix (`fixable`: a Debian tool, a tracefs mount) fails the file instead.
import { appendFileSync } from 'node:fs';
import type { Prereq } from '../../src/demo/lab-net.js';

export type { Prereq };

/** The test file that called us, from the stack (the reporter groups reasons by file). */
function callerFile(): string {
  for (const line of (new Error().stack ?? '').split('\n')) {
    const m = /(\/[^\s:()]+\.test\.ts)/.exec(line);
    if (m) return m[1]!;
  }
  return 'unknown';
}

/** Logs a skip and its reason, for the reporter's one-line summary. */
export function noteSkip(what: string, why: string): void {
  const log = process.env['SKBTAPE_SKIP_LOG'];
  if (log) appendFileSync(log, `${JSON.stringify({ file: callerFile(), what, why })}\n`);
  console.warn(`skipping ${what}: ${why}`);
}

/** True when the tests behind `can` must skip; throws under CI=true when the set-up should have provided it. */
export function skipUnless(can: Prereq, what: string): boolean {
  if (can.ok) return false;
  const why = can.why ?? 'unavailable';
  if (process.env['CI'] === 'true' && can.fixable) {
    throw new Error(`${what} cannot run, and under CI=true that is a failure, not a skip: ${why}`);
  }
  noteSkip(what, why);
  return true;
}
