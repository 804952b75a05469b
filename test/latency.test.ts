// Latency between function entries: `query --report latency` (consecutive hops) and `paths --between A B`, on the
// demo drop capture (real DuckDB over a real Arrow capture), each figure checked against the pwru text read by hand.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runQuery } from '../src/analyze/query.js';
import { betweenLatency } from '../src/analyze/latency.js';
import { buildDemoCapture, SAMPLES } from './helpers/captures.js';
import { SKBTAPE } from './helpers/cli.js';

/** The sample's lifetimes by string ops: lines split at each kfree_skbmem (the struct going back), [func, ktime]. */
function lifetimesByHand(): [string, bigint][][] {
  const lines = readFileSync(join(SAMPLES, 'demo-netfilter-drop.pwru.txt'), 'utf8').split('\n').filter((l) => l.startsWith('0x'));
  const out: [string, bigint][][] = [[]];
  for (const l of lines) {
    const f = l.trim().split(/\s+/);
    const func = f.at(-1)!.replace(/\(.*$/, '');
    out.at(-1)!.push([func, BigInt(f[3]!)]);
    if (func === 'kfree_skbmem') out.push([]);
  }
  return out.filter((t) => t.length > 0);
}
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };

describe('latency between entries', () => {
  let tmp: string;
  let cap: string;
  const hand = lifetimesByHand();
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'skbtape-latency-'));
    cap = await buildDemoCapture('drop', join(tmp, 'drop'));
  });
  afterAll(() => { if (tmp) rmSync(tmp, { recursive: true, force: true }); });

  it('the report: per edge, count, median and max equal the consecutive steps of the text', async () => {
    expect(hand).toHaveLength(3);
    const steps = new Map<string, number[]>();
    for (const t of hand) for (let i = 1; i < t.length; i++) {
      const k = `${t[i - 1]![0]}>${t[i]![0]}`;
      steps.set(k, [...(steps.get(k) ?? []), Number(t[i]![1] - t[i - 1]![1])]);
    }
    const r = await runQuery([cap], { report: 'latency' }, { cache: false });
    const col = (row: unknown[], c: string) => row[r.columns.indexOf(c)];
    expect(r.rows).toHaveLength(steps.size);
    for (const row of r.rows) {
      const k = `${col(row, 'from_func')}>${String(col(row, 'to_func')).replace(/\(.*$/, '')}`;
      const xs = steps.get(k);
      expect(xs, k).toBeDefined();
      expect(Number(col(row, 'n')), k).toBe(xs!.length);
      expect(Number(col(row, 'max_ns')), k).toBe(Math.max(...xs!));
      expect(Number(col(row, 'median_ns')), k).toBe(Math.round(median(xs!)));
      expect(col(row, 'flow')).toBe('10.244.2.173 → 10.244.2.61:80/tcp');
      expect((col(row, 'slowest_tracks') as string[])[0]).toMatch(/^drop:0xffff91ba905e1ce8:\d$/);
    }
  });

  it('--between ip_rcv nf_hook_slow: first ip_rcv to the next nf_hook_slow of each lifetime, by hand', async () => {
    const xs = hand.map((t) => {
      const i = t.findIndex(([f]) => f === 'ip_rcv');
      const j = t.findIndex(([f], k) => k > i && f === 'nf_hook_slow');
      return Number(t[j]![1] - t[i]![1]);
    });
    const r = await betweenLatency(cap, 'ip_rcv', 'nf_hook_slow', { cache: false });
    expect(r.pairs).toBe(3);
    expect(r.rows).toEqual([expect.objectContaining({ flow: '10.244.2.173 → 10.244.2.61:80/tcp', reachedFrom: 3, n: 3, maxNs: Math.max(...xs), medianNs: median(xs) })]);
    expect(r.rows[0]!.slowestTracks[0]).toBe(`drop:0xffff91ba905e1ce8:${xs.indexOf(Math.max(...xs)) + 1}`);
  });

  it('CLI: --between with --format json; B never after A is exit 1 with a warning naming it; a wrong count of names is exit 2', async () => {
    const [ok, none, typo, bad] = await Promise.all([
      execa(SKBTAPE, ['paths', cap, '--between', 'ip_rcv', 'kfree_skb_reason', '--format', 'json', '--no-cache', '--flow', 'dst port 80'], { reject: false }),
      execa(SKBTAPE, ['paths', cap, '--between', 'nf_hook_slow', 'ip_rcv', '--no-cache'], { reject: false }),
      execa(SKBTAPE, ['paths', cap, '--between', 'ip_rcv', 'ip_rvc', '--no-cache'], { reject: false }),
      execa(SKBTAPE, ['paths', cap, '--between', 'ip_rcv'], { reject: false }),
    ]);
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ from: 'ip_rcv', to: 'kfree_skb_reason', flow: 'dst port 80', pairs: 3 });
    expect(none.exitCode).toBe(1);
    expect(none.stderr).toContain('no lifetime in');
    expect(none.stdout).toContain('not function duration');
    expect(typo.exitCode).toBe(1);
    expect(typo.stderr).toContain('enters ip_rvc');
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('--between wants two function names');
  });

  it('CLI: query --report latency as CSV names the edge columns', async () => {
    const r = await execa(SKBTAPE, ['query', cap, '--report', 'latency', '--format', 'csv', '--no-cache']);
    expect(r.stdout.split('\n')[0]).toBe('capture,flow,from_func,to_func,n,median_ns,p90_ns,p99_ns,max_ns,slowest_tracks');
  });
});
