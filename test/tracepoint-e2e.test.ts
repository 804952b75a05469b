// End to end on the real kernel: `skbtape record --source tracepoint` while the real curl crosses a veth between two
// namespaces, then the analysis finds the connection's path; a second run behind an nft drop shows the netfilter
// drop, and `skbtape diff` names it. Skips (saying why) only where root/bpftrace/tracefs are missing.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAnalysis } from '../src/duckdb-loader.js';
import { canRunBpftrace, createTestNet, type TestNet } from './helpers/netns.js';
import { skipUnless } from './helpers/prereq.js';
import { ROOT } from './helpers/real.js';
import { SKBTAPE } from './helpers/cli.js';

const skip = skipUnless(canRunBpftrace(), 'tracepoint end-to-end test');
// Fewer tracepoints than the default set: bpftrace compiles each one, and these four carry every assertion below.
const TPS = 'net:net_dev_queue,net:netif_receive_skb,skb:kfree_skb,skb:consume_skb';

describe.skipIf(skip)('tracepoint source on the running kernel', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'skbt-e2e-'));
  let net: TestNet;
  const a = join(tmp, 'delivered');
  const b = join(tmp, 'dropped');
  const record = (dir: string, curl: string[]) =>
    execa(SKBTAPE, ['record', '-o', dir, '--source', 'tracepoint', '--tracepoints', TPS, '--snapshots', 'none', '--grace', '300ms', '--json',
      '--netns', `/run/netns/${net.clientNs}`, '--netns', `/run/netns/${net.serverNs}`, '--', ...curl], { reject: false });

  beforeAll(async () => {
    net = await createTestNet();
  }, 60_000);
  afterAll(async () => {
    await net?.destroy();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('records the curl connection: SYN, request and reply; client veth then server veth', async () => {
    const r = await record(a, net.curlArgv());
    expect(r.exitCode, r.stderr).toBe(0);
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
});
