// tracefs at /sys/kernel/tracing: whether this kernel has it, whether it is mounted, and mounting it when we may.
// One helper for `record --source tracepoint`, `skbtape demo`, `make setup` (bin/ensure-tracefs.mjs) and the tests.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const TRACEFS = '/sys/kernel/tracing';

export type TracefsState =
  | { ok: true }
  /** Mountable: the kernel has tracefs and only the mount is missing (root can fix it). */
  | { ok: false; fixable: true; why: string }
  | { ok: false; fixable: false; why: string };

/** Is tracefs mounted with the skb/net event folders? If not, can the set-up fix that? */
export function tracefsState(dir = TRACEFS): TracefsState {
  if (mounted(dir)) return { ok: true };
  let inKernel = true;
  try {
    inKernel = /\btracefs$/m.test(readFileSync('/proc/filesystems', 'utf8'));
  } catch {
    /* no /proc: assume it might be mountable; the mount will say */
  }
  if (!inKernel) return { ok: false, fixable: false, why: 'this kernel has no tracefs (not in /proc/filesystems)' };
  if (!existsSync(dir)) return { ok: false, fixable: false, why: `${dir} does not exist (no tracefs mount point)` };
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return { ok: false, fixable: false, why: `tracefs is not mounted at ${dir}, and mounting it needs root` };
  }
  return { ok: false, fixable: true, why: `tracefs is not mounted at ${dir} ('make setup' mounts it)` };
}

function mounted(dir: string): boolean {
  try {
    return readdirSync(join(dir, 'events')).length > 0;
  } catch {
    return false;
  }
}

/**
 * Mounts tracefs when it is missing and the kernel has it. Returns a note for the manifest when it mounted,
 * null when it was already there; throws an Error saying why when it cannot.
 */
export function ensureTracefs(dir = TRACEFS): string | null {
  const s = tracefsState(dir);
  if (s.ok) return null;
  if (!s.fixable) throw new Error(s.why);
  const r = spawnSync('mount', ['-t', 'tracefs', 'nodev', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0 || !mounted(dir)) {
    throw new Error(`tracefs is not mounted at ${dir} and mounting it failed: ${(r.stderr ?? '').trim() || r.error?.message || `exit ${r.status}`}`);
  }
  return `mounted tracefs at ${dir}`;
}
