// Network namespaces and links on this host: finding a netns by inode, the argv prefix that enters one, and
// `ip -o link` parsing. Shared by the target resolver (record) and the name tables (snapshots).
import { readdirSync, readlinkSync, statSync } from 'node:fs';

/** Where a netns can be entered (a pid whose netns it is, and/or an nsfs path), and the pod living there if known. */
export interface NetnsRef {
  pod?: string;
  namespace?: string;
  pid?: number;
  netnsPath?: string;
  netnsInode?: number;
}

/** /run/netns first (stable names), then every process's /proc/PID/ns/net link (`net:[N]`). */
export function findNetnsByInode(inode: number): { path: string; pid?: number } | undefined {
  for (const e of sortedReaddir('/run/netns')) {
    try {
      if (statSync(`/run/netns/${e}`).ino === inode) return { path: `/run/netns/${e}` };
    } catch { /* raced with ip netns del */ }
  }
  for (const e of sortedReaddir('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readlinkSync(`/proc/${e}/ns/net`) === `net:[${inode}]`) return { path: `/proc/${e}/ns/net`, pid: Number(e) };
    } catch { /* process exited or not ours to read */ }
  }
  return undefined;
}

export function sortedReaddir(dir: string): string[] {
  try {
    return readdirSync(dir).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  } catch {
    return [];
  }
}

/** argv prefix that runs a command inside the netns, or null when it cannot be entered. */
export function enterArgv(t: NetnsRef): string[] | null {
  if (t.pid !== undefined && t.netnsPath === `/proc/${t.pid}/ns/net`) return ['nsenter', '-t', String(t.pid), '-n'];
  if (t.netnsPath) return ['nsenter', `--net=${t.netnsPath}`];
  return null;
}

/** `ip -o link show` lines: `26: lxc3a6f7d4e8c73@if25: <...` -> {ifindex 26, name lxc3a6f7d4e8c73, peer 25}. */
export function parseIpOLink(text: string): { ifindex: number; name: string; peerIfindex?: number }[] {
  const out: { ifindex: number; name: string; peerIfindex?: number }[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+):\s+([^:@\s]+)(?:@(?:if(\d+)|[^:\s]+))?:/.exec(line);
    if (m) out.push(m[3] === undefined ? { ifindex: Number(m[1]), name: m[2]! } : { ifindex: Number(m[1]), name: m[2]!, peerIfindex: Number(m[3]) });
  }
  return out;
}
