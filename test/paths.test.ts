// paths: the journey view on the demo captures (golden text, JSON structure, verdict and identity labels) and the
// --flow filter applied to them (the language itself: flow-filter.test.ts). Real DuckDB over real Arrow captures with the seed-derived snapshots.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAnalysis, type Analysis } from '../src/analyze/loader.js';
import { flowFilter } from '../src/analyze/flow-filter.js';
import { capturePaths, formatJourneys, journeys } from '../src/analyze/paths.js';
import { expectGolden } from './helpers/golden.js';
import { buildDemoCapture } from './helpers/captures.js';
import { ROOT } from './helpers/real.js';
import { SKBTAPE } from './helpers/cli.js';

const GOLDEN = join(ROOT, 'test/golden');


describe('journeys on the demo captures', () => {
  let tmp: string;
  let drop: string;
  let delivered: string;
  let a: Analysis;

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'skbtape-paths-'));
    drop = await buildDemoCapture('drop', join(tmp, 'demo-drop'));
    delivered = await buildDemoCapture('delivered', join(tmp, 'demo-delivered'));
    a = await openAnalysis([delivered]);
  });
  afterAll(() => {
    a?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('drop capture: one path of 3 skbs, dropped by netfilter, with identity and endpoint labels (golden)', async () => {
    const r = await capturePaths(drop, { cache: false });
    expect(r).toMatchObject({ capture: 'demo-drop', totalSkbs: 3, matchedSkbs: 3, totalGroups: 1 });
    const g = r.groups[0]!;
    expect(g.verdictText).toBe('dropped: SKB_DROP_REASON_NETFILTER_DROP at kfree_skb_reason (after nf_hook_slow) on eth0:27');
    expect(g.example.tupleText).toBe('10.244.2.173:54864 (k8s:app=client (26328), ep 1617) → 10.244.2.61:80 (k8s:app=server (9764), ep 133) tcp');
    expect(g.example.hops).toHaveLength(37);
    // Truncated pwru names (~3a6f7d4e8c73) come back whole from bpftool net; the pod netns entry is marked.
    expect(g.example.hops[0]).toMatchObject({ hop: 1, relNs: 0, func: '__netif_rx', iface: 'lxc3a6f7d4e8c73:26', netns: 4026531840, netnsChange: false });
    expect(g.example.hops.filter((h) => h.netnsChange).map((h) => [h.func, h.iface, h.netns])).toEqual([['__netif_rx', 'eth0:27', 4026532745]]);
    expectGolden('paths/demo-drop.txt', formatJourneys(r));
  });

  it('delivered capture: 9 distinct paths, the server replies reach the client netns (golden, --limit 3)', async () => {
    const r = await journeys(a, flowFilter(undefined), 3);
    expect(r).toMatchObject({ totalSkbs: 9, matchedSkbs: 9, totalGroups: 9 });
    expect(r.groups).toHaveLength(3);
    expect(r.groups.every((g) => g.verdictText === 'delivered')).toBe(true);
    expectGolden('paths/demo-delivered-limit3.txt', formatJourneys(r));
  });

  it('--flow narrows the lifetimes: direction, identity, verdict', async () => {
    const count = async (f: string) => (await journeys(a, flowFilter(f), 1)).matchedSkbs;
    expect(await count('src 10.244.2.61 and tcp')).toBe(3);
    expect(await count('dst port 80')).toBe(6);
    expect(await count('host 10.244.2.61 and port 54864')).toBe(9);
    expect(await count('src identity 26328 and dst identity 9764')).toBe(6);
    expect(await count('identity 9764 and verdict delivered')).toBe(9);
    expect(await count('verdict dropped')).toBe(0);
    expect(await count('udp')).toBe(0);
    const none = await journeys(a, flowFilter('host 192.0.2.1'), 10);
    expect(formatJourneys(none)).toBe("demo-delivered: 0 of 9 skb lifetimes match 'host 192.0.2.1', 0 distinct path(s)\n\nno skb lifetime matches the filter\n");
  });

  it('CLI: --json has groups with tuples and hops; a bad --flow is one line, exit 2', async () => {
    const [ok, bad] = await Promise.all([
      execa(SKBTAPE, ['paths', drop, '--json', '--no-cache', '--flow', 'identity 9764'], { reject: false, cwd: ROOT }),
      execa(SKBTAPE, ['paths', drop, '--flow', 'host nope'], { reject: false, cwd: ROOT }),
    ]);
    expect(ok.exitCode).toBe(0);
    const j = JSON.parse(ok.stdout);
    expect(j).toMatchObject({ capture: 'demo-drop', flow: 'identity 9764', totalSkbs: 3, matchedSkbs: 3, totalGroups: 1 });
    expect(j.groups[0].example).toMatchObject({
      trackId: 'demo-drop:0xffff91ba905e1ce8:1', skb: '0xffff91ba905e1ce8',
      src: { addr: '10.244.2.173', port: 54864, identity: 26328, endpoint: 1617 },
      dst: { addr: '10.244.2.61', port: 80, identity: 9764, endpoint: 133 }, l4: 'tcp',
    });
    expect(j.groups[0].example.hops.find((h: { dropReason: string | null }) => h.dropReason)).toMatchObject({ func: 'kfree_skb_reason', dropReason: 'SKB_DROP_REASON_NETFILTER_DROP', iface: 'eth0:27' });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr.trim()).toBe("skbtape: --flow: 'nope' is not an IPv4 or IPv6 address at position 6");
  });
});
