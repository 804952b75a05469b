// Replay bench: `skbtape replay` of a synthetic pwru capture (bench/gen-pwru.mjs, imported), in a process of its own
// with the binary's node flags, against the floor measured in the same run: reading and decoding the same batch files
// and nothing else. Prints CPU-s, wall, peak RSS (target: 1 M events under 300 MB) and whether replay gave the input's
// bytes back. Run after `npx tsc`.
//
//   node bench/replay.mjs [--lines 1000000] [--runs 3] [--keep DIR]
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateLines } from './gen-pwru.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };

/** In the child: run one step, then report this process's own CPU, wall and peak RSS on stderr's last line. */
async function child(step, cap) {
  const t0 = performance.now();
  if (step === 'replay') {
    process.argv = [process.argv[0], join(ROOT, 'bin/skbtape.js'), 'replay', cap];
    const { main } = await import('../dist/cli.js');
    await main(process.argv);
  } else {
    const { readBatches } = await import('../dist/capture/reader.js');
    let rows = 0;
    for (const { batch } of readBatches(cap)) rows += batch.numRows;
    process.stdout.write(`${rows}\n`);
  }
  process.on('exit', () => {
    const c = process.cpuUsage();
    process.stderr.write(`\n${JSON.stringify({ s: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6, rssMB: process.resourceUsage().maxRSS / 1024 })}\n`);
  });
}

/** A step in a fresh node with the binary's flags; its stdout hashed as it streams (never held), its figures back. */
function run(step, cap) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--max-semi-space-size=2', fileURLToPath(import.meta.url), '--child', step, '--cap', cap], { stdio: ['ignore', 'pipe', 'pipe'] });
    const h = createHash('md5');
    let err = '';
    p.stdout.on('data', (d) => h.update(d));
    p.stderr.on('data', (d) => { err += d; });
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve({ ...JSON.parse(err.trim().split('\n').at(-1)), md5: h.digest('hex') }) : reject(new Error(`${step}: exit ${code}: ${err}`))));
  });
}

async function md5File(f) {
  const h = createHash('md5');
  for await (const d of createReadStream(f)) h.update(d);
  return h.digest('hex');
}

async function main() {
  const lines = Number(opt('--lines', '1000000'));
  const runs = Number(opt('--runs', '3'));
  const keep = opt('--keep', null);
  const root = keep ?? mkdtempSync(join(tmpdir(), 'skbtape-bench-replay-'));
  try {
    const src = join(root, `pwru-${lines}.txt`);
    const cap = join(root, `cap-${lines}`);
    if (!existsSync(join(cap, 'manifest.json'))) {
      const w = createWriteStream(src);
      for (const chunk of generateLines({ lines, format: 'text' })) if (!w.write(chunk)) await once(w, 'drain');
      w.end();
      await once(w, 'close');
      const imp = spawn(join(ROOT, 'node_modules/.bin/skbtape'), ['import', src, '-o', cap, '--force'], { stdio: 'ignore' });
      const [code] = await once(imp, 'close');
      if (code !== 0) throw new Error(`import: exit ${code}`);
    }
    const want = existsSync(src) ? await md5File(src) : null;
    console.log(`${lines.toLocaleString('en')} lines, ${runs} run(s), dir ${root}`);
    for (let i = 0; i < runs; i++) {
      const floor = await run('decode', cap);
      const r = await run('replay', cap);
      console.log(`run ${i + 1}: replay ${r.s.toFixed(1)} s, ${r.cpu.toFixed(1)} CPU-s, peak RSS ${r.rssMB.toFixed(0)} MB (target < 300); `
        + `decoding the batches alone ${floor.cpu.toFixed(1)} CPU-s, ${floor.rssMB.toFixed(0)} MB: replay ${(r.cpu / floor.cpu).toFixed(1)}x its CPU; `
        + `output ${want === null ? `md5 ${r.md5}` : r.md5 === want ? 'byte-identical to the input' : 'DIFFERS from the input'}   [load ${loadavg().map((x) => x.toFixed(1)).join(' ')}]`);
    }
  } finally {
    if (!keep) rmSync(root, { recursive: true, force: true });
  }
}

if (opt('--child', null) !== null) await child(opt('--child'), opt('--cap'));
else await main();
