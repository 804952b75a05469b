// Start-up bench (issue #15 item 11): the installed binary against what it cannot avoid, measured side by side in
// one run, alternating, median of N. Run after `make setup`.
//
//   node bench/startup.mjs [--runs 9]
//
// (a) `skbtape --help`            vs  `node -e "require('commander')"`       (target: within 1.5x)
// (b) `skbtape <cmd> --help`      vs  the same baseline                       (one command's module only)
// (c) `skbtape paths CAP` cached  vs  `node` loading @duckdb/node-api and opening an in-memory database (target 2x)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'node_modules/.bin/skbtape');
const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf('--runs') + 1] || 9) || 9;
const tmp = mkdtempSync(join(tmpdir(), 'skbtape-startup-'));
const cap = join(tmp, 'demo-drop');

const time = (cmd, argv) => {
  const t0 = process.hrtime.bigint();
  execFileSync(cmd, argv, { stdio: 'ignore', cwd: ROOT });
  return Number(process.hrtime.bigint() - t0) / 1e6;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

try {
  execFileSync(BIN, ['import', join(ROOT, 'samples/demo-netfilter-drop.pwru.txt'), '-o', cap], { stdio: 'ignore' });
  execFileSync(BIN, ['paths', cap], { stdio: 'ignore' }); // builds the cache
  const pairs = [
    ['skbtape --help', [BIN, ['--help']], 'node + commander', [process.execPath, ['-e', "require('commander')"]], 1.5],
    ['skbtape info --help', [BIN, ['info', '--help']], 'node + commander', [process.execPath, ['-e', "require('commander')"]], 1.5],
    ['skbtape paths (cached, 111 events)', [BIN, ['paths', cap]], 'node + DuckDB open', [process.execPath, ['--input-type=module', '-e',
      "const { DuckDBInstance } = await import('@duckdb/node-api'); const i = await DuckDBInstance.create(':memory:'); const c = await i.connect(); await c.run('SELECT 1'); c.closeSync();"]], 2],
  ];
  for (const [name, a, baseName, b, target] of pairs) {
    const ta = [];
    const tb = [];
    for (let i = 0; i < RUNS; i++) {
      tb.push(time(...b));
      ta.push(time(...a));
    }
    const r = median(ta) / median(tb);
    console.log(`${name.padEnd(36)} ${median(ta).toFixed(0).padStart(5)} ms   ${baseName.padEnd(20)} ${median(tb).toFixed(0).padStart(5)} ms   ratio ${r.toFixed(2)}x (target ${target}x: ${r <= target ? 'met' : 'missed'})`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
