// `skbtape tracks`: one compact line per skb lifetime, on the demo captures (real DuckDB over real Arrow captures with
// the seed-derived snapshots), checked against the pwru text split by hand; every flag through the installed binary.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compactTracks } from '../src/analyze/tracks.js';
import { buildDemoCapture, SAMPLES } from './helpers/captures.js';
import { SKBTAPE } from './helpers/cli.js';

/** First-hop ktimes of each lifetime of the drop sample, by string ops: a lifetime ends at kfree_skbmem. */
function firstKtimesByHand(): bigint[] {
  const lines = readFileSync(join(SAMPLES, 'demo-netfilter-drop.pwru.txt'), 'utf8').split('\n').filter((l) => l.startsWith('0x'));
  const out: bigint[] = [];
  let fresh = true;
  for (const l of lines) {
    const f = l.trim().split(/\s+/);
    if (fresh) out.push(BigInt(f[3]!));
    fresh = f.at(-1) === 'kfree_skbmem';
  }
  return out;
}

describe('tracks: the compact view', () => {
  let tmp: string;
  let drop: string;
  let delivered: string;
  const firsts = firstKtimesByHand();
  const rel = firsts.map((k) => Number(k - firsts[0]!));
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'skbtape-tracks-'));
    drop = await buildDemoCapture('drop', join(tmp, 'drop'));
    delivered = await buildDemoCapture('delivered', join(tmp, 'delivered'));
  });
  afterAll(() => { if (tmp) rmSync(tmp, { recursive: true, force: true }); });

  it('one line per lifetime, with start times, labels, flags, the drop and its site, devices and netns', async () => {
    const r = await compactTracks(drop, { cache: false });
    expect(firsts).toHaveLength(3);
    expect(r).toMatchObject({ capture: 'drop', total: 3, matched: 3 });
    expect(r.lines.map((l) => l.relNs)).toEqual(rel);
    for (const l of r.lines) {
      expect(l).toMatchObject({
        src: '10.244.2.173:54864', dst: '10.244.2.61:80', l4: 'tcp', srcIdentity: 26328, dstIdentity: 9764, srcEndpoint: 1617, dstEndpoint: 133,
        tcpFlags: 'SYN', verdict: 'dropped', dropReason: 'SKB_DROP_REASON_NETFILTER_DROP', dropSite: 'kfree_skb_reason (after nf_hook_slow)', hops: 37,
      });
      expect(l.netns).toEqual([4026531840, 4026532745]);
      expect(l.ifaces.at(-1)).toBe('eth0:27');
    }
  });

  it('delivered capture: 9 lifetimes, both directions; --flow narrows as paths does', async () => {
    const all = await compactTracks(delivered, { cache: false });
    expect(all.lines).toHaveLength(9);
    expect(all.lines.every((l) => l.verdict === 'delivered')).toBe(true);
    const replies = await compactTracks(delivered, { cache: false, flow: 'src port 80' });
    expect(replies.lines.map((l) => l.src)).toEqual(['10.244.2.61:80', '10.244.2.61:80', '10.244.2.61:80']);
  });

  it('CLI: --since/--until window and --last; text lines and ndjson/csv/json agree', async () => {
    const cut = String(Math.floor(rel[1]! / 1e6)) + 'ms'; // between the first and the second lifetime
    const run = (args: string[]) => execa(SKBTAPE, ['tracks', drop, '--no-cache', ...args], { reject: false });
    const [text, since, until, last, csv, json, flow, none] = await Promise.all([
      run([]), run(['--since', cut, '--format', 'ndjson']), run(['--until', cut, '--format', 'ndjson']), run(['--last', '1', '--format', 'ndjson']),
      run(['--format', 'csv']), run(['--json', '--color', 'never']), run(['--flow', 'verdict delivered']), run(['--since', '1h']),
    ]);
    const lines = text.stdout.split('\n');
    expect(lines[0]).toBe('drop: 3 of 3 matching skb lifetime(s) (3 in the capture)');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toContain('10.244.2.173:54864 (k8s:app=client (26328), ep 1617) → 10.244.2.61:80 (k8s:app=server (9764), ep 133) tcp  SYN  DROPPED SKB_DROP_REASON_NETFILTER_DROP at kfree_skb_reason (after nf_hook_slow)');
    expect(lines[2]).toMatch(new RegExp(`^\\+${(rel[1]! / 1e9).toFixed(6).replace('.', '\\.')}s `));
    const nd = (s: string) => s.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(nd(since.stdout).map((x) => x.track)).toEqual(['drop:0xffff91ba905e1ce8:2', 'drop:0xffff91ba905e1ce8:3']);
    expect(nd(until.stdout).map((x) => x.track)).toEqual(['drop:0xffff91ba905e1ce8:1']);
    expect(nd(last.stdout).map((x) => x.track)).toEqual(['drop:0xffff91ba905e1ce8:3']);
    expect(csv.stdout.split('\n')[0]).toMatch(/^track,relNs,wall,src,dst,l4,/);
    expect(csv.stdout.trim().split('\n')).toHaveLength(4);
    expect(JSON.parse(json.stdout)).toHaveLength(3);
    expect(flow.stderr).toContain("--flow 'verdict delivered' matched nothing");
    expect(none.stderr).toContain('--since/--until kept none of the 3 lifetime(s)');
    expect(none.exitCode).toBe(0);
  });

  it('bad input is one line and exit 2', async () => {
    const [fmt, lastBad, order] = await Promise.all([
      execa(SKBTAPE, ['tracks', drop, '--format', 'xml'], { reject: false }),
      execa(SKBTAPE, ['tracks', drop, '--last', '0'], { reject: false }),
      execa(SKBTAPE, ['tracks', drop, '--since', '2s', '--until', '1s'], { reject: false }),
    ]);
    expect([fmt.exitCode, lastBad.exitCode, order.exitCode]).toEqual([2, 2, 2]);
    expect(fmt.stderr).toBe("skbtape: --format wants table, json, ndjson, csv, not 'xml' (--format)");
    expect(lastBad.stderr).toContain('(--last)');
    expect(order.stderr).toContain('(--until)');
  });
});
