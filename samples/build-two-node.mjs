// Builds the HAND-BUILT two-node sample (samples/two-node-{a,b}.events.json) and, with --render, renders each
// through the fake pwru into .pwru.txt: one TCP SYN from a client pod on node-a to a server pod on node-b over
// Cilium's VXLAN overlay, as `pwru --output-tunnel` would print it on each node. Kernel paths written by hand from
// Linux 6.8 (vxlan in a module, tcx); no pwru produced them. Clock offsets: two-node.clock.json.
//
//   node samples/build-two-node.mjs            # rewrite the .events.json and two-node.clock.json files
//   node samples/build-two-node.mjs --render   # ... and the .pwru.txt renderings
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ifaceName, processName } from '../test/fixtures/pwru-format.mjs';
import { recordLine } from './build-demo-events.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const HOST_NS = 4026531840;
const CLIENT = { ip: '10.244.1.23', port: 38412 };
const SERVER = { ip: '10.244.2.61', port: 80 };
/** The outer VXLAN tuple: node-a's InternalIP to node-b's, Cilium's VXLAN port. */
const OUTER = { saddr: '172.18.0.3', daddr: '172.18.0.4', sport: 51735, dport: 8472, proto: 17 };
const INNER = { saddr: CLIENT.ip, daddr: SERVER.ip, sport: CLIENT.port, dport: SERVER.port, proto: 6, flags: 'SYN' };
/** Wall clock of the SYN's first event on node-a (2025-12-02T00:00:00.000123456Z). */
const T0 = 1764633600000123456n;

export const TWO_NODE_ARGV = [
  '--output-tuple', '--output-meta', '--output-tcp-flags', '--output-tunnel', '--timestamp', 'current',
  '--filter-track-skb', 'host 10.244.2.61 and tcp port 80',
];

const A = {
  lxc: { netns: HOST_NS, ifname: 'lxc1a2b3c4d5e6f', ifindex: 12, mtu: 1500 },
  vxlan: { netns: HOST_NS, ifname: 'cilium_vxlan', ifindex: 5, mtu: 1500 },
  eth0: { netns: HOST_NS, ifname: 'eth0', ifindex: 2, mtu: 1500 },
};
const B = {
  eth0: { netns: HOST_NS, ifname: 'eth0', ifindex: 2, mtu: 1500 },
  vxlan: { netns: HOST_NS, ifname: 'cilium_vxlan', ifindex: 5, mtu: 1500 },
  lxc: { netns: HOST_NS, ifname: 'lxc6f5e4d3c2b1a', ifindex: 14, mtu: 1500 },
  pod: { netns: 4026532455, ifname: 'eth0', ifindex: 13, mtu: 1500 },
};
const XMIT = ['netdev_core_pick_tx', 'validate_xmit_skb', 'netif_skb_features', 'passthru_features_check', 'skb_network_protocol', 'validate_xmit_xfrm', 'dev_hard_start_xmit'];
const EMPTY = { exe: '', pid: 0 };

/** One skb on one node: `hit(func, patch)` applies the patch (device, len, tuples) and emits one event. */
function skbOn(events, { skb, cpu, task, start, dev, len, tuple, tunnel }) {
  let t = BigInt(start);
  let x = Number(BigInt(start) % 1000n) + 7;
  const st = { dev, len, tuple, tunnel, task };
  return {
    hit(func, patch = {}) {
      Object.assign(st, patch);
      x = (x * 1103515245 + 12345) % 2147483648;
      t += BigInt(200 + (x % 900));
      events.push({
        skb, cpu, process: processName(st.task.exe, st.task.pid), func, time: Number(t),
        netns: st.dev.netns, iface: ifaceName(st.dev.ifname, st.dev.ifindex), proto: 2048, mtu: st.dev.mtu, len: st.len,
        cb: [0, 0, 0, 0, 0], tuple: st.tuple, tunnel_tuple: st.tunnel, _ifname: st.dev.ifname,
      });
      return this;
    },
    seq(funcs, patch) { for (const f of funcs) this.hit(f, patch); return this; },
    get time() { return t; },
  };
}

/** node-a: curl's SYN enters at the client's lxc, Cilium redirects it to cilium_vxlan, vxlan encapsulates it, eth0 sends it. */
function nodeA() {
  const ev = [];
  const p = skbOn(ev, { skb: '0xffff9c4a81e2a000', cpu: 3, task: { exe: '/usr/bin/curl', pid: 41237 }, start: 912345678901234n, dev: A.lxc, len: 60, tuple: INNER, tunnel: {} });
  p.seq(['__netif_rx', 'enqueue_to_backlog', '__netif_receive_skb', '__netif_receive_skb_one_core']);
  p.seq(['skb_ensure_writable', 'skb_ensure_writable'], { len: 74 });
  p.seq(['skb_do_redirect', '__bpf_redirect']);
  p.hit('__dev_queue_xmit', { dev: A.vxlan }).seq(XMIT);
  p.seq(['vxlan_xmit[vxlan]', 'vxlan_xmit_one[vxlan]', 'iptunnel_handle_offloads', 'udp_tunnel_xmit_skb'], { len: 90 });
  p.hit('iptunnel_xmit').hit('skb_scrub_packet');
  // The outer IP header is in place: pwru now prints the outer tuple, and the inner one as TUNNEL.
  p.seq(['ip_local_out', '__ip_local_out'], { len: 110, tuple: OUTER, tunnel: INNER });
  p.seq(['ip_output', 'ip_finish_output', '__ip_finish_output', 'ip_finish_output2'], { dev: A.eth0 });
  p.hit('__dev_queue_xmit', { len: 124 }).seq(XMIT);
  const sent = p.time;
  p.seq(['napi_consume_skb', 'skb_release_head_state', 'skb_release_data', 'napi_skb_cache_put'], { task: EMPTY });
  return { events: ev, first: BigInt(ev[0].time), sent };
}

/** node-b: eth0 receives the VXLAN packet, vxlan decapsulates it, Cilium redirects it to the server's lxc, the pod's TCP takes it. */
function nodeB() {
  const ev = [];
  const p = skbOn(ev, { skb: '0xffff8e1203c4b800', cpu: 1, task: EMPTY, start: 4123987654321000n, dev: B.eth0, len: 110, tuple: OUTER, tunnel: INNER });
  p.seq(['__netif_receive_skb', '__netif_receive_skb_one_core', 'ip_rcv', 'ip_rcv_core', 'ip_rcv_finish', 'ip_route_input_noref', 'ip_local_deliver', 'ip_local_deliver_finish', 'ip_protocol_deliver_rcu']);
  p.seq(['udp_rcv', '__udp4_lib_rcv', 'udp_unicast_rcv_skb', 'udp_queue_rcv_skb', 'udp_queue_rcv_one_skb'], { len: 90 });
  p.hit('vxlan_rcv[vxlan]', { len: 82 });
  // Decapsulated: the inner headers are the skb's now, on cilium_vxlan.
  p.hit('gro_cells_receive', { dev: B.vxlan, len: 60, tuple: INNER, tunnel: {} });
  p.seq(['__netif_receive_skb', '__netif_receive_skb_one_core']);
  p.seq(['skb_ensure_writable', 'skb_ensure_writable'], { len: 74 });
  p.seq(['skb_do_redirect', '__bpf_redirect']);
  p.hit('__dev_queue_xmit', { dev: B.lxc }).seq(XMIT);
  p.seq(['__dev_forward_skb', '__dev_forward_skb2', 'skb_scrub_packet', 'eth_type_trans']);
  p.hit('__netif_rx', { dev: B.pod, len: 60 }).hit('enqueue_to_backlog');
  p.seq(['__netif_receive_skb', '__netif_receive_skb_one_core', 'ip_rcv', 'ip_rcv_core', 'ip_rcv_finish', 'tcp_v4_early_demux', 'ip_route_input_noref', 'ip_local_deliver', 'ip_local_deliver_finish', 'ip_protocol_deliver_rcu', 'raw_local_deliver']);
  p.seq(['tcp_v4_rcv', 'tcp_filter', 'sk_filter_trim_cap', 'security_sock_rcv_skb', 'tcp_v4_fill_cb', 'tcp_v4_do_rcv', 'tcp_rcv_state_process', 'tcp_v4_conn_request', 'tcp_conn_request'], { len: 40 });
  p.seq(['consume_skb', 'skb_release_head_state', 'skb_release_data', 'kfree_skbmem']);
  return { events: ev, first: BigInt(ev[0].time) };
}

export const TWO_NODE_SAMPLES = ['a', 'b'].map((n) => ({
  node: `node-${n}`,
  events: join(HERE, `two-node-${n}.events.json`),
  text: join(HERE, `two-node-${n}.pwru.txt`),
}));
export const TWO_NODE_CLOCK = join(HERE, 'two-node.clock.json');

function render(sample) {
  const env = { ...process.env, SKBTAPE_FAKE_PWRU_EVENTS: sample.events, SKBTAPE_FAKE_PWRU_EXIT_AFTER: '1' };
  delete env.SKBTAPE_FAKE_PWRU_VERSION;
  const fd = openSync(sample.text, 'w');
  try {
    const r = spawnSync(join(ROOT, 'test/fixtures/bin/pwru'), TWO_NODE_ARGV, { env, stdio: ['ignore', fd, 'ignore'] });
    if (r.status !== 0) throw new Error(`fake pwru exited ${r.status} for ${sample.text}`);
  } finally {
    closeSync(fd);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const a = nodeA();
  const b = nodeB();
  // Each node's monotonic -> wall offset, as `record` would measure it: node-b sees the packet 35 µs after node-a sent it.
  const offA = T0 - a.first;
  const offB = T0 + (a.sent - a.first) + 35_000n - b.first;
  writeFileSync(TWO_NODE_CLOCK, JSON.stringify({ 'node-a': offA.toString(), 'node-b': offB.toString() }, null, 2) + '\n');
  for (const [s, built] of [[TWO_NODE_SAMPLES[0], a], [TWO_NODE_SAMPLES[1], b]]) {
    writeFileSync(s.events, built.events.map(recordLine).join('\n') + '\n');
    if (process.argv.includes('--render')) render(s);
  }
}
