#!/usr/bin/env node
// `make test`: both halves of the suite at once, each one file at a time (vitest.config.ts says which is which),
// so one unit file and one end-to-end file share the two cores and no two end-to-end files fight over them.
// Output lines are prefixed with their half. Ends with one line counting skipped tests and their reasons, then the
// flag census (test/flag-coverage.mjs). Exit 1 when either half or the census failed.
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const TMP = join(ROOT, 'tmp');
mkdirSync(TMP, { recursive: true });
const logs = {
  SKBTAPE_FLAG_LOG: join(TMP, 'flag-log.ndjson'), SKBTAPE_SKIP_LOG: join(TMP, 'skip-log.ndjson'), SKBTAPE_SKIP_SUMMARY: join(TMP, 'skip-summary.ndjson'),
  SKBTAPE_COST_LOG: join(TMP, 'file-costs.ndjson'),
};
for (const f of Object.values(logs)) rmSync(f, { force: true });

const vitest = join(ROOT, 'node_modules/.bin/vitest');
const half = async (name) => {
  const p = execa(vitest, ['run', '--project', name, '--maxWorkers', '1', ...process.argv.slice(2)], {
    cwd: ROOT, env: { ...logs, FORCE_COLOR: process.stdout.isTTY ? '1' : '0' }, reject: false, all: true, buffer: false,
  });
  let rest = '';
  p.all.on('data', (b) => {
    const text = rest + b.toString('utf8');
    const lines = text.split('\n');
    rest = lines.pop();
    for (const l of lines) process.stdout.write(`[${name}] ${l}\n`);
  });
  const r = await p;
  if (rest) process.stdout.write(`[${name}] ${rest}\n`);
  return r.exitCode ?? 1;
};
const started = Date.now();
const took = {};
const codes = await Promise.all(['unit', 'e2e'].map(async (h) => { const c = await half(h); took[h] = (Date.now() - started) / 1000; return c; }));

// Skips: counts per file from the reporter, reasons per file from the gates (test/helpers/prereq.ts).
const rows = (f) => { try { return readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)); } catch { return []; } };
const reasons = new Map();
for (const { file, why } of rows(logs.SKBTAPE_SKIP_LOG)) reasons.set(file, new Set([...(reasons.get(file) ?? []), why]));
const skipped = rows(logs.SKBTAPE_SKIP_SUMMARY);
const total = skipped.reduce((n, r) => n + r.n, 0);
const parts = skipped.map((r) => `${r.n} in ${basename(r.file)} (${[...(reasons.get(r.file) ?? ['no reason logged'])].join('; ')})`);
process.stdout.write(`\nskipped ${total} test${total === 1 ? '' : 's'}${parts.length ? `: ${parts.join(', ')}` : ''}\n`);

// The budget (README: the whole run under 5 minutes): each half's wall time and the costliest files, wall and CPU
// (the worker's own and its children's: CLI runs, fakes, recorders), from test/helpers/file-cost.ts.
const costs = rows(logs.SKBTAPE_COST_LOG).sort((x, y) => y.wall - x.wall);
const cpuSum = costs.reduce((n, c) => n + (c.cpu ?? 0), 0);
process.stdout.write(`halves: unit ${took.unit.toFixed(0)} s, e2e ${took.e2e.toFixed(0)} s wall; ${cpuSum.toFixed(0)} CPU-s in test files; costliest (wall/CPU s): ${
  costs.slice(0, 8).map((c) => `${basename(c.file)} ${c.wall.toFixed(0)}/${c.cpu === null ? '?' : c.cpu.toFixed(0)}`).join(', ')}\n`);

const census = await execa(process.execPath, [join(ROOT, 'test/flag-coverage.mjs'), logs.SKBTAPE_FLAG_LOG], { reject: false, stdio: 'inherit' });
const failed = codes.map((c, i) => (c === 0 ? null : `${['unit', 'e2e'][i]} exited ${c}`)).filter(Boolean);
if (census.exitCode !== 0) failed.push('flag census');
if (failed.length) process.stdout.write(`make test: FAILED (${failed.join(', ')})\n`);
process.exit(failed.length ? 1 : 0);
