// Side tables of a capture -> DuckDB: cilium-dbg / bpftool snapshots (via snapshots/parsers.ts), names/<phase>.json
// ifname tables, and the small typed-table helper the loader also uses for captures/logs/rejects.
// A missing or unreadable file is an empty table plus a warning, never a failed open. Events are analyze/append.ts's job.
import { existsSync, readFileSync } from 'node:fs';
import { DuckDBConnection } from './duckdb.js';
import { capturePaths, type Phase, type SnapshotKind } from '../capture/dir.js';
import {
  parseBpftoolNet, parseEndpointList, parseIpcacheList, parseIp, parseMetricsList, type ParseResult, type ParseWarning,
} from '../snapshots/parsers.js';
import { parseApiEndpointList, parseIdentityList } from '../snapshots/label-parsers.js';

export type SqlType = 'VARCHAR' | 'BOOLEAN' | 'UTINYINT' | 'USMALLINT' | 'UINTEGER' | 'INTEGER' | 'BIGINT' | 'UBIGINT' | 'UHUGEINT';
export type TableDef = readonly (readonly [name: string, type: SqlType])[];
export type Cell = string | number | bigint | boolean | null | undefined;

/** Creates `table` with the given typed columns (if absent) and appends rows in that column order. */
export async function createAndFill(conn: DuckDBConnection, table: string, def: TableDef, rows: readonly (readonly Cell[])[]): Promise<void> {
  await conn.run(`CREATE TABLE IF NOT EXISTS ${table} (${def.map(([n, t]) => `"${n}" ${t}`).join(', ')})`);
  if (rows.length === 0) return;
  const app = await conn.createAppender(table);
  try {
    for (const r of rows) {
      def.forEach(([, t], i) => {
        const v = r[i];
        if (v === null || v === undefined) { app.appendNull(); return; }
        switch (t) {
          case 'VARCHAR': app.appendVarchar(String(v)); break;
          case 'BOOLEAN': app.appendBoolean(Boolean(v)); break;
          case 'UTINYINT': app.appendUTinyInt(Number(v)); break;
          case 'USMALLINT': app.appendUSmallInt(Number(v)); break;
          case 'UINTEGER': app.appendUInteger(Number(v)); break;
          case 'INTEGER': app.appendInteger(Number(v)); break;
          case 'BIGINT': app.appendBigInt(BigInt(v)); break;
          case 'UBIGINT': app.appendUBigInt(BigInt(v)); break;
          case 'UHUGEINT': app.appendUHugeInt(BigInt(v)); break;
        }
      });
      app.endRow();
    }
    app.flushSync();
  } finally {
    app.closeSync();
  }
}

const KEYS = [['capture', 'VARCHAR'], ['phase', 'VARCHAR']] as const;

export const ENDPOINTS_DEF: TableDef = [
  ...KEYS, ['ip', 'VARCHAR'], ['family', 'UTINYINT'], ['localhost', 'BOOLEAN'], ['endpoint_id', 'UINTEGER'],
  ['identity', 'UINTEGER'], ['ifindex', 'UINTEGER'], ['mac', 'VARCHAR'], ['nodemac', 'VARCHAR'], ['flags', 'VARCHAR'],
  ['parent_ifindex', 'UINTEGER'], ['cluster', 'VARCHAR'], ['ip_value', 'UHUGEINT'], ['line', 'UINTEGER'],
];
export const IPCACHE_DEF: TableDef = [
  ...KEYS, ['prefix', 'VARCHAR'], ['family', 'UTINYINT'], ['prefix_len', 'UTINYINT'], ['lo', 'UHUGEINT'], ['hi', 'UHUGEINT'],
  ['identity', 'UINTEGER'], ['tunnel_endpoint', 'VARCHAR'], ['encrypt_key', 'UINTEGER'], ['flags', 'VARCHAR'],
  ['cluster', 'VARCHAR'], ['line', 'UINTEGER'],
];
export const METRICS_DEF: TableDef = [
  ...KEYS, ['reason', 'VARCHAR'], ['direction', 'VARCHAR'], ['packets', 'UBIGINT'], ['bytes', 'UBIGINT'],
  ['line', 'UINTEGER'], ['file', 'VARCHAR'], ['line_no', 'UINTEGER'],
];
export const TC_PROGS_DEF: TableDef = [
  ...KEYS, ['iface', 'VARCHAR'], ['ifindex', 'UINTEGER'], ['hook', 'VARCHAR'], ['direction', 'VARCHAR'],
  ['prog_name', 'VARCHAR'], ['prog_id', 'UINTEGER'], ['link_id', 'UINTEGER'], ['kind', 'VARCHAR'], ['line', 'UINTEGER'],
];
/** One label of one identity; source says which snapshot named it (`identity list` or `endpoint list`). */
export const IDENTITY_LABELS_DEF: TableDef = [...KEYS, ['identity', 'UINTEGER'], ['label', 'VARCHAR'], ['source', 'VARCHAR'], ['line', 'UINTEGER']];
/** The agent's endpoints (`cilium-dbg endpoint list`): the pod behind an endpoint id; labels go to identity_labels. */
export const CILIUM_ENDPOINTS_DEF: TableDef = [
  ...KEYS, ['endpoint_id', 'UINTEGER'], ['identity', 'UINTEGER'], ['namespace', 'VARCHAR'], ['pod', 'VARCHAR'],
  ['ipv4', 'VARCHAR'], ['ipv6', 'VARCHAR'], ['state', 'VARCHAR'], ['line', 'UINTEGER'],
];
export const IFNAMES_DEF: TableDef = [...KEYS, ['scope', 'VARCHAR'], ['ifindex', 'UINTEGER'], ['name', 'VARCHAR'], ['netns', 'UBIGINT']];
export const NETNS_NAMES_DEF: TableDef = [...KEYS, ['name', 'VARCHAR'], ['inode', 'UBIGINT']];

export interface CaptureRef { id: string; dir: string }

const PHASES: readonly Phase[] = ['start', 'end'];

/**
 * Loads endpoints, ipcache, bpf_metrics, tc_progs, identity_labels, cilium_endpoints, ifnames and netns_names for
 * every capture (empty tables when absent).
 */
export async function loadSideTables(conn: DuckDBConnection, captures: readonly CaptureRef[], warn: (m: string) => void): Promise<void> {
  const endpoints: Cell[][] = [];
  const ipcache: Cell[][] = [];
  const metrics: Cell[][] = [];
  const progs: Cell[][] = [];
  const ifnames: Cell[][] = [];
  const netnsNames: Cell[][] = [];
  const labels: Cell[][] = [];
  const apiEndpoints: Cell[][] = [];
  for (const c of captures) {
    for (const phase of PHASES) {
      const k = [c.id, phase] as const;
      for (const r of parsed(c.dir, phase, 'endpoints', parseEndpointList, warn)) {
        endpoints.push([...k, r.ip, r.family, r.localhost, r.endpointId, r.securityIdentity, r.ifindex, r.mac, r.nodemac, r.flags, r.parentIfindex, r.cluster, ipValue(r.ip), r.line]);
      }
      for (const r of parsed(c.dir, phase, 'ipcache', parseIpcacheList, warn)) {
        ipcache.push([...k, r.prefix, r.family, r.prefixLen, r.lo, r.hi, r.identity, r.tunnelEndpoint, r.encryptKey, r.flags, r.cluster, r.line]);
      }
      for (const r of parsed(c.dir, phase, 'metrics', parseMetricsList, warn)) {
        metrics.push([...k, r.reason, r.direction, r.packets, r.bytes, r.line, r.file, r.lineNo]);
      }
      for (const r of parsed(c.dir, phase, 'bpftool-net', parseBpftoolNet, warn)) {
        progs.push([...k, r.iface, r.ifindex, r.hook, r.direction, r.progName, r.progId, r.linkId, r.kind, r.line]);
      }
      for (const r of parsed(c.dir, phase, 'identities', parseIdentityList, warn)) labels.push([...k, r.identity, r.label, 'identity list', r.line]);
      for (const r of parsed(c.dir, phase, 'endpoint-list', parseApiEndpointList, warn)) {
        apiEndpoints.push([...k, r.endpointId, r.identity, r.namespace, r.pod, r.ipv4, r.ipv6, r.state, r.line]);
        if (r.identity !== null) for (const l of r.labels) labels.push([...k, r.identity, l, 'endpoint list', r.line]);
      }
      loadNames(c, phase, ifnames, netnsNames, warn);
    }
  }
  await createAndFill(conn, 'endpoints', ENDPOINTS_DEF, endpoints);
  await createAndFill(conn, 'ipcache', IPCACHE_DEF, ipcache);
  await createAndFill(conn, 'bpf_metrics', METRICS_DEF, metrics);
  await createAndFill(conn, 'tc_progs', TC_PROGS_DEF, progs);
  await createAndFill(conn, 'identity_labels', IDENTITY_LABELS_DEF, labels);
  await createAndFill(conn, 'cilium_endpoints', CILIUM_ENDPOINTS_DEF, apiEndpoints);
  await createAndFill(conn, 'ifnames', IFNAMES_DEF, ifnames);
  await createAndFill(conn, 'netns_names', NETNS_NAMES_DEF, netnsNames);
}

function parsed<T>(dir: string, phase: Phase, kind: SnapshotKind, parse: (text: string, source?: string) => ParseResult<T>, warn: (m: string) => void): T[] {
  const p = capturePaths(dir);
  // JSON is what we take when cilium-dbg supports it; the txt form is the fallback (or an attached file).
  for (const ext of ['json', 'txt'] as const) {
    const file = p.snapshot(phase, kind, ext);
    if (!existsSync(file)) continue;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      warn(`${file}: cannot read: ${(e as Error).message}`);
      continue;
    }
    const res = parse(text, file);
    // One line per snapshot file, not one per unread line: every later query would repeat them all.
    const [first] = res.warnings;
    if (first) warn(res.warnings.length === 1 ? formatWarning(file, first) : `${file}: ${res.warnings.length} lines not read; first: ${formatWarning(file, first).slice(file.length + 1)}`);
    return res.rows;
  }
  return [];
}

function formatWarning(file: string, w: ParseWarning): string {
  return `${file}:${w.line}: ${w.reason}: ${w.text.trim().slice(0, 120)}`;
}

/** Integer value of an address for range joins: IPv4 in 0..2^32-1, IPv6 in 0..2^128-1 (family says which). */
export function ipValue(ip: string): bigint | null {
  return parseIp(ip)?.value ?? null;
}

interface NameEntry { ifindex?: unknown; name?: unknown; netns?: unknown; inode?: unknown }

/** names/<phase>.json: every array of {ifindex, name} is an ifname scope ("host", a target netns...); "netns" lists /run/netns names. */
function loadNames(c: CaptureRef, phase: Phase, ifnames: Cell[][], netnsNames: Cell[][], warn: (m: string) => void): void {
  const file = capturePaths(c.dir).names(phase);
  if (!existsSync(file)) return;
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    warn(`${file}: not valid JSON: ${(e as Error).message}`);
    return;
  }
  if (!doc || typeof doc !== 'object') return;
  for (const [scope, list] of Object.entries(doc as Record<string, unknown>)) {
    if (!Array.isArray(list)) continue;
    for (const e of list as NameEntry[]) {
      if (!e || typeof e !== 'object') continue;
      if (scope === 'netns' && typeof e.name === 'string' && isInt(e.inode)) {
        netnsNames.push([c.id, phase, e.name, BigInt(e.inode as number)]);
      } else if (typeof e.name === 'string' && isInt(e.ifindex)) {
        ifnames.push([c.id, phase, scope, e.ifindex as number, e.name, isInt(e.netns) ? BigInt(e.netns as number) : null]);
      }
    }
  }
}

const isInt = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x >= 0;
