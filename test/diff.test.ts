// `skbtape diff` on pairs of captures in pwru's exact layout: the demo pair (delivered / netfilter drop), variants
// rendered from the demo records (extra hop, extra flow, renumbered pods), real outputs. Real DuckDB in-process;
// the CLI is spawned only for exit codes and one-line errors. Golden text files live in test/golden/diff-*.txt.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { expectGolden } from './helpers/golden.js';
import { ROOT, realFiles } from './helpers/real.js';
import { importCapture } from '../src/ingest/importer.js';
import { attachSnapshots } from '../src/commands/attach.js';
import { commonPrefix, diffCaptures, hopDelta, parseBaseline, type DiffResult } from '../src/diff/diff.js';
import { renderDiffText } from '../src/render/diff.js';
// @ts-expect-error plain ESM fixture without types
import { createPrinter, parseRecords } from './fixtures/pwru-format.mjs';
import { SKBTAPE } from './helpers/cli.js';
import { DEMO_SNAPSHOTS } from './helpers/captures.js';

const tmp = mkdtempSync(join(tmpdir(), 'skbt-diff-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const cli = (args: string[]) => execa(SKBTAPE, [...args], { reject: false, cwd: ROOT });

type Rec = Record<string, any>;
const records = (name: string): Rec[] => parseRecords(readFileSync(join(ROOT, 'samples', `${name}.events.json`), 'utf8'));
const SNAP = join(ROOT, 'samples/demo-snapshots');

/** Golden text: compared when present; written when absent, except under CI=true where a missing file fails. */
const golden = (name: string, text: string) => expectGolden(`diff-${name}.txt`, text);

/** Renders records through the fake pwru's printer (v1.0.10, the demo's flags) and imports them as capture `name`. */
async function capture(group: string, name: string, recs: Rec[], snaps?: { endpoints: string; ipcache: string }): Promise<string> {
  const p = createPrinter({ version: 'v1.0.10', timestamp: 'current', meta: true, tuple: true, tcpFlags: true });
  const text = p.header() + recs.map((r) => p.format(r)).join('');
  mkdirSync(join(tmp, group), { recursive: true });
  const src = join(tmp, group, `${name}.pwru.txt`);
  writeFileSync(src, text);
  const dir = join(tmp, group, name);
  await importCapture(src, dir, { format: 'auto', force: false, showProgress: false });
  if (snaps) attachSnapshots(dir, 'start', snaps);
  return dir;
}

/** The demo snapshots (samples/demo-snapshots, else the seed's lines written here), with optional IP renames. */
function snapshots(group: string, rename: Record<string, string> = {}): { endpoints: string; ipcache: string } {
  const fallback = {
    endpoints: 'IP ADDRESS LOCAL ENDPOINT INFO\n10.244.2.173:0 id=1617 sec_id=26328 flags=0x0000 ifindex=26 mac=CA:16:6C:38:B8:CA nodemac=92:E2:D7:DB:D2:0E parent_ifindex=0\n10.244.2.61:0 id=133 sec_id=9764 flags=0x0000 ifindex=28 mac=02:AE:3E:DE:75:41 nodemac=7E:F0:89:A2:90:42 parent_ifindex=0\n',
    ipcache: 'IP PREFIX/ADDRESS IDENTITY\n10.244.2.173/32 identity=26328 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>\n10.244.2.61/32 identity=9764 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>\n0.0.0.0/0 identity=2 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>\n',
  };
  const out = { endpoints: '', ipcache: '' };
  for (const k of ['endpoints', 'ipcache'] as const) {
    let text = existsSync(join(SNAP, `${k}.txt`)) ? readFileSync(join(SNAP, `${k}.txt`), 'utf8') : fallback[k];
    for (const [from, to] of Object.entries(rename)) text = text.split(from).join(to);
    const f = join(tmp, group, `${k}.txt`);
    mkdirSync(join(tmp, group), { recursive: true });
    writeFileSync(f, text);
    out[k] = f;
  }
  return out;
}

const rename = (recs: Rec[], ips: Record<string, string>, ports: Record<number, number> = {}, skbXor = 0x10000n): Rec[] =>
  recs.map((r) => {
    const t = r['tuple'] ?? {};
    const tuple = { ...t, saddr: ips[t.saddr] ?? t.saddr, daddr: ips[t.daddr] ?? t.daddr, sport: ports[t.sport] ?? t.sport, dport: ports[t.dport] ?? t.dport };
    return { ...r, skb: '0x' + (BigInt(r['skb']) ^ skbXor).toString(16), tuple };
  });

const FLOW_ID = 'id:26328->id:9764:80/tcp';
const FLOW_IP = '10.244.2.173->10.244.2.61:80/tcp';

describe('diff: the demo pair (delivered in A, netfilter drop in B)', () => {
  let A: string, B: string, r: DiffResult;
  beforeAll(async () => {
    const s = snapshots('demo');
    A = await capture('demo', 'delivered', records('demo-delivered'), s);
    B = await capture('demo', 'dropped', records('demo-netfilter-drop'), s);
    r = await diffCaptures(A, B);
  });

  it('aligns by identity, names the new drop and its flow in the summary', () => {
    expect(r.key.by).toBe('identity');
    expect(r.summary.sentence).toBe(`1 flow changed, 1 new drop: SKB_DROP_REASON_NETFILTER_DROP at kfree_skb_reason (after nf_hook_slow) in flow ${FLOW_ID}`);
    expect(r.summary).toMatchObject({ flowsCompared: 1, flowsChanged: 1, flowsOnlyInA: 0, flowsOnlyInB: 0, newDrops: 1 });
  });

  it('finds the first divergent function, the verdict change and the hops added', () => {
    const f = r.flows.find((x) => x.flow === FLOW_ID)!;
    expect(f.status).toBe('changed');
    const c = f.changed.find((x) => x.dir === 'request')!;
    expect(c).toMatchObject({ lastCommon: 'ip_rcv_core', nextA: 'ip_rcv_finish', nextB: 'nf_hook_slow', divergesAt: 'nf_hook_slow', tracksB: 3 });
    // Like with like: B's dropped SYNs are compared with A's SYN, not with A's final ACK (which shares as long a prefix).
    expect(c.tcpFlags).toEqual({ a: 'SYN', b: 'SYN' });
    const synA = f.paths.filter((p) => p.in === 'a' && p.dir === 'request');
    expect(synA.map((p) => p.sig)).toContain(c.sigA);
    expect(c.verdict).toEqual({ a: 'delivered', b: 'dropped', dropReason: 'SKB_DROP_REASON_NETFILTER_DROP', dropAt: 'kfree_skb_reason (after nf_hook_slow)' });
    expect(c.added).toEqual(['nf_hook_slow', 'nf_hook_slow', 'kfree_skb_reason']);
    expect(c.removed).toContain('tcp_v4_rcv');
    expect(f.verdicts).toEqual([{ dir: 'request', a: { delivered: 6 }, b: { dropped: 3 } }]);
    expect(r.drops.new).toEqual([{ reason: 'SKB_DROP_REASON_NETFILTER_DROP', at: 'kfree_skb_reason (after nf_hook_slow)', flows: [FLOW_ID], tracks: 3 }]);
  });

  it('JSON keeps the documented structure', () => {
    const j = JSON.parse(JSON.stringify(r)) as DiffResult;
    expect(Object.keys(j)).toEqual(['version', 'a', 'b', 'key', 'filter', 'summary', 'flows', 'truncated', 'drops', 'funcRates', 'metrics', 'snapshots', 'changes']);
    expect(j.version).toBe(1);
    expect(j.a).toMatchObject({ id: 'delivered', tracks: 9, snapshots: true });
    expect(j.changes.map((c) => c.kind).sort()).toEqual(['drop', 'gone-path', 'new-path', 'verdict']);
    expect(j.changes.every((c) => c.allowed === false)).toBe(true);
    expect(j.snapshots).toEqual([]);
  });

  it('text output matches the golden file', () => golden('netfilter-drop', renderDiffText(r)));

  it('--baseline allowing these changes makes it pass; a capture against itself has no differences', async () => {
    const bl = join(tmp, 'demo', 'baseline.txt');
    writeFileSync(bl, `# known: the server's iptables drops port 80\nnew-path ${FLOW_ID}\ngone-path *\nverdict id:26328->*\ndrop NETFILTER_DROP\n`);
    const allowed = await diffCaptures(A, B, { baseline: bl });
    expect(allowed.summary.changes).toBe(0);
    expect(allowed.summary.allowed).toBe(4);
    expect(allowed.summary.sentence).toMatch(/\(4 of 4 changes allowed by the baseline\)$/);
    const same = await diffCaptures(A, A);
    expect(same.summary.sentence).toBe('no differences');
    expect(same.changes).toEqual([]);
  });

  it('the CLI: exit 1 on differences, 0 under a baseline, json on stdout, 2 with one line on bad input', async () => {
    const d = await cli(['diff', A, B, '--format', 'json']);
    expect(d.exitCode, d.stderr).toBe(1);
    expect(JSON.parse(d.stdout).summary.flowsChanged).toBe(1);
    const bl = join(tmp, 'demo', 'allow-all.txt');
    writeFileSync(bl, '* *\n');
    expect((await cli(['diff', A, B, '--baseline', bl])).exitCode).toBe(0);
    const badBl = join(tmp, 'demo', 'bad-baseline.txt');
    writeFileSync(badBl, 'drop X\nnew-paht foo\n');
    const e1 = await cli(['diff', A, B, '--baseline', badBl]);
    expect(e1.exitCode).toBe(2);
    expect(e1.stderr.trim()).toBe(`skbtape: baseline: unknown change kind 'new-paht' (one of flow-only-in-a, flow-only-in-b, new-path, gone-path, verdict, latency, drop, drop-gone, metric, snapshot, or *) (${badBl}:2)`);
    const e2 = await cli(['diff', A, B, '--flow', 'dport eighty']);
    expect(e2.exitCode).toBe(2);
    expect(e2.stderr.trim()).toBe("skbtape: --flow: 'dport' wants a port number 0-65535, not 'eighty' at position 7");
    const e3 = await cli(['diff', A, join(tmp, 'nope')]);
    expect(e3.exitCode).toBe(2);
    expect(e3.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  });
});

describe('diff: variants of the demo records', () => {
  it('a path that gains a hop: first divergent function and the added hop, no verdict change', async () => {
    const recs = records('demo-delivered');
    // One extra nf_hook_slow after ip_rcv_core on the SYN only (netfilter hooks turned on, nothing dropped).
    const i = recs.findIndex((r) => r['func'] === 'ip_rcv_core');
    const extra = { ...recs[i], func: 'nf_hook_slow', time: String(BigInt(recs[i]!['time']) + 1n) };
    const B = await capture('hop', 'hooked', [...recs.slice(0, i + 1), extra, ...recs.slice(i + 1)]);
    const A = await capture('hop', 'plain', recs);
    const r = await diffCaptures(A, B);
    expect(r.key.by).toBe('ip');
    expect(r.summary.sentence).toBe('1 flow changed');
    const c = r.flows[0]!.changed;
    expect(c).toHaveLength(1);
    expect(c[0]).toMatchObject({ divergesAt: 'nf_hook_slow', lastCommon: 'ip_rcv_core', nextA: 'ip_rcv_finish', added: ['nf_hook_slow'], removed: [], verdict: null });
    expect(r.flows[0]!.paths.filter((p) => p.in === 'both')).toHaveLength(8);
    expect(r.changes.map((x) => x.kind).sort()).toEqual(['gone-path', 'new-path']);
    golden('gained-hop', renderDiffText(r));
  });

  it('a flow only in B, without snapshots: falls back to IP and says so', async () => {
    const recs = records('demo-delivered');
    const other = rename(recs.filter((r) => r['tuple']?.dport === 80 || r['tuple']?.sport === 80), { '10.244.2.61': '10.244.2.20' }, { 80: 8080 }, 0x20000n);
    const A = await capture('extra', 'before', recs);
    const B = await capture('extra', 'after', [...recs, ...other]);
    const r = await diffCaptures(A, B);
    expect(r.key).toEqual({ by: 'ip', requested: null, reason: 'fell back from identity to ip (before: it has no ipcache/endpoint snapshot; after: it has no ipcache/endpoint snapshot)' });
    expect(r.summary.sentence).toBe('1 flow only in B');
    expect(r.flows.map((f) => [f.flow, f.status])).toEqual([['10.244.2.173->10.244.2.20:8080/tcp', 'only-b'], [FLOW_IP, 'same']]);
    expect(r.changes).toEqual([{ kind: 'flow-only-in-b', subject: '10.244.2.173->10.244.2.20:8080/tcp', text: 'flow 10.244.2.173->10.244.2.20:8080/tcp only in B (9 tracks)', allowed: false }]);
    golden('flow-only-in-b', renderDiffText(r));
    const narrowed = await diffCaptures(A, B, { flow: 'port 80' });
    expect(narrowed.summary.sentence).toBe('no differences');
    // A filter that keeps nothing says so, per side, instead of a silent 'no differences'.
    const warned: string[] = [];
    await diffCaptures(A, B, { flow: 'port 443', warn: (w) => warned.push(w) });
    await diffCaptures(A, B, { flow: 'port 8080', warn: (w) => warned.push(w) });
    expect(warned).toEqual([`--flow 'port 443' matched nothing in A (${A}) and in B (${B})`, `--flow 'port 8080' matched nothing in A (${A})`]);
    const cliWarn = await cli(['diff', A, B, '--flow', 'port 443']);
    expect([cliWarn.exitCode, cliWarn.stderr.trim()]).toEqual([0, `skbtape: warning: --flow 'port 443' matched nothing in A (${A}) and in B (${B})`]);
    // A key asked for by name that the captures cannot give is an error, not a quiet fallback to ip.
    const byId = await cli(['diff', A, B, '--by', 'identity']);
    expect([byId.exitCode, byId.stderr.trim()]).toEqual([2,
      'skbtape: --by identity is not available (before: it has no ipcache/endpoint snapshot; after: it has no ipcache/endpoint snapshot); use --by ip (--by)']);
    await expect(diffCaptures(A, B, { by: 'endpoint' })).rejects.toThrow(/^--by endpoint is not available/);
    const capped = await diffCaptures(A, B, { maxFlows: 1 });
    expect([capped.flows.length, capped.truncated]).toEqual([1, 1]);
  });

  it('pod IPs renumbered, identities unchanged: aligned by identity, no differences; by ip they part', async () => {
    const ips = { '10.244.2.173': '10.244.2.180', '10.244.2.61': '10.244.2.77' };
    const A = await capture('renum', 'yesterday', records('demo-delivered'), snapshots('renum-a'));
    const B = await capture('renum', 'today', rename(records('demo-delivered'), ips, { 54864: 41000 }), snapshots('renum-b', ips));
    const r = await diffCaptures(A, B);
    expect(r.key.by).toBe('identity');
    expect(r.summary.sentence).toBe('no differences');
    expect(r.flows.map((f) => [f.flow, f.status])).toEqual([[FLOW_ID, 'same']]);
    expect(r.flows[0]!.b!.servers).toEqual(['10.244.2.77']);
    expect(r.snapshots).toEqual([
      { kind: 'ip-changed', subject: 'id:9764', text: 'identity 9764: 10.244.2.61 in A, 10.244.2.77 in B' },
      { kind: 'ip-changed', subject: 'id:26328', text: 'identity 26328: 10.244.2.173 in A, 10.244.2.180 in B' },
    ]);
    const byIp = await diffCaptures(A, B, { by: 'ip' });
    expect(byIp.key.reason).toBe('--by ip');
    expect(byIp.summary.sentence).toBe('1 flow only in A, 1 flow only in B');
    // With the identity list in both, each note names the identity the same way as every other note: `name (id)`.
    for (const c of [A, B]) attachSnapshots(c, 'start', { identities: join(DEMO_SNAPSHOTS, 'identities.json') }, { force: true });
    expect((await diffCaptures(A, B)).snapshots.map((n) => n.text)).toEqual([
      'identity k8s:app=server (9764): 10.244.2.61 in A, 10.244.2.77 in B',
      'identity k8s:app=client (26328): 10.244.2.173 in A, 10.244.2.180 in B',
    ]);
  });
});

describe('diff: reruns without snapshots', () => {
  it('new pod addresses and no snapshots: keyed by server port and L4, said so; --by ip parts them; --by port asked for', async () => {
    const ips = { '10.244.2.173': '10.244.2.180', '10.244.2.61': '10.244.2.77' };
    const A = await capture('rerun', 'run1', records('demo-delivered'));
    const B = await capture('rerun', 'run2', rename(records('demo-delivered'), ips, { 54864: 41000 }));
    const r = await diffCaptures(A, B);
    expect(r.key.by).toBe('port');
    expect(r.key.reason).toBe('fell back from identity to ip (run1: it has no ipcache/endpoint snapshot; run2: it has no ipcache/endpoint snapshot); A and B share no address (new pods?), so flows are keyed by server port and L4 (--by port)');
    expect(r.flows.map((f) => [f.flow, f.status])).toEqual([['*->*:80/tcp', 'same']]);
    expect(r.summary.sentence).toBe('no differences');
    const byIp = await diffCaptures(A, B, { by: 'ip' });
    expect(byIp.summary.sentence).toBe('1 flow only in A, 1 flow only in B');
    const asked = await cli(['diff', A, B, '--by', 'port', '--format', 'json']);
    expect(asked.exitCode).toBe(0);
    expect(JSON.parse(asked.stdout).key).toEqual({ by: 'port', requested: 'port', reason: '--by port' });
    // The same addresses in both: ip stays the key (a real change of addresses would otherwise hide).
    const same = await diffCaptures(A, await capture('rerun', 'run3', records('demo-delivered')));
    expect(same.key.by).toBe('ip');
  });
});

describe('diff: real outputs', () => {
  const files = realFiles('pwru-');
  it.skipIf(files.length === 0)('each real file against itself: no differences; tuple-less files key by process', async () => {
    for (const f of files) {
      const dir = join(tmp, 'real', f.split('/').pop()!.replace(/\.txt$/, ''));
      const res = await importCapture(f, dir, { format: 'auto', force: false, showProgress: false });
      if (res.manifest.counts.events === 0) continue;
      const r = await diffCaptures(dir, dir);
      expect(r.summary.sentence, f).toBe('no differences');
      if (f.includes('v1.0.5-procname')) expect(r.key.by, f).toBe('process');
    }
  });
});

describe('diff: pure pieces', () => {
  it('prefix, LCS hop delta and baseline lines', () => {
    expect(commonPrefix(['a', 'b', 'c'], ['a', 'b', 'x'])).toBe(2);
    expect(hopDelta(['a', 'b', 'c', 'd'], ['a', 'x', 'c', 'd', 'e'])).toEqual({ added: ['x', 'e'], removed: ['b'] });
    const b = parseBaseline('# c\n\ndrop NETFILTER_DROP\nflow-only-in-b *:8080/tcp\n', 'bl');
    expect(b.map((x) => [x.kind, x.line])).toEqual([['drop', 3], ['flow-only-in-b', 4]]);
    expect(b[0]!.pattern.test('SKB_DROP_REASON_NETFILTER_DROP')).toBe(true);
    expect(b[1]!.pattern.test('10.0.0.1->10.0.0.2:8080/tcp')).toBe(true);
  });
});
