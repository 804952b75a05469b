// Identities by name: `cilium-dbg identity list` and `endpoint list` parsed (text and JSON from the fake cilium-dbg,
// Go's tabwriter layout, CILIUM_DBG_FORMATS.md §3-4), loaded as identity_names in real DuckDB, and printed as
// `k8s:app=client (26328)` by paths, tracks, diff and the report data, with the number kept beside the name.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAnalysis } from '../src/analyze/loader.js';
import { attachSnapshots } from '../src/commands/attach.js';
import { diffCaptures } from '../src/diff/diff.js';
import { captureReport } from '../src/report/data.js';
import { detectSnapshotKind } from '../src/snapshots/detect.js';
import { parseApiEndpointList, parseIdentityList } from '../src/snapshots/label-parsers.js';
import { buildDemoCapture, DEMO_SNAPSHOTS } from './helpers/captures.js';
import { SKBTAPE } from './helpers/cli.js';
import { ROOT } from './helpers/real.js';

const FAKE = join(ROOT, 'test/fixtures/bin/cilium-dbg');
const fake = async (...args: string[]) => (await execa(FAKE, args, { stripFinalNewline: false })).stdout;
const cli = (args: string[]) => execa(SKBTAPE, args, { reject: false, cwd: ROOT });

describe('identity and endpoint list parsers', () => {
  it('identity list: the table and -o json give the same labels per identity', async () => {
    const text = parseIdentityList(await fake('identity', 'list'));
    const json = parseIdentityList(await fake('identity', 'list', '-o', 'json'));
    expect(text.warnings).toEqual([]);
    expect(json.warnings).toEqual([]);
    const pairs = (r: typeof text) => r.rows.map((x) => `${x.identity} ${x.label}`).sort();
    expect(pairs(text)).toEqual(pairs(json));
    expect(text.rows.filter((r) => r.identity === 26328).map((r) => r.label)).toEqual([
      'k8s:app=client',
      'k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name=default',
      'k8s:io.cilium.k8s.policy.cluster=default',
      'k8s:io.cilium.k8s.policy.serviceaccount=default',
      'k8s:io.kubernetes.pod.namespace=default',
    ]);
    // Line numbers point at the row in the table: the id's own row, then one row per further label.
    const lines = (await fake('identity', 'list')).split('\n');
    for (const r of text.rows) expect(lines[r.line - 1]).toContain(r.label);
  });

  it('identity list --endpoints (REFCOUNT), a label row without its id row, and garbage: rows kept, lines warned', () => {
    const t = [
      'ID      LABELS           REFCOUNT   ',
      '1       reserved:host    1          ',
      '26328   k8s:app=client   2          ',
      '        k8s:io.kubernetes.pod.namespace=default   ',
      '',
      '        k8s:orphan=1',
      'garbage here',
    ].join('\n');
    const r = parseIdentityList(t, 'ids.txt');
    expect(r.rows.map((x) => [x.identity, x.label])).toEqual([
      [1, 'reserved:host'], [26328, 'k8s:app=client'], [26328, 'k8s:io.kubernetes.pod.namespace=default'],
    ]);
    expect(r.warnings.map((w) => [w.line, w.source])).toEqual([[6, 'ids.txt'], [7, 'ids.txt']]);
  });

  it('endpoint list: the table and -o json agree on id, identity, labels and address; JSON adds the pod', async () => {
    const text = parseApiEndpointList(await fake('endpoint', 'list'));
    const json = parseApiEndpointList(await fake('endpoint', 'list', '-o', 'json'));
    expect(text.warnings).toEqual([]);
    expect(json.warnings).toEqual([]);
    const key = (r: typeof text) => r.rows.map((x) => ({ id: x.endpointId, identity: x.identity, labels: [...x.labels].sort(), ipv4: x.ipv4, state: x.state }));
    expect(key(text)).toEqual(key(json));
    expect(json.rows.find((r) => r.endpointId === 1617)).toMatchObject({ identity: 26328, namespace: 'default', pod: 'client', ipv4: '10.244.2.173' });
    expect(text.rows.find((r) => r.endpointId === 1617)).toMatchObject({ pod: null, namespace: null });
  });

  it('endpoint list cells with blanks: Disabled (Audit), <no label id>, no labels, No address', () => {
    const t = [
      'ENDPOINT   POLICY (ingress)   POLICY (egress)   IDENTITY        LABELS (source:key[=value])   IPv6   IPv4          STATUS   ',
      '           ENFORCEMENT        ENFORCEMENT                                                                               ',
      '42         Disabled (Audit)   Enabled           26328           k8s:app=client                       10.244.2.9    ready    ',
      '                                                                k8s:io.kubernetes.pod.namespace=default                  ',
      '77         Disabled           Disabled          <no label id>   no labels                            No address    waiting-for-identity   ',
    ].join('\n');
    const r = parseApiEndpointList(t);
    expect(r.warnings).toEqual([]);
    expect(r.rows.map((x) => [x.endpointId, x.identity, x.labels, x.ipv4, x.state])).toEqual([
      [42, 26328, ['k8s:app=client', 'k8s:io.kubernetes.pod.namespace=default'], '10.244.2.9', 'ready'],
      [77, null, [], null, 'waiting-for-identity'],
    ]);
  });

  it('each is recognised by its header or JSON shape, and told apart from the BPF endpoint map', async () => {
    expect(detectSnapshotKind(await fake('identity', 'list'))).toBe('identities');
    expect(detectSnapshotKind(await fake('identity', 'list', '-o', 'json'))).toBe('identities');
    expect(detectSnapshotKind(await fake('endpoint', 'list'))).toBe('endpoint-list');
    expect(detectSnapshotKind(await fake('endpoint', 'list', '-o', 'json'))).toBe('endpoint-list');
    expect(detectSnapshotKind(await fake('bpf', 'endpoint', 'list'))).toBe('endpoints');
  });
});

describe('identities by name in the analysis', () => {
  let tmp: string;
  let delivered: string;
  let drop: string;
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'skbt-labels-'));
    delivered = await buildDemoCapture('delivered', join(tmp, 'delivered'));
    drop = await buildDemoCapture('drop', join(tmp, 'drop'), { labels: 'none' });
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('paths --json: each side keeps its number and carries the labels of identities.json', async () => {
    const r = await cli(['paths', delivered, '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const g = JSON.parse(r.stdout).groups[0];
    // The facts, read from the sample file by hand (JSON.parse), not from the code under test.
    const sample = JSON.parse(readFileSync(join(DEMO_SNAPSHOTS, 'identities.json'), 'utf8')) as { id: number; labels: string[] }[];
    const labelsOf = (id: number) => sample.find((x) => x.id === id)!.labels;
    const sides = [g.example.src, g.example.dst].sort((x: { identity: number }, y: { identity: number }) => x.identity - y.identity);
    expect(sides.map((s: { identity: number }) => s.identity)).toEqual([9764, 26328]);
    for (const s of sides) expect(s.identityLabels).toEqual(labelsOf(s.identity));
    expect(sides.map((s: { identityName: string }) => s.identityName)).toEqual(['k8s:app=server', 'k8s:app=client']);
    const text = await cli(['paths', delivered, '--limit', '1']);
    expect(text.stdout).toContain('(k8s:app=client (26328), ep 1617)');
  });

  it('tracks: the same names in text and JSON', async () => {
    const j = await cli(['tracks', delivered, '--format', 'ndjson']);
    expect(j.exitCode, j.stderr).toBe(0);
    const lines = j.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(9);
    expect(new Set(lines.flatMap((l) => [l.srcIdentityName, l.dstIdentityName]))).toEqual(new Set(['k8s:app=client', 'k8s:app=server']));
  });

  it('a capture without identity snapshots prints numbers; reserved ones are named by Cilium\'s fixed table', async () => {
    const r = await cli(['paths', drop, '--limit', '1']);
    expect(r.stdout).toContain('(id 26328, ep 1617)');
    const q = await cli(['query', drop, 'SELECT identity, name, source FROM identity_names ORDER BY identity', '--format', 'csv']);
    expect(q.exitCode, q.stderr).toBe(0);
    // ipcache.txt holds identities 1 (the node addresses) and 2 (0.0.0.0/0) among the reserved ones, and 4 (health).
    expect(q.stdout.trim().split('\n')).toEqual(['identity,name,source', '1,reserved:host,reserved', '2,reserved:world,reserved', '4,reserved:health,reserved']);
  });

  it('only the endpoint list: its labels name the pods\' identities', async () => {
    const only = await buildDemoCapture('delivered', join(tmp, 'ep-only'), { labels: 'endpoint-list' });
    const a = await openAnalysis([only], { cache: false });
    try {
      const rows = await a.run("SELECT identity, name, source FROM identity_names WHERE identity >= 256 ORDER BY identity");
      expect(rows.map((x) => [Number(x['identity']), x['name'], x['source']])).toEqual([[9764, 'k8s:app=server', 'endpoint list'], [26328, 'k8s:app=client', 'endpoint list']]);
    } finally {
      a.close();
    }
  });

  it('diff: flows print by name, and pair when only one capture has the identity snapshots', async () => {
    const r = await diffCaptures(delivered, drop);
    expect(r.key.by).toBe('identity');
    expect(r.flows.map((f) => [f.flow, f.status])).toEqual([['k8s:app=client (26328)->k8s:app=server (9764):80/tcp', 'changed']]);
  });

  it('diff notes name the identities: a pod relabelled in B (new identity 31000) says what its labels became', async () => {
    const b = await buildDemoCapture('delivered', join(tmp, 'relabelled'), { labels: 'none' });
    const ipcache = readFileSync(join(DEMO_SNAPSHOTS, 'ipcache.txt'), 'utf8').replace('10.244.2.173/32 identity=26328', '10.244.2.173/32 identity=31000');
    const ids = JSON.parse(readFileSync(join(DEMO_SNAPSHOTS, 'identities.json'), 'utf8')) as { id: number; labels: string[] }[];
    ids.push({ id: 31000, labels: ['k8s:app=client', 'k8s:io.kubernetes.pod.namespace=default', 'k8s:version=v2'] });
    writeFileSync(join(tmp, 'ipcache-b.txt'), ipcache);
    writeFileSync(join(tmp, 'ids-b.json'), JSON.stringify(ids, null, 2));
    attachSnapshots(b, 'start', { ipcache: join(tmp, 'ipcache-b.txt'), identities: join(tmp, 'ids-b.json') }, { force: true });
    const r = await diffCaptures(delivered, b);
    expect(r.snapshots.filter((n) => n.kind === 'identity-changed')).toEqual([
      { kind: 'identity-changed', subject: '10.244.2.173', text: '10.244.2.173: identity k8s:app=client (26328) in A, k8s:app=client,k8s:version=v2 (31000) in B' },
    ]);
  });

  it('diff of two clusters: no identity number shared, every one named: keyed by labels; --by labels asked for', async () => {
    // Cluster B numbers the same pods 41000 (client) and 52000 (server): ipcache, endpoints and identity list agree.
    const b = await buildDemoCapture('delivered', join(tmp, 'cluster-b'), { labels: 'none' });
    const renum = (f: string) => {
      const out = join(tmp, `b-${f}`);
      writeFileSync(out, readFileSync(join(DEMO_SNAPSHOTS, f), 'utf8').replaceAll('26328', '41000').replaceAll('9764', '52000'));
      return out;
    };
    attachSnapshots(b, 'start', { ipcache: renum('ipcache.txt'), endpoints: renum('endpoints.txt'), identities: renum('identities.json') }, { force: true });
    const r = await diffCaptures(delivered, b);
    expect(r.key.by).toBe('labels');
    expect(r.key.reason).toBe('both captures have ipcache/endpoint snapshots; A and B share no identity number (another cluster?), so flows are keyed by their identities\' labels (--by labels)');
    expect(r.flows.map((f) => [f.flow, f.status])).toEqual([['k8s:app=client->k8s:app=server:80/tcp', 'same']]);
    // The numbers differ under the same labels: a note, not a difference.
    expect(r.snapshots).toEqual([
      { kind: 'identity-renumbered', subject: '10.244.2.173', text: '10.244.2.173: identity k8s:app=client, 26328 in A, 41000 in B' },
      { kind: 'identity-renumbered', subject: '10.244.2.61', text: '10.244.2.61: identity k8s:app=server, 9764 in A, 52000 in B' },
    ]);
    expect(r.summary.sentence).toBe('no differences');
    // By number, the same traffic is two flows, one only in each.
    const byId = await diffCaptures(delivered, b, { by: 'identity' });
    expect(byId.flows.map((f) => f.status).sort()).toEqual(['only-a', 'only-b']);
    // Asked for by name where a capture cannot name its identities: an error naming the capture and the flag.
    const no = await cli(['diff', delivered, drop, '--by', 'labels']);
    expect(no.exitCode).toBe(2);
    expect(no.stderr.trim()).toMatch(/^skbtape: --by labels is not available \(.+: an identity of its flows has no identity list or endpoint list labels\); use --by identity or ip \(--by\)$/);
    const yes = await cli(['diff', delivered, b, '--by', 'labels', '--format', 'json']);
    expect(yes.exitCode, yes.stderr).toBe(0);
    expect(JSON.parse(yes.stdout).key).toEqual({ by: 'labels', requested: 'labels', reason: '--by labels' });
  });

  it('report data: the flow table\'s client and server by name', async () => {
    const c = await captureReport(delivered, { cache: false });
    expect(c.flows.map((f) => [f.clientIdentityName, f.serverIdentityName])).toEqual([['k8s:app=client', 'k8s:app=server']]);
  });
});
