import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// The gates in test/helpers/prereq.ts log each skip here; test/helpers/skip-reporter.ts prints them in one line.
process.env['SKBTAPE_SKIP_LOG'] ??= join(tmpdir(), `skbtape-skips-${process.pid}.ndjson`);

// Two halves (README, "Tests"): `e2e`, the files that stream events at full speed, stop and kill recorders, or
// load BPF programs on the kernel (record, tracepoint-*); and `unit`, everything else (pure code, DuckDB/Arrow on
// files, and lighter runs of the CLI against the fixtures). `npx vitest run --project unit` or `--project e2e` runs one.
// `make test` (test/run-all.mjs) runs the halves side by side, each one file at a time: two streaming or
// BPF-compiling files at once would compete for the same two cores. A plain `npx vitest run` runs the unit files,
// then the end-to-end files one at a time.
export const E2E = ['test/record.test.ts', 'test/record-faults.test.ts', 'test/tracepoint-e2e.test.ts', 'test/tracepoint-source.test.ts', 'test/report-live.test.ts', 'test/record-print.test.ts'];
// Unit files that run in the e2e half, only to even out the halves' wall time; they need nothing the e2e half has.
// The e2e half waits (streams at a fixed rate, grace periods, bpftrace compiling) while the unit half is CPU-bound:
// measured per file (make test prints wall and CPU), the unit half held ~530 CPU-s against ~340.
export const BALANCE = ['test/capture-id.test.ts', 'test/filter.test.ts', 'test/output-format.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // No maxWorkers here: a project's own value would override the command line's (test/run-all.mjs gives 1 per half).
    reporters: ['default', './test/helpers/skip-reporter.ts'],
    // Wall and CPU time per file, when SKBTAPE_COST_LOG is set (test/run-all.mjs prints the costliest).
    setupFiles: ['./test/helpers/file-cost.ts'],
    projects: [
      // isolate: false: the unit files share one worker (and one load of DuckDB's native module and the sources):
      // measured 18% less CPU on ten of them. They set no environment and mock nothing.
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: [...E2E, ...BALANCE], isolate: false } },
      { extends: true, test: { name: 'e2e', include: [...E2E, ...BALANCE], fileParallelism: false } },
    ],
  },
});
