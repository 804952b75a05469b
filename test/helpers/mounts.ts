// Small file systems the fault tests make and remove themselves: a tmpfs of a given size (a full disk on demand) and
// a read-only bind mount of a directory. Root only; the gate says why when the machine cannot mount.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { Prereq } from './prereq.js';

export async function canMount(): Promise<Prereq> {
  if (process.getuid?.() !== 0) return { ok: false, why: 'needs root (mounts a tmpfs and a read-only bind mount)' };
  const d = mkdtempSync(join(tmpdir(), 'skbt-mnt-probe-'));
  try {
    const r = await execa('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', d], { reject: false });
    if (r.exitCode !== 0) return { ok: false, why: `mount -t tmpfs failed: ${r.stderr.trim()}` };
    await execa('umount', [d]);
    return { ok: true };
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}

export interface Mounted { dir: string; remove(): Promise<void> }

/** A fresh tmpfs of `kb` KiB; with `leaveKb`, a filler file takes all but that much. */
export async function tmpfs(kb: number, leaveKb?: number): Promise<Mounted> {
  const dir = mkdtempSync(join(tmpdir(), 'skbt-tmpfs-'));
  await execa('mount', ['-t', 'tmpfs', '-o', `size=${kb}k`, 'tmpfs', dir]);
  if (leaveKb !== undefined) {
    try { writeFileSync(join(dir, 'filler'), Buffer.alloc((kb - leaveKb) * 1024)); } catch { /* full already: fine */ }
  }
  return { dir, remove: async () => { await execa('umount', [dir], { reject: false }); rmSync(dir, { recursive: true, force: true }); } };
}

/** `src` seen read-only at a new mount point. */
export async function readOnlyView(src: string): Promise<Mounted> {
  const dir = mkdtempSync(join(tmpdir(), 'skbt-ro-'));
  await execa('mount', ['--bind', src, dir]);
  await execa('mount', ['-o', 'remount,bind,ro', dir]);
  mkdirSync(dir, { recursive: true });
  return { dir, remove: async () => { await execa('umount', [dir], { reject: false }); rmSync(dir, { recursive: true, force: true }); } };
}
