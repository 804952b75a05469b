// Is the process that wrote a capture still writing it? A manifest says `recording` until its writer finishes it;
// one whose writer was killed would say so forever. The writer leaves its pid, host, boot id and start time (from
// /proc) in the manifest, so a reader on the same machine can tell a live recording from a dead one, even after
// the pid was reused. On another host, or without /proc, a reader cannot tell and keeps `recording`.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

export interface WriterMark { pid: number; host: string; bootId?: string; startTicks?: string }

const bootId = (): string | undefined => {
  try { return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(); } catch { return undefined; }
};

/** Field 22 of /proc/<pid>/stat: the process start time in clock ticks since boot (after the `(comm)` field). */
function startTicks(pid: number | 'self'): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

export const thisWriter = (): WriterMark => ({ pid: process.pid, host: hostname(), bootId: bootId(), startTicks: startTicks('self') });

/** 'gone' only when this machine can prove it: same host and boot, and no process with that pid and start time. */
export function writerState(w: WriterMark | undefined): 'alive' | 'gone' | 'unknown' {
  if (!w || w.host !== hostname()) return 'unknown';
  const boot = bootId();
  if (w.bootId !== undefined && boot !== undefined && w.bootId !== boot) return 'gone'; // the machine rebooted since
  const now = startTicks(w.pid);
  if (now === undefined) return boot === undefined ? 'unknown' : 'gone';
  return w.startTicks === undefined || now === w.startTicks ? 'alive' : 'gone';
}
