// Capture identity across nodes: ids unique by default (node, start time, directory name) or chosen (--name);
// --node/--name on import and attach; export partitions by the capture's own node and date under path-safe keys,
// a re-export replaces its own rows (also for names with a space, quote or non-ASCII character), another capture's
// partition is refused without --replace; query reads the exported tree with per-node rows, and a directory of captures.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionKey } from '../src/capture/capture-id.js';
import { importCapture } from '../src/ingest/importer.js';
import { SAMPLES } from './helpers/captures.js';
import { SKBTAPE } from './helpers/cli.js';
import { ROOT } from './helpers/real.js';

let tmp: string;
const DELIVERED = join(SAMPLES, 'demo-delivered.pwru.txt');
const DROP = join(SAMPLES, 'demo-netfilter-drop.pwru.txt');
const run = (args: string[]) => execa(SKBTAPE, args, { reject: false, cwd: ROOT });
/**
 * An import that only sets up a case, in-process: the same importer the CLI runs, with its --node/--name (each CLI
 * import costs a process start). `import --node/--name` through the binary is the first test's subject.
 */
const imported = async (file: string, dir: string, o: { node?: string; name?: string } = {}) =>
  (await importCapture(file, dir, { format: 'auto', force: false, showProgress: false, ...o })).manifest.counts.events;
const ndjson = (s: string) => s.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
const manifest = (dir: string) => JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
/** Event lines of a pwru text output: lines starting with an skb address (counted by string ops, not by skbtape). */
const eventLines = (file: string) => readFileSync(file, 'utf8').split('\n').filter((l) => /^0x[0-9a-f]{12,16}\s/.test(l)).length;

beforeAll(() => { tmp = mkdtempSync(join(tmpdir(), 'skbtape-id-')); });
afterAll(() => { if (tmp) rmSync(tmp, { recursive: true, force: true }); });

describe('partitionKey', () => {
  it('keeps safe ids, and makes unsafe ones path-safe without collisions', () => {
    expect(partitionKey('node-a.20261202T004819.123Z.cap')).toBe('node-a.20261202T004819.123Z.cap');
    const keys = ['a b', 'a_b', "it's", 'café', 'x/y', '..', 'ab\u00e9'].map(partitionKey);
    for (const k of keys) expect(k).toMatch(/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys[1]).toBe('a_b'); // safe as it is
    expect(keys[0]).not.toBe('a_b');
  });
});

describe('capture ids and nodes through the CLI', { timeout: 180_000 }, () => {
  it('import --node/--name: the id is unique across nodes, kept in the manifest; the node column follows', async () => {
    for (const [node, file] of [['node-a', DELIVERED], ['node-b', DROP]] as const) {
      const r = await run(['import', file, '-o', join(tmp, node, 'cap'), '--node', node]);
      expect(r.exitCode, r.stderr).toBe(0);
    }
    const a = manifest(join(tmp, 'node-a', 'cap'));
    const b = manifest(join(tmp, 'node-b', 'cap'));
    expect(a.capture.node).toBe('node-a');
    expect(a.capture.id).toMatch(/^node-a\.\d{8}T\d{6}\.\d{3}Z\.cap$/);
    expect(b.capture.id).not.toBe(a.capture.id);
    // Same directory name on two nodes: labels get the node, rows keep theirs.
    const q = await run(['query', join(tmp, 'node-a', 'cap'), join(tmp, 'node-b', 'cap'), 'SELECT capture, node, count(*) AS n FROM events GROUP BY ALL ORDER BY node']);
    expect(q.exitCode, q.stderr).toBe(0);
    expect(ndjson(q.stdout)).toEqual([
      { capture: 'cap@node-a', node: 'node-a', n: eventLines(DELIVERED) },
      { capture: 'cap@node-b', node: 'node-b', n: eventLines(DROP) },
    ]);
    const named = await run(['import', DROP, '-o', join(tmp, 'named'), '--name', 'run 42']);
    expect(named.exitCode, named.stderr).toBe(0);
    expect(manifest(join(tmp, 'named')).capture).toMatchObject({ id: 'run 42', name: 'run 42' });
    const bad = await run(['import', DROP, '-o', join(tmp, 'bad'), '--node', '']);
    expect([bad.exitCode, bad.stderr]).toEqual([2, expect.stringMatching(/^skbtape: --node wants a non-empty name.* \(--node\)$/)]);
  });

  it('attach --node/--name relabels an imported capture (the id follows a new name)', async () => {
    const dir = join(tmp, 'relabel');
    expect(await imported(DELIVERED, dir)).toBe(eventLines(DELIVERED));
    const before = manifest(dir).capture;
    const r = await run(['attach', dir, '--node', 'worker-3', '--color', 'never']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(manifest(dir).capture).toEqual({ ...before, node: 'worker-3' });
    expect((await run(['attach', dir, '--name', 'w3-run'])).exitCode).toBe(0);
    expect(manifest(dir).capture).toEqual({ id: 'w3-run', node: 'worker-3', name: 'w3-run' });
    const q = await run(['query', dir, 'SELECT DISTINCT capture, node FROM skb_tracks']);
    expect(ndjson(q.stdout)).toEqual([{ capture: 'w3-run', node: 'worker-3' }]);
  });

  it('a three-node export into one tree: per-node rows, none overwritten; query reads the tree and a directory of captures', async () => {
    const tree = join(tmp, 'fleet-pq');
    const fleet = join(tmp, 'fleet');
    const files = { n1: DELIVERED, n2: DROP, n3: DELIVERED };
    for (const [node, file] of Object.entries(files)) {
      expect(await imported(file, join(fleet, node), { node, name: 'cap' })).toBe(eventLines(file));
      // One export per node, as each node would run it into the shared tree.
      const e = await run(['export', join(fleet, node), '--parquet', tree]);
      expect(e.exitCode, e.stderr).toBe(0);
    }
    const nodes = readdirSync(join(tree, 'events')).sort();
    expect(nodes).toEqual(['node=n1', 'node=n2', 'node=n3']);
    const sql = 'SELECT node, capture, count(*) AS n FROM events GROUP BY ALL ORDER BY node';
    const want = Object.entries(files).map(([node, f]) => ({ node, capture: 'cap', n: eventLines(f) }));
    const q = await run(['query', tree, sql]);
    expect(q.exitCode, q.stderr).toBe(0);
    expect(ndjson(q.stdout)).toEqual(want);
    // The same SQL over the directory of captures gives the same rows (labels get the node: three captures named cap).
    const d = await run(['query', fleet, sql]);
    expect(ndjson(d.stdout)).toEqual(want.map((w) => ({ ...w, capture: `cap@${w.node}` })));
    // Tracks alias skb_tracks in the tree; verdicts per node as loaded.
    const v = await run(['query', tree, 'SELECT node, verdict, count(*) AS n FROM skb_tracks GROUP BY ALL ORDER BY ALL', '--format', 'json']);
    expect(JSON.parse(v.stdout)).toEqual([
      { node: 'n1', verdict: 'delivered', n: 9 }, { node: 'n2', verdict: 'dropped', n: 3 }, { node: 'n3', verdict: 'delivered', n: 9 },
    ]);
    // The README's fleet query, verbatim: standard SQL over the tree's `tracks`.
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const fleetSql = /<!-- fleet-query -->\n```sql\n([\s\S]*?)```/.exec(readme)![1]!;
    const f = await run(['query', tree, fleetSql, '--format', 'json']);
    expect(f.exitCode, f.stderr).toBe(0);
    expect(JSON.parse(f.stdout)).toEqual([
      { node: 'n1', verdict: 'delivered', lifetimes: 9, hops: eventLines(DELIVERED) },
      { node: 'n2', verdict: 'dropped', lifetimes: 3, hops: eventLines(DROP) },
      { node: 'n3', verdict: 'delivered', lifetimes: 9, hops: eventLines(DELIVERED) },
    ]);
    const mixed = await run(['query', tree, join(fleet, 'n1'), 'SELECT 1']);
    expect([mixed.exitCode, mixed.stderr]).toEqual([2, expect.stringMatching(/^skbtape: give either captures or exported Parquet trees, not both .* \(query\)$/)]);
    const paths = await run(['paths', tree]);
    expect([paths.exitCode, paths.stderr]).toEqual([2, expect.stringMatching(/is an exported Parquet tree; only 'skbtape query' reads it/)]);
  });

  it('diff of two directories of captures pairs them by node; a node in one run only is a change', async () => {
    const [r1, r2] = [join(tmp, 'run1'), join(tmp, 'run2')];
    for (const [dir, node, file] of [[r1, 'n1', DELIVERED], [r1, 'n2', DELIVERED], [r2, 'n1', DELIVERED], [r2, 'n2', DROP], [r2, 'n3', DELIVERED]] as const) {
      expect(await imported(file, join(dir, node), { node })).toBe(eventLines(file));
    }
    const j = await run(['diff', r1, r2, '--format', 'json']);
    expect(j.exitCode, j.stderr).toBe(1);
    const f = JSON.parse(j.stdout);
    expect(f.pairs.map((p: { node: string; diff: { a: { id: string }; b: { id: string }; summary: { changes: number; newDrops: number } } }) =>
      [p.node, p.diff.a.id, p.diff.b.id, p.diff.summary.changes > 0, p.diff.summary.newDrops])).toEqual([
      ['n1', 'run1/n1', 'run2/n1', false, 0],
      ['n2', 'run1/n2', 'run2/n2', true, 1],
    ]);
    expect(f.onlyInA).toEqual([]);
    expect(f.onlyInB).toEqual([{ node: 'n3', dir: join(r2, 'n3') }]);
    const t = await run(['diff', r1, r2]);
    const section = (node: string) => t.stdout.split(/^== node /m).find((x) => x.startsWith(`${node}:`)) ?? '';
    expect(section('n2')).toMatch(/^n2: .*run1\/n2 vs .*run2\/n2\n[\s\S]*new drop: SKB_DROP_REASON_NETFILTER_DROP/);
    expect(section('n1')).not.toContain('NETFILTER_DROP');
    expect(t.stdout).toMatch(/^== node n3: only in B \(.*run2\/n3\)$/m);
    const mixed = await run(['diff', r1, join(r2, 'n1')]);
    expect([mixed.exitCode, mixed.stderr]).toEqual([2, expect.stringMatching(/^skbtape: .*run1 is a directory of captures and .*n1 is not; .* \(diff\)$/)]);
  });

  it('re-exporting a capture whose name has a space, quote and non-ASCII character replaces its own rows', async () => {
    const tree = join(tmp, 'odd-pq');
    const dir = join(tmp, 'odd');
    expect(await imported(DROP, dir, { name: "it's a café" })).toBe(eventLines(DROP));
    for (let i = 0; i < 2; i++) expect((await run(['export', dir, '--parquet', tree])).exitCode).toBe(0);
    const q = await run(['query', tree, 'SELECT capture, count(*) AS n FROM events GROUP BY ALL']);
    expect(ndjson(q.stdout)).toEqual([{ capture: "it's a café", n: eventLines(DROP) }]);
    const parts = readdirSync(join(tree, 'events', `node=${partitionKey(manifest(dir).capture.node)}`));
    expect(parts).toHaveLength(1);
  });

  it("refuses to overwrite another capture's partition (same --name, node and date) unless --replace", async () => {
    const tree = join(tmp, 'clash-pq');
    const one = join(tmp, 'clash1');
    const two = join(tmp, 'clash2');
    expect(await imported(DELIVERED, one, { name: 'nightly', node: 'n9' })).toBe(eventLines(DELIVERED));
    expect(await imported(DROP, two, { name: 'nightly', node: 'n9' })).toBe(eventLines(DROP));
    expect((await run(['export', one, '--parquet', tree])).exitCode).toBe(0);
    const r = await run(['export', two, '--parquet', tree]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^skbtape: captures\/node=n9\/date=\d{4}-\d{2}-\d{2}\/capture_id=nightly holds another capture \(nightly, created .*clash1\); give --replace .* \(--replace\)$/);
    const count = async () => ndjson((await run(['query', tree, 'SELECT count(*) AS n FROM events'])).stdout)[0]!['n'];
    expect(await count()).toBe(eventLines(DELIVERED)); // nothing of the first capture was touched
    // A copy of a capture is the same capture: it replaces, as a re-export does.
    cpSync(one, join(tmp, 'clash1-copy'), { recursive: true });
    expect((await run(['export', join(tmp, 'clash1-copy'), '--parquet', tree])).exitCode).toBe(0);
    const j = await run(['export', two, '--parquet', tree, '--replace', '--format', 'json']);
    expect(j.exitCode, j.stderr).toBe(0);
    expect(JSON.parse(j.stdout).captures[0]).toMatchObject({ node: 'n9', capture_id: 'nightly' });
    expect(await count()).toBe(eventLines(DROP));
  });
});

