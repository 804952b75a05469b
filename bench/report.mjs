// Report bench: `skbtape report` on a synthetic pwru capture (bench/gen-pwru.mjs) against the same capture's plain
// analysis load (`skbtape query … "SELECT count(*) FROM skb_tracks"`, no cache), measured in the same run; prints the
// page's size and the ratio. Run after `npx tsc`.
//
//   node bench/report.mjs [--lines 1000000] [--keep DIR]
import { mkdtempSync, rmSync, statSync, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { generateLines } from './gen-pwru.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'bin/skbtape.js');
const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const LINES = Number(opt('--lines', '1000000'));
const keep = opt('--keep', null);
const root = keep ?? mkdtempSync(join(tmpdir(), 'skbtape-bench-report-'));

const timed = async (argv) => {
  const t0 = performance.now();
  const r = await execa(process.execPath, [CLI, ...argv], { reject: false });
  if (r.exitCode !== 0) throw new Error(`skbtape ${argv.join(' ')}: ${r.stderr}`);
  return { s: (performance.now() - t0) / 1000, out: r.stdout };
};

try {
  const src = join(root, 'pwru.txt');
  const w = createWriteStream(src);
  for (const chunk of generateLines({ lines: LINES, format: 'text' })) if (!w.write(chunk)) await once(w, 'drain');
  w.end();
  await once(w, 'close');
  const cap = join(root, 'cap');
  const imp = await timed(['import', src, '-o', cap, '--force']);
  const base = await timed(['query', cap, '--no-cache', '--format', 'json', 'SELECT count(*) AS tracks FROM skb_tracks']);
  const page = join(root, 'report.html');
  const rep = await timed(['report', cap, '-o', page, '--force', '--no-cache', '--format', 'json']);
  const r = JSON.parse(rep.out);
  const c = r.captures[0];
  console.log(`input: ${LINES.toLocaleString('en-US')} lines → ${c.events.toLocaleString('en-US')} events, ${c.lifetimes.toLocaleString('en-US')} lifetimes, ${c.flows} flows, ${c.paths} paths (import ${imp.s.toFixed(1)} s)`);
  console.log(`baseline: load + skb_tracks count (query --no-cache)  ${base.s.toFixed(1)} s`);
  console.log(`report:   skbtape report --no-cache                   ${rep.s.toFixed(1)} s  (${(rep.s / base.s).toFixed(2)}× the baseline)`);
  console.log(`page:     ${(statSync(page).size / 1048576).toFixed(2)} MiB (ECharts alone ${(statSync(join(ROOT, 'node_modules/echarts/dist/echarts.min.js')).size / 1048576).toFixed(2)} MiB)`);
} finally {
  if (!keep) rmSync(root, { recursive: true, force: true });
}
