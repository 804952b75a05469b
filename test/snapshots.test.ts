// takeSnapshots with the fake cilium-dbg, bpftool and kubectl first on PATH (real child processes), the `snapshot`
// and `attach` commands as a user runs them (the built CLI as a child process), and takeNameTables on the real host.
// Tool problems must become entries with reasons, never exceptions; bad input one line and a non-zero exit.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { readManifest } from '../src/capture/manifest.js';
import { takeNameTables, readNameTables } from '../src/snapshots/name-tables.js';
import { parseBpftoolNet, parseEndpointList, parseIpcacheList, parseMetricsList } from '../src/snapshots/parsers.js';
import { takeSnapshots } from '../src/snapshots/take.js';
import { parseApiEndpointList, parseIdentityList } from '../src/snapshots/label-parsers.js';
import { ROOT } from './helpers/real.js';
import { SKBTAPE } from './helpers/cli.js';

const FAKES = join(ROOT, 'test/fixtures/bin');
const tmp = mkdtempSync(join(tmpdir(), 'skbt-snap-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const out = () => join(tmp, `cap${++n}`);

const withFakes = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ ...process.env, PATH: `${FAKES}${delimiter}${process.env.PATH}`, ...extra });
const cli = (args: string[], env: NodeJS.ProcessEnv = withFakes()) => execa(SKBTAPE, [...args], { reject: false, cwd: ROOT, env, extendEnv: false });

/** A bin directory holding node plus the named fakes, and `scripts` as extra one-off tools. */
function binDir(name: string, fakes: string[], scripts: Record<string, string> = {}): string {
  const d = join(tmp, name);
  mkdirSync(d, { recursive: true });
  symlinkSync(process.execPath, join(d, 'node'));
  for (const f of fakes) symlinkSync(join(FAKES, f), join(d, f));
  for (const [f, body] of Object.entries(scripts)) {
    writeFileSync(join(d, f), `#!${process.execPath}\n${body}\n`);
    chmodSync(join(d, f), 0o755);
  }
  return d;
}

const read = (dir: string, rel: string) => readFileSync(join(dir, rel), 'utf8');

describe('takeSnapshots', () => {
  it('local: six files, verbatim, each parses (10.244.2.173 is endpoint 1617, identity 26328 is k8s:app=client)', async () => {
    const dir = out();
    const entries = await takeSnapshots(dir, 'start', { mode: 'local', env: withFakes() });
    expect(entries.map((e) => [e.kind, e.status, e.file])).toEqual([
      ['endpoints', 'ok', 'snapshots/start/endpoints.json'],
      ['ipcache', 'ok', 'snapshots/start/ipcache.json'],
      ['metrics', 'ok', 'snapshots/start/metrics.json'],
      ['identities', 'ok', 'snapshots/start/identities.json'],
      ['endpoint-list', 'ok', 'snapshots/start/endpoint-list.json'],
      ['bpftool-net', 'ok', 'snapshots/start/bpftool-net.json'],
    ]);
    expect(entries[0]!.argv).toEqual(['cilium-dbg', 'bpf', 'endpoint', 'list', '-o', 'json']);
    expect(entries[3]!.argv).toEqual(['cilium-dbg', 'identity', 'list', '-o', 'json']);
    expect(entries[4]!.argv).toEqual(['cilium-dbg', 'endpoint', 'list', '-o', 'json']);
    expect(entries[5]!.argv).toEqual(['bpftool', '-j', 'net']);
    for (const e of entries) expect(Date.parse(e.takenAt!)).toBeGreaterThan(0);
    // Verbatim: byte-equal to what the tool printed, trailing blank line included.
    const direct = await execa(join(FAKES, 'cilium-dbg'), ['bpf', 'endpoint', 'list', '-o', 'json'], { stripFinalNewline: false });
    expect(read(dir, 'snapshots/start/endpoints.json')).toBe(direct.stdout);

    const ep = parseEndpointList(read(dir, 'snapshots/start/endpoints.json'));
    expect(ep.warnings).toEqual([]);
    expect(ep.rows.find((r) => r.ip === '10.244.2.173')).toMatchObject({ endpointId: 1617, ifindex: 26, securityIdentity: 26328 });
    const ipc = parseIpcacheList(read(dir, 'snapshots/start/ipcache.json'));
    expect(ipc.rows.find((r) => r.prefix === '10.244.2.173/32')?.identity).toBe(26328);
    expect(parseMetricsList(read(dir, 'snapshots/start/metrics.json')).rows).toHaveLength(19);
    expect(parseBpftoolNet(read(dir, 'snapshots/start/bpftool-net.json')).rows.find((r) => r.ifindex === 26)?.iface).toBe('lxc3a6f7d4e8c73');
    const ids = parseIdentityList(read(dir, 'snapshots/start/identities.json'));
    expect(ids.warnings).toEqual([]);
    expect(ids.rows.filter((r) => r.identity === 26328).map((r) => r.label)).toContain('k8s:app=client');
    const eps = parseApiEndpointList(read(dir, 'snapshots/start/endpoint-list.json'));
    expect(eps.rows.find((r) => r.endpointId === 1617)).toMatchObject({ identity: 26328, pod: 'client', namespace: 'default', ipv4: '10.244.2.173' });
  });

  it('kubectl: finds the node\'s agent pod, then execs cilium-dbg in it; bpftool stays local', async () => {
    const dir = out();
    const env = withFakes({ SKBTAPE_FAKE_CILIUM_PODS: JSON.stringify({ 'worker-1': 'cilium-w1abc', 'worker-2': 'cilium-w2def' }) });
    const entries = await takeSnapshots(dir, 'end', { mode: 'kubectl', node: 'worker-2', env });
    expect(entries.every((e) => e.status === 'ok')).toBe(true);
    expect(entries[1]!.argv).toEqual(['kubectl', '-n', 'kube-system', 'exec', 'cilium-w2def', '-c', 'cilium-agent', '--', 'cilium-dbg', 'bpf', 'ipcache', 'list', '-o', 'json']);
    expect(entries[5]!.argv).toEqual(['bpftool', '-j', 'net']);
    expect(parseEndpointList(read(dir, 'snapshots/end/endpoints.json')).rows.find((r) => r.ip === '10.244.2.173')?.endpointId).toBe(1617);

    // A given pod skips the lookup; an unknown node fails each cilium entry with the reason, bpftool still taken.
    const given = await takeSnapshots(out(), 'start', { mode: 'kubectl', ciliumPod: 'cilium-w1abc', env });
    expect(given[0]!.argv).toContain('cilium-w1abc');
    const none = await takeSnapshots(out(), 'start', { mode: 'kubectl', node: 'worker-9', env });
    expect(none.map((e) => e.status)).toEqual(['failed', 'failed', 'failed', 'failed', 'failed', 'ok']);
    expect(none[0]!.reason).toBe(
      'no cilium pod on node worker-9 (ran: kubectl -n kube-system get pods -l k8s-app=cilium --field-selector spec.nodeName=worker-9 -o name: No resources found in kube-system namespace.)',
    );
  });

  it('SKBTAPE_FAKE_CILIUM_FAIL=1: failed entries with the first stderr line, after retrying the text form', async () => {
    const dir = out();
    const entries = await takeSnapshots(dir, 'start', { mode: 'local', env: withFakes({ SKBTAPE_FAKE_CILIUM_FAIL: '1' }) });
    expect(entries.slice(0, 5).map((e) => e.status)).toEqual(['failed', 'failed', 'failed', 'failed', 'failed']);
    expect(entries[0]).toMatchObject({
      argv: ['cilium-dbg', 'bpf', 'endpoint', 'list'],
      reason: 'Please run "cilium bpf endpoint list" command(s) with root privileges.',
    });
    expect(entries[0]!.file).toBeUndefined();
    expect(entries[5]!.status).toBe('ok');
    expect(readdirSync(join(dir, 'snapshots/start'))).toEqual(['bpftool-net.json']);
  });

  it('no cilium-dbg on PATH: unavailable, not an error', async () => {
    const bin = binDir('only-bpftool', ['bpftool']);
    const entries = await takeSnapshots(out(), 'start', { mode: 'local', env: { ...process.env, PATH: bin } });
    expect(entries.map((e) => [e.kind, e.status, e.reason])).toEqual([
      ['endpoints', 'unavailable', 'cilium-dbg not found on PATH'],
      ['ipcache', 'unavailable', 'cilium-dbg not found on PATH'],
      ['metrics', 'unavailable', 'cilium-dbg not found on PATH'],
      ['identities', 'unavailable', 'cilium-dbg not found on PATH'],
      ['endpoint-list', 'unavailable', 'cilium-dbg not found on PATH'],
      ['bpftool-net', 'ok', undefined],
    ]);
    const noKubectl = await takeSnapshots(out(), 'start', { mode: 'kubectl', node: 'w', env: { ...process.env, PATH: bin } });
    expect(noKubectl[0]).toMatchObject({ status: 'unavailable', reason: 'kubectl not found on PATH' });
  });

  it('a tool without -o json: the text form is kept as .txt; a hung tool times out', async () => {
    const bin = binDir('old-cilium', ['bpftool'], {
      // Like a cilium CLI that predates -o json on these lists.
      'cilium-dbg': `const a = process.argv.slice(2);
if (a.includes('-o')) { process.stderr.write('Error: unknown shorthand flag: \\'o\\' in -o\\n'); process.exit(1); }
require('node:child_process').spawnSync(${JSON.stringify(join(FAKES, 'cilium-dbg'))}, a, { stdio: 'inherit' });`,
    });
    const dir = out();
    const entries = await takeSnapshots(dir, 'start', { mode: 'local', env: { ...process.env, PATH: bin } });
    expect(entries[0]).toMatchObject({ status: 'ok', file: 'snapshots/start/endpoints.txt', argv: ['cilium-dbg', 'bpf', 'endpoint', 'list'] });
    expect(parseEndpointList(read(dir, 'snapshots/start/endpoints.txt')).rows.find((r) => r.ip === '10.244.2.173')?.endpointId).toBe(1617);

    // A cilium-dbg that hangs for 10 minutes: only the 400 ms timeout ends this within the test's own timeout.
    const slow = binDir('slow-cilium', ['bpftool'], { 'cilium-dbg': 'setTimeout(() => {}, 600_000);' });
    const timed = await takeSnapshots(out(), 'start', { mode: 'local', timeoutMs: 400, env: { ...process.env, PATH: slow } });
    expect(timed[0]).toMatchObject({ status: 'failed', reason: 'timed out after 400 ms' });
    expect(timed[0]!.argv).toEqual(['cilium-dbg', 'bpf', 'endpoint', 'list', '-o', 'json']); // a hung tool is not asked twice
  });

  it('mode none takes nothing', async () => {
    expect(await takeSnapshots(out(), 'start', { mode: 'none' })).toEqual([]);
  });
});

describe('takeNameTables on the real host', () => {
  it('finds lo with ifindex 1 in the host netns and writes names/<phase>.json', async () => {
    const dir = out();
    const t = await takeNameTables(dir, 'end', null, { pids: [process.pid, 999_999_999] });
    expect(t.host.find((l) => l.ifindex === 1)?.name).toBe('lo');
    const hostNs = t.netns.find((x) => x.source === 'host')!;
    expect(t.host[0]!.netns).toBe(hostNs.inode);
    expect(t.target).toEqual([]);
    expect(t.pids).toEqual([{ pid: process.pid, comm: expect.any(String) }]);
    expect(existsSync(join(dir, 'names/end.json'))).toBe(true);
    expect(readNameTables(dir, 'end')?.host).toEqual(t.host);
  });

  it('without ip: empty lists and a warning, not an error', async () => {
    const t = await takeNameTables(out(), 'start', null, {}, { env: { ...process.env, PATH: join(tmp, 'nothing-here') } });
    expect(t.host).toEqual([]);
    expect(t.warnings).toEqual(['host interfaces: ip not found on PATH']);
  });
});

describe('skbtape snapshot (CLI)', () => {
  it('takes all six and says so; the capture is complete with zero events', async () => {
    const dir = out();
    const r = await cli(['snapshot', '-o', dir]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`${dir}: 6 of 6 snapshots taken`);
    expect(r.stdout).toMatch(/^endpoints\s+ok\s+snapshots\/start\/endpoints\.json$/m);
    const m = readManifest(dir);
    expect(m).toMatchObject({ status: 'complete', source: { kind: 'live' }, counts: { events: 0 } });
    expect(m.snapshots.map((s) => s.status)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
    expect(existsSync(join(dir, 'names/start.json'))).toBe(true);
    const info = await cli(['info', dir, '--json']);
    expect(info.exitCode, info.stderr).toBe(0);
  });

  it('--snapshots kubectl --json; missing tools are warnings; nothing taken exits 1', async () => {
    const dir = out();
    const r = await cli(['snapshot', '-o', dir, '--snapshots', 'kubectl', '--node', 'worker-1', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    // --format ndjson: one snapshot entry a line, the same entries.
    const nd = await cli(['snapshot', '-o', out(), '--snapshots', 'kubectl', '--node', 'worker-1', '--format', 'ndjson', '--color', 'never']);
    expect(nd.stdout.split('\n').map((l) => JSON.parse(l).kind)).toEqual(j.snapshots.map((x: { kind: string }) => x.kind));
    expect(j.snapshots[0].argv.slice(0, 5)).toEqual(['kubectl', '-n', 'kube-system', 'exec', 'cilium-x7k2p']);

    const part = await cli(['snapshot', '-o', out()], { ...process.env, PATH: binDir('cli-bpftool', ['bpftool']) });
    expect(part.exitCode).toBe(0);
    expect(part.stderr.split('\n').filter((l) => l.startsWith('skbtape: warning: endpoints'))).toEqual(['skbtape: warning: endpoints unavailable: cilium-dbg not found on PATH']);
    // --require-snapshots: the same partial result is a failure.
    const strict = await cli(['snapshot', '-o', out(), '--require-snapshots'], { ...process.env, PATH: binDir('cli-bpftool-strict', ['bpftool']) });
    expect(strict.exitCode).toBe(1);
    expect(strict.stderr.trim().split('\n').at(-1)).toBe('skbtape: --require-snapshots: 5 of 6 not taken (endpoints, ipcache, metrics, identities, endpoint-list)');
    const all = await cli(['snapshot', '-o', out(), '--require-snapshots']);
    expect(all.exitCode, all.stderr).toBe(0);

    const dir2 = out();
    const none = await cli(['snapshot', '-o', dir2], { ...process.env, PATH: binDir('cli-node-only', []) });
    expect(none.exitCode).toBe(1);
    expect(none.stderr.trim().split('\n').at(-1)).toBe('skbtape: no snapshot could be taken (the capture directory records why)');
    expect(readManifest(dir2).snapshots.map((s) => s.status)).toEqual(Array(6).fill('unavailable'));
  });

  it('bad flags and a non-empty output: one line, exit 2', async () => {
    const bad = await cli(['snapshot', '-o', out(), '--snapshots', 'remote']);
    expect([bad.exitCode, bad.stderr.trim()]).toEqual([2, "skbtape: --snapshots wants local or kubectl, not 'remote' (--snapshots)"]);
    const node = await cli(['snapshot', '-o', out(), '--node', 'w1']);
    expect([node.exitCode, node.stderr.trim()]).toEqual([2, 'skbtape: --node only applies with --snapshots kubectl (--node)']);
    const dir = out();
    mkdirSync(dir);
    writeFileSync(join(dir, 'keep'), 'x');
    const busy = await cli(['snapshot', '-o', dir]);
    expect([busy.exitCode, busy.stderr.trim()]).toEqual([2, `skbtape: output directory ${dir} is not empty (use --force to replace it) (-o)`]);
    // --force replaces an earlier capture, never a folder of someone's files.
    const forced = await cli(['snapshot', '-o', dir, '--force']);
    expect(forced.exitCode).toBe(2);
    expect(forced.stderr).toMatch(/--force replaces only a capture directory/);
    expect(readFileSync(join(dir, 'keep'), 'utf8')).toBe('x');
    const cap = out();
    expect((await cli(['snapshot', '-o', cap])).exitCode).toBe(0);
    expect((await cli(['snapshot', '-o', cap, '--force'])).exitCode).toBe(0);
  });
});

describe('skbtape attach (CLI)', () => {
  const saved = join(tmp, 'saved');
  mkdirSync(saved, { recursive: true });
  const save = async (name: string, argv: string[]) => {
    const r = await execa(join(FAKES, argv[0]!), argv.slice(1), { stripFinalNewline: false });
    writeFileSync(join(saved, name), r.stdout);
    return join(saved, name);
  };

  it('copies text and JSON outputs verbatim into snapshots/<phase>/, entries attached', async () => {
    const dir = out();
    expect((await cli(['snapshot', '-o', dir])).exitCode).toBe(0);
    const ep = await save('ep.txt', ['cilium-dbg', 'bpf', 'endpoint', 'list']);
    const ipc = await save('ipc.json', ['cilium-dbg', 'bpf', 'ipcache', 'list', '-o', 'json']);
    const met = await save('met.txt', ['cilium-dbg', 'bpf', 'metrics', 'list']);
    const net = await save('net.txt', ['bpftool', 'net']);
    const ids = await save('ids.txt', ['cilium-dbg', 'identity', 'list']);
    const eps = await save('eps.json', ['cilium-dbg', 'endpoint', 'list', '-o', 'json']);
    const r = await cli(['attach', dir, '--phase', 'end', '--endpoints', ep, '--ipcache', ipc, '--metrics', met, '--bpftool-net', net, '--identities', ids, '--endpoint-list', eps]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^endpoints\s+7\s+0\s+snapshots\/end\/endpoints\.txt$/m);
    expect(read(dir, 'snapshots/end/endpoints.txt')).toBe(readFileSync(ep, 'utf8'));
    expect(read(dir, 'snapshots/end/ipcache.json')).toBe(readFileSync(ipc, 'utf8'));
    const m = readManifest(dir);
    expect(m.snapshots.filter((s) => s.phase === 'end').map((s) => [s.kind, s.status, s.file])).toEqual([
      ['endpoints', 'attached', 'snapshots/end/endpoints.txt'],
      ['ipcache', 'attached', 'snapshots/end/ipcache.json'],
      ['metrics', 'attached', 'snapshots/end/metrics.txt'],
      ['bpftool-net', 'attached', 'snapshots/end/bpftool-net.txt'],
      ['identities', 'attached', 'snapshots/end/identities.txt'],
      ['endpoint-list', 'attached', 'snapshots/end/endpoint-list.json'],
    ]);
    // Rows read, counted by hand from the fake's tables: 18 labels (8 reserved + 2 pods x 5), 2 endpoints.
    expect(r.stdout).toMatch(/^identities\s+18\s+0\s+snapshots\/end\/identities\.txt$/m);
    expect(r.stdout).toMatch(/^endpoint-list\s+2\s+0\s+snapshots\/end\/endpoint-list\.json$/m);
    expect(m.snapshots.filter((s) => s.phase === 'start')).toHaveLength(6);

    // The start endpoints were taken: attaching over them is refused, and the taken file kept, unless --force.
    const kept = await cli(['attach', dir, '--endpoints', ep]);
    expect(kept.exitCode).toBe(2);
    expect(kept.stderr).toBe(`skbtape: ${join(dir, 'snapshots/start/endpoints.json')} already holds the start endpoints snapshot; nothing attached (--force replaces it) (--endpoints)`);
    expect(readdirSync(join(dir, 'snapshots/start')).filter((f) => f.startsWith('endpoints'))).toEqual(['endpoints.json']);
    // With --force, the start endpoints as text replace the taken JSON file and its entry.
    const again = await cli(['attach', dir, '--endpoints', ep, '--json', '--force']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).attached[0]).toMatchObject({ kind: 'endpoints', rows: 7, file: 'snapshots/start/endpoints.txt' });
    expect(readdirSync(join(dir, 'snapshots/start')).filter((f) => f.startsWith('endpoints'))).toEqual(['endpoints.txt']);
    expect(readManifest(dir).snapshots.filter((s) => s.kind === 'endpoints' && s.phase === 'start')).toMatchObject([{ status: 'attached' }]);
  });

  it('parse warnings are summarised in one line (how many, the first file:line: reason) and do not fail the command', async () => {
    const dir = out();
    expect((await cli(['snapshot', '-o', dir])).exitCode).toBe(0);
    const text = readFileSync(await save('ep2.txt', ['cilium-dbg', 'bpf', 'endpoint', 'list']), 'utf8').split('\n');
    text.splice(3, 0, '10.244.2.77:0   id=notanumber sec_id=1');
    const f = join(saved, 'ep-bad.txt');
    writeFileSync(f, text.join('\n'));
    const r = await cli(['attach', dir, '--endpoints', f, '--force']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`^skbtape: warning: ${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: 1 line not read as endpoints \\(7 rows read\\); first: line 4: \\S[^\\n]*$`));
  });

  it('a file its parser cannot read as the named kind is refused, and a good snapshot kept: binary, JSON cut short, 0 rows', async () => {
    const dir = out();
    expect((await cli(['import', join(ROOT, 'samples/demo-delivered.pwru.txt'), '-o', dir])).exitCode).toBe(0);
    const ep = await save('ep3.json', ['cilium-dbg', 'bpf', 'endpoint', 'list', '-o', 'json']);
    expect((await cli(['attach', dir, '--endpoints', ep])).exitCode).toBe(0);
    const good = readFileSync(join(dir, 'snapshots/start/endpoints.json'));
    const cut = join(saved, 'ep-cut.json');
    writeFileSync(cut, good.subarray(0, Math.floor(good.length / 2)));
    const bin = join(saved, 'ep.bin');
    writeFileSync(bin, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3, 0xff, 0xfe]));
    const cases: [string, RegExp][] = [
      [cut, /does not look like `cilium-dbg bpf endpoint list` output: JSON that does not parse \(.*; cut short\?\); nothing attached/],
      [bin, /does not look like `cilium-dbg bpf endpoint list` output: it is binary data; nothing attached/],
      ['/etc/passwd', /does not look like `cilium-dbg bpf endpoint list` output: no endpoints row read from it; nothing attached/],
    ];
    for (const [f, why] of cases) {
      for (const force of [[], ['--force']]) {
        const r = await cli(['attach', dir, '--endpoints', f, ...force]);
        expect(r.exitCode, f).toBe(2);
        expect(r.stderr).toMatch(new RegExp(`^skbtape: ${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} ${why.source} \\(--endpoints\\)$`));
        expect(readFileSync(join(dir, 'snapshots/start/endpoints.json')).equals(good)).toBe(true);
      }
    }
  });

  it('the wrong kind for the flag, a missing file, no files, not a capture: one line, exit 2', async () => {
    const dir = out();
    expect((await cli(['snapshot', '-o', dir])).exitCode).toBe(0);
    const ipc = await save('ipc2.txt', ['cilium-dbg', 'bpf', 'ipcache', 'list']);
    const wrong = await cli(['attach', dir, '--endpoints', ipc]);
    expect([wrong.exitCode, wrong.stderr.trim()]).toEqual([2, `skbtape: ${ipc} looks like ipcache output, not endpoints (use --ipcache for it) (--endpoints)`]);
    expect(readManifest(dir).snapshots.some((s) => s.status === 'attached')).toBe(false);

    const missing = await cli(['attach', dir, '--metrics', join(saved, 'nope.txt')]);
    expect([missing.exitCode, missing.stderr.trim()]).toEqual([2, `skbtape: cannot read ${join(saved, 'nope.txt')}: no such file or directory (${join(saved, 'nope.txt')})`]);
    const nothing = await cli(['attach', dir]);
    expect([nothing.exitCode, nothing.stderr.trim()]).toEqual([2, 'skbtape: nothing to attach: give at least one of --endpoints, --ipcache, --metrics, --bpftool-net, --identities, --endpoint-list, --node or --name (attach)']);
    const phase = await cli(['attach', dir, '--phase', 'middle', '--metrics', ipc]);
    expect([phase.exitCode, phase.stderr.trim()]).toEqual([2, "skbtape: --phase wants start or end, not 'middle' (--phase)"]);
    const notCap = await cli(['attach', saved, '--ipcache', ipc]);
    expect(notCap.exitCode).toBe(2);
    expect(notCap.stderr.trim()).toBe(`skbtape: not a capture directory: no manifest.json in ${saved} (${join(saved, 'manifest.json')})`);
  });
});
