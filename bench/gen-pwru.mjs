// Synthetic pwru v1.0.10 output for benches: interleaved packets walking realistic kernel paths (NIC rx/tx,
// Cilium veth redirect, UDP, ICMPv6, drops), rendered by the same code as the fake pwru
// (test/fixtures/pwru-format.mjs). Deterministic for a given seed. Not a capture: never use as a sample.
//
//   node bench/gen-pwru.mjs --lines 2000000 --format text|json [--out FILE] [--seed N] [--timestamp current|none]
//   import { generateRecords, generateLines } from './gen-pwru.mjs'

import { openSync, writeSync, closeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createPrinter, ifaceName, processName } from '../test/fixtures/pwru-format.mjs';

// --- the world: netns, devices, processes --------------------------------------------------------

const HOST_NS = 4026531840;
const DEVS = {
  ens5: { netns: HOST_NS, iface: ifaceName('ens5', 2), mtu: 9001 },
  lo: { netns: HOST_NS, iface: ifaceName('lo', 1), mtu: 65536 },
  cilium_vxlan: { netns: HOST_NS, iface: ifaceName('cilium_vxlan', 6), mtu: 1500 },
  lxcA: { netns: HOST_NS, iface: ifaceName('lxc3a6f7d4e8c73', 26), mtu: 9001 },
  lxcB: { netns: HOST_NS, iface: ifaceName('lxc72ce9b67c76c', 28), mtu: 9001 },
  lxcC: { netns: HOST_NS, iface: ifaceName('lxc7d9779c20d88', 16), mtu: 9001 },
  podA: { netns: 4026532677, iface: ifaceName('eth0', 25), mtu: 9001 },
  podB: { netns: 4026532745, iface: ifaceName('eth0', 27), mtu: 9001 },
  podC: { netns: 4026532512, iface: ifaceName('eth0', 15), mtu: 9001 },
  newVeth: { netns: HOST_NS, iface: '34', mtu: 9001 }, // created after pwru started: bare ifindex
  none: { netns: 0, iface: '0', mtu: 0 },
};

const PROCS = [
  processName('/usr/bin/curl', 272299),
  processName('/usr/sbin/nginx', 264921),
  processName('/usr/local/bin/cilium-agent', 10347),
  processName('/usr/bin/kubelet', 1893),
  processName('/usr/bin/containerd', 1204),
  processName('/coredns', 4411),
  processName('/usr/bin/ping', 18515),
  '<empty>:0',
  '<empty>:0',
  '<empty>:0',
  '<empty>:17',
  'curl:227116',
];

const V4 = ['10.244.2.173', '10.244.2.61', '10.244.1.141', '10.244.3.20', '10.13.1.57', '172.31.7.201', '10.96.0.10', '192.168.241.133'];
const V6 = ['[fd00:10:244:2::5a1e]', '[fd00:10:244:2::834b]', '[fd00:10:244:1::c0de]', '[2600:1f18:4a3:6e01::17]'];

// --- paths: [func, patch] steps; patch keys: dev, len (absolute or +/-), mtu, devless, flags ---------

const TX_CORE = ['__dev_queue_xmit', 'netdev_core_pick_tx', 'validate_xmit_skb', 'netif_skb_features',
  'skb_network_protocol', 'validate_xmit_xfrm', 'dev_hard_start_xmit'];
const FREE = ['skb_release_head_state', 'skb_release_data', 'kfree_skbmem'];

const s = (func, patch) => [func, patch ?? null];

const PATHS = [
  { // NIC rx -> local TCP socket (GRO, netfilter, established fast path)
    weight: 5, proto: 6, dev: 'ens5', l3: 1500, steps: [
      s('napi_gro_receive'), s('dev_gro_receive'), s('inet_gro_receive'), s('tcp4_gro_receive'), s('tcp_gro_receive'),
      s('skb_defer_rx_timestamp'), s('__netif_receive_skb'), s('__netif_receive_skb_one_core'), s('ip_rcv', { len: -14 }),
      s('ip_rcv_core'), s('nf_hook_slow'), s('ip_rcv_finish'), s('tcp_v4_early_demux'), s('ip_local_deliver', { mtu: 65536 }),
      s('nf_hook_slow'), s('ip_local_deliver_finish'), s('ip_protocol_deliver_rcu', { len: -20 }), s('tcp_v4_rcv'),
      s('tcp_filter'), s('sk_filter_trim_cap'), s('tcp_v4_fill_cb'), s('tcp_v4_do_rcv', { devless: true }),
      s('tcp_rcv_established'), s('tcp_queue_rcv', { len: -32 }), s('tcp_event_data_recv'),
      s('skb_attempt_defer_free'), s('__kfree_skb'), ...FREE.map((f) => s(f)),
    ],
  },
  { // local TCP tx -> NIC
    weight: 4, proto: 6, dev: 'ens5', l3: 1052, steps: [
      s('__tcp_transmit_skb', { dev: 'none', len: 1000 }), s('tcp_v4_send_check'), s('__ip_queue_xmit', { len: 1032 }),
      s('ip_local_out', { len: 1052 }), s('__ip_local_out'), s('nf_hook_slow'), s('ip_output', { dev: 'ens5' }),
      s('nf_hook_slow'), s('ip_finish_output'), s('__ip_finish_output'), s('ip_finish_output2'),
      s('neigh_resolve_output', { len: 1066 }), ...TX_CORE.map((f) => s(f)), s('skb_clone_tx_timestamp'),
      s('napi_consume_skb'), s('skb_release_head_state'), s('skb_release_data'), s('kfree_skbmem'),
    ],
  },
  { // pod -> pod on one node through Cilium (tcx cil_from_container + bpf_redirect), as in the demo
    weight: 5, proto: 6, dev: 'lxcA', l3: 60, steps: [
      s('__netif_rx'), s('enqueue_to_backlog'), s('__netif_receive_skb'), s('__netif_receive_skb_one_core'),
      s('skb_ensure_writable', { len: 74 }), s('skb_ensure_writable'), s('skb_do_redirect'), s('__bpf_redirect'),
      s('__dev_queue_xmit', { dev: 'lxcB' }), ...TX_CORE.slice(1).map((f) => s(f)), s('__dev_forward_skb'),
      s('__dev_forward_skb2'), s('skb_scrub_packet'), s('eth_type_trans'), s('__netif_rx', { dev: 'podB', len: 60 }),
      s('enqueue_to_backlog'), s('__netif_receive_skb'), s('__netif_receive_skb_one_core'), s('ip_rcv'), s('ip_rcv_core'),
      s('ip_rcv_finish'), s('ip_route_input_noref'), s('ip_local_deliver', { mtu: 65536 }), s('ip_local_deliver_finish'),
      s('ip_protocol_deliver_rcu', { len: 40 }), s('tcp_v4_rcv'), s('tcp_filter'), s('tcp_v4_fill_cb'),
      s('tcp_v4_do_rcv', { devless: true }), s('tcp_rcv_state_process'), s('tcp_v4_conn_request'), s('tcp_conn_request'),
      s('consume_skb'), ...FREE.map((f) => s(f)),
    ],
  },
  { // DNS over UDP to coredns in a pod
    weight: 3, proto: 17, dev: 'lxcC', l3: 71, steps: [
      s('__netif_rx'), s('enqueue_to_backlog'), s('__netif_receive_skb'), s('__netif_receive_skb_one_core'),
      s('skb_ensure_writable', { len: 85 }), s('skb_do_redirect'), s('__bpf_redirect'), s('__dev_queue_xmit', { dev: 'lxcB' }),
      s('dev_hard_start_xmit'), s('__dev_forward_skb'), s('eth_type_trans'), s('__netif_rx', { dev: 'podC', len: 71 }),
      s('__netif_receive_skb'), s('ip_rcv'), s('ip_rcv_core'), s('ip_rcv_finish'), s('udp_v4_early_demux'),
      s('ip_local_deliver', { mtu: 65536 }), s('ip_local_deliver_finish'), s('ip_protocol_deliver_rcu', { len: 51 }),
      s('udp_rcv'), s('__udp4_lib_rcv'), s('udp_unicast_rcv_skb'), s('udp_queue_rcv_skb'), s('udp_queue_rcv_one_skb'),
      s('sk_filter_trim_cap'), s('__udp_enqueue_schedule_skb'), s('skb_consume_udp', { devless: true }),
      s('__consume_stateless_skb'), s('skb_release_data'), s('kfree_skbmem'),
    ],
  },
  { // ICMPv6 echo to the node
    weight: 2, proto: 58, v6: true, dev: 'ens5', l3: 104, steps: [
      s('napi_gro_receive'), s('dev_gro_receive'), s('ipv6_gro_receive'), s('__netif_receive_skb'),
      s('__netif_receive_skb_one_core'), s('ipv6_rcv', { len: 104 }), s('ip6_rcv_core'), s('nf_hook_slow'),
      s('ip6_rcv_finish'), s('ip6_route_input'), s('ip6_input', { mtu: 65536 }), s('ip6_input_finish'),
      s('ip6_protocol_deliver_rcu', { len: 64 }), s('icmpv6_rcv'), s('icmpv6_echo_reply'), s('consume_skb'),
      ...FREE.map((f) => s(f)),
    ],
  },
  { // TCP SYN to a closed port: no socket
    weight: 1, proto: 6, dev: 'ens5', l3: 60, flags: 'SYN', steps: [
      s('napi_gro_receive'), s('__netif_receive_skb'), s('ip_rcv', { len: 60 }), s('ip_rcv_core'), s('ip_rcv_finish'),
      s('ip_local_deliver', { mtu: 65536 }), s('ip_local_deliver_finish'), s('ip_protocol_deliver_rcu', { len: 40 }),
      s('tcp_v4_rcv'), s('tcp_v4_send_reset'), s('kfree_skb_reason(SKB_DROP_REASON_NO_SOCKET)'), ...FREE.map((f) => s(f)),
    ],
  },
  { // netfilter drop in a pod netns
    weight: 1, proto: 6, dev: 'newVeth', l3: 60, flags: 'SYN', steps: [
      s('__netif_rx'), s('__netif_receive_skb'), s('ip_rcv'), s('ip_rcv_core'), s('nf_hook_slow'),
      s('kfree_skb_reason(SKB_DROP_REASON_NETFILTER_DROP)'), ...FREE.map((f) => s(f)),
    ],
  },
  { // UDP to a port with no listener, over the overlay, dropped
    weight: 1, proto: 17, dev: 'cilium_vxlan', l3: 84, steps: [
      s('__netif_receive_skb'), s('ip_rcv'), s('ip_rcv_core'), s('ip_rcv_finish'), s('ip_local_deliver', { mtu: 65536 }),
      s('ip_local_deliver_finish'), s('ip_protocol_deliver_rcu', { len: 64 }), s('udp_rcv'), s('__udp4_lib_rcv'),
      s('kfree_skb_reason(SKB_DROP_REASON_NO_SOCKET)'), ...FREE.map((f) => s(f)),
    ],
  },
];

const TCP_FLAGS = ['ACK', 'PSH|ACK', 'ACK', 'ACK', 'SYN', 'SYN|ACK', 'FIN|ACK', 'RST|ACK'];
const WEIGHTED = PATHS.flatMap((p) => Array(p.weight).fill(p));

// --- generator -------------------------------------------------------------------------------------

function rng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

/**
 * Yields `count` pwru v1.0.10 records (the same object shape as samples/*.events.json, `time` as a digit
 * string): up to 8 packets in flight interleave; freed skb addresses go back to a pool and are reused LIFO.
 */
export function* generateRecords(count, { seed = 1, startNs = 1843207115302114 } = {}) {
  const rand = rng(seed);
  const pick = (arr) => arr[Math.floor(rand() * arr.length)];
  const free = [];
  let nextAddr = 0x905e1ce8;
  // ktime as whole seconds + nanoseconds: String() of a 16-digit double costs ~200 ns, of two small ints ~10 ns.
  let sec = Math.floor(startNs / 1e9);
  let nsec = startNs - sec * 1e9;
  let port = 32768;
  const flows = [];

  function newFlow() {
    const path = pick(WEIGHTED);
    let skb;
    if (free.length > 0 && rand() < 0.7) skb = free.pop();
    else {
      nextAddr = (nextAddr + 0x100 * (1 + Math.floor(rand() * 40))) >>> 0;
      skb = '0xffff91ba' + nextAddr.toString(16).padStart(8, '0');
    }
    const v6 = path.v6 === true;
    const [sa, da] = v6 ? [pick(V6), pick(V6)] : [pick(V4), pick(V4)];
    port = port >= 60999 ? 32768 : port + 1 + Math.floor(rand() * 7);
    const l4 = path.proto;
    const tuple = { saddr: sa, daddr: da, proto: l4 };
    if (l4 === 6 || l4 === 17) {
      tuple.sport = port;
      tuple.dport = l4 === 17 ? 53 : pick([80, 443, 8080, 6443]);
    }
    if (l4 === 6) tuple.flags = path.flags ?? pick(TCP_FLAGS);
    return {
      path, skb, step: 0, tuple,
      cpu: Math.floor(rand() * 8),
      process: pick(PROCS),
      dev: DEVS[path.dev],
      len: path.l3,
      mtu: DEVS[path.dev].mtu,
      mark: rand() < 0.1 ? 0xd00 : 0,
      proto: v6 ? 0x86dd : 0x0800,
      devless: false,
    };
  }

  for (let i = 0; i < 8; i++) flows.push(newFlow());
  for (let n = 0; n < count; n++) {
    const slot = Math.floor(rand() * flows.length);
    const f = flows[slot];
    const [func, patch] = f.path.steps[f.step++];
    if (patch !== null) {
      if (patch.dev) {
        f.dev = DEVS[patch.dev];
        if (patch.mtu === undefined && f.dev.mtu) f.mtu = f.dev.mtu;
      }
      if (patch.len !== undefined) f.len = patch.len < 0 ? f.len + patch.len : patch.len;
      if (patch.mtu !== undefined) f.mtu = patch.mtu;
      if (patch.devless) f.devless = true;
    }
    if (rand() < 0.02) f.cpu = Math.floor(rand() * 8); // softirq handed to another CPU now and then
    nsec += 150 + Math.floor(rand() * 2500);
    if (nsec >= 1e9) {
      nsec -= 1e9;
      sec++;
    }
    const time = sec + String(nsec).padStart(9, '0');
    const d = f.devless ? DEVS.none : f.dev;
    yield {
      skb: f.skb, cpu: f.cpu, process: f.process, func, time,
      netns: d.netns, mark: f.mark, iface: d.iface, proto: f.proto, mtu: f.mtu, len: f.len,
      tuple: f.tuple,
    };
    if (f.step >= f.path.steps.length) {
      if (func === 'kfree_skbmem') free.push(f.skb);
      flows[slot] = newFlow();
    }
  }
}

/** Yields output text in chunks of about `chunkLines` lines, header first in text mode. */
export function* generateLines({ lines, format = 'text', seed = 1, timestamp = 'current', chunkLines = 4096 }) {
  const printer = createPrinter({ version: 'v1.0.10', json: format === 'json', timestamp, tcpFlags: true });
  const header = printer.header();
  if (header !== null) yield header;
  const parts = [];
  for (const rec of generateRecords(lines, { seed })) {
    parts.push(printer.format(rec));
    if (parts.length >= chunkLines) {
      yield parts.join('');
      parts.length = 0;
    }
  }
  if (parts.length > 0) yield parts.join('');
}

/** writeSync until done; stdout may be a non-blocking pipe (EAGAIN: wait 1 ms and retry). */
function writeAll(fd, buf) {
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(fd, buf, off);
    } catch (err) {
      if (err.code !== 'EAGAIN') throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}

function parseCli(argv) {
  const opts = { lines: 100000, format: 'text', out: null, seed: 1, timestamp: 'current' };
  for (let i = 0; i < argv.length; i++) {
    const [k, inline] = argv[i].split('=', 2);
    const v = () => inline ?? argv[++i];
    if (k === '--lines') opts.lines = Number(v());
    else if (k === '--format') opts.format = v();
    else if (k === '--out') opts.out = v();
    else if (k === '--seed') opts.seed = Number(v());
    else if (k === '--timestamp') opts.timestamp = v();
    else throw new Error(`gen-pwru: unknown option ${argv[i]}`);
  }
  if (!Number.isInteger(opts.lines) || opts.lines < 0) throw new Error(`gen-pwru: --lines must be a count, got ${opts.lines}`);
  if (opts.format !== 'text' && opts.format !== 'json') throw new Error(`gen-pwru: --format must be text or json, got ${opts.format}`);
  return opts;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const opts = parseCli(process.argv.slice(2));
  const fd = opts.out ? openSync(opts.out, 'w') : 1;
  const started = process.hrtime.bigint();
  try {
    for (const chunk of generateLines(opts)) writeAll(fd, Buffer.from(chunk));
  } catch (err) {
    if (err.code !== 'EPIPE') throw err;
    process.exit(0); // `gen-pwru | head` ends quietly
  } finally {
    if (opts.out) closeSync(fd);
  }
  const secs = Number(process.hrtime.bigint() - started) / 1e9;
  process.stderr.write(`gen-pwru: ${opts.lines} ${opts.format} lines in ${secs.toFixed(2)} s (${Math.round(opts.lines / secs)} lines/s)\n`);
}
