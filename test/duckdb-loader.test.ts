// The DuckDB loader and the view SQL against the real engine, on real Arrow captures imported from real pwru output
// and from small pwru v1.0.10 texts written here in pwru's exact layout.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchFiles, readEvents } from '../src/capture/reader.js';
import { openAnalysis, type Analysis } from '../src/analyze/loader.js';
import { importCapture } from '../src/ingest/importer.js';
import { readManifest, writeManifest } from '../src/capture/manifest.js';
import { HEADER, line, type Ev } from './helpers/pwru-text.js';
import { REAL_DIR } from './helpers/real.js';

const REAL = REAL_DIR;
const root = mkdtempSync(join(tmpdir(), 'skbtape-duckdb-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// --- pwru v1.0.10 text, default flags + --timestamp current (test/helpers/pwru-text.ts) ------------------------
const T0 = 1_843_207_115_304_258n;
const A = '0xffff91ba905e1ce8';
const B = '0xffff91ba905e2ae8';
const C = '0xffff91ba905e3be8';
const V6 = '[fd00:10:244::5]:40000->[fd00:10:96::a]:53(udp)';

function seedText(): string {
  const ev: Ev[] = [];
  let t = T0;
  const at = (skb: string, func: string, extra: Partial<Ev> = {}) => ev.push({ skb, func, ts: (t += 1000n), ...extra });
  // A: one lifetime freed by kfree_skbmem, then the address is reused by a second packet.
  for (const f of ['__netif_rx', 'enqueue_to_backlog', '__netif_receive_skb', 'ip_rcv', 'tcp_v4_rcv', 'skb_release_data', 'kfree_skbmem']) at(A, f);
  for (const f of ['ip_output', 'ip_finish_output', 'dev_hard_start_xmit', 'consume_skb', 'skb_release_data', 'kfree_skbmem']) at(A, f, { iface: 'ens5:2' });
  // B: a drop, then the same address 2 s later with no free traced in between.
  at(B, 'ip_rcv', { tuple: '10.13.1.57:40000->10.244.2.20:80(tcp)' });
  at(B, 'kfree_skb_reason(SKB_DROP_REASON_NETFILTER_DROP)', { tuple: '10.13.1.57:40000->10.244.2.20:80(tcp)' });
  t += 2_000_000_000n;
  at(B, '__netif_rx', { tuple: '10.13.1.57:40001->10.244.2.20:80(tcp)' });
  at(B, 'ip_rcv', { tuple: '10.13.1.57:40001->10.244.2.20:80(tcp)' });
  // C: IPv6.
  at(C, 'ipv6_rcv', { proto: '0x86dd', tuple: V6 });
  at(C, 'udpv6_rcv', { proto: '0x86dd', tuple: V6 });
  return [HEADER, ...ev.map(line)].join('\n') + '\n';
}

const SEED_ENDPOINTS = `IP ADDRESS LOCAL ENDPOINT INFO
10.244.2.161:0 (localhost)
10.244.2.173:0 id=1617 sec_id=26328 flags=0x0000 ifindex=26 mac=CA:16:6C:38:B8:CA nodemac=92:E2:D7:DB:D2:0E parent_ifindex=0
10.244.2.20:0 id=258 sec_id=12196 flags=0x0000 ifindex=32 mac=76:B4:62:BA:AD:D5 nodemac=DE:F2:3F:BD:76:75 parent_ifindex=0
10.244.2.61:0 id=133 sec_id=9764 flags=0x0000 ifindex=28 mac=02:AE:3E:DE:75:41 nodemac=7E:F0:89:A2:90:42 parent_ifindex=0
10.13.1.57:0 (localhost)
`;
// The seed's /32 plus wider prefixes covering the same addresses, to check longest-prefix match.
const SEED_IPCACHE = `IP PREFIX/ADDRESS   IDENTITY
10.244.2.173/32 identity=26328 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>
10.244.2.0/24 identity=7777 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>
0.0.0.0/0 identity=2 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>
10.244.2.61/32 identity=9764 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>
fd00:10:244::/64 identity=8001 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>
fd00:10:244::5/128 identity=8002 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>
::/0 identity=2 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>
`;
const metrics = (n: number) => `REASON DIRECTION PACKETS BYTES LINE FILE
Policy denied EGRESS ${134 + n} ${9916 + n * 100} 1361 bpf_lxc.c
Success INGRESS ${10050402 + 2 * n} 860540645 2030 bpf_lxc.c
`;
const BPFTOOL = `xdp:

tc:
ens5(2) tcx/ingress cil_from_netdev prog_id 4600 link_id 18
lxc3a6f7d4e8c73(26) tcx/ingress cil_from_container prog_id 4773 link_id 29

flow_dissector:

netfilter:

`;

async function importText(name: string, text: string, batchRows?: number): Promise<string> {
  const src = join(root, `${name}.txt`);
  writeFileSync(src, text);
  const dir = join(root, name);
  await importCapture(src, dir, { format: 'text', force: true, batchRows });
  return dir;
}

function writeSnapshots(dir: string): void {
  const s = join(dir, 'snapshots', 'start');
  const e = join(dir, 'snapshots', 'end');
  mkdirSync(s, { recursive: true });
  mkdirSync(e, { recursive: true });
  writeFileSync(join(s, 'endpoints.txt'), SEED_ENDPOINTS);
  writeFileSync(join(s, 'ipcache.txt'), SEED_IPCACHE);
  writeFileSync(join(s, 'metrics.txt'), metrics(0));
  writeFileSync(join(e, 'metrics.txt'), metrics(5));
  writeFileSync(join(s, 'bpftool-net.txt'), BPFTOOL);
  mkdirSync(join(dir, 'names'), { recursive: true });
  writeFileSync(join(dir, 'names', 'start.json'), JSON.stringify({
    host: [{ ifindex: 26, name: 'lxc3a6f7d4e8c73', netns: 4026531840 }, { ifindex: 2, name: 'ens5', netns: 4026531840 }],
    netns: [{ name: 'cni-1', inode: 4026532677 }],
  }));
}

/** func -> count straight from the Arrow files. */
function arrowFuncCounts(dirs: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const d of dirs) for (const e of readEvents(d)) m.set(e.func, (m.get(e.func) ?? 0) + 1);
  return m;
}

let seed: string;
beforeAll(async () => {
  seed = await importText('seed', seedText());
  writeSnapshots(seed);
  const m = readManifest(seed);
  m.clock = { monotonicToWallNs: String(1_700_000_000_000_000_000n - T0), measuredAt: new Date().toISOString() };
  writeManifest(seed, m);
});

async function withAnalysis<T>(dirs: string[], fn: (a: Analysis, warnings: string[]) => Promise<T>, opts: { cache?: boolean } = {}): Promise<T> {
  const warnings: string[] = [];
  const a = await openAnalysis(dirs, { ...opts, warn: (w) => warnings.push(w) });
  try {
    return await fn(a, warnings);
  } finally {
    a.close();
  }
}

describe('openAnalysis on the seed capture', () => {
  it('every table and view returns rows', async () => {
    await withAnalysis([seed], async (a) => {
      for (const v of ['raw_events', 'events', 'skb_tracks', 'event_tracks', 'track_hops', 'captures', 'capture_logs',
        'endpoints', 'ipcache', 'bpf_metrics', 'tc_progs', 'ifnames', 'netns_names', 'endpoints_latest', 'ipcache_latest',
        'tc_progs_latest', 'snapshot_phases', 'addr_identity', 'addr_endpoint', 'ifindex_endpoint', 'events_enriched',
        'tracks_enriched', 'metrics_delta']) {
        const [r] = await a.run(`SELECT count(*) AS n FROM ${v}`);
        expect(Number(r!['n']), v).toBeGreaterThan(0);
      }
    });
  });

  it('splits a reused address into lifetimes at kfree_skbmem and at a > 1 s gap', async () => {
    await withAnalysis([seed], async (a) => {
      const rows = await a.run('SELECT skb_hex, track_no, hops, funcs, verdict, drop_reason, drop_func FROM skb_tracks ORDER BY skb, track_no');
      const byAddr = (x: string) => rows.filter((r) => r['skb_hex'] === x);
      expect(byAddr(A).map((r) => [r['hops'], r['verdict']])).toEqual([[7n, 'delivered'], [6n, 'transmitted']]);
      expect((byAddr(A)[0]!['funcs'] as string[]).at(-1)).toBe('kfree_skbmem');
      expect(byAddr(B).map((r) => [r['hops'], r['verdict'], r['drop_reason'], r['drop_func']])).toEqual([
        [2n, 'dropped', 'NETFILTER_DROP', 'kfree_skb_reason'], [2n, 'unknown', null, null],
      ]);
      const hops = await a.run(`SELECT hop, delta_ns FROM track_hops WHERE skb_hex = '${A}' AND track_no = 2 ORDER BY hop`);
      expect(hops.map((h) => h['hop'])).toEqual([1n, 2n, 3n, 4n, 5n, 6n]);
      expect(hops[0]!['delta_ns']).toBeNull();
      expect(hops[1]!['delta_ns']).toBe(1000n);
    });
  });

  it('maps the client 10.244.2.173 to identity 26328 and endpoint 1617 on ifindex 26', async () => {
    await withAnalysis([seed], async (a) => {
      const [e] = await a.run(`SELECT src_identity, src_endpoint, src_local, if_endpoint, ifname, dst_identity, dst_endpoint, wall_time
        FROM events_enriched WHERE saddr = '10.244.2.173' LIMIT 1`);
      expect(e).toMatchObject({ src_identity: 26328, src_endpoint: 1617, src_local: true, if_endpoint: 1617, ifname: 'lxc3a6f7d4e8c73', dst_identity: 9764, dst_endpoint: 133 });
      expect(e!['wall_time']).toBeInstanceOf(Date);
      const [t] = await a.run(`SELECT src_identity, dst_identity FROM tracks_enriched WHERE tuple.saddr = '10.244.2.173' LIMIT 1`);
      expect(t).toEqual({ src_identity: 26328, dst_identity: 9764 });
    });
  });

  it('picks the longest prefix: /32 over /24 over /0, and /128 over /64 over ::/0', async () => {
    await withAnalysis([seed], async (a) => {
      const rows = await a.run('SELECT addr, identity, prefix_len FROM addr_identity ORDER BY addr');
      const id = Object.fromEntries(rows.map((r) => [r['addr'], r['identity']]));
      expect(id['10.244.2.173']).toBe(26328); // /32
      expect(id['10.244.2.20']).toBe(7777); // /24
      expect(id['10.13.1.57']).toBe(2); // 0.0.0.0/0
      expect(id['fd00:10:244::5']).toBe(8002); // /128
      expect(id['fd00:10:96::a']).toBe(2); // ::/0
      const [v6] = await a.run(`SELECT src_identity, dst_identity, proto_name, l4_name FROM events_enriched WHERE func = 'udpv6_rcv'`);
      expect(v6).toEqual({ src_identity: 8002, dst_identity: 2, proto_name: 'IPv6', l4_name: 'udp' });
    });
  });

  it('computes metrics deltas and snapshot tables', async () => {
    await withAnalysis([seed], async (a) => {
      const d = await a.run(`SELECT reason, direction, packets, bytes FROM metrics_delta ORDER BY reason`);
      expect(d).toEqual([
        { reason: 'Policy denied', direction: 'EGRESS', packets: 5n, bytes: 500n },
        { reason: 'Success', direction: 'INGRESS', packets: 10n, bytes: 0n },
      ]);
      const progs = await a.run(`SELECT ifindex, prog_name FROM tc_progs ORDER BY ifindex`);
      expect(progs).toEqual([{ ifindex: 2, prog_name: 'cil_from_netdev' }, { ifindex: 26, prog_name: 'cil_from_container' }]);
    });
  });
});

describe('loading several captures and damaged ones', () => {
  it('remaps dictionaries that differ between batches and captures', async () => {
    const real = existsSync(REAL) ? [
      'pwru-commit-619e931-v1.0.10dev-tcp-flags-cb.txt', 'pwru-commit-a5b31eb-v1.0.10dev-trace-tc-xdp-cb.txt',
      'pwru-commit-927bf25-v1.0.10dev-output-tunnel-vlan-after.txt', 'pwru-commit-7deb4a0-v1.0.8dev-caller-bpf-helpers.txt',
    ].map((f) => join(REAL, f)) : [];
    // All four when ../shared/real is there (a missing one is a failure, not a smaller test).
    for (const f of real) expect(existsSync(f), f).toBe(true);
    const dirs: string[] = [];
    for (const [i, f] of real.entries()) {
      const dir = join(root, `real${i}`);
      await importCapture(f, dir, { format: 'auto', force: true, batchRows: 3 }); // many batches, each with its own dictionaries
      dirs.push(dir);
    }
    // Batches of 2 rows: every batch of the seed text has different func dictionaries.
    dirs.push(await importText('small-batches', seedText(), 2));
    expect(batchFiles(dirs.at(-1)!).length).toBeGreaterThan(5);
    const want = arrowFuncCounts(dirs);
    await withAnalysis(dirs, async (a) => {
      const rows = await a.run('SELECT func, count(*) AS n FROM raw_events GROUP BY func');
      expect(new Map(rows.map((r) => [String(r['func']), Number(r['n'])]))).toEqual(want);
      const perCapture = await a.run('SELECT capture, count(*) AS n FROM events GROUP BY capture');
      expect(perCapture.length).toBe(dirs.length);
      // Row-level check on one capture: every column survives the buffer copies.
      const [x] = await a.run(`SELECT skb, ktime, ifindex, netns, proto, saddr, sport, l4, l4_proto, mark, cb FROM raw_events
        WHERE capture = 'small-batches' AND seq = 4`);
      const e = [...readEvents(dirs.at(-1)!)][4]!;
      expect(x).toEqual({ skb: e.skb, ktime: e.ktime, ifindex: e.ifindex, netns: e.netns, proto: e.proto, saddr: e.saddr, sport: e.sport, l4: e.l4, l4_proto: e.l4Proto, mark: e.mark, cb: null });
      const nulls = await a.run(`SELECT count(*) FILTER (WHERE cb IS NOT NULL) AS cbs, count(*) FILTER (WHERE drop_reason IS NOT NULL) AS drops FROM raw_events WHERE capture = 'small-batches'`);
      expect(nulls).toEqual([{ cbs: 0n, drops: 1n }]);
    });
  });

  it('loads a recording capture with a batch file cut in the middle, with warnings', async () => {
    const dir = await importText('cut', seedText(), 4);
    const files = batchFiles(dir);
    const last = files.at(-1)!;
    const full = readFileSync(last);
    truncateSync(last, Math.floor(full.length / 2));
    const m = readManifest(dir);
    m.status = 'recording';
    writeManifest(dir, m);
    const complete = [...readEvents(dir)].length;
    await withAnalysis([dir], async (a, warnings) => {
      const [r] = await a.run('SELECT count(*) AS n FROM raw_events');
      expect(Number(r!['n'])).toBe(complete);
      expect(complete).toBeLessThan(m.counts.events);
      expect(warnings.some((w) => w.includes('recording'))).toBe(true);
      expect(warnings.some((w) => w.includes(last) && w.includes('cut short'))).toBe(true);
      const [t] = await a.run('SELECT count(*) AS n FROM skb_tracks');
      expect(Number(t!['n'])).toBeGreaterThan(0);
    });
  });

  it('caches a single capture and rebuilds when a batch is added', async () => {
    const dir = join(root, 'cached');
    await importCapture(join(root, 'seed.txt'), dir, { format: 'text', force: true, batchRows: 8 });
    const q = 'SELECT track_id, hops, path_sig, verdict FROM skb_tracks ORDER BY track_id';
    const first = await withAnalysis([dir], async (a) => { expect(a.origin).toBe('loaded'); return a.run(q); }, { cache: true });
    expect(existsSync(join(dir, '.cache', 'analysis.duckdb'))).toBe(true);
    const second = await withAnalysis([dir], async (a) => { expect(a.origin).toBe('cache'); return a.run(q); }, { cache: true });
    expect(second).toEqual(first);
    // A new batch file invalidates the cache. This one is a copy of the first (its seal says batch 1), so the
    // rebuilt analysis names it and leaves it out rather than count its events twice.
    const files = batchFiles(dir);
    copyFileSync(files[0]!, join(dir, 'events', '999999.arrows'));
    const warnings = await withAnalysis([dir], async (a, warned) => {
      expect(a.origin).toBe('loaded');
      const [r] = await a.run('SELECT count(*) AS n FROM raw_events');
      expect(Number(r!['n'])).toBe(readManifest(dir).counts.events);
      return warned;
    }, { cache: true });
    expect(warnings.join('\n')).toMatch(/999999\.arrows: damaged batch skipped: holds batch 1, not 999999/);
  });
});
