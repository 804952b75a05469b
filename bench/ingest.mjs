// bench/ingest: import throughput against bare split2 line splitting of the same file, measured in the same run
// (the machine is shared and noisy: only ratios mean anything). Also capture size / text size and peak RSS.
//
//   node bench/ingest.mjs [--lines 2000000] [--big 10000000] [--workers N] [--general] [--keep]
//
// --workers: as `skbtape import --workers` (default: auto, the importer's own choice); one thread (--workers 0) is
// measured beside it in the same run.
//
// Needs dist/ (make setup). Files go to bench/out/ (git-ignored).
import { createReadStream, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import split2 from 'split2';

const root = join(fileURLToPath(import.meta.url), '../..');
const out = join(root, 'bench/out');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const LINES = opt('lines', 2_000_000);
const BIG = opt('big', 0);
const WORKERS = args.includes('--workers') ? opt('workers', 0) : undefined;
// --general: also import with the byte-level fast path off (every line through the general parser).
const GENERAL = args.includes('--general');
mkdirSync(out, { recursive: true });

async function gen(format, lines) {
  const file = join(out, `gen-${lines}.${format === 'json' ? 'json' : 'txt'}`);
  try {
    if (statSync(file).size > 0) return file;
  } catch {}
  await execa('node', [join(root, 'bench/gen-pwru.mjs'), '--lines', String(lines), '--format', format, '--timestamp', 'current', '--out', file], { stdio: 'inherit' });
  return file;
}

/** Bare split2 over the file: the floor any line-based importer has to pay. */
async function splitOnly(file) {
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  let n = 0;
  await new Promise((resolve, reject) => {
    createReadStream(file).pipe(split2()).on('data', () => { n++; }).on('end', resolve).on('error', reject);
  });
  const c = process.cpuUsage(c0);
  return { lines: n, s: Number(process.hrtime.bigint() - t0) / 1e9, cpu: (c.user + c.system) / 1e6 };
}

/** `skbtape import` in a fresh process (as a user runs it), reporting its own wall time and peak RSS. */
async function importRun(file, fast = true, workers = WORKERS) {
  const dir = join(out, 'cap');
  rmSync(dir, { recursive: true, force: true });
  const script = `
    const { importCapture } = await import(${JSON.stringify(join(root, 'dist/ingest/importer.js'))});
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    const r = await importCapture(${JSON.stringify(file)}, ${JSON.stringify(dir)}, { format: 'auto', force: true, showProgress: false, workers: ${workers === undefined ? 'undefined' : workers}, fast: ${fast} });
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    const c = process.cpuUsage(c0);
    console.log(JSON.stringify({ s, cpu: (c.user + c.system) / 1e6, fastLines: r.fastLines, events: r.manifest.counts.events, rejects: r.manifest.counts.rejects, lines: r.manifest.counts.inputLines, maxRssKb: process.resourceUsage().maxRSS }));
  `;
  // The V8 flag bin/skbtape.js runs with; WORKERS as `skbtape import --workers`.
  const r = await execa('node', ['--max-semi-space-size=2', '--input-type=module', '-e', script], { cwd: root });
  const res = JSON.parse(String(r.stdout).trim().split('\n').pop());
  const capBytes = readdirSync(join(dir, 'events')).reduce((a, f) => a + statSync(join(dir, 'events', f)).size, 0)
    + ['manifest.json', 'logs.ndjson', 'rejects.ndjson'].reduce((a, f) => a + statSync(join(dir, f)).size, 0);
  return { ...res, capBytes };
}

const fmt = (n) => Math.round(n).toLocaleString('en-US');
async function one(format, lines) {
  const file = await gen(format, lines);
  const size = statSync(file).size;
  const base = await splitOnly(file);
  const imp = await importRun(file);
  const general = GENERAL ? await importRun(file, false) : null;
  const one = WORKERS === 0 ? null : await importRun(file, true, 0);
  const baseRate = base.lines / base.s;
  const impRate = imp.lines / imp.s;
  console.log(`${format.padEnd(4)} ${fmt(lines)} lines, ${(size / 2 ** 20).toFixed(0)} MiB`);
  console.log(`  split2 only      ${fmt(baseRate)} lines/s, ${base.cpu.toFixed(2)} CPU-s`);
  console.log(`  skbtape import   ${fmt(impRate)} lines/s   ratio ${(impRate / baseRate).toFixed(2)}x split2 wall (target >= 0.50), ${(base.cpu / imp.cpu).toFixed(2)}x in CPU time (${imp.cpu.toFixed(2)} CPU-s); fast path read ${fmt(imp.fastLines)} lines`);
  if (one) console.log(`  one thread       ${fmt(one.lines / one.s)} lines/s   ratio ${(one.lines / one.s / baseRate).toFixed(2)}x split2 wall, ${(base.cpu / one.cpu).toFixed(2)}x in CPU time (${one.cpu.toFixed(2)} CPU-s), peak RSS ${(one.maxRssKb / 1024).toFixed(0)} MB: workers ${(impRate / (one.lines / one.s)).toFixed(2)}x faster in wall time`);
  if (general) console.log(`  general parser   ${fmt(general.lines / general.s)} lines/s   ratio ${(general.lines / general.s / baseRate).toFixed(2)}x split2 wall, ${(base.cpu / general.cpu).toFixed(2)}x in CPU time (${general.cpu.toFixed(2)} CPU-s): fast path ${(general.cpu / imp.cpu).toFixed(2)}x less CPU`);
  console.log(`  capture size     ${(imp.capBytes / 2 ** 20).toFixed(1)} MiB = ${(imp.capBytes / size).toFixed(3)}x the input (target <= 0.35)`);
  console.log(`  peak RSS         ${(imp.maxRssKb / 1024).toFixed(0)} MB (target <= 150)   events ${fmt(imp.events)}, rejects ${fmt(imp.rejects)}`);
  return { format, lines, baseRate, impRate, ratio: impRate / baseRate, cpuRatio: base.cpu / imp.cpu, generalCpuRatio: general ? base.cpu / general.cpu : null, sizeRatio: imp.capBytes / size, rssMb: imp.maxRssKb / 1024, oneThreadRatio: one ? one.lines / one.s / baseRate : null, oneThreadRssMb: one ? one.maxRssKb / 1024 : null };
}

const results = [];
results.push(await one('text', LINES));
results.push(await one('json', LINES));
if (BIG) results.push(await one('text', BIG));
console.log(JSON.stringify({ bench: 'ingest', results }));
if (!args.includes('--keep')) rmSync(join(out, 'cap'), { recursive: true, force: true });
