// Builds the HAND-BUILT demo record files (samples/demo-*.events.json) for the seed's two-pod Cilium
// scenario and, with --render, renders them through the fake pwru into .pwru.txt / .pwru.json.
// The kernel paths are written by hand from Linux 6.8 (tcx, veth, bpf_redirect) and are not captured.
//
//   node samples/build-demo-events.mjs            # rewrite the .events.json files
//   node samples/build-demo-events.mjs --render   # ... and the .pwru.txt/.pwru.json renderings

import { writeFileSync, openSync, closeSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { ifaceName, processName } from '../test/fixtures/pwru-format.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');

// Addresses and ids from the seed article (worker-1). Pod eth0 ifindexes follow `lxc3a6f7d4e8c73@if25`.
const HOST_NS = 4026531840;
const CLIENT_NS = 4026532677;
const SERVER_NS = 4026532745;
const CLIENT = { ip: '10.244.2.173', port: 54864 };
const SERVER = { ip: '10.244.2.61', port: 80 };

const DEV = {
  clientEth0: { netns: CLIENT_NS, ifname: 'eth0', ifindex: 25, mtu: 9001 },
  lxcClient: { netns: HOST_NS, ifname: 'lxc3a6f7d4e8c73', ifindex: 26, mtu: 9001 },
  lxcServer: { netns: HOST_NS, ifname: 'lxc72ce9b67c76c', ifindex: 28, mtu: 9001 },
  serverEth0: { netns: SERVER_NS, ifname: 'eth0', ifindex: 27, mtu: 9001 },
};

const CURL = { exe: '/usr/bin/curl', comm: 'curl', pid: 272299 };
const NGINX = { exe: '/usr/sbin/nginx', comm: 'nginx', pid: 264921 };
const IDLE = { exe: '', comm: '<empty>', pid: 0 };

/** The pwru invocations the samples stand for (argv after `pwru`). */
export const DEMO_ARGV_TEXT = [
  '--output-tuple', '--output-meta', '--output-tcp-flags', '--timestamp', 'current',
  '--filter-ifname', 'lxc3a6f7d4e8c73', '--filter-track-skb', 'host 10.244.2.61 and tcp port 80',
];
export const DEMO_ARGV_JSON = ['--output-json', ...DEMO_ARGV_TEXT.filter((a) => a !== '--output-tcp-flags')];
/** v1.0.7+ text with meta and tuple both off: the header `SKB CPU PROCESS FUNC` that Era C also prints, left-aligned. */
export const DEMO_ARGV_BARE = ['--output-meta=false', '--output-tuple=false', '--filter-ifname', 'lxc3a6f7d4e8c73'];

export const DEMO_SAMPLES = [
  { name: 'demo-delivered', build: buildDelivered },
  { name: 'demo-netfilter-drop', build: buildNetfilterDrop },
].map((s) => ({
  ...s,
  events: join(HERE, `${s.name}.events.json`),
  text: join(HERE, `${s.name}.pwru.txt`),
  json: join(HERE, `${s.name}.pwru.json`),
}));

// Deterministic gaps between probes (ns): a tiny LCG keeps the files stable across runs.
function makeClock(start, seed) {
  let t = start;
  let x = seed;
  return {
    step(min = 180, max = 1400) {
      x = (x * 1103515245 + 12345) % 2147483648;
      t += min + (x % (max - min));
      return t;
    },
    jump(ns) {
      t += ns;
      return t;
    },
  };
}

/**
 * One packet on its way: `state` holds what pwru reads from the skb (dev, len, mtu …); `hit(func, patch)`
 * applies `patch` and emits one event.
 */
function packet(events, clock, { skb, cpu, task, dev, len, flags, dir }) {
  const [src, dst] = dir === 'c2s' ? [CLIENT, SERVER] : [SERVER, CLIENT];
  const st = { skb, cpu, task, dev, len, mtu: dev.mtu, devless: false, sockNetns: 0 };
  const tuple = { saddr: src.ip, daddr: dst.ip, sport: src.port, dport: dst.port, proto: 6, flags };
  return {
    st,
    hit(func, patch = {}) {
      Object.assign(st, patch);
      const d = st.devless ? null : st.dev;
      const rec = {
        skb: st.skb,
        cpu: st.cpu,
        process: processName(st.task.exe, st.task.pid),
        func,
        time: clock.step(),
        netns: d ? d.netns : st.sockNetns,
        iface: d ? ifaceName(d.ifname, d.ifindex) : '0',
        proto: 2048,
        mtu: st.mtu,
        len: st.len,
        cb: [0, 0, 0, 0, 0],
        tuple,
        tunnel_tuple: {},
        _comm: st.task.comm,
      };
      if (d) rec._ifname = d.ifname;
      events.push(rec);
      return this;
    },
    seq(funcs, patch) {
      for (const f of funcs) this.hit(f, patch);
      return this;
    },
  };
}

const XMIT = ['netdev_core_pick_tx', 'validate_xmit_skb', 'netif_skb_features', 'passthru_features_check',
  'skb_network_protocol', 'validate_xmit_xfrm', 'dev_hard_start_xmit'];

/** veth_xmit lives in the veth module (not traced without --kmods): forward to the peer and queue. */
function vethForward(p, peer, l3len) {
  p.seq(['__dev_forward_skb', '__dev_forward_skb2', 'skb_scrub_packet', 'eth_type_trans']);
  p.hit('__netif_rx', { dev: peer, len: l3len, mtu: peer.mtu }).hit('enqueue_to_backlog');
}

/** Host-side lxc ingress: tcx runs cil_from_container (MAC/TTL rewrite), bpf_redirect to `to`. */
function ciliumRedirect(p, to, l3len) {
  p.seq(['__netif_receive_skb', '__netif_receive_skb_one_core']);
  p.seq(['skb_ensure_writable', 'skb_ensure_writable', 'skb_ensure_writable'], { len: l3len + 14 });
  p.seq(['skb_do_redirect', '__bpf_redirect']);
  p.hit('__dev_queue_xmit', { dev: to, mtu: to.mtu });
  p.seq(XMIT);
}

/** Pod-side IPv4 receive up to tcp_v4_rcv; `nf` adds the PRE_ROUTING nf_hook_slow of a netns with iptables. */
function ipReceive(p, { earlyDemuxNetns = 0, nf = false } = {}) {
  p.seq(['__netif_receive_skb', '__netif_receive_skb_one_core', 'ip_rcv', 'ip_rcv_core']);
  if (nf) p.hit('nf_hook_slow');
  p.seq(['ip_rcv_finish', 'tcp_v4_early_demux', 'ip_route_input_noref']);
  // From here skb->_skb_refdst is the local route (dst dev lo): MTU 65536.
  p.st.sockNetns = earlyDemuxNetns;
  p.hit('ip_local_deliver', { mtu: 65536 });
  return p;
}

function tcpDeliver(p, l4len) {
  p.hit('ip_local_deliver_finish');
  p.seq(['ip_protocol_deliver_rcu', 'raw_local_deliver', 'tcp_v4_rcv'], { len: l4len });
  p.seq(['tcp_filter', 'sk_filter_trim_cap', 'security_sock_rcv_skb', 'tcp_v4_fill_cb']);
  return p;
}

const FREE = ['skb_release_head_state', 'skb_release_data', 'kfree_skbmem'];
const DEFER_FREE = ['napi_consume_skb', 'skb_release_head_state', 'skb_release_data', 'napi_skb_cache_put'];

/** Client -> server: first seen at __netif_rx on lxc3a6f7d4e8c73 (the --filter-ifname match). */
function clientToServer(events, clock, o) {
  const p = packet(events, clock, { ...o, dir: 'c2s', dev: DEV.lxcClient, len: o.l3len });
  p.hit('__netif_rx').hit('enqueue_to_backlog');
  if (o.between) o.between();
  ciliumRedirect(p, DEV.lxcServer, o.l3len);
  vethForward(p, DEV.serverEth0, o.l3len);
  ipReceive(p, { earlyDemuxNetns: o.earlyDemux ? SERVER_NS : 0, nf: o.nf });
  return p;
}

/** Server -> client: first seen at __dev_queue_xmit on lxc3a6f7d4e8c73 after Cilium's redirect. */
function serverToClient(events, clock, o) {
  const p = packet(events, clock, { ...o, dir: 's2c', dev: DEV.lxcClient, len: o.l3len + 14 });
  p.hit('__dev_queue_xmit').seq(XMIT);
  vethForward(p, DEV.clientEth0, o.l3len);
  if (o.between) o.between();
  ipReceive(p, { earlyDemuxNetns: CLIENT_NS });
  return p;
}

const START_NS = 1843207115302114;
const SKB_SYN = '0xffff91ba905e1ce8'; // the seed's SYN: a TCP fclone, reused by the request after kfree_skbmem
const SKB_SYNACK = '0xffff91ba84c1e400';
const SKB_ACK = '0xffff91ba84c1f000';
const SKB_RESP = '0xffff91baa1d6b4e8';
const SKB_ACK2 = '0xffff91ba84c1fb00';
const SKB_FIN = '0xffff91ba905e0ae8';
const SKB_FINACK = '0xffff91baa1d6a0e8';
const SKB_LASTACK = '0xffff91ba84c1ea00';

function buildDelivered() {
  const ev = [];
  const clk = makeClock(START_NS, 7);
  const base = { cpu: 1, task: CURL };

  // 1. SYN (curl's connect; the whole handshake runs in curl's softirq on CPU 1).
  tcpDeliver(clientToServer(ev, clk, { ...base, skb: SKB_SYN, l3len: 60, flags: 'SYN' }), 40)
    .hit('tcp_v4_do_rcv', { devless: true })
    .seq(['tcp_rcv_state_process', 'tcp_v4_conn_request', 'tcp_conn_request', 'tcp_parse_options',
      'security_inet_conn_request', 'tcp_v4_init_seq', 'tcp_v4_init_ts_off', 'tcp_v4_route_req', 'consume_skb', ...FREE]);

  // 2. SYN-ACK from the server's request socket; on the client the SYN_SENT socket completes the
  //    connect and sends the ACK (3) from inside this softirq, before the SYN-ACK is freed.
  const synack = serverToClient(ev, clk, { ...base, skb: SKB_SYNACK, l3len: 60, flags: 'SYN|ACK' });
  tcpDeliver(synack, 40)
    .hit('tcp_v4_do_rcv', { devless: true })
    .seq(['tcp_rcv_state_process', 'tcp_rcv_synsent_state_process', 'tcp_ack', 'tcp_finish_connect', 'tcp_init_transfer']);
  const ack = packet(ev, clk, { ...base, skb: SKB_ACK, dev: DEV.lxcClient, len: 52, flags: 'ACK', dir: 'c2s' });
  ack.hit('__netif_rx').hit('enqueue_to_backlog');
  synack.hit('__kfree_skb').seq(FREE);
  ciliumRedirect(ack, DEV.lxcServer, 52);
  vethForward(ack, DEV.serverEth0, 52);
  ipReceive(ack, { earlyDemuxNetns: SERVER_NS });
  tcpDeliver(ack, 32).seq(['tcp_check_req', 'tcp_v4_syn_recv_sock', 'tcp_create_openreq_child', 'tcp_child_process',
    'tcp_rcv_state_process', 'tcp_ack', 'tcp_data_queue', '__kfree_skb', ...FREE]);

  // 4. HTTP GET (78 bytes of payload): the SYN's fclone slot is free again, same skb address.
  clk.jump(95_000);
  const req = clientToServer(ev, clk, { ...base, skb: SKB_SYN, l3len: 130, flags: 'PSH|ACK', earlyDemux: true });
  tcpDeliver(req, 110).hit('tcp_v4_do_rcv', { devless: true }).seq(['tcp_rcv_established', 'tcp_ack'])
    .seq(['tcp_queue_rcv', 'tcp_event_data_recv'], { len: 78 }); // header pulled: payload only

  // 5. nginx (CPU 3) reads the request: alloc_cpu is 1, so the free is deferred to CPU 1.
  clk.jump(24_000);
  req.hit('skb_attempt_defer_free', { cpu: 3, task: NGINX });

  // 6. Response (HTTP 200 + 615-byte index.html = 853 bytes of payload), sent by nginx on CPU 3.
  clk.jump(41_000);
  const resp = serverToClient(ev, clk, { skb: SKB_RESP, cpu: 3, task: NGINX, l3len: 905, flags: 'PSH|ACK',
    between: () => req.seq(DEFER_FREE, { cpu: 1, task: IDLE }) }); // curl sleeps in recv
  tcpDeliver(resp, 885).hit('tcp_v4_do_rcv', { devless: true }).seq(['tcp_rcv_established', 'tcp_ack'])
    .seq(['tcp_queue_rcv', 'tcp_event_data_recv'], { len: 853 });

  // 7. curl ACKs the response at once (quick-ack mode), then reads it on CPU 1.
  const ack2 = clientToServer(ev, clk, { ...base, cpu: 3, task: NGINX, skb: SKB_ACK2, l3len: 52, flags: 'ACK', earlyDemux: true });
  tcpDeliver(ack2, 32).hit('tcp_v4_do_rcv', { devless: true }).seq(['tcp_rcv_established', 'tcp_ack', '__kfree_skb', ...FREE]);
  clk.jump(18_000);
  resp.hit('skb_attempt_defer_free', { cpu: 1, task: CURL });
  clk.jump(9_000);
  resp.seq(DEFER_FREE, { cpu: 3, task: IDLE });

  // 8. curl closes: FIN|ACK to the server, which queues it for nginx (read returns 0).
  clk.jump(310_000);
  const fin = clientToServer(ev, clk, { ...base, skb: SKB_FIN, l3len: 52, flags: 'FIN|ACK', earlyDemux: true });
  tcpDeliver(fin, 32).hit('tcp_v4_do_rcv', { devless: true }).seq(['tcp_rcv_established', 'tcp_validate_incoming',
    'tcp_ack', 'tcp_data_queue', 'tcp_event_data_recv']);

  // 9. nginx closes: FIN|ACK back; the client in FIN_WAIT2 frees it and answers with the last ACK (10).
  clk.jump(36_000);
  fin.hit('skb_attempt_defer_free', { cpu: 3, task: NGINX });
  const finack = serverToClient(ev, clk, { skb: SKB_FINACK, cpu: 3, task: NGINX, l3len: 52, flags: 'FIN|ACK',
    between: () => fin.seq(DEFER_FREE, { cpu: 1, task: IDLE }) });
  tcpDeliver(finack, 32).hit('tcp_v4_do_rcv', { devless: true })
    .seq(['tcp_rcv_state_process', 'tcp_validate_incoming', 'tcp_ack', 'tcp_data_queue', 'tcp_fin']);
  const last = packet(ev, clk, { skb: SKB_LASTACK, cpu: 3, task: NGINX, dev: DEV.lxcClient, len: 52, flags: 'ACK', dir: 'c2s' });
  last.hit('__netif_rx').hit('enqueue_to_backlog');
  finack.hit('__kfree_skb').seq(FREE);
  ciliumRedirect(last, DEV.lxcServer, 52);
  vethForward(last, DEV.serverEth0, 52);
  ipReceive(last, { earlyDemuxNetns: SERVER_NS });
  tcpDeliver(last, 32).hit('tcp_v4_do_rcv', { devless: true })
    .seq(['tcp_rcv_state_process', 'tcp_validate_incoming', 'tcp_ack', 'tcp_done', 'tcp_set_state', '__kfree_skb', ...FREE]);
  return ev;
}

function buildNetfilterDrop() {
  // Same flow, but the server pod's netns has `iptables -A INPUT -p tcp --dport 80 -j DROP`: each SYN
  // passes PRE_ROUTING (nf_hook_slow accepts) and dies in LOCAL_IN. curl's SYN retransmits (RTO 1 s,
  // then 2 s) are new clones of the same fclone original, so they reuse the freed skb address.
  const ev = [];
  const clk = makeClock(START_NS, 11);
  const tries = [
    { cpu: 1, task: CURL, gap: 0 },
    { cpu: 1, task: IDLE, gap: 1_015_000_000 }, // retransmit timer in softirq of an idle CPU
    { cpu: 1, task: IDLE, gap: 2_031_000_000 },
  ];
  for (const t of tries) {
    clk.jump(t.gap);
    const p = clientToServer(ev, clk, { cpu: t.cpu, task: t.task, skb: SKB_SYN, l3len: 60, flags: 'SYN', nf: true });
    p.hit('nf_hook_slow').hit('kfree_skb_reason(SKB_DROP_REASON_NETFILTER_DROP)').seq(FREE);
  }
  return ev;
}

const KEY_ORDER = ['skb', 'cpu', 'process', 'func', 'time', 'netns', 'mark', 'iface', 'proto', 'mtu', 'len', 'cb',
  'tuple', 'tunnel_tuple', '_comm', '_ifname'];

/** One record per line, pwru's JSON key order, zero values omitted like pwru's omitempty. */
export function recordLine(rec) {
  const o = {};
  for (const k of KEY_ORDER) {
    const v = rec[k];
    if (v === undefined || v === 0 || v === '') continue;
    o[k] = v;
  }
  return JSON.stringify(o);
}

function render(sample) {
  const bin = join(ROOT, 'test/fixtures/bin/pwru');
  const env = { ...process.env, SKBTAPE_FAKE_PWRU_EVENTS: sample.events, SKBTAPE_FAKE_PWRU_EXIT_AFTER: '1' };
  delete env.SKBTAPE_FAKE_PWRU_VERSION;
  const bare = sample.name === 'demo-delivered' ? [[DEMO_ARGV_BARE, join(HERE, `${sample.name}.bare.pwru.txt`)]] : [];
  for (const [argv, file] of [[DEMO_ARGV_TEXT, sample.text], [DEMO_ARGV_JSON, sample.json], ...bare]) {
    const fd = openSync(file, 'w');
    try {
      const r = spawnSync(bin, argv, { env, stdio: ['ignore', fd, 'ignore'] });
      if (r.status !== 0) throw new Error(`fake pwru exited ${r.status} for ${file}`);
    } finally {
      closeSync(fd);
    }
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const s of DEMO_SAMPLES) {
    writeFileSync(s.events, s.build().map(recordLine).join('\n') + '\n');
    if (process.argv.includes('--render')) render(s);
  }
}
