// Per test file: wall time and CPU time (this worker's and that of every child it has reaped: CLI runs, fakes,
// recorders), appended to $SKBTAPE_COST_LOG when set. test/run-all.mjs sets it and prints the costliest files, so
// the suite's budget is visible in every run. Linux /proc only; elsewhere CPU is logged as null.
import { appendFileSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

/** utime + stime + cutime + cstime of this process, in seconds (clock ticks of 1/100 s on Linux). */
function cpuSeconds(): number | null {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return null;
  }
}

const log = process.env['SKBTAPE_COST_LOG'];
if (log) {
  let file = '';
  let wall0 = 0;
  let cpu0: number | null = null;
  // vitest 4: the first argument is the fixture context, the file's suite the second.
  beforeAll(({}, suite: { file?: { filepath?: string } }) => {
    file = relative(process.cwd(), suite.file?.filepath ?? 'unknown');
    wall0 = performance.now();
    cpu0 = cpuSeconds();
  });
  afterAll(() => {
    const cpu1 = cpuSeconds();
    const cpu = cpu0 === null || cpu1 === null ? null : Math.round((cpu1 - cpu0) * 100) / 100;
    appendFileSync(log, `${JSON.stringify({ file, wall: Math.round(performance.now() - wall0) / 1000, cpu })}\n`);
  });
}
