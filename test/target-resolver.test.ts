// resolveTarget against a real network namespace and veth pair: a pod-like netns with `eth0`, its peer on the host
// under an lxc-style name, and a real process inside. Only crictl is faked (it points at that process's PID);
// nsenter, ethtool and ip are the real ones. Needs root and iproute2; skips with a reason otherwise.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError, formatUserError } from '../src/errors.js';
import { pwruTargetArgs, resolveTarget, type ResolvedTarget } from '../src/record/target-resolver.js';
import { readNameTables, takeNameTables } from '../src/snapshots/name-tables.js';
import { canRunNetTests } from './helpers/netns.js';
import { skipUnless } from './helpers/prereq.js';
import { ROOT } from './helpers/real.js';

const FAKES = join(ROOT, 'test/fixtures/bin');
const which = (cmd: string) => (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/sbin']).map((d) => join(d, cmd)).find((p) => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
});
const IP = which('ip');
const NSENTER = which('nsenter');
const canRun = !skipUnless(canRunNetTests(), 'target-resolver namespace tests');

const hex = randomBytes(2).toString('hex');
const NS = `skbt-tr-${process.pid}-${hex}`;
const HOST_VETH = `lxcskbt${hex}`; // ≤ 15 chars, like Cilium's lxc + 12 hex
const TMP_PEER = `skbtp${hex}`;
const POD = `client-${hex}`;
const tmp = mkdtempSync(join(tmpdir(), 'skbt-tr-'));

let sleeper: ResultPromise | undefined;
let pid = 0;
let hostIfindex = 0;

const podsEnv = (pods: Record<string, unknown>, path = `${FAKES}${delimiter}${process.env.PATH}`): NodeJS.ProcessEnv => ({
  ...process.env,
  PATH: path,
  SKBTAPE_FAKE_CRICTL_PODS: JSON.stringify(pods),
});
const envFor = (p: number, extra: Record<string, unknown> = {}) =>
  podsEnv({ [POD]: { containerId: 'c0ffee' + hex.repeat(8), pid: p, namespace: 'default' }, ...extra });

async function userError(p: Promise<unknown>): Promise<UserError> {
  const e = await p.then(() => null, (err: unknown) => err);
  expect(e).toBeInstanceOf(UserError);
  return e as UserError;
}

const ip = (...args: string[]) => execa(IP!, args);

beforeAll(async () => {
  if (!canRun) return;
  await ip('netns', 'add', NS);
  await ip('link', 'add', HOST_VETH, 'type', 'veth', 'peer', 'name', TMP_PEER);
  await ip('link', 'set', TMP_PEER, 'netns', NS);
  await ip('-n', NS, 'link', 'set', TMP_PEER, 'name', 'eth0');
  await ip('-n', NS, 'link', 'set', 'eth0', 'up');
  await ip('link', 'set', HOST_VETH, 'up');
  hostIfindex = JSON.parse((await ip('-j', 'link', 'show', 'dev', HOST_VETH)).stdout)[0].ifindex;
  sleeper = execa(IP!, ['netns', 'exec', NS, 'sleep', '300'], { reject: false });
  pid = sleeper.pid!;
  // ip netns exec setns()es then execs sleep in the same process: wait until that PID is in the namespace.
  const want = statSync(`/run/netns/${NS}`).ino;
  for (let i = 0; i < 100; i++) {
    try {
      if (statSync(`/proc/${pid}/ns/net`).ino === want) break;
    } catch { /* not started yet */ }
    await new Promise((r) => setTimeout(r, 20));
  }
});

afterAll(async () => {
  sleeper?.kill('SIGKILL');
  await sleeper?.catch(() => undefined);
  if (canRun) {
    // Deleting the host end removes the pair; then the namespace. Each may already be gone if setup failed early.
    await execa(IP!, ['link', 'del', HOST_VETH], { reject: false });
    await execa(IP!, ['netns', 'del', NS], { reject: false });
  }
  rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(!canRun)('resolveTarget on a real netns + veth', () => {
  let t: ResolvedTarget;

  it('--pod: crictl -> PID -> netns inode -> peer_ifindex -> host veth', async () => {
    t = await resolveTarget({ pod: POD }, { env: envFor(pid) });
    expect(t.pid).toBe(pid);
    expect(t.netnsPath).toBe(`/proc/${pid}/ns/net`);
    expect(t.netnsInode).toBe(statSync(`/run/netns/${NS}`).ino);
    expect(t.podIface).toBe('eth0');
    expect(t.peerIfindex).toBe(hostIfindex);
    expect(t.hostVeth).toBe(HOST_VETH);
    expect(t.hostVethIfindex).toBe(hostIfindex);
    expect(t.pod).toBe(POD);
    expect(t.namespace).toBe('default');
    expect(t.warnings).toEqual([]);
    expect(t.steps[0]).toBe(`crictl pods --name ^${POD}$ -o json`);
    expect(t.steps).toContain(`nsenter -t ${pid} -n ethtool -S eth0`);
    expect(t.steps.at(-1)).toBe('ip -o link show');
  });

  it('pwruTargetArgs: netns, ifname, and both (pod netns + pod-side iface)', () => {
    expect(pwruTargetArgs(t, 'netns')).toEqual(['--filter-netns', `/proc/${pid}/ns/net`]);
    expect(pwruTargetArgs(t, 'ifname')).toEqual(['--filter-ifname', HOST_VETH]);
    // The host veth is not in the pod netns, where pwru would resolve --filter-ifname: both = pod side only.
    expect(pwruTargetArgs(t, 'both')).toEqual(['--filter-netns', `/proc/${pid}/ns/net`, '--filter-ifname', 'eth0']);
  });

  it('--container and --namespace go the same way', async () => {
    const c = await resolveTarget({ container: 'c0ffee' }, { env: envFor(pid) });
    expect(c).toMatchObject({ pid, pod: POD, namespace: 'default', hostVeth: HOST_VETH, containerId: 'c0ffee' + hex.repeat(8) });
    const n = await resolveTarget({ pod: POD, namespace: 'default' }, { env: envFor(pid) });
    expect(n.hostVeth).toBe(HOST_VETH);
  });

  it('without ethtool: falls back to `ip -o link` and its @ifN', async () => {
    // A PATH holding only node (for the fake crictl), ip and nsenter.
    const bin = join(tmp, 'noethtool');
    mkdirSync(bin, { recursive: true });
    for (const [name, target] of [['node', process.execPath], ['ip', IP!], ['nsenter', NSENTER!]] as const) symlinkSync(target, join(bin, name));
    const r = await resolveTarget({ pod: POD }, { env: podsEnv({ [POD]: { containerId: 'abc', pid } }, `${FAKES}${delimiter}${bin}`) });
    expect(r.hostVeth).toBe(HOST_VETH);
    expect(r.peerIfindex).toBe(hostIfindex);
    expect(r.steps).toContain(`nsenter -t ${pid} -n ip -o link show dev eth0`);
  });

  it('--netns by /run/netns name, path and inode:N', async () => {
    const ino = statSync(`/run/netns/${NS}`).ino;
    const byName = await resolveTarget({ netns: NS });
    expect(byName).toMatchObject({ netnsPath: `/run/netns/${NS}`, netnsInode: ino, hostVeth: HOST_VETH, podIface: 'eth0' });
    expect(byName.steps[0]).toBe(`nsenter --net=/run/netns/${NS} ethtool -S eth0`);
    const byInode = await resolveTarget({ netns: `inode:${ino}` });
    expect(byInode).toMatchObject({ netnsInode: ino, netnsPath: `/run/netns/${NS}`, hostVeth: HOST_VETH });
    // A netns without the asked-for interface is still a target (netns filter), with a warning.
    const noIface = await resolveTarget({ netns: NS, podIface: 'nope0' });
    expect(noIface.hostVeth).toBeUndefined();
    expect((noIface.warnings ?? []).join('\n')).toMatch(/no interface nope0 in the target netns/);
    expect(pwruTargetArgs(noIface, 'netns')).toEqual(['--filter-netns', `/run/netns/${NS}`]);
    expect(formatUserError(await userError(Promise.resolve().then(() => pwruTargetArgs(noIface, 'ifname'))))).toMatch(
      /^skbtape: --target ifname needs a host-side interface, and none was found for the target: no interface nope0 .*\(--target\)$/,
    );
    expect(() => pwruTargetArgs(noIface, 'both')).toThrow(/pod-side interface/);
  });

  it('a netns known only by inode: netns works, both is refused (pwru rejects --filter-ifname with inode:)', () => {
    const t2: ResolvedTarget = { netnsInode: 4026999999, steps: [], warnings: [] };
    expect(pwruTargetArgs(t2, 'netns')).toEqual(['--filter-netns', 'inode:4026999999']);
    expect(() => pwruTargetArgs(t2, 'both', '--filter-mode')).toThrow(UserError);
    try {
      pwruTargetArgs(t2, 'both', '--filter-mode');
    } catch (e) {
      expect(formatUserError(e as UserError)).toBe(
        'skbtape: --filter-mode both cannot be used with a netns known only as inode:4026999999: pwru rejects --filter-ifname with inode: (--filter-mode)',
      );
    }
  });

  it('--ifname: an explicit host interface is checked and used as is', async () => {
    const r = await resolveTarget({ ifname: HOST_VETH });
    expect(r).toMatchObject({ hostVeth: HOST_VETH, hostVethIfindex: hostIfindex });
    expect(pwruTargetArgs(r, 'ifname')).toEqual(['--filter-ifname', HOST_VETH]);
    expect(() => pwruTargetArgs(r, 'netns')).toThrow(/needs a network namespace/);
    const e = await userError(resolveTarget({ ifname: 'nosuchif0' }));
    expect(formatUserError(e)).toBe('skbtape: interface nosuchif0 not found in the host network namespace (ran: ip -o link show) (--ifname)');
  });

  it('--netns X --ifname Y: Y is looked up inside X, as pwru resolves --filter-ifname inside --filter-netns', async () => {
    const podIfindex = JSON.parse((await ip('-n', NS, '-j', 'link', 'show', 'dev', 'eth0')).stdout)[0].ifindex as number;
    const r = await resolveTarget({ netns: `/run/netns/${NS}`, ifname: 'eth0' });
    expect(r).toMatchObject({ podIface: 'eth0', ifnameIfindex: podIfindex, netnsPath: `/run/netns/${NS}` });
    expect(r.hostVeth).toBeUndefined();
    expect(r.steps.at(-1)).toBe(`nsenter --net=/run/netns/${NS} ip -o link show`);
    // The host veth is not inside X: refused, naming the netns.
    const e = await userError(resolveTarget({ netns: `/run/netns/${NS}`, ifname: HOST_VETH }));
    expect(formatUserError(e)).toMatch(new RegExp(`^skbtape: interface ${HOST_VETH} not found in network namespace /run/netns/${NS} \\(pwru looks --ifname up there; ran: nsenter .* ip -o link show\\) \\(--ifname\\)$`));
  });

  it('name tables: host lists the veth, target lists eth0 with the peer index, pids and /run/netns named', async () => {
    const dir = join(tmp, 'cap');
    const n = await takeNameTables(dir, 'start', t, { pids: [pid, 999_999_999] });
    expect(n.host.find((l) => l.name === HOST_VETH)?.ifindex).toBe(hostIfindex);
    expect(n.target.find((l) => l.name === 'eth0')).toMatchObject({ peerIfindex: hostIfindex, netns: t.netnsInode });
    expect(n.netns).toContainEqual({ name: NS, inode: t.netnsInode, source: 'run-netns' });
    expect(n.netns).toContainEqual({ name: `pod:default/${POD}`, inode: t.netnsInode, source: 'target' });
    expect(n.pids).toEqual([{ pid, comm: 'sleep' }]);
    expect(n.warnings).toEqual([]);
    expect(readNameTables(dir, 'start')).toMatchObject({ host: n.host, target: n.target, pids: n.pids });
    expect(readNameTables(dir, 'end')).toBeNull();
  });
});

describe.skipIf(!canRun)('resolveTarget errors', () => {
  it('an unknown pod names the pod and the crictl command tried', async () => {
    const e = await userError(resolveTarget({ pod: 'no-such-pod', namespace: 'prod' }, { env: envFor(pid) }));
    expect(formatUserError(e)).toBe('skbtape: pod prod/no-such-pod not found on this node (ran: crictl pods --name ^no-such-pod$ --namespace ^prod$ -o json) (--pod)');
  });

  it('a pod name in two namespaces is ambiguous and lists both', async () => {
    // The shared fake keys pods by name, so it cannot hold two; this one-off crictl prints two sandboxes.
    const bin = join(tmp, 'twopods');
    mkdirSync(bin, { recursive: true });
    const item = (ns: string, id: string) => ({ id, state: 'SANDBOX_READY', metadata: { name: 'web', namespace: ns } });
    writeFileSync(join(bin, 'crictl'), `#!${process.execPath}\nprocess.stdout.write(${JSON.stringify(JSON.stringify({ items: [item('default', 'a'.repeat(64)), item('prod', 'b'.repeat(64))] }))});\n`);
    chmodSync(join(bin, 'crictl'), 0o755);
    const e = await userError(resolveTarget({ pod: 'web' }, { env: { ...process.env, PATH: bin } }));
    expect(formatUserError(e)).toBe(`skbtape: pod web matches 2 sandboxes: default/web ${'a'.repeat(13)}, prod/web ${'b'.repeat(13)}; add --namespace (--pod)`);
  });

  it('crictl --name is a regex: only the exact pod name counts', async () => {
    const r = await resolveTarget({ pod: POD }, { env: envFor(pid, { [`${POD}-x`]: { containerId: 'other', pid: 1 } }) });
    expect(r.pid).toBe(pid);
  });

  it('a PID that does not exist', async () => {
    const e = await userError(resolveTarget({ pod: POD }, { env: envFor(999_999_999) }));
    expect(formatUserError(e)).toBe('skbtape: PID 999999999 has no network namespace (/proc/999999999/ns/net: no such file or directory)');
  });

  it('crictl missing from PATH', async () => {
    const e = await userError(resolveTarget({ pod: POD }, { env: { ...process.env, PATH: join(tmp, 'empty') } }));
    expect(formatUserError(e)).toMatch(/^skbtape: crictl not found on PATH; .* \(--pod\)$/);
  });

  it('bad specs', async () => {
    expect(formatUserError(await userError(resolveTarget({})))).toBe('skbtape: no target: give --pod, --container, --netns or --ifname (--pod)');
    expect(formatUserError(await userError(resolveTarget({ pod: 'a', netns: 'b' })))).toBe('skbtape: give only one of --pod, --netns (--netns)');
    expect(formatUserError(await userError(resolveTarget({ netns: 'skbt-no-such-ns' })))).toBe(
      'skbtape: no network namespace at /run/netns/skbt-no-such-ns: no such file or directory (--netns)',
    );
    expect(formatUserError(await userError(resolveTarget({ netns: '/etc/hostname' })))).toMatch(/is not a network namespace/);
    expect(formatUserError(await userError(resolveTarget({ container: 'deadbeef' }, { env: envFor(pid) })))).toMatch(
      /^skbtape: container deadbeef not found: FATA\[0000\] getting the status of the container "deadbeef".* \(ran: crictl inspect -o json deadbeef\) \(--container\)$/,
    );
  });
});
