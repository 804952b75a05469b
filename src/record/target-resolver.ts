// --pod / --container / --netns / --ifname -> the network namespace and host-side veth pwru should filter on, by
// the manual steps (crictl -> PID -> nsenter ethtool -S -> peer_ifindex -> host `ip link`). Every command run is
// kept in `steps`. Turning the result into pwru flags is pwruTargetArgs; starting pwru is record/tracer-process.ts's job.
import { statSync } from 'node:fs';
import { UserError } from '../errors.js';
import { enterArgv, findNetnsByInode, parseIpOLink } from '../host/netns.js';
import { argvText, runTool, type ToolOptions, type ToolResult } from '../host/tools.js';

export interface TargetSpec {
  pod?: string;
  namespace?: string;
  /** A container id (or unique prefix), as `crictl ps` prints it. */
  container?: string;
  /** /proc/PID/ns/net, /run/netns/NAME (or a bare NAME found there), any nsfs path, or inode:N. */
  netns?: string;
  /** A host-side interface to filter on. Given, it replaces the veth discovery (looked up in the host netns). */
  ifname?: string;
  /** The interface inside the target netns whose veth peer is wanted; default 'eth0'. */
  podIface?: string;
}

export interface ResolvedTarget {
  pod?: string;
  namespace?: string;
  containerId?: string;
  pid?: number;
  netnsPath?: string;
  netnsInode?: number;
  /** Set only when the interface was seen inside the target netns. */
  podIface?: string;
  peerIfindex?: number;
  hostVeth?: string;
  hostVethIfindex?: number;
  /** --ifname given with --netns: the interface's index inside that netns (where pwru resolves --filter-ifname). */
  ifnameIfindex?: number;
  /** Each command run, as a readable argv string, for the manifest and error messages. */
  steps: string[];
  /** Steps that failed without making the target unusable (no veth peer on the host, ...). Always set by resolveTarget. */
  warnings?: string[];
}

export type ResolveOptions = ToolOptions;

export type TargetMode = 'netns' | 'ifname' | 'both';

// ---------------------------------------------------------------------------------------------------------------
// Resolution

export async function resolveTarget(spec: TargetSpec, opts: ResolveOptions = {}): Promise<ResolvedTarget> {
  const given = (['pod', 'container', 'netns'] as const).filter((k) => spec[k] !== undefined && spec[k] !== '');
  if (given.length > 1) throw new UserError(`give only one of --${given.join(', --')}`, `--${given[1]}`);
  if (given.length === 0 && !spec.ifname) throw new UserError('no target: give --pod, --container, --netns or --ifname', '--pod');

  const t: Target = { steps: [], warnings: [] };
  const run = async (argv: string[]) => {
    t.steps.push(argvText(argv));
    return runTool(argv, opts);
  };

  if (spec.pod) await podPid(spec, t, run);
  else if (spec.container) await containerPid(spec.container, t, run);

  if (t.pid !== undefined) {
    const path = `/proc/${t.pid}/ns/net`;
    try {
      t.netnsInode = statSync(path).ino;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
      throw new UserError(`PID ${t.pid} has no network namespace`, `${path}: ${why}`);
    }
    t.netnsPath = path;
  } else if (spec.netns) {
    resolveNetnsSpec(spec.netns, t);
  }

  const enter = enterArgv(t);
  if (spec.ifname && spec.netns) {
    // pwru resolves --filter-ifname inside --filter-netns and ANDs the two: the interface must be there.
    if (!enter) throw new UserError(`--ifname cannot be looked up in a netns known only as ${spec.netns} (pwru rejects --filter-ifname with inode:)`, '--ifname');
    const r = await run([...enter, 'ip', '-o', 'link', 'show']);
    if (r.missing) throw new UserError(`${r.reason}: it is needed to check --ifname inside --netns`, '--ifname');
    const link = parseIpOLink(r.stdout).find((l) => l.name === spec.ifname);
    if (!link) throw new UserError(`interface ${spec.ifname} not found in network namespace ${spec.netns} (pwru looks --ifname up there; ran: ${t.steps.at(-1)})`, '--ifname');
    t.podIface = link.name;
    t.ifnameIfindex = link.ifindex;
  } else if (spec.ifname) {
    // An explicit host interface: no discovery, but it must exist where pwru will look it up.
    const link = await hostLinkByName(spec.ifname, run);
    if (!link) throw new UserError(`interface ${spec.ifname} not found in the host network namespace (ran: ${t.steps.at(-1)})`, '--ifname');
    t.hostVeth = link.name;
    t.hostVethIfindex = link.ifindex;
  } else if (enter) {
    await findPeer(spec.podIface || 'eth0', enter, t, run);
    // A --pod/--container target is a Cilium endpoint; a bare --netns may legitimately have no eth0 veth.
  }
  return t;
}

type Run = (argv: string[]) => Promise<ToolResult>;
/** What resolveTarget builds: warnings always present. */
type Target = ResolvedTarget & { warnings: string[] };

function crictlMissing(r: ToolResult, flag: string): void {
  if (r.missing) throw new UserError('crictl not found on PATH; it is needed to find a pod\'s process (install cri-tools, or use --netns)', flag);
}

interface CrictlPod {
  id?: string;
  state?: string;
  metadata?: { name?: string; namespace?: string };
}

async function podPid(spec: TargetSpec, t: ResolvedTarget, run: Run): Promise<void> {
  const pod = spec.pod!;
  // --name and --namespace are regular expressions to crictl: anchor them, then compare exactly below.
  const argv = ['crictl', 'pods', '--name', `^${escapeRegex(pod)}$`];
  if (spec.namespace) argv.push('--namespace', `^${escapeRegex(spec.namespace)}$`);
  argv.push('-o', 'json');
  const r = await run(argv);
  crictlMissing(r, '--pod');
  if (!r.ok) throw new UserError(`crictl could not list pods: ${r.reason} (ran: ${argvText(argv)})`, '--pod');
  let items: CrictlPod[];
  try {
    items = ((JSON.parse(r.stdout) as { items?: CrictlPod[] }).items ?? []);
  } catch (e) {
    throw new UserError(`crictl printed unreadable JSON: ${(e as Error).message} (ran: ${argvText(argv)})`, '--pod');
  }
  let found = items.filter((p) => p.metadata?.name === pod && (!spec.namespace || p.metadata?.namespace === spec.namespace));
  // A pod that was re-created leaves NotReady sandboxes with the same name behind; the ready one is the live one.
  const ready = found.filter((p) => p.state === undefined || p.state === 'SANDBOX_READY');
  if (ready.length > 0) found = ready;
  const where = spec.namespace ? `${spec.namespace}/${pod}` : pod;
  if (found.length === 0) throw new UserError(`pod ${where} not found on this node (ran: ${argvText(argv)})`, '--pod');
  if (found.length > 1) {
    const list = found.map((p) => `${p.metadata?.namespace ?? '?'}/${p.metadata?.name ?? '?'} ${(p.id ?? '').slice(0, 13)}`).join(', ');
    throw new UserError(`pod ${where} matches ${found.length} sandboxes: ${list}; add --namespace`, '--pod');
  }
  const sandbox = found[0]!;
  t.pod = pod;
  t.namespace = sandbox.metadata?.namespace ?? spec.namespace;
  const id = sandbox.id ?? '';

  const insp = await run(['crictl', 'inspectp', '-o', 'json', id]);
  if (insp.ok) {
    const pid = pidOf(insp.stdout);
    if (pid !== undefined) {
      t.pid = pid;
      return;
    }
  }
  // Some runtimes print no sandbox pid; any container of the pod shares its network namespace.
  const ps = await run(['crictl', 'ps', '--pod', id, '-q']);
  const cid = ps.stdout.split('\n').map((l) => l.trim()).find((l) => l !== '');
  if (!cid) {
    throw new UserError(`pod ${where} has no sandbox pid and no running container (ran: ${t.steps.slice(-2).join('; ')}${insp.ok ? '' : `: ${insp.reason}`})`, '--pod');
  }
  await containerPid(cid, t, run, '--pod');
}

async function containerPid(id: string, t: ResolvedTarget, run: Run, flag = '--container'): Promise<void> {
  const argv = ['crictl', 'inspect', '-o', 'json', id];
  const r = await run(argv);
  crictlMissing(r, flag);
  if (!r.ok) throw new UserError(`container ${id} not found: ${r.reason} (ran: ${argvText(argv)})`, flag);
  const pid = pidOf(r.stdout);
  if (pid === undefined) throw new UserError(`crictl printed no pid for container ${id} (is it running?) (ran: ${argvText(argv)})`, flag);
  t.pid = pid;
  try {
    const o = JSON.parse(r.stdout) as { status?: { id?: string; labels?: Record<string, string> } };
    t.containerId = o.status?.id ?? id;
    t.pod ??= o.status?.labels?.['io.kubernetes.pod.name'];
    t.namespace ??= o.status?.labels?.['io.kubernetes.pod.namespace'];
  } catch {
    t.containerId = id;
  }
}

function pidOf(json: string): number | undefined {
  try {
    const pid = (JSON.parse(json) as { info?: { pid?: unknown } }).info?.pid;
    return typeof pid === 'number' && Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function resolveNetnsSpec(spec: string, t: Target): void {
  const m = /^inode:(\d+)$/.exec(spec);
  if (m) {
    t.netnsInode = Number(m[1]);
    // pwru can filter on the inode alone, but entering the netns (veth lookup, name tables, --filter-ifname) needs
    // a path: look for a /run/netns entry or a process living in it.
    const found = findNetnsByInode(t.netnsInode);
    if (found) {
      t.netnsPath = found.path;
      if (found.pid !== undefined) t.pid = found.pid;
    } else {
      t.warnings.push(`no /run/netns entry or process has netns inode ${t.netnsInode}; filtering by inode only`);
    }
    return;
  }
  const path = spec.includes('/') ? spec : `/run/netns/${spec}`;
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`no network namespace at ${path}: ${code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`, '--netns');
  }
  // nsfs inodes live on their own device; a regular file here would make pwru fail later with a worse message.
  const procSelf = statSync('/proc/self/ns/net');
  if (st.dev !== procSelf.dev) throw new UserError(`${path} is not a network namespace (want /proc/PID/ns/net, /run/netns/NAME or inode:N)`, '--netns');
  t.netnsPath = path;
  t.netnsInode = st.ino;
  const pm = /^\/proc\/(\d+)\/ns\/net$/.exec(path);
  if (pm) t.pid = Number(pm[1]);
}

async function findPeer(podIface: string, enter: string[], t: Target, run: Run): Promise<void> {
  let peer: number | undefined;
  const eth = await run([...enter, 'ethtool', '-S', podIface]);
  if (eth.missing) {
    t.warnings.push('nsenter not found on PATH: cannot look inside the target netns for its veth');
    return;
  }
  const em = /^\s*peer_ifindex:\s*(\d+)\s*$/m.exec(eth.stdout);
  if (eth.ok && em) {
    peer = Number(em[1]);
    t.podIface = podIface;
  } else {
    // No ethtool in PATH, or a driver without peer_ifindex: `ip link` prints the peer as `eth0@ifN`.
    const ip = await run([...enter, 'ip', '-o', 'link', 'show', 'dev', podIface]);
    const im = /^\d+:\s+([^:@\s]+)(?:@if(\d+))?:/m.exec(ip.stdout);
    if (!ip.ok || !im) {
      t.warnings.push(`no interface ${podIface} in the target netns (${ip.reason || eth.reason || 'no output'})`);
      return;
    }
    t.podIface = podIface;
    if (im[2] === undefined) {
      t.warnings.push(`${podIface} in the target netns has no peer (not a veth?): ${t.steps.at(-1)}`);
      return;
    }
    peer = Number(im[2]);
  }
  t.peerIfindex = peer;
  const links = await run(['ip', '-o', 'link', 'show']);
  if (!links.ok) {
    t.warnings.push(`cannot list host interfaces: ${links.reason}`);
    return;
  }
  const host = parseIpOLink(links.stdout).find((l) => l.ifindex === peer);
  if (!host) {
    t.warnings.push(`peer ifindex ${peer} of ${podIface} is not in the host netns (ran: ${t.steps.at(-1)})`);
    return;
  }
  t.hostVeth = host.name;
  t.hostVethIfindex = host.ifindex;
}

async function hostLinkByName(name: string, run: Run): Promise<{ name: string; ifindex: number } | undefined> {
  const r = await run(['ip', '-o', 'link', 'show']);
  if (r.missing) throw new UserError('ip not found on PATH (iproute2); it is needed to check --ifname', '--ifname');
  return parseIpOLink(r.stdout).find((l) => l.name === name);
}

// ---------------------------------------------------------------------------------------------------------------
// pwru flags

/**
 * The pwru target flags for a resolved target.
 *  - netns:  `--filter-netns <path>` (`inode:N` when no path is known): everything whose device is in the target netns.
 *  - ifname: `--filter-ifname <host veth>` with no --filter-netns, so pwru resolves the name in its own (host) netns.
 *  - both:   `--filter-netns <path> --filter-ifname <pod iface>`: the pod-side interface (eth0) only. pwru looks
 *            --filter-ifname up inside --filter-netns and ANDs the two, and the host veth lives in the host netns,
 *            so "pod netns AND host veth" matches nothing and cannot be asked for in one run. Refused when the
 *            netns is known only by inode (pwru rejects --filter-ifname with inode:) or the pod iface was not seen.
 * `flag` names the option the caller exposes the mode as, for error messages.
 */
export function pwruTargetArgs(t: ResolvedTarget, mode: TargetMode, flag = '--target'): string[] {
  const netns = t.netnsPath ?? (t.netnsInode !== undefined ? `inode:${t.netnsInode}` : undefined);
  switch (mode) {
    case 'netns':
      if (!netns) throw new UserError(`${flag} netns needs a network namespace, and the target has none (give --pod, --container or --netns)`, flag);
      return ['--filter-netns', netns];
    case 'ifname':
      if (!t.hostVeth) throw new UserError(`${flag} ifname needs a host-side interface, and none was found for the target${t.warnings?.length ? `: ${t.warnings.at(-1)}` : ''}`, flag);
      return ['--filter-ifname', t.hostVeth];
    case 'both':
      if (!t.netnsPath) {
        throw new UserError(netns ? `${flag} both cannot be used with a netns known only as ${netns}: pwru rejects --filter-ifname with inode:` : `${flag} both needs a network namespace, and the target has none`, flag);
      }
      if (!t.podIface) throw new UserError(`${flag} both needs the pod-side interface, and it was not found in the target netns`, flag);
      return ['--filter-netns', t.netnsPath, '--filter-ifname', t.podIface];
    default:
      throw new UserError(`${flag} wants netns, ifname or both, not '${String(mode)}'`, flag);
  }
}
