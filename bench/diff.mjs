// Diff bench: two synthetic captures (default 5,000,000 events each) that differ in a known set of flows; times
// loading both into DuckDB against the diff itself in the same run and asserts every known difference is found.
// Target: the diff adds <= 0.5x the load time. Run after `npx tsc`.
//
//   node bench/diff.mjs [--events 5000000] [--flows 200] [--keep DIR]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureWriter } from '../dist/capture/batch-writer.js';
import { newManifest } from '../dist/capture/manifest.js';
import { blankEvent } from '../dist/capture/event-schema.js';
import { openAnalysis } from '../dist/analyze/loader.js';
import { diffLoaded } from '../dist/diff/diff.js';
import { flowFilter } from '../dist/analyze/flow-filter.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const EVENTS = Number(opt('--events', '5000000'));
const FLOWS = Number(opt('--flows', '200'));
const keep = opt('--keep', null);
const root = keep ?? mkdtempSync(join(tmpdir(), 'skbtape-bench-diff-'));
const secs = (t0) => (performance.now() - t0) / 1000;

const RX = ['__netif_receive_skb', 'ip_rcv', 'ip_rcv_core', 'ip_rcv_finish', 'ip_local_deliver', 'ip_local_deliver_finish', 'ip_protocol_deliver_rcu', 'tcp_v4_rcv', 'tcp_filter', 'tcp_v4_do_rcv', 'tcp_rcv_established', 'skb_release_head_state', 'skb_release_data', 'kfree_skbmem'];
const TX = ['__ip_queue_xmit', '__ip_local_out', 'ip_output', 'ip_finish_output', 'ip_finish_output2', '__dev_queue_xmit', 'validate_xmit_skb', 'dev_hard_start_xmit', 'napi_consume_skb', 'skb_release_data', 'kfree_skbmem'];
const DROP = ['__netif_receive_skb', 'ip_rcv', 'ip_rcv_core', 'nf_hook_slow', 'kfree_skb_reason', 'skb_release_head_state', 'skb_release_data', 'kfree_skbmem'];
const HOOKED = ['__netif_receive_skb', 'ip_rcv', 'ip_rcv_core', 'nf_hook_slow', ...RX.slice(3)];

// Known differences: flow 0 is dropped by netfilter in B, flow 1 gains a hop in B, flow F-1 is only in A, flow F only in B.
const flowsOf = (side) => {
  const out = [];
  for (let f = 0; f <= FLOWS; f++) {
    if (side === 'a' && f === FLOWS) continue;
    if (side === 'b' && f === FLOWS - 1) continue;
    const req = side === 'b' && f === 0 ? DROP : side === 'b' && f === 1 ? HOOKED : RX;
    out.push({ f, client: `10.1.${f >> 8}.${f & 255}`, server: `10.2.${f >> 8}.${f & 255}`, port: 1000 + f, req });
  }
  return out;
};
const flowKey = (fl) => `${fl.client}->${fl.server}:${fl.port}/tcp`;

function generate(side) {
  const dir = join(root, side === 'a' ? 'before' : 'after');
  const m = newManifest({ kind: 'file', path: 'synthetic', format: 'text', tool: 'pwru' });
  const w = new CaptureWriter(dir, m);
  const flows = flowsOf(side);
  let seed = side === 'a' ? 1 : 2;
  // xorshift32: cheap and uniform enough that every flow gets its share of packets on both sides.
  let x = seed * 2654435761 >>> 0 || 1;
  const rnd = (n) => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x % n; };
  let ktime = 1_843_207_115_304_258n;
  let line = 1;
  while (line <= EVENTS) {
    const fl = flows[rnd(flows.length)];
    const reply = rnd(2) === 1;
    const funcs = reply ? TX : fl.req;
    const skb = 0xffff91ba905e0000n + BigInt(rnd(4096) * 0x100);
    const eport = 32768 + rnd(20000); // ephemeral ports change per packet: flows must not depend on them
    for (const func of funcs) {
      const e = blankEvent(line, 'E:ts,meta,tuple', skb, func);
      ktime += BigInt(200 + rnd(2000));
      Object.assign(e, {
        cpu: rnd(2), process: '<empty>:0', pid: 0, ktime, netns: 4026531840, mark: 0, ifindex: 2, iface: 'eth0:2', proto: 0x0800, mtu: 1500, len: 60,
        saddr: reply ? fl.server : fl.client, daddr: reply ? fl.client : fl.server, sport: reply ? fl.port : eport, dport: reply ? eport : fl.port,
        l4: 'tcp', l4Proto: 6, tcpFlags: 16,
      });
      if (func === 'kfree_skb_reason') e.dropReason = 'SKB_DROP_REASON_NETFILTER_DROP';
      w.add({ kind: 'event', event: e }, line, '');
      line++;
    }
  }
  w.finish('complete');
  return dir;
}

async function main() {
  let t0 = performance.now();
  const A = generate('a');
  const B = generate('b');
  console.log(`generated 2 x ${EVENTS.toLocaleString()} events, ${FLOWS + 1} flows per side, in ${secs(t0).toFixed(1)} s`);

  t0 = performance.now();
  const an = await openAnalysis([A, B]);
  const tracks = (await an.run('SELECT count(*) AS n FROM skb_tracks'))[0].n;
  const load = secs(t0);
  t0 = performance.now();
  const r = await diffLoaded(an, A, B, flowFilter(undefined), [], {});
  const diff = secs(t0);
  an.close();

  console.log(`load both (views + skb_tracks, ${tracks} tracks): ${load.toFixed(2)} s`);
  console.log(`diff on the loaded captures:                 ${diff.toFixed(2)} s`);
  console.log(`ratio diff / load: ${(diff / load).toFixed(3)} (target <= 0.5)`);
  console.log(`summary: ${r.summary.sentence}`);
  console.log('');

  const fa = flowsOf('a');
  const expected = [
    ['flow-only-in-a', flowKey(fa[FLOWS - 1])],
    ['flow-only-in-b', flowKey(flowsOf('b').at(-1))],
    ['new-path', flowKey(fa[0])], ['gone-path', flowKey(fa[0])], ['verdict', flowKey(fa[0])],
    ['new-path', flowKey(fa[1])], ['gone-path', flowKey(fa[1])],
    ['drop', 'SKB_DROP_REASON_NETFILTER_DROP'],
  ];
  const got = new Set(r.changes.map((c) => `${c.kind} ${c.subject}`));
  const missing = expected.filter(([k, s]) => !got.has(`${k} ${s}`));
  const extra = [...got].filter((g) => !expected.some(([k, s]) => `${k} ${s}` === g));
  const f1 = r.flows.find((f) => f.flow === flowKey(fa[1]));
  const hopOk = f1?.changed[0]?.divergesAt === 'nf_hook_slow' && f1.changed[0].added.join() === 'nf_hook_slow';
  if (!keep) rmSync(root, { recursive: true, force: true });
  if (missing.length || extra.length || !hopOk || r.key.by !== 'ip') {
    console.error(`FAIL: missing ${JSON.stringify(missing)} extra ${JSON.stringify(extra)} hopOk ${hopOk} key ${r.key.by}`);
    process.exit(1);
  }
  console.log(`all ${expected.length} known differences found, nothing else`);
  if (diff / load > 0.5) { console.error('FAIL: diff slower than 0.5x the load'); process.exit(1); }
}

await main();
