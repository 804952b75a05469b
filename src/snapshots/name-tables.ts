// names/<phase>.json: the ifindex -> name tables of the host and target netns, /run/netns names -> inodes, and
// pid -> comm, taken at start and end so numbers in pwru events (ifindex, netns inode, pid) can be named later
// even after the pod is gone. Tolerant: a failing step leaves its list empty and adds a warning.
import { mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { capturePaths, type Phase } from '../capture/dir.js';
import { UserError } from '../errors.js';
import { enterArgv, parseIpOLink, type NetnsRef } from '../host/netns.js';
import { argvText, runTool, type ToolOptions } from '../host/tools.js';

export interface IfaceName {
  ifindex: number;
  name: string;
  /** Inode of the netns the interface was listed in (what pwru prints in its NETNS column). */
  netns: number | null;
  /** The veth peer's ifindex (in the netns ip calls link-netnsid), when the interface has one. */
  peerIfindex?: number;
}

export interface NetnsName {
  name: string;
  inode: number;
  /** run-netns: a /run/netns entry; host: the recorder's own netns; target: the resolved target; pid: a process in it. */
  source: 'run-netns' | 'host' | 'target' | 'pid';
}

export interface NameTables {
  phase: Phase;
  takenAt: string;
  host: IfaceName[];
  target: IfaceName[];
  /** The interfaces of every further netns recorded (`--source tracepoint --netns A --netns B`: B's). */
  more: IfaceName[];
  netns: NetnsName[];
  pids: { pid: number; comm: string }[];
  /** The commands run, in order. */
  steps: string[];
  warnings: string[];
}

export async function takeNameTables(
  dir: string,
  phase: Phase,
  target: NetnsRef | null,
  extra: { netnsInodes?: number[]; pids?: number[]; netnsPaths?: string[] } = {},
  opts: ToolOptions = {},
): Promise<NameTables> {
  const t: NameTables = { phase, takenAt: new Date().toISOString(), host: [], target: [], more: [], netns: [], pids: [], steps: [], warnings: [] };
  const hostInode = inodeOf('/proc/self/ns/net');

  const [host, tgt] = await Promise.all([
    listLinks([], hostInode, t, opts, 'host'),
    target ? targetLinks(target, t, opts) : Promise.resolve([]),
  ]);
  t.host = host;
  t.target = tgt;
  for (const path of extra.netnsPaths ?? []) {
    const inode = inodeOf(path);
    if (inode === null) {
      t.warnings.push(`cannot stat ${path}: its interfaces are not named`);
      continue;
    }
    if (inode === hostInode || inode === target?.netnsInode) continue;
    const m = /^\/run\/netns\/([^/]+)$/.exec(path);
    t.more.push(...await listLinks(m ? ['ip', '-n', m[1]!] : ['nsenter', `--net=${path}`], inode, t, opts, path));
  }

  if (hostInode !== null) t.netns.push({ name: 'host', inode: hostInode, source: 'host' });
  for (const e of readdirOrEmpty('/run/netns', t)) {
    const inode = inodeOf(`/run/netns/${e}`);
    if (inode === null) t.warnings.push(`cannot stat /run/netns/${e}`);
    else t.netns.push({ name: e, inode, source: 'run-netns' });
  }
  if (target?.netnsInode !== undefined) {
    const name = target.pod ? `pod:${target.namespace ? `${target.namespace}/` : ''}${target.pod}` : (target.netnsPath ?? `inode:${target.netnsInode}`);
    t.netns.push({ name, inode: target.netnsInode, source: 'target' });
  }
  // Inodes seen in events but not named above: name them after a process living there, if any is left.
  const wanted = new Set((extra.netnsInodes ?? []).filter((i) => !t.netns.some((n) => n.inode === i)));
  if (wanted.size > 0) {
    for (const e of readdirOrEmpty('/proc', t)) {
      if (!/^\d+$/.test(e)) continue;
      let link: string;
      try {
        link = readlinkSync(`/proc/${e}/ns/net`);
      } catch {
        continue; // exited, or a kernel thread
      }
      const inode = Number(/^net:\[(\d+)\]$/.exec(link)?.[1]);
      if (!wanted.has(inode)) continue;
      wanted.delete(inode);
      t.netns.push({ name: `pid:${e}${commSuffix(Number(e))}`, inode, source: 'pid' });
      if (wanted.size === 0) break;
    }
  }

  const pids = [...new Set([...(extra.pids ?? []), ...(target?.pid !== undefined ? [target.pid] : [])])];
  for (const pid of pids) {
    const comm = commOf(pid);
    if (comm !== null) t.pids.push({ pid, comm });
  }

  const file = capturePaths(dir).names(phase);
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(`${file}.tmp`, JSON.stringify(t, null, 2) + '\n');
    renameSync(`${file}.tmp`, file);
  } catch (e) {
    t.warnings.push(`cannot write ${file}: ${(e as Error).message}`);
  }
  return t;
}

/** names/<phase>.json, or null when the capture has none (older captures, imports). */
export function readNameTables(dir: string, phase: Phase): NameTables | null {
  const file = capturePaths(dir).names(phase);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new UserError(`cannot read ${file}: ${(e as Error).message}`, file);
  }
  let o: Partial<NameTables>;
  try {
    o = JSON.parse(text) as Partial<NameTables>;
  } catch (e) {
    throw new UserError(`name table is not valid JSON: ${(e as Error).message}`, file);
  }
  if (!o || typeof o !== 'object' || !Array.isArray(o.host)) throw new UserError('name table has no host list', file);
  return { phase, takenAt: o.takenAt ?? '', host: o.host, target: o.target ?? [], more: o.more ?? [], netns: o.netns ?? [], pids: o.pids ?? [], steps: o.steps ?? [], warnings: o.warnings ?? [] };
}

async function targetLinks(target: NetnsRef, t: NameTables, opts: ToolOptions): Promise<IfaceName[]> {
  const m = /^\/run\/netns\/([^/]+)$/.exec(target.netnsPath ?? '');
  // `ip -n NAME` needs no nsenter; /proc/PID paths and other nsfs paths go through nsenter.
  const prefix = m ? ['ip', '-n', m[1]!] : enterArgv(target);
  if (!prefix) {
    if (target.netnsInode !== undefined) t.warnings.push(`target netns inode ${target.netnsInode} cannot be entered (no path): target list left empty`);
    return [];
  }
  return listLinks(prefix, target.netnsInode ?? null, t, opts, 'target');
}

interface IpJsonLink {
  ifindex?: number;
  ifname?: string;
  link_index?: number;
}

/** `ip -j link show` (iproute2 ≥ 4.14), else `ip -o link show`; prefix enters another netns (`ip -n X` or nsenter). */
async function listLinks(prefix: string[], netns: number | null, t: NameTables, opts: ToolOptions, what: string): Promise<IfaceName[]> {
  const ipArgv = (args: string[]) => (prefix[0] === 'ip' ? [...prefix, ...args] : [...prefix, 'ip', ...args]);
  const j = ipArgv(['-j', 'link', 'show']);
  t.steps.push(argvText(j));
  const r = await runTool(j, opts);
  if (r.ok) {
    try {
      const links = JSON.parse(r.stdout) as IpJsonLink[];
      return links
        .filter((l) => typeof l.ifindex === 'number' && typeof l.ifname === 'string')
        .map((l) => (typeof l.link_index === 'number' ? { ifindex: l.ifindex!, name: l.ifname!, netns, peerIfindex: l.link_index } : { ifindex: l.ifindex!, name: l.ifname!, netns }));
    } catch {
      // An iproute2 too old for -j prints text or nothing useful: fall through to -o.
    }
  } else if (r.missing) {
    t.warnings.push(`${what} interfaces: ${r.reason}`);
    return [];
  }
  const o = ipArgv(['-o', 'link', 'show']);
  t.steps.push(argvText(o));
  const r2 = await runTool(o, opts);
  if (!r2.ok) {
    t.warnings.push(`${what} interfaces: ${r2.reason} (ran: ${argvText(o)})`);
    return [];
  }
  return parseIpOLink(r2.stdout).map((l) => ({ ...l, netns }));
}

function inodeOf(path: string): number | null {
  try {
    return statSync(path).ino;
  } catch {
    return null;
  }
}

function commOf(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').replace(/\n$/, '');
  } catch {
    return null;
  }
}

function commSuffix(pid: number): string {
  const c = commOf(pid);
  return c === null ? '' : ` (${c})`;
}

function readdirOrEmpty(dir: string, t: NameTables): string[] {
  try {
    return readdirSync(dir).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  } catch (e) {
    // No /run/netns simply means nobody named a netns; anything else is worth a note.
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') t.warnings.push(`cannot list ${dir}: ${(e as Error).message}`);
    return [];
  }
}
