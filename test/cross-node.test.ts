// The canned cross-node report on the hand-built two-node sample (samples/build-two-node.mjs): one SYN from a pod on
// node-a to a pod on node-b over VXLAN, in pwru's --output-tunnel layout on each node. The two captures' lifetimes are
// matched by the inner tuple, carry the outer VXLAN tuple, and sit on one wall-clock axis by each manifest's offset;
// expected values come from the sample lines themselves (string ops) and the clock file.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLES } from './helpers/captures.js';
import { SKBTAPE } from './helpers/cli.js';
import { ROOT } from './helpers/real.js';

let tmp: string;
const run = (args: string[]) => execa(SKBTAPE, args, { reject: false, cwd: ROOT });
const clock = JSON.parse(readFileSync(join(SAMPLES, 'two-node.clock.json'), 'utf8')) as Record<string, string>;
const lines = (n: 'a' | 'b') => readFileSync(join(SAMPLES, `two-node-${n}.pwru.txt`), 'utf8').split('\n').filter((l) => /^0x[0-9a-f]{16} /.test(l));
/** The columns of a v1.0.10 line with TIMESTAMP, meta, tuple, FUNC and TUNNEL: [.., ktime at 3, tuple at 10, func 11, tunnel 12]. */
const cols = (l: string) => l.split(/\s+/);
const flowOf = (tuple: string) => tuple.replace(/\((\w+)(?::[A-Z|]+)?\)$/, '/$1');

beforeAll(() => { tmp = mkdtempSync(join(tmpdir(), 'skbtape-xnode-')); });
afterAll(() => { if (tmp) rmSync(tmp, { recursive: true, force: true }); });

describe('cross-node flow report', { timeout: 180_000 }, () => {
  it('the renderings are what the fake pwru prints for the records (hand-built, edited only through the builder)', async () => {
    for (const n of ['a', 'b']) {
      const r = await execa(join(ROOT, 'test/fixtures/bin/pwru'), ['--output-tuple', '--output-meta', '--output-tcp-flags', '--output-tunnel', '--timestamp', 'current', '--filter-track-skb', 'host 10.244.2.61 and tcp port 80'],
        { env: { SKBTAPE_FAKE_PWRU_EVENTS: join(SAMPLES, `two-node-${n}.events.json`), SKBTAPE_FAKE_PWRU_EXIT_AFTER: '1' }, reject: false, stripFinalNewline: false });
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toBe(readFileSync(join(SAMPLES, `two-node-${n}.pwru.txt`), 'utf8'));
    }
  });

  it('follows the SYN from node-a to node-b: inner tuple, outer VXLAN tuple, wall-clock order and gap, verdict per node', async () => {
    const dir = join(tmp, 'fleet');
    for (const n of ['a', 'b'] as const) {
      const r = await run(['import', join(SAMPLES, `two-node-${n}.pwru.txt`), '-o', join(dir, n), '--node', `node-${n}`, `--clock-offset=${clock[`node-${n}`]}`]);
      expect(r.exitCode, r.stderr).toBe(0);
    }
    const [a, b] = [lines('a'), lines('b')];
    const flow = flowOf(cols(a[0]!)[10]!);
    expect(flow).toBe('10.244.1.23:38412->10.244.2.61:80/tcp');
    const encapA = a.find((l) => cols(l)[10]!.endsWith('(udp)'))!;
    expect(flowOf(cols(encapA)[12]!)).toBe(flow); // node-a prints the inner tuple as TUNNEL once encapsulated
    const outer = flowOf(cols(encapA)[10]!);
    const wallUs = (l: string, node: string) => (BigInt(cols(l)[3]!) + BigInt(clock[node]!)) / 1000n;

    const r = await run(['query', dir, '--report', 'cross-node', '--format', 'json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(rows.map((x) => [x['node'], x['flow'], x['outer_tuple'], x['hops'], x['verdict'], x['first_func'], x['last_func']])).toEqual([
      ['node-a', flow, outer, a.length, 'transmitted', cols(a[0]!)[11], cols(a.at(-1)!)[11]],
      ['node-b', flow, outer, b.length, 'delivered', cols(b[0]!)[11], cols(b.at(-1)!)[11]],
    ]);
    // One wall-clock axis: node-b's first event after node-a's, by the two offsets (not by the raw ktimes, which
    // differ by boot times: node-b's are larger by seconds).
    expect(BigInt(cols(b[0]!)[3]!)).toBeGreaterThan(BigInt(cols(a[0]!)[3]!) + 1_000_000_000n);
    expect(rows[0]!['after_prev_us']).toBeNull();
    expect(BigInt(rows[1]!['after_prev_us'] as number)).toBe(wallUs(b[0]!, 'node-b') - wallUs(a[0]!, 'node-a'));
    expect(rows[1]!['after_prev_us'] as number).toBeGreaterThan(0);
    // node-b received it after node-a put it on eth0.
    const sentA = a.find((l) => cols(l)[11] === 'dev_hard_start_xmit' && cols(l)[6] === 'eth0:2')!;
    expect(wallUs(b[0]!, 'node-b')).toBeGreaterThan(wallUs(sentA, 'node-a'));

    // The same report over an exported Parquet tree of the two captures (each node exports on its own).
    const tree = join(tmp, 'tree');
    for (const n of ['a', 'b']) expect((await run(['export', join(dir, n), '--parquet', tree])).exitCode).toBe(0);
    const t = await run(['query', tree, '--report', 'cross-node', '--format', 'json']);
    expect(t.exitCode, t.stderr).toBe(0);
    expect(JSON.parse(t.stdout)).toEqual(rows);

    // The node column and wall_time reach every event.
    const q = await run(['query', join(dir, 'a'), join(dir, 'b'), 'SELECT node, count(*) AS n, count(wall_time) AS w FROM events GROUP BY ALL ORDER BY node', '--format', 'json']);
    expect(JSON.parse(q.stdout)).toEqual([{ node: 'node-a', n: a.length, w: a.length }, { node: 'node-b', n: b.length, w: b.length }]);
    // paths over the directory: a group per capture, each naming its capture; `node` in the flow language picks one.
    const p = await run(['paths', dir, '--json']);
    expect(p.exitCode, p.stderr).toBe(0);
    const pj = JSON.parse(p.stdout);
    expect(pj.captures).toEqual(['a', 'b']);
    expect(pj.groups.map((g: { capture: string; hops: number }) => [g.capture, g.hops]).sort()).toEqual([['a', a.length], ['b', b.length]]);
    const text = await run(['paths', join(dir, 'a'), join(dir, 'b'), '--flow', 'node node-b']);
    expect(text.stdout).toMatch(/^a, b: 1 of 2 skb lifetimes match 'node node-b', 1 distinct path\(s\)$/m);
    expect(text.stdout).toMatch(/^#1 .* delivered  \[b\]$/m);
    const bad = await run(['import', join(SAMPLES, 'two-node-a.pwru.txt'), '-o', join(tmp, 'bad'), '--clock-offset', '12ms']);
    expect([bad.exitCode, bad.stderr]).toEqual([2, "skbtape: --clock-offset wants integer nanoseconds (wall clock minus monotonic), not '12ms' (--clock-offset)"]);
  });
});
