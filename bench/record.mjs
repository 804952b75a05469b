// bench/record: `skbtape record` throughput against the same fake-pwru stream piped into bare split2 line splitting
// (the target's baseline) and to /dev/null (the fake pwru's own speed), measured in the same run (the machine is shared and noisy: only ratios mean anything); the recorder's RSS sampled over time
// (flat = streaming, not buffering) and its VmHWM; events lost (printed by pwru minus stored in the capture).
//
//   node bench/record.mjs [--events 5000000] [--format json|text] [--flush-events N] [--workers auto|N] [--keep]
//
// Needs dist/ (make setup). The fake pwru (test/fixtures/bin/pwru) loops samples/demo-delivered.events.json
// to --events and exits (SKBTAPE_FAKE_PWRU_EXIT_AFTER=1), as fast as it can. Captures go to bench/out/.
import { openSync, closeSync, readFileSync, rmSync, statSync, mkdirSync } from 'node:fs';
import { join, delimiter } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { execa } from 'execa';

const root = join(fileURLToPath(import.meta.url), '../..');
const out = join(root, 'bench/out');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const EVENTS = Number(opt('events', 5_000_000));
const FORMAT = opt('format', 'json');
mkdirSync(out, { recursive: true });

const fakes = join(root, 'test/fixtures/bin');
const baseEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SKBTAPE_FAKE_'))),
  PATH: `${fakes}${delimiter}${process.env.PATH}`,
  SKBTAPE_FAKE_PWRU_EVENTS: join(root, 'samples/demo-delivered.events.json'),
  SKBTAPE_FAKE_PWRU_COUNT: String(EVENTS),
  SKBTAPE_FAKE_PWRU_EXIT_AFTER: '1',
};
const pwruArgs = FORMAT === 'json' ? ['--output-json', '--timestamp', 'current'] : ['--timestamp', 'current'];
const fmt = (n) => Math.round(n).toLocaleString('en-US');

/** Both runs are timed from the fake pwru's start (its argv log is written first thing) to the end. */
function startedAt(argvLog) {
  return statSync(argvLog).mtimeMs;
}

async function baseline() {
  const argvLog = join(out, 'record-bench-base.argv');
  rmSync(argvLog, { force: true });
  const devnull = openSync('/dev/null', 'w');
  try {
    const r = await execa('pwru', pwruArgs, { env: { ...baseEnv, SKBTAPE_FAKE_PWRU_ARGV_LOG: argvLog }, extendEnv: false, stdin: 'ignore', stdout: devnull, stderr: 'pipe' });
    const end = Date.now();
    const printed = Number(/Printed (\d+) events/.exec(String(r.stderr))?.[1]);
    return { printed, s: (end - startedAt(argvLog)) / 1000 };
  } finally {
    closeSync(devnull);
  }
}

/** The same stream into a node process that only splits it into lines with split2 and counts them. */
async function splitBaseline() {
  const argvLog = join(out, 'record-bench-split.argv');
  rmSync(argvLog, { force: true });
  const pw = spawn('pwru', pwruArgs, { env: { ...baseEnv, SKBTAPE_FAKE_PWRU_ARGV_LOG: argvLog }, stdio: ['ignore', 'pipe', 'ignore'] });
  const counter = `const split2 = require('split2'); let n = 0; process.stdin.pipe(split2()).on('data', () => { n++; }).on('end', () => { const c = process.cpuUsage(); console.log(n, (c.user + c.system) / 1e6); });`;
  const c = spawn('node', ['-e', counter], { cwd: root, stdio: [pw.stdout, 'pipe', 'inherit'] });
  let outText = '';
  c.stdout.on('data', (b) => { outText += b; });
  await new Promise((resolve, reject) => { c.on('error', reject); c.on('close', resolve); });
  const end = Date.now();
  const [lines, cpu] = outText.trim().split(' ').map(Number);
  return { lines, cpu, s: (end - startedAt(argvLog)) / 1000 };
}

function readStatus(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN);
    // utime + stime of every thread (fields 14, 15 after the command name), in clock ticks (100 per second on Linux).
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return { rss: kb('VmRSS'), hwm: kb('VmHWM'), cpu: (Number(f[11]) + Number(f[12])) / 100 };
  } catch {
    return null;
  }
}

async function recorder() {
  const dir = join(out, 'record-bench-cap');
  const argvLog = join(out, 'record-bench-rec.argv');
  rmSync(dir, { recursive: true, force: true });
  rmSync(argvLog, { force: true });
  // The bin itself, so its shebang's V8 flags apply as for a user.
  const child = execa(join(root, 'bin/skbtape.js'), ['record', '-o', dir, '--snapshots', 'none', '--input-format', FORMAT, '--json', ...(opt('flush-events', '') ? ['--flush-events', opt('flush-events', '')] : []), '--workers', opt('workers', 'auto')], {
    env: { ...baseEnv, SKBTAPE_FAKE_PWRU_ARGV_LOG: argvLog }, extendEnv: false, reject: false, stdin: 'ignore',
  });
  const samples = [];
  const t0 = Date.now();
  const timer = setInterval(() => {
    const st = readStatus(child.pid);
    if (st && !Number.isNaN(st.rss)) samples.push({ t: Date.now() - t0, ...st });
  }, 200);
  const r = await child;
  const end = Date.now();
  clearInterval(timer);
  if (r.exitCode !== 0) throw new Error(`skbtape record failed (${r.exitCode}): ${r.stderr}`);
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  // Count what is on disk, not what the manifest says.
  const { readBatches } = await import(join(root, 'dist/capture/reader.js'));
  let stored = 0;
  for (const { batch } of readBatches(dir)) stored += batch.numRows;
  const printed = Number(/Printed (\d+) events/.exec(readFileSync(join(dir, 'pwru.stderr'), 'utf8'))?.[1]);
  return { s: (end - startedAt(argvLog)) / 1000, samples, manifest: m, stored, printed, dir };
}

console.log(`record bench (--workers ${opt('workers', 'auto')}): ${fmt(EVENTS)} ${FORMAT} events from the fake pwru, as fast as it prints (2 cores, shared machine)`);
const base = await baseline();
const split = await splitBaseline();
const rec = await recorder();
const baseRate = base.printed / base.s;
const splitRate = split.lines / split.s;
const recRate = rec.stored / rec.s;
const mb = (kb) => (kb / 1024).toFixed(0);
const rss = rec.samples.map((x) => x.rss);
const hwm = Math.max(...rec.samples.map((x) => x.hwm));
// Flat: the second half of the run should not sit higher than the first half (beyond noise).
const busy = rec.samples.slice(Math.floor(rec.samples.length * 0.15), Math.floor(rec.samples.length * 0.95));
const half = Math.floor(busy.length / 2);
const avg = (xs) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const first = avg(busy.slice(0, half).map((x) => x.rss));
const second = avg(busy.slice(half).map((x) => x.rss));
const lost = rec.printed - rec.stored;

console.log(`  pwru > /dev/null   ${fmt(baseRate)} events/s   (${fmt(base.printed)} in ${base.s.toFixed(1)} s)`);
console.log(`  pwru | split2      ${fmt(splitRate)} lines/s    (${fmt(split.lines)} in ${split.s.toFixed(1)} s, split2 ${split.cpu.toFixed(2)} CPU-s)`);
console.log(`  skbtape record     ${fmt(recRate)} events/s   (${fmt(rec.stored)} in ${rec.s.toFixed(1)} s)   ratio ${(recRate / splitRate).toFixed(2)}x split2 of the same stream (target >= 0.50), ${(recRate / baseRate).toFixed(2)}x pwru > /dev/null`);
const recCpu = rec.samples.at(-1)?.cpu ?? NaN;
console.log(`  recorder CPU       ${recCpu.toFixed(2)} CPU-s (last 200 ms sample, all threads): ${(split.cpu / recCpu).toFixed(2)}x split2 in CPU time`);
console.log(`  recorder RSS       ${rss.length} samples every 200 ms: min ${mb(Math.min(...rss))} MB, max ${mb(Math.max(...rss))} MB; `
  + `mean ${mb(first)} MB in the first half of the stream, ${mb(second)} MB in the second (flat: ${Math.abs(second - first) < 0.15 * first ? 'yes' : 'NO'})`);
console.log(`  recorder VmHWM     ${mb(hwm)} MB (target <= 150)`);
console.log(`  RSS over time      ${rec.samples.filter((_, i) => i % Math.max(1, Math.floor(rec.samples.length / 12)) === 0).map((x) => `${(x.t / 1000).toFixed(1)}s:${mb(x.rss)}`).join(' ')}`);
console.log(`  events lost        ${fmt(lost)} (pwru printed ${fmt(rec.printed)}, capture holds ${fmt(rec.stored)}, manifest says ${fmt(rec.manifest.counts.events)}, rejects ${rec.manifest.counts.rejects}; must be 0)`);
if (!args.includes('--keep')) rmSync(rec.dir, { recursive: true, force: true });
process.exitCode = lost === 0 && rec.manifest.counts.rejects === 0 ? 0 : 1;
