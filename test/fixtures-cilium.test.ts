// The fake cilium-dbg / bpftool / crictl / kubectl in test/fixtures/bin, run as real child processes by name with
// that folder first on PATH: their output must parse with snapshot-parsers (round trip), and their env knobs work.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import {

  parseBpftoolNet,
  parseEndpointList,
  parseIpcacheList,
  parseMetricsList,
} from '../src/snapshots/parsers.js';
import { detectSnapshotKind } from '../src/snapshots/detect.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const BIN = path.join(here, 'fixtures', 'bin');
const PATH = `${BIN}${path.delimiter}${process.env.PATH ?? ''}`;

function run(file: string, args: string[], env: Record<string, string> = {}) {
  // extendEnv keeps HOME etc.; our PATH and knobs win. reject:false so failures can be asserted on.
  return execa(file, args, { env: { PATH, ...env }, reject: false, stripFinalNewline: false });
}

const tmp = mkdtempSync(path.join(tmpdir(), 'skbtape-fake-cilium-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('fake cilium-dbg', () => {
  it('bpf endpoint list: tabwriter-padded seed table parses back', async () => {
    const r = await run('cilium-dbg', ['bpf', 'endpoint', 'list']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^IP ADDRESS {7}LOCAL ENDPOINT INFO\n/); // header not padded (current cilium-dbg)
    expect(r.stdout).toMatch(/\(localhost\) {20,}\n/); // value cells padded to the widest value + 3
    expect(detectSnapshotKind(r.stdout)).toBe('endpoints');
    const { rows, warnings } = parseEndpointList(r.stdout, 'cilium-dbg');
    expect(warnings).toEqual([]);
    expect(rows).toHaveLength(7);
    expect(rows.find((x) => x.ip === '10.244.2.173')).toMatchObject({
      endpointId: 1617, securityIdentity: 26328, ifindex: 26, mac: 'CA:16:6C:38:B8:CA', parentIfindex: 0,
    });
  });

  it('bpf endpoint list -o json gives the same rows as the table', async () => {
    const [t, j] = await Promise.all([run('cilium-dbg', ['bpf', 'endpoint', 'list']), run('cilium-dbg', ['bpf', 'endpoint', 'list', '-o', 'json'])]);
    expect(j.stdout.endsWith('}\n\n')).toBe(true); // PrintOutput's extra empty line
    const strip = (rows: ReturnType<typeof parseEndpointList>['rows']) =>
      rows.map(({ raw: _r, line: _l, ...rest }) => rest).sort((a, b) => a.ip.localeCompare(b.ip));
    const fromJson = parseEndpointList(j.stdout);
    expect(fromJson.warnings).toEqual([]);
    expect(strip(fromJson.rows)).toEqual(strip(parseEndpointList(t.stdout).rows));
  });

  it('bpf ipcache list (and -o json with Go-escaped <none>) parses back', async () => {
    const t = await run('cilium-dbg', ['bpf', 'ipcache', 'list']);
    const { rows, warnings } = parseIpcacheList(t.stdout);
    expect(warnings).toEqual([]);
    expect(rows.find((x) => x.prefix === '10.244.2.173/32')?.identity).toBe(26328);
    expect(rows.find((x) => x.prefix === '10.244.1.0/24')).toMatchObject({ flags: 'hastunnel', tunnelEndpoint: '10.13.1.58' });
    const j = await run('cilium-dbg', ['bpf', 'ipcache', 'list', '--output', 'json']);
    expect(j.stdout).toContain('\\u003cnone\\u003e');
    const fromJson = parseIpcacheList(j.stdout);
    expect(fromJson.warnings).toEqual([]);
    expect(fromJson.rows.map((x) => `${x.prefix} ${x.identity} ${x.flags}`).sort()).toEqual(
      rows.map((x) => `${x.prefix} ${x.identity} ${x.flags}`).sort(),
    );
  });

  it('bpf metrics list (text and -o json) parses back with equal counters', async () => {
    const t = await run('cilium-dbg', ['bpf', 'metrics', 'list']);
    const text = parseMetricsList(t.stdout);
    expect(text.warnings).toEqual([]);
    expect(text.rows).toHaveLength(19);
    expect(text.rows.find((x) => x.file === 'bpf_sock.c')?.reason).toBe('LB: sock cgroup: Reverse entry delete succeeded');
    const j = await run('cilium-dbg', ['bpf', 'metrics', 'list', '-o', 'json']);
    const json = parseMetricsList(j.stdout);
    expect(json.warnings).toEqual([]);
    const key = (x: { reason: string; direction: string; packets: bigint; bytes: bigint; line: number | null; file: string | null }) =>
      `${x.reason}|${x.direction}|${x.packets}|${x.bytes}|${x.line}|${x.file}`;
    expect(json.rows.map(key).sort()).toEqual(text.rows.map(key).sort());
  });

  it('SKBTAPE_FAKE_CILIUM_DIR replaces the tables; continuation rows and garbage come through', async () => {
    writeFileSync(
      path.join(tmp, 'ipcache.txt'),
      'IP PREFIX/ADDRESS   IDENTITY\n10.9.0.0/16         identity=2 encryptkey=0 tunnelendpoint=172.18.0.3 flags=hastunnel   \n' +
        '                    identity=2 encryptkey=0 tunnelendpoint=172.18.0.4 flags=hastunnel   \ngarbage\n',
    );
    const r = await run('cilium-dbg', ['bpf', 'ipcache', 'list'], { SKBTAPE_FAKE_CILIUM_DIR: tmp });
    const { rows, warnings } = parseIpcacheList(r.stdout);
    expect(rows.map((x) => x.tunnelEndpoint)).toEqual(['172.18.0.3', '172.18.0.4']);
    expect(warnings).toEqual([expect.objectContaining({ line: 4, text: 'garbage' })]);
    // Files that are absent fall back to the seed tables.
    const e = await run('cilium-dbg', ['bpf', 'endpoint', 'list'], { SKBTAPE_FAKE_CILIUM_DIR: tmp });
    expect(parseEndpointList(e.stdout).rows).toHaveLength(7);
  });

  it('SKBTAPE_FAKE_CILIUM_FAIL=1 fails like a non-root run', async () => {
    const r = await run('cilium-dbg', ['bpf', 'endpoint', 'list'], { SKBTAPE_FAKE_CILIUM_FAIL: '1' });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('Please run "cilium bpf endpoint list" command(s) with root privileges.\n');
  });

  it('version', async () => {
    const r = await run('cilium-dbg', ['version']);
    expect(r.stdout).toMatch(/^Client: \d+\.\d+\.\d+ /);
  });
});

describe('fake bpftool', () => {
  it('net (text, trailing blank on tcx lines) parses back', async () => {
    const r = await run('bpftool', ['net', 'show']);
    expect(r.stdout).toContain('lxc3a6f7d4e8c73(26) tcx/ingress cil_from_container prog_id 4773 link_id 29 \n');
    const { rows, warnings } = parseBpftoolNet(r.stdout);
    expect(warnings).toEqual([]);
    expect(rows).toHaveLength(12);
    expect(rows.find((x) => x.ifindex === 26)).toMatchObject({ hook: 'tcx', direction: 'ingress', progName: 'cil_from_container', progId: 4773, linkId: 29 });
  });

  it('-j net and -p net give the same rows as text', async () => {
    const key = (x: { iface: string; ifindex: number; hook: string; direction: string | null; progName: string; progId: number | null; linkId: number | null }) =>
      `${x.iface}(${x.ifindex}) ${x.hook}/${x.direction} ${x.progName} ${x.progId} ${x.linkId}`;
    const [t, j, p] = await Promise.all([run('bpftool', ['net']), run('bpftool', ['-j', 'net']), run('bpftool', ['--pretty', 'net'])]);
    const expected = parseBpftoolNet(t.stdout).rows.map(key);
    expect(detectSnapshotKind(j.stdout)).toBe('bpftool-net');
    expect(parseBpftoolNet(j.stdout).rows.map(key)).toEqual(expected);
    const pretty = parseBpftoolNet(p.stdout);
    expect(pretty.rows.map(key)).toEqual(expected);
    expect(pretty.rows[1]!.line).toBeGreaterThan(pretty.rows[0]!.line); // one device per line in pretty mode
  });

  it('net show dev <x> filters, version prints', async () => {
    const r = await run('bpftool', ['net', 'show', 'dev', 'ens5']);
    expect(parseBpftoolNet(r.stdout).rows.map((x) => x.progName)).toEqual(['cil_from_netdev', 'cil_to_netdev']);
    expect((await run('bpftool', ['version'])).stdout).toMatch(/^bpftool v\d/);
  });
});

describe('fake crictl', () => {
  const PODS = JSON.stringify({
    client: { containerId: 'c0ffee0123456789abcdef0123456789abcdef0123456789abcdef0123456789', pid: 265553, namespace: 'default' },
    server: { containerId: 'beef00112233445566778899aabbccddeeff00112233445566778899aabbccdd', pid: 271000, namespace: 'web' },
  });
  const env = { SKBTAPE_FAKE_CRICTL_PODS: PODS };

  it('ps --name <name> -q -> container id; inspect <id> -> info.pid from the env', async () => {
    const ps = await run('crictl', ['ps', '--name', 'client', '-q'], env);
    const id = ps.stdout.trim();
    expect(id).toBe('c0ffee0123456789abcdef0123456789abcdef0123456789abcdef0123456789');
    const inspect = await run('crictl', ['inspect', id], env);
    expect(inspect.exitCode).toBe(0);
    const doc = JSON.parse(inspect.stdout) as { status: { id: string; labels: Record<string, string> }; info: { pid: number } };
    expect(doc.info.pid).toBe(265553);
    expect(doc.status.id).toBe(id);
    expect(doc.status.labels['io.kubernetes.pod.name']).toBe('client');
    // A short id prefix works, as with real crictl.
    expect(JSON.parse((await run('crictl', ['inspect', 'beef0011'], env)).stdout).info.pid).toBe(271000);
  });

  it('pods --name <pod> -q, inspectp, and ps -o json agree', async () => {
    const podId = (await run('crictl', ['pods', '--name', 'server', '-q'], env)).stdout.trim();
    expect(podId).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.parse((await run('crictl', ['inspectp', podId], env)).stdout).info.pid).toBe(271000);
    const ps = JSON.parse((await run('crictl', ['ps', '-o', 'json'], env)).stdout) as { containers: { podSandboxId: string; labels: Record<string, string> }[] };
    expect(ps.containers).toHaveLength(2);
    expect(ps.containers.find((c) => c.labels['io.kubernetes.pod.name'] === 'server')?.podSandboxId).toBe(podId);
  });

  it('an unknown pod gives empty output; an unknown id fails', async () => {
    const ps = await run('crictl', ['ps', '--name', 'nope', '-q'], env);
    expect([ps.exitCode, ps.stdout]).toEqual([0, '']);
    expect((await run('crictl', ['pods', '--name', 'nope', '-q'], env)).stdout).toBe('');
    const bad = await run('crictl', ['inspect', 'deadbeef'], env);
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toMatch(/NotFound/);
  });
});

describe('fake kubectl', () => {
  it('finds the node\'s cilium pod and execs the fake cilium-dbg in it', async () => {
    const env = { SKBTAPE_FAKE_CILIUM_PODS: JSON.stringify({ 'worker-1': 'cilium-abcde' }) };
    const get = await run('kubectl', ['-n', 'kube-system', 'get', 'pods', '-l', 'k8s-app=cilium', '--field-selector', 'spec.nodeName=worker-1', '-o', 'name'], env);
    expect(get.stdout).toBe('pod/cilium-abcde\n');
    const none = await run('kubectl', ['-n', 'kube-system', 'get', 'pods', '-l', 'k8s-app=cilium', '--field-selector', 'spec.nodeName=worker-9', '-o', 'name'], env);
    expect([none.exitCode, none.stdout]).toEqual([0, '']);
    const exec = await run('kubectl', ['-n', 'kube-system', 'exec', 'cilium-abcde', '-c', 'cilium-agent', '--', 'cilium-dbg', 'bpf', 'ipcache', 'list'], env);
    expect(exec.exitCode).toBe(0);
    expect(parseIpcacheList(exec.stdout).rows.find((x) => x.prefix === '10.244.2.173/32')?.identity).toBe(26328);
  });

  it('passes the remote failure through', async () => {
    const r = await run('kubectl', ['-n', 'kube-system', 'exec', 'cilium-x7k2p', '--', 'cilium-dbg', 'bpf', 'metrics', 'list'], { SKBTAPE_FAKE_CILIUM_FAIL: '1' });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('Please run "cilium bpf metrics list" command(s) with root privileges.');
  });
});
