// Analysis bench: load a capture into DuckDB and build skb_tracks, against the floor of DuckDB reading the same rows
// from Parquet itself, plus the cached reopen. Run after `npx tsc`.
//
//   node bench/analyze.mjs [--events 10000000] [--keep DIR]
//
// (a) openAnalysis(capture) + SELECT count(*), count(DISTINCT path_sig) FROM skb_tracks
// (b) raw_events COPY'd to Parquet, read back by read_parquet, same view SQL, same query (the floor)
// (c) openAnalysis(capture, { cache: true }): first build, then the reopen
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { CaptureWriter } from '../dist/capture/batch-writer.js';
import { newManifest } from '../dist/capture/manifest.js';
import { blankEvent } from '../dist/capture/event-schema.js';
import { openAnalysis, runViews, defaultViewsDir } from '../dist/analyze/loader.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const EVENTS = Number(opt('--events', '10000000'));
const keep = opt('--keep', null);
const root = keep ?? mkdtempSync(join(tmpdir(), 'skbtape-bench-'));
const dir = join(root, 'capture');

const secs = (t0) => (performance.now() - t0) / 1000;
const rate = (n, s) => `${(n / s / 1e6).toFixed(2)} M rows/s`;

// --- synthetic capture: packets walking realistic paths, interleaved, with reused skb addresses -------------
const PATHS = [
  { w: 6, funcs: ['napi_gro_receive', 'dev_gro_receive', 'inet_gro_receive', 'tcp4_gro_receive', '__netif_receive_skb', 'ip_rcv', 'ip_rcv_core', 'ip_rcv_finish', 'ip_local_deliver', 'ip_local_deliver_finish', 'ip_protocol_deliver_rcu', 'tcp_v4_rcv', 'tcp_filter', 'tcp_v4_do_rcv', 'tcp_rcv_established', 'tcp_queue_rcv', 'skb_release_head_state', 'skb_release_data', 'kfree_skbmem'], iface: 'ens5:2', ifindex: 2 },
  { w: 3, funcs: ['__ip_queue_xmit', '__ip_local_out', 'ip_output', 'ip_finish_output', 'ip_finish_output2', 'neigh_resolve_output', '__dev_queue_xmit', 'netdev_core_pick_tx', 'validate_xmit_skb', 'dev_hard_start_xmit', 'napi_consume_skb', 'skb_release_data', 'kfree_skbmem'], iface: '~3a6f7d4e8c73:26', ifindex: 26 },
  { w: 1, funcs: ['__netif_rx', 'enqueue_to_backlog', '__netif_receive_skb', 'ip_rcv', 'nf_hook_slow', 'kfree_skb_reason', 'skb_release_head_state', 'skb_release_data', 'kfree_skbmem'], iface: '34', ifindex: 34, drop: 'SKB_DROP_REASON_NETFILTER_DROP' },
  { w: 2, funcs: ['ipv6_rcv', 'ip6_rcv_core', 'ip6_rcv_finish', 'ip6_input', 'ip6_input_finish', 'ip6_protocol_deliver_rcu', 'udpv6_rcv', '__udp6_lib_rcv', 'consume_skb', 'skb_release_data', 'kfree_skbmem'], iface: 'eth0:25', ifindex: 25, v6: true },
];
const PICK = PATHS.flatMap((p) => Array(p.w).fill(p));

function generate() {
  const m = newManifest({ kind: 'file', path: 'synthetic', format: 'text', tool: 'pwru' });
  m.clock = { monotonicToWallNs: '1700000000000000000', measuredAt: new Date().toISOString() };
  const w = new CaptureWriter(dir, m);
  let seed = 12345;
  const rnd = (n) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  const inflight = [];
  let ktime = 1_843_207_115_304_258n;
  let line = 1;
  let n = 0;
  while (n < EVENTS) {
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
    n++;
    if (++f.i === f.p.funcs.length) inflight.splice(k, 1);
  }
  w.finish('complete');
}

const QUERY = 'SELECT count(*) AS tracks, count(DISTINCT path_sig) AS sigs FROM skb_tracks';

async function main() {
  console.log(`events: ${EVENTS.toLocaleString('en')}, dir: ${root}`);
  let t = performance.now();
  generate();
  console.log(`generate: ${secs(t).toFixed(2)} s`);

  // (a) load from the Arrow capture + query
  t = performance.now();
  const a = await openAnalysis([dir]);
  const loadA = secs(t);
  const [ra] = await a.run(QUERY);
  const totalA = secs(t);
  console.log(`(a) arrow load+views: ${loadA.toFixed(2)} s; + query: ${totalA.toFixed(2)} s (${rate(EVENTS, totalA)}) -> ${ra.tracks} tracks, ${ra.sigs} sigs`);

  // (b) the floor: the same rows as Parquet, read by DuckDB itself
  const pq = join(root, 'raw_events.parquet');
  const sideTables = ['captures', 'addresses', 'endpoints', 'ipcache', 'bpf_metrics', 'tc_progs', 'ifnames', 'netns_names'];
  await a.connection.run(`COPY raw_events TO '${pq}' (FORMAT parquet)`);
  for (const s of sideTables) await a.connection.run(`COPY ${s} TO '${join(root, s)}.parquet' (FORMAT parquet)`);
  a.close();
  t = performance.now();
  const inst = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' });
  const c = await inst.connect();
  let rb;
  try {
    await c.run(`CREATE TABLE raw_events AS SELECT * FROM read_parquet('${pq}')`);
    for (const s of sideTables) await c.run(`CREATE TABLE ${s} AS SELECT * FROM read_parquet('${join(root, s)}.parquet')`);
    await runViews(c, defaultViewsDir()); // the same statements, the lifetime stage in the same buckets
    rb = (await c.runAndReadAll(QUERY)).getRowObjectsJS()[0];
  } finally {
    c.closeSync();
    inst.closeSync();
  }
  const totalB = secs(t);
  console.log(`(b) parquet load+views+query: ${totalB.toFixed(2)} s (${rate(EVENTS, totalB)}) -> ${rb.tracks} tracks, ${rb.sigs} sigs`);
  console.log(`ratio (a)/(b): ${(totalA / totalB).toFixed(2)}x (target <= 1.5x)`);

  // (c) cache: build once, then reopen
  t = performance.now();
  const c1 = await openAnalysis([dir], { cache: true });
  await c1.run(QUERY);
  c1.close();
  const build = secs(t);
  t = performance.now();
  const c2 = await openAnalysis([dir], { cache: true });
  const [rc] = await c2.run(QUERY);
  const origin = c2.origin;
  c2.close();
  const reopen = secs(t);
  console.log(`(c) cache build: ${build.toFixed(2)} s; reopen (${origin}) + query: ${reopen.toFixed(3)} s (target < 1 s) -> ${rc.tracks} tracks`);
  console.log(`peak RSS (whole bench process; per-size figures: one process per size): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
  if (!keep) rmSync(root, { recursive: true, force: true });
}

await main();
