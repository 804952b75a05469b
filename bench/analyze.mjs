// Analysis bench: load a capture into DuckDB and build skb_tracks, against the floor of DuckDB reading the same rows
// from Parquet itself; the cached reopen; the first row of `SELECT * FROM events` against a `count(*)`. Every figure
// is measured in a process of its own (peak RSS is per process), alternating, several runs. Run after `npx tsc`.
//
//   node bench/analyze.mjs [--events 1000000,10000000] [--runs 3] [--memory-limit 512MB] [--keep DIR] [--only a,b,c,d]
//
// (a) openAnalysis(capture, no cache) + SELECT count(*), count(DISTINCT path_sig) FROM skb_tracks
// (b) the floor: raw_events and the input tables COPY'd to Parquet, read back by read_parquet into an in-memory
//     DuckDB with its own defaults, the same view SQL (the lifetime stage in the same buckets), the same query
// (c) openAnalysis(capture, { cache: true }): the build, then the reopen + query
// (d) the installed binary on the cached capture: time to the first row of SELECT * FROM events vs a count(*)
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};

// --- synthetic capture: packets walking realistic paths, interleaved, with reused skb addresses -------------
const PATHS = [
  { w: 6, funcs: ['napi_gro_receive', 'dev_gro_receive', 'inet_gro_receive', 'tcp4_gro_receive', '__netif_receive_skb', 'ip_rcv', 'ip_rcv_core', 'ip_rcv_finish', 'ip_local_deliver', 'ip_local_deliver_finish', 'ip_protocol_deliver_rcu', 'tcp_v4_rcv', 'tcp_filter', 'tcp_v4_do_rcv', 'tcp_rcv_established', 'tcp_queue_rcv', 'skb_release_head_state', 'skb_release_data', 'kfree_skbmem'], iface: 'ens5:2', ifindex: 2 },
  { w: 3, funcs: ['__ip_queue_xmit', '__ip_local_out', 'ip_output', 'ip_finish_output', 'ip_finish_output2', 'neigh_resolve_output', '__dev_queue_xmit', 'netdev_core_pick_tx', 'validate_xmit_skb', 'dev_hard_start_xmit', 'napi_consume_skb', 'skb_release_data', 'kfree_skbmem'], iface: '~3a6f7d4e8c73:26', ifindex: 26 },
  { w: 1, funcs: ['__netif_rx', 'enqueue_to_backlog', '__netif_receive_skb', 'ip_rcv', 'nf_hook_slow', 'kfree_skb_reason', 'skb_release_head_state', 'skb_release_data', 'kfree_skbmem'], iface: '34', ifindex: 34, drop: 'SKB_DROP_REASON_NETFILTER_DROP' },
  { w: 2, funcs: ['ipv6_rcv', 'ip6_rcv_core', 'ip6_rcv_finish', 'ip6_input', 'ip6_input_finish', 'ip6_protocol_deliver_rcu', 'udpv6_rcv', '__udp6_lib_rcv', 'consume_skb', 'skb_release_data', 'kfree_skbmem'], iface: 'eth0:25', ifindex: 25, v6: true },
];
const PICK = PATHS.flatMap((p) => Array(p.w).fill(p));

async function generate(dir, events) {
  const { CaptureWriter } = await import('../dist/capture/batch-writer.js');
  const { newManifest } = await import('../dist/capture/manifest.js');
  const { blankEvent } = await import('../dist/capture/event-schema.js');
  const m = newManifest({ kind: 'file', path: 'synthetic', format: 'text', tool: 'pwru' });
  m.clock = { monotonicToWallNs: '1700000000000000000', measuredAt: new Date().toISOString() };
  const w = new CaptureWriter(dir, m);
  let seed = 12345;
  const rnd = (n) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  const inflight = [];
  let ktime = 1_843_207_115_304_258n;
  let line = 1;
  for (let n = 0; n < events; n++) {
    while (inflight.length < 16) {
      const p = PICK[rnd(PICK.length)];
      const skb = 0xffff91ba905e0000n + BigInt(rnd(2048) * 0x100); // small pool: addresses get reused
      const port = 32768 + rnd(20000);
      const host = 2 + rnd(250);
      inflight.push({ p, i: 0, skb, port, saddr: p.v6 ? `fd00:10:244::${host.toString(16)}` : `10.244.2.${host}`, daddr: p.v6 ? 'fd00:10:96::a' : '10.244.2.61' });
    }
    const k = rnd(inflight.length);
    const f = inflight[k];
    const func = f.p.funcs[f.i];
    const e = blankEvent(line, 'E:ts,meta,tuple', f.skb, func);
    ktime += BigInt(200 + rnd(2000));
    Object.assign(e, {
      cpu: rnd(8), process: '<empty>:0', pid: 0, ktime, netns: 4026531840, mark: 0, ifindex: f.p.ifindex, iface: f.p.iface,
      proto: f.p.v6 ? 0x86dd : 0x0800, mtu: 9001, len: 60 + rnd(1400), saddr: f.saddr, daddr: f.daddr, sport: f.port,
      dport: f.p.v6 ? 53 : 80, l4: f.p.v6 ? 'udp' : 'tcp', l4Proto: f.p.v6 ? 17 : 6, tcpFlags: f.p.v6 ? null : 16,
    });
    if (func === 'kfree_skb_reason') e.dropReason = f.p.drop;
    w.add({ kind: 'event', event: e }, line, '');
    line++;
    if (++f.i === f.p.funcs.length) inflight.splice(k, 1);
  }
  w.finish('complete');
}

const QUERY = 'SELECT count(*) AS tracks, count(DISTINCT path_sig) AS sigs FROM skb_tracks';

// --- the measured steps, each run in a child process of its own (`--child NAME`) -------------------------------

/** What this process cost: wall seconds since `t0`, CPU seconds (every thread, DuckDB's included), peak RSS. */
const cost = (t0) => {
  const c = process.cpuUsage();
  return { s: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6, rssMB: process.resourceUsage().maxRSS / 1024 };
};

async function applyLimit() {
  const lim = opt('--memory-limit', null);
  if (lim === null) return;
  const { setAnalysisResources, parseMemoryLimit } = await import('../dist/analyze/db-resources.js');
  setAnalysisResources({ memoryLimit: parseMemoryLimit(lim) });
}

/** Tables the view SQL creates: everything else in the analysis is input, and goes to Parquet for the floor. */
async function builtByViews() {
  const { viewFiles, defaultViewsDir } = await import('../dist/analyze/loader.js');
  const names = new Set();
  for (const f of viewFiles(defaultViewsDir())) {
    for (const m of readFileSync(f, 'utf8').matchAll(/CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP\s+)?(?:TABLE|VIEW)\s+(\w+)/gi)) names.add(m[1].toLowerCase());
  }
  return names;
}

const CHILD = {
  // (a), and the Parquet files (b) reads, written after (a)'s figures are taken.
  async a(dir, pq) {
    await applyLimit();
    const { openAnalysis } = await import('../dist/analyze/loader.js');
    const t0 = performance.now();
    const a = await openAnalysis([dir], { phase: () => {} });
    const [r] = await a.run(QUERY);
    const out = { ...cost(t0), tracks: Number(r.tracks), sigs: Number(r.sigs), buckets: null };
    if (pq && !existsSync(join(pq, 'raw_events.parquet'))) {
      mkdirSync(pq, { recursive: true });
      const views = await builtByViews();
      const tables = (await a.run("SELECT table_name FROM duckdb_tables() WHERE NOT temporary")).map((t) => t.table_name).filter((t) => !views.has(t.toLowerCase()));
      for (const t of tables) await a.connection.run(`COPY ${t} TO '${join(pq, t)}.parquet' (FORMAT parquet)`);
    }
    a.close();
    return out;
  },
  async b(_dir, pq) {
    await applyLimit();
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const { runViews, defaultViewsDir } = await import('../dist/analyze/loader.js');
    const { readdirSync } = await import('node:fs');
    const t0 = performance.now();
    const inst = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' });
    const c = await inst.connect();
    try {
      for (const f of readdirSync(pq).filter((n) => n.endsWith('.parquet'))) {
        await c.run(`CREATE TABLE ${f.replace(/\.parquet$/, '')} AS SELECT * FROM read_parquet('${join(pq, f)}')`);
      }
      await runViews(c, defaultViewsDir()); // the same statements, the lifetime stage in the same buckets
      const r = (await c.runAndReadAll(QUERY)).getRowObjectsJS()[0];
      return { ...cost(t0), tracks: Number(r.tracks), sigs: Number(r.sigs) };
    } finally {
      c.closeSync();
      inst.closeSync();
    }
  },
  async cBuild(dir) {
    await applyLimit();
    const { openAnalysis } = await import('../dist/analyze/loader.js');
    const t0 = performance.now();
    const a = await openAnalysis([dir], { cache: true, phase: () => {} });
    const [r] = await a.run(QUERY);
    a.close();
    return { ...cost(t0), tracks: Number(r.tracks) };
  },
  async cReopen(dir) {
    const { openAnalysis } = await import('../dist/analyze/loader.js');
    const t0 = performance.now();
    const a = await openAnalysis([dir], { cache: true, phase: () => {} });
    const [r] = await a.run(QUERY);
    const origin = a.origin;
    a.close();
    return { ...cost(t0), tracks: Number(r.tracks), origin };
  },
};

async function child(name) {
  const out = await CHILD[name](opt('--dir'), opt('--pq', null));
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

/** Runs one step in a fresh node; its JSON line back. */
function runChild(name, dir, pq) {
  const argv = [fileURLToPath(import.meta.url), '--child', name, '--dir', dir, ...(pq ? ['--pq', pq] : [])];
  const lim = opt('--memory-limit', null);
  if (lim !== null) argv.push('--memory-limit', lim);
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1))) : reject(new Error(`${name}: exit ${code}`))));
  });
}

/**
 * The installed binary on the cached capture, as a user runs it: seconds until its first byte of stdout (the pipe is
 * then closed, as `| head -1` does), or until it exits (count).
 */
function timeCli(argv, firstByte) {
  const bin = join(ROOT, 'node_modules/.bin/skbtape');
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn(bin, argv, { stdio: ['ignore', 'pipe', 'ignore'] });
    let at = null;
    p.stdout.once('data', () => {
      at = (performance.now() - t0) / 1000;
      if (firstByte) p.stdout.destroy();
    });
    p.stdout.on('data', () => {});
    p.on('error', reject);
    p.on('close', () => resolve(firstByte ? at : (performance.now() - t0) / 1000));
  });
}

const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const load = () => loadavg().map((x) => x.toFixed(1)).join(' ');
const fmt = (r) => `${r.s.toFixed(1)} s, ${r.cpu.toFixed(1)} CPU-s, peak RSS ${r.rssMB.toFixed(0)} MB`;

async function benchSize(events, runs, only, root) {
  const dir = join(root, `capture-${events}`);
  const pq = join(root, `parquet-${events}`);
  console.log(`\n== ${events.toLocaleString('en')} events (load average ${load()})`);
  if (!existsSync(join(dir, 'manifest.json'))) {
    const t = performance.now();
    await generate(dir, events);
    console.log(`generate: ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  const ratios = [];
  for (let i = 0; i < runs; i++) {
    const a = only.has('a') || only.has('b') ? await runChild('a', dir, pq) : null;
    if (a) console.log(`(a) run ${i + 1} arrow load+views+query: ${fmt(a)} -> ${a.tracks} tracks, ${a.sigs} sigs   [load ${load()}]`);
    if (!only.has('b')) continue;
    const b = await runChild('b', dir, pq);
    console.log(`(b) run ${i + 1} read_parquet+views+query: ${fmt(b)} -> ${b.tracks} tracks, ${b.sigs} sigs   [load ${load()}]`);
    if (a.tracks !== b.tracks || a.sigs !== b.sigs) console.log('    (a) and (b) DISAGREE');
    ratios.push({ wall: a.s / b.s, cpu: a.cpu / b.cpu });
  }
  if (ratios.length) {
    console.log(`ratio (a)/(b) over ${ratios.length} run(s): wall ${ratios.map((r) => r.wall.toFixed(2)).join(' ')}x, CPU ${ratios.map((r) => r.cpu.toFixed(2)).join(' ')}x (target <= 1.5x)`);
  }
  if (only.has('c') || only.has('d')) {
    rmSync(join(dir, '.cache'), { recursive: true, force: true });
    const cb = await runChild('cBuild', dir);
    console.log(`(c) cache build: ${fmt(cb)}`);
    const cr = await runChild('cReopen', dir);
    console.log(`(c) reopen (${cr.origin}) + query: ${cr.s.toFixed(3)} s (target < 1 s), peak RSS ${cr.rssMB.toFixed(0)} MB -> ${cr.tracks} tracks`);
  }
  if (only.has('d')) {
    const first = [];
    const count = [];
    for (let i = 0; i < Math.max(5, runs); i++) {
      count.push(await timeCli(['query', dir, '--format', 'ndjson', 'SELECT count(*) FROM events'], false));
      first.push(await timeCli(['query', dir, '--format', 'ndjson', 'SELECT * FROM events'], true));
    }
    console.log(`(d) cached, installed binary: first row of SELECT * FROM events ${median(first).toFixed(2)} s (${first.map((x) => x.toFixed(2)).join(' ')}), `
      + `count(*) ${median(count).toFixed(2)} s (${count.map((x) => x.toFixed(2)).join(' ')}): ${(median(first) / median(count)).toFixed(2)}x (target <= 1.5x)   [load ${load()}]`);
  }
}

async function main() {
  const sizes = String(opt('--events', '1000000')).split(',').map(Number);
  const runs = Number(opt('--runs', '3'));
  const only = new Set(String(opt('--only', 'a,b,c,d')).split(','));
  const keep = opt('--keep', null);
  const root = keep ?? mkdtempSync(join(tmpdir(), 'skbtape-bench-'));
  console.log(`sizes ${sizes.join(', ')}, ${runs} run(s), memory limit ${opt('--memory-limit', 'default (a quarter of free RAM, 256 MB-2 GB)')}, dir ${root}`);
  try {
    for (const n of sizes) await benchSize(n, runs, only, root);
  } finally {
    if (!keep) rmSync(root, { recursive: true, force: true });
  }
}

if (opt('--child', null) !== null) await child(opt('--child'));
else await main();
