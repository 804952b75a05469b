// A capture's identity: its id (unique across nodes), the node it was recorded on, and its label in queries.
// The manifest keeps them (`capture`); older manifests get the same values derived from host, start time and
// directory. `partitionKey` makes an id safe as one path component (export partitions), without collisions.
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { basename, resolve } from 'node:path';
import { UserError } from '../errors.js';
import type { Manifest } from './manifest.js';

export interface CaptureIdentity {
  /** Unique across nodes: `<node>.<start time>.<directory name>`, or the `--name` the user chose. */
  id: string;
  node: string;
  /** The `capture` column: the chosen `--name`, else the directory's base name. */
  label: string;
}

/** 2026-12-02T00:48:19.123Z -> 20261202T004819.123Z: sortable, and safe in a path. */
const compactTime = (iso: string) => iso.replace(/[-:]/g, '');

/** The id a new capture gets: the chosen name, else node, start time and directory name. */
export function newCaptureId(node: string, createdAt: string, dir: string, name?: string): string {
  return name ?? `${node}.${compactTime(createdAt)}.${basename(resolve(dir))}`;
}

export function identityOf(m: Manifest, dir: string): CaptureIdentity {
  const node = m.capture?.node ?? m.host?.hostname ?? 'unknown';
  const id = m.capture?.id ?? newCaptureId(node, m.createdAt ?? '', dir);
  return { id, node, label: m.capture?.name ?? basename(resolve(dir)) };
}

/** Sets node / name on a manifest being created (import, record, snapshot) or changed (attach). */
export function applyIdentity(m: Manifest, dir: string, o: { node?: string; name?: string }, keepId = false): void {
  if (o.node !== undefined) checkLabel(o.node, '--node');
  if (o.name !== undefined) checkLabel(o.name, '--name');
  const node = o.node ?? m.capture?.node ?? m.host?.hostname ?? hostname();
  const name = o.name ?? m.capture?.name;
  // attach keeps the id a capture already has, unless a new --name chooses another.
  const id = keepId && m.capture?.id && o.name === undefined ? m.capture.id : newCaptureId(node, m.createdAt, dir, name);
  m.capture = { id, node, ...(name !== undefined ? { name } : {}) };
}

function checkLabel(v: string, flag: string): void {
  // eslint-disable-next-line no-control-regex
  if (v.trim() === '' || /[\u0000-\u001f\u007f]/.test(v) || v.length > 200) {
    throw new UserError(`${flag} wants a non-empty name of printable characters (up to 200), not ${JSON.stringify(v)}`, flag);
  }
}

/**
 * The id as one path component: kept as is when it holds only [A-Za-z0-9._-] (and does not start with a dot),
 * else the unsafe characters become `_` and 10 hex digits of its SHA-256 are appended, so `a b` and `a_b` stay apart.
 * Hive readers (DuckDB, Spark, Trino) then read the directory name back unchanged.
 */
export function partitionKey(id: string): string {
  const safe = id.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\./, '_');
  if (safe === id && id !== '') return id;
  return `${safe.slice(0, 120)}-${createHash('sha256').update(id).digest('hex').slice(0, 10)}`;
}

/** A node name as one path component (the same rule). */
export const nodeKey = partitionKey;
