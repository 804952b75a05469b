// End to end on the real kernel: `skbtape record --source tracepoint` while the real curl crosses a veth between two
// namespaces, then the analysis finds the connection's path; a second run behind an nft drop shows the netfilter
// drop, and `skbtape diff` names it. Skips (saying why) only where root/bpftrace/tracefs are missing.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAnalysis } from '../src/analyze/loader.js';
import { canRunBpftrace, createTestNet, type TestNet } from './helpers/netns.js';
import { skipUnless } from './helpers/prereq.js';
import { ROOT } from './helpers/real.js';
import { SKBTAPE } from './helpers/cli.js';

const skip = skipUnless(canRunBpftrace(), 'tracepoint end-to-end test');
// Fewer tracepoints than the default set (bpftrace compiles each one): where each segment is queued, sent, received,
// read by the socket and freed. They carry every assertion below. One recording of the curl serves the first three
// tests (the connection, its segments, filter/export): each bpftrace start costs seconds of compiling.
const TPS = 'net:net_dev_queue,net:net_dev_start_xmit,net:netif_receive_skb,skb:skb_copy_datagram_iovec,skb:kfree_skb,skb:consume_skb';

describe.skipIf(skip)('tracepoint source on the running kernel', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'skbt-e2e-'));
  let net: TestNet;
  const a = join(tmp, 'delivered');
  const b = join(tmp, 'dropped');
  const segDir = a; // the delivered recording is the one whose segments are counted
  const pcap = join(tmp, 'client.pcap');
  const record = (dir: string, curl: string[], extra: string[] = []) =>
    execa(SKBTAPE, ['record', '-o', dir, '--source', 'tracepoint', '--tracepoints', TPS, '--snapshots', 'none', '--grace', '300ms', '--json',
      ...extra, '--netns', `/run/netns/${net.clientNs}`, '--netns', `/run/netns/${net.serverNs}`, '--', ...curl], { reject: false });

  beforeAll(async () => {
    net = await createTestNet();
  }, 60_000);
  afterAll(async () => {
    await net?.destroy();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('records the curl connection: SYN, request and reply; client veth then server veth', async () => {
    // tcpdump on the client's veth is the independent count of the next test: every segment of the connection, both
    // directions, taken while this recording runs.
    const dump = execa('ip', ['netns', 'exec', net.clientNs, 'tcpdump', '-i', net.clientVeth, '-nn', '-U', '-w', pcap, 'tcp', 'port', String(net.port)], { reject: false, buffer: { stderr: false } });
    await new Promise<void>((resolve, reject) => {
      let err = '';
      dump.stderr!.on('data', (b: Buffer) => { err += b.toString(); if (err.includes('listening on')) resolve(); });
      void dump.then((r) => reject(new Error(`tcpdump exited ${r.exitCode}: ${err}`)));
    });
    const r = await record(a, net.curlArgv(), ['--node', 'lab-node', '--name', 'segments-run']);
    dump.kill('SIGINT');
    await dump;
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(a, 'manifest.json'), 'utf8')).capture).toEqual({ id: 'segments-run', node: 'lab-node', name: 'segments-run' });
    const summary = JSON.parse(r.stdout);
    expect(summary.status).toBe('complete');
    expect(summary.source).toMatchObject({ kind: 'live', tool: 'bpftrace', format: 'json' });
    expect(summary.command).toMatchObject({ exitCode: 0 });
    expect(readFileSync(join(a, 'command/stdout'), 'utf8')).toContain('skbtape');
    const manifest = JSON.parse(readFileSync(join(a, 'manifest.json'), 'utf8'));
    expect(manifest.tracepoint.tracepoints).toEqual(TPS.split(','));
    expect([manifest.tracepoint.netnsInode, ...manifest.tracepoint.netnsInodes]).toEqual([net.clientNetnsInode, net.serverNetnsInode]);
    // bpftrace's locked-memory complaint (containers) is explained in the manifest, not left as a bare error line.
    if (readFileSync(join(a, 'pwru.stderr'), 'utf8').includes('RLIMIT_MEMLOCK')) expect(manifest.warnings.join('\n')).toMatch(/RLIMIT_MEMLOCK.*harmless/);
    // Filtered in the kernel: nothing from other namespaces.
    const other = JSON.parse((await execa(SKBTAPE, ['query', a, 'SELECT count(*) AS n FROM events WHERE netns NOT IN ($c, $s)', '-p', `c=${net.clientNetnsInode}`, '-p', `s=${net.serverNetnsInode}`, '--format', 'json'])).stdout);
    expect(Number(other[0].n)).toBe(0);

    const an = await openAnalysis([a]);
    try {
      const conn = { c: net.clientIp, s: net.serverIp, p: net.port };
      // Ordered partial match over one skb lifetime: net_dev_queue on the client veth (client netns), later
      // netif_receive_skb on the server veth (server netns), same tuple.
      const rows = await an.run(`
        WITH h AS (
          SELECT track_id, hop, func, ifindex, netns FROM track_hops
          WHERE saddr = $c AND daddr = $s AND dport = $p AND l4_name = 'tcp')
        SELECT q.track_id, q.hop AS qhop, r.hop AS rhop
        FROM h q JOIN h r USING (track_id)
        WHERE q.func = 'net_dev_queue' AND q.ifindex = $cif AND q.netns = $cns
          AND r.func = 'netif_receive_skb' AND r.ifindex = $sif AND r.netns = $sns AND r.hop > q.hop`,
        { c: conn.c, s: conn.s, p: conn.p, cif: net.clientIfindex, cns: net.clientNetnsInode, sif: net.serverIfindex, sns: net.serverNetnsInode });
      expect(rows.length, 'a track passes net_dev_queue (client veth) then netif_receive_skb (server veth)').toBeGreaterThan(0);
      // The SYN, the HTTP request (client → server with payload) and the reply (server → client with payload).
      const pk = await an.run(`
        SELECT saddr = $c AS to_server, min(len) AS min_len, max(len) AS max_len, count(*) AS n
        FROM events WHERE func = 'net_dev_queue' AND l4_name = 'tcp'
          AND ((saddr = $c AND daddr = $s AND dport = $p) OR (saddr = $s AND daddr = $c AND sport = $p))
        GROUP BY 1 ORDER BY 1 DESC`, { c: conn.c, s: conn.s, p: conn.p });
      expect(pk).toHaveLength(2);
      const [toServer, toClient] = pk as { min_len: number; max_len: number; n: bigint }[];
      expect(Number(toServer!.n)).toBeGreaterThanOrEqual(3); // SYN, ACK, request (+ FIN…)
      expect(toServer!.max_len).toBeGreaterThan(100); // the GET request carries a payload
      expect(toClient!.max_len).toBeGreaterThan(100); // the reply carries 'skbtape' and headers
    } finally {
      an.close();
    }
  }, 180_000);

  it('one track per TCP segment, as tcpdump counts them; SYN and FIN named; both namespaces\' interfaces named', async () => {
    const dir = segDir;
    const segments = (await execa('tcpdump', ['-r', pcap, '-nn'], { reject: false })).stdout.split('\n').filter((l) => l.includes(' IP ')).length;
    expect(segments).toBeGreaterThanOrEqual(6); // handshake, request, reply, close
    const an = await openAnalysis([dir]);
    try {
      const p = { c: net.clientIp, s: net.serverIp, port: net.port };
      const conn = `l4_name = 'tcp' AND ((saddr = $c AND daddr = $s AND dport = $port) OR (saddr = $s AND daddr = $c AND sport = $port))`;
      // The connection's lifetimes: those with a hop carrying its tuple; their first hop, sender, size and verdict.
      const all = await an.run(`
        WITH mine AS (SELECT track_id, any_value(saddr) AS saddr, max(len) AS len FROM track_hops WHERE ${conn} GROUP BY track_id)
        SELECT t.track_id, m.saddr, m.len, h.func AS first_func, h.netns AS first_netns, t.hops, t.verdict, t.start_reason, t.end_reason
        FROM skb_tracks t JOIN mine m USING (track_id) JOIN track_hops h ON h.track_id = t.track_id AND h.hop = 1
        ORDER BY t.first_seq`, p) as { saddr: string; len: number; first_func: string; first_netns: bigint; hops: bigint; verdict: string }[];
      const show = JSON.stringify(all, (_k, v) => (typeof v === 'bigint' ? Number(v) : v), 1);
      // TCP sends a clone and keeps the original in its retransmit queue until the ACK, then frees it: that skb
      // never reaches a device, and the only tracepoint it passes is its consume_skb. Every other lifetime is a
      // segment on the wire, one each.
      const onWire = all.filter((t) => t.first_func !== 'consume_skb');
      for (const t of all.filter((x) => x.first_func === 'consume_skb')) expect([Number(t.hops), t.verdict], show).toEqual([1, 'consumed']);
      expect(onWire.length, show).toBe(segments);
      // Each segment is born where its sender queues it: net_dev_queue in the sender's netns.
      for (const f of onWire) {
        expect(f.first_func, show).toBe('net_dev_queue');
        expect(Number(f.first_netns), show).toBe(f.saddr === net.clientIp ? net.clientNetnsInode : net.serverNetnsInode);
      }
      // None is dropped; the request and the reply (the segments with data) reached the peer's socket.
      expect(all.filter((t) => t.verdict === 'dropped'), show).toEqual([]);
      const data = onWire.filter((t) => t.len > 100);
      expect(new Set(data.map((t) => t.saddr)), show).toEqual(new Set([net.clientIp, net.serverIp]));
      const hopsOf = async (id: string) => (await an.run(`SELECT func, netns, len, tcp_flag_names AS f FROM events e JOIN event_tracks t USING (capture, seq) WHERE t.track_id = $id ORDER BY t.hop`, { id })).map((h) => `${h['func']}@${h['netns']}/${h['len']}/${h['f']}`).join(' > ');
      const everything = (await Promise.all(all.map(async (t) => `${(t as unknown as { track_id: string }).track_id}: ${await hopsOf((t as unknown as { track_id: string }).track_id)}`))).join('\n');
      for (const t of data) expect(t.verdict, everything).toBe('delivered');
      // SYN and FIN by their flags: one SYN each way (SYN, SYN|ACK), and a FIN from each side.
      const flags = await an.run(`SELECT saddr, tcp_flag_names AS f FROM events WHERE func = 'net_dev_queue' AND ${conn}`, p) as { saddr: string; f: string | null }[];
      expect(flags.filter((x) => x.f?.includes('SYN')).map((x) => x.saddr).sort()).toEqual([net.clientIp, net.serverIp].sort());
      expect(new Set(flags.filter((x) => x.f?.includes('FIN')).map((x) => x.saddr))).toEqual(new Set([net.clientIp, net.serverIp]));
      // Every interface of both namespaces has its name (the second --netns gets a name table too).
      const unnamed = await an.run(`SELECT DISTINCT iface, netns FROM events WHERE netns IN ($cn, $sn) AND ifindex > 0 AND (ifname IS NULL OR ifname LIKE '?%')`,
        { cn: net.clientNetnsInode, sn: net.serverNetnsInode });
      expect(unnamed).toEqual([]);
      const named = await an.run(`SELECT DISTINCT ifname, netns FROM events WHERE netns = $sn AND ifindex = $si`, { sn: net.serverNetnsInode, si: net.serverIfindex });
      expect(named.map((x) => ({ ...x, netns: Number(x['netns']) }))).toEqual([{ ifname: net.serverVeth, netns: net.serverNetnsInode }]);
    } finally {
      an.close();
    }
  }, 240_000);

  it('filter, export --pcapng (read by tshark) and --parquet on the live capture', async () => {
    const port = `tcp and port ${net.port}`;
    const cut = join(tmp, 'segments-cut');
    const f = await execa(SKBTAPE, ['filter', segDir, '-o', cut, '--flow', port, '--json'], { reject: false });
    expect(f.exitCode, f.stderr).toBe(0);
    const [orig, mine] = await Promise.all([execa(SKBTAPE, ['replay', segDir, '--flow', port]), execa(SKBTAPE, ['replay', cut])]);
    expect(mine.stdout).toBe(orig.stdout);
    expect(mine.stdout.split('\n').filter((l) => l.startsWith('{') || l.startsWith('0x')).length).toBe(JSON.parse(f.stdout).counts.events);

    // pcapng: one packet per event with a tuple, at ktime + the recorder's measured clock offset, same tuples.
    const file = join(tmp, 'segments.pcapng');
    const e = await execa(SKBTAPE, ['export', segDir, '--pcapng', file], { reject: false });
    expect(e.exitCode, e.stderr).toBe(0);
    expect(e.stdout).toMatch(/timestamps: wall clock/);
    const an = await openAnalysis([segDir], { cache: false });
    let want: string[];
    try {
      const rows = await an.run(`SELECT (e.ktime::HUGEINT + c.clock_offset_ns)::VARCHAR AS ns, e.saddr, e.daddr, e.sport, e.dport
        FROM events e JOIN captures c USING (capture) WHERE e.saddr <> '' AND e.l4_name = 'tcp' ORDER BY e.ktime, e.seq`);
      want = rows.map((r) => `${String(r['ns']).slice(0, -9)}.${String(r['ns']).slice(-9)} ${r['saddr']}:${r['sport']} ${r['daddr']}:${r['dport']}`);
    } finally {
      an.close();
    }
    const ts = await execa('tshark', ['-r', file, '-Y', 'tcp', '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'ip.src', '-e', 'tcp.srcport', '-e', 'ip.dst', '-e', 'tcp.dstport'], { reject: false });
    expect(ts.exitCode, ts.stderr).toBe(0);
    const got = ts.stdout.split('\n').filter(Boolean).map((l) => { const [t, s1, p1, d, p2] = l.split('\t'); return `${t} ${s1}:${p1} ${d}:${p2}`; });
    expect(want.length).toBeGreaterThan(0);
    expect(got).toEqual(want);
    // The connection tcpdump saw on the client veth (previous test) is in it, both ways.
    const td = (await execa('tcpdump', ['-r', join(tmp, 'client.pcap'), '-nn'], { reject: false })).stdout;
    const pairs = new Set([...td.matchAll(/ IP (\S+)\.(\d+) > (\S+)\.(\d+):/g)].map((m) => `${m[1]}:${m[2]} ${m[3]}:${m[4]}`));
    const ours = new Set(got.map((g) => g.split(' ').slice(1).join(' ')));
    for (const pair of pairs) expect(ours.has(pair), pair).toBe(true);

    // Parquet: the node partition is the recording's --node, and query over the tree counts every event.
    const tree = join(tmp, 'pq');
    expect((await execa(SKBTAPE, ['export', segDir, '--parquet', tree], { reject: false })).exitCode).toBe(0);
    const q = await execa(SKBTAPE, ['query', tree, 'SELECT node, capture, count(*) AS n FROM events GROUP BY ALL', '--format', 'json']);
    const total = JSON.parse((await execa(SKBTAPE, ['query', segDir, 'SELECT count(*) AS n FROM events', '--format', 'json'])).stdout)[0].n;
    expect(JSON.parse(q.stdout)).toEqual([{ node: 'lab-node', capture: 'segments-run', n: total }]);
  }, 120_000);

  it('an nft drop in the server namespace shows as kfree_skb_reason(NETFILTER_DROP), and diff names it', async () => {
    await net.addDropRule();
    const curl = net.curlArgv().map((x) => (x === '5' ? '2' : x));
    const r = await record(b, curl);
    // curl timed out (exit 28): its SYNs were dropped. `record` exits with the command's code.
    expect(JSON.parse(r.stdout).command.exitCode).toBe(28);
    expect(r.exitCode, r.stderr).toBe(28);
    const an = await openAnalysis([b]);
    try {
      const drops = await an.run(`
        SELECT func, drop_reason, netns, count(*) AS n FROM events
        WHERE is_drop AND saddr = $c AND daddr = $s AND dport = $p GROUP BY ALL`,
        { c: net.clientIp, s: net.serverIp, p: net.port });
      expect(drops).toContainEqual(expect.objectContaining({ func: 'kfree_skb_reason', drop_reason: 'SKB_DROP_REASON_NETFILTER_DROP', netns: net.serverNetnsInode }));
    } finally {
      an.close();
    }
    const d = await execa(SKBTAPE, ['diff', a, b, '--format', 'json'], { reject: false });
    expect(d.exitCode, d.stderr).toBe(1);
    expect(d.stdout).toContain('SKB_DROP_REASON_NETFILTER_DROP');
    const t = await execa(SKBTAPE, ['diff', a, b], { reject: false });
    expect(t.stdout.split('\n').slice(0, 5).join('\n')).toMatch(/new drop.*NETFILTER_DROP/i);
  }, 180_000);
  it('real loss: bpftrace with one perf page per CPU under a UDP flood; each Lost line a loss row, info and check say so', async () => {
    const dir = join(tmp, 'flood');
    // The flood is the test command: UDP to a closed port of the server until the capture holds a loss report (state,
    // not time), 3 M datagrams at most against a hang.
    const flood = `const fs = require('node:fs'); const s = require('node:dgram').createSocket('udp4'); const b = Buffer.alloc(64); let n = 0;
      function go() { for (let i = 0; i < 256; i++) { s.send(b, 9, ${JSON.stringify(net.serverIp)}); n++; }
        let lost = false; try { lost = fs.statSync(${JSON.stringify(join(dir, 'loss.ndjson'))}).size > 0; } catch {}
        if (!lost && n < 3e6) setImmediate(go); else s.close(() => console.log(n)); }
      go();`;
    const r = await execa(SKBTAPE, ['record', '-o', dir, '--source', 'tracepoint', '--tracepoints', 'net:netif_receive_skb,skb:kfree_skb',
      '--snapshots', 'none', '--grace', '300ms', '--flush-ms', '100', '--netns', `/run/netns/${net.clientNs}`, '--netns', `/run/netns/${net.serverNs}`,
      '--', 'ip', 'netns', 'exec', net.clientNs, process.execPath, '-e', flood], { reject: false, env: { ...process.env, BPFTRACE_PERF_RB_PAGES: '1' } });
    expect(r.exitCode, r.stderr).toBe(0);
    // By hand: bpftrace's own lines, kept in logs.ndjson with their line numbers.
    const lostLines = readFileSync(join(dir, 'logs.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { line: number; text: string })
      .filter((l) => /^Lost \d+ events$/.test(l.text));
    const lost = lostLines.reduce((n, l) => n + Number(l.text.split(' ')[1]), 0);
    expect(lostLines.length).toBeGreaterThan(0);
    expect(r.stdout).toMatch(new RegExp(`^loss {6}${lostLines.length} loss report\\(s\\): ${lost.toLocaleString('en-US')} events lost \\(bpftrace\\)$`, 'm'));
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(m.tracepoint.lostEvents).toBe(lost);
    expect(m.loss).toEqual({ reports: lostLines.length, events: lost, uncounted: 0, sources: ['bpftrace'] });
    const an = await openAnalysis([dir]);
    try {
      const rows = await an.run('SELECT line, count, ktime_start, ktime_end FROM loss ORDER BY line');
      expect(rows.map((x) => [Number(x['line']), Number(x['count'])])).toEqual(lostLines.map((l) => [l.line, Number(l.text.split(' ')[1])]));
      // NULL ends are open: a report before the first event or after the last.
      const lo = (w: Record<string, unknown>) => (w['ktime_start'] as bigint | null) ?? 0n;
      const hi = (w: Record<string, unknown>) => (w['ktime_end'] as bigint | null) ?? 2n ** 64n;
      for (const x of rows) expect(lo(x) <= hi(x), JSON.stringify(x, (_, v) => typeof v === 'bigint' ? String(v) : v)).toBe(true);
      // possibly_incomplete is exactly the overlap with some window.
      const tracks = await an.run('SELECT first_ktime AS f, last_ktime AS l, possibly_incomplete AS inc FROM tracks_enriched');
      const hit = (t: { f: bigint; l: bigint }) => rows.some((w) => t.f <= hi(w) && t.l >= lo(w));
      expect(tracks.filter((t) => t['inc']).length).toBeGreaterThan(0);
      for (const t of tracks) expect(t['inc']).toBe(hit(t as { f: bigint; l: bigint }));
    } finally {
      an.close();
    }
    const rules = join(tmp, 'no-rules.yaml');
    writeFileSync(rules, 'rules: []\n');
    const c = await execa(SKBTAPE, ['check', dir, rules], { reject: false });
    expect(c.exitCode).toBe(1);
    expect(c.stdout).toMatch(/^FAIL {2}no events lost/m);
  }, 180_000);
});
