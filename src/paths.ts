// The journey view of `skbtape paths` (like `retis sort`): skb lifetimes grouped by path signature, most common
// first, each with one example lifetime hop by hop. Also the --flow filter language. Grouping and hop SQL live in
// queries/reports/_paths-*.sql; loading is duckdb-loader.ts's job; printing is the command's.
import { INTEGER, LIST, UINTEGER, VARCHAR, listValue, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';
import { openAnalysis, type Analysis, type Row } from './duckdb-loader.js';
import { UserError } from './errors.js';
import { FLOW_HELP } from './flow-syntax.js';
import { internalSql } from './reports.js';
import { parseIp } from './snapshot-parsers.js';

// ---------------------------------------------------------------------------------------------------------------
// --flow

/**
 * The parsed --flow filter. Each list holds values that must all match (terms are joined by `and`).
 *
 *   filter := term ( "and" term )*
 *   term   := [src|dst] host ADDR | src ADDR | dst ADDR
 *           | [src|dst] port N
 *           | [src|dst] identity N
 *           | tcp | udp | icmp | icmp6 | sctp | proto NAME
 *           | verdict (delivered|transmitted|dropped|consumed|redirected|unknown)
 */
export interface FlowFilter {
  hosts: string[]; srcs: string[]; dsts: string[];
  ports: number[]; sports: number[]; dports: number[];
  protos: string[];
  identities: number[]; srcIdentities: number[]; dstIdentities: number[];
  verdicts: string[];
}

export const emptyFlow = (): FlowFilter => ({
  hosts: [], srcs: [], dsts: [], ports: [], sports: [], dports: [], protos: [],
  identities: [], srcIdentities: [], dstIdentities: [], verdicts: [],
});

const PROTOS = ['tcp', 'udp', 'icmp', 'icmp6', 'sctp', 'gre'];
/** skb_tracks' verdict vocabulary (queries/views/20_skb_tracks.sql). */
const VERDICTS = ['delivered', 'transmitted', 'dropped', 'consumed', 'redirected', 'unknown'];

export function parseFlowFilter(text: string): FlowFilter {
  const f = emptyFlow();
  const words = text.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return f;
  const bad = (msg: string): never => { throw new UserError(`--flow '${text}': ${msg} (${FLOW_HELP})`, '--flow'); };
  let i = 0;
  const next = (what: string) => words[i++] ?? bad(`expected ${what} at the end`);
  const addr = (w: string) => (parseIp(w) ? w : bad(`'${w}' is not an IP address`));
  const num = (w: string, max: number, what: string) => (/^\d+$/.test(w) && Number(w) <= max ? Number(w) : bad(`'${w}' is not a ${what}`));
  for (;;) {
    let w = next('a term').toLowerCase();
    let dir: 'src' | 'dst' | null = null;
    if (w === 'src' || w === 'dst') {
      dir = w;
      w = next(`host, port, identity or an address after '${dir}'`).toLowerCase();
      if (!['host', 'port', 'identity'].includes(w)) {
        // `src 10.0.0.1` is short for `src host 10.0.0.1`.
        (dir === 'src' ? f.srcs : f.dsts).push(addr(words[i - 1]!));
        w = '';
      }
    }
    if (w === 'host') {
      const a = addr(next('an address after host'));
      (dir === 'src' ? f.srcs : dir === 'dst' ? f.dsts : f.hosts).push(a);
    } else if (w === 'port') {
      const p = num(next('a port after port'), 65535, 'port number (0-65535)');
      (dir === 'src' ? f.sports : dir === 'dst' ? f.dports : f.ports).push(p);
    } else if (w === 'identity') {
      const n = num(next('a number after identity'), 0xffffffff, 'Cilium identity number');
      (dir === 'src' ? f.srcIdentities : dir === 'dst' ? f.dstIdentities : f.identities).push(n);
    } else if (w === 'proto') {
      const p = next('a protocol after proto').toLowerCase();
      f.protos.push(PROTOS.includes(p) ? p : bad(`unknown protocol '${p}' (one of ${PROTOS.join(', ')})`));
    } else if (PROTOS.includes(w)) {
      f.protos.push(w);
    } else if (w === 'verdict') {
      const v = next('a verdict').toLowerCase();
      f.verdicts.push(VERDICTS.includes(v) ? v : bad(`unknown verdict '${v}' (one of ${VERDICTS.join(', ')})`));
    } else if (w !== '') {
      bad(`unknown term '${words[i - 1]}'`);
    }
    if (i >= words.length) return f;
    const conj = words[i++]!.toLowerCase();
    if (conj !== 'and') bad(conj === 'or' || conj === 'not' ? `'${conj}' is not supported, only 'and'` : `expected 'and' before '${words[i - 1]}'`);
  }
}

/** The filter as `$name` list parameters of queries/reports/_paths-groups.sql, with their types. */
export function flowParams(f: FlowFilter): { values: Record<string, DuckDBValue>; types: Record<string, DuckDBType> } {
  const lists: [string, DuckDBValue[], DuckDBType][] = [
    ['hosts', f.hosts, VARCHAR], ['srcs', f.srcs, VARCHAR], ['dsts', f.dsts, VARCHAR],
    ['ports', f.ports, INTEGER], ['sports', f.sports, INTEGER], ['dports', f.dports, INTEGER],
    ['protos', f.protos, VARCHAR],
    ['identities', f.identities, UINTEGER], ['src_identities', f.srcIdentities, UINTEGER], ['dst_identities', f.dstIdentities, UINTEGER],
    ['verdicts', f.verdicts, VARCHAR],
  ];
  const values: Record<string, DuckDBValue> = {};
  const types: Record<string, DuckDBType> = {};
  for (const [name, items, t] of lists) {
    values[name] = listValue(items);
    types[name] = LIST(t);
  }
  return { values, types };
}

// ---------------------------------------------------------------------------------------------------------------
// Journeys

export interface Hop {
  hop: number;
  /** ns since the lifetime's first hop (null without ktime). */
  relNs: number | null;
  func: string;
  ifindex: number | null;
  /** `name:ifindex`, or null for hops without a device (socket-level functions). */
  iface: string | null;
  netns: number | null;
  netnsName: string | null;
  /** The netns differs from the previous hop that had one. */
  netnsChange: boolean;
  dropReason: string | null;
  caller: string | null;
  len: number | null;
}

export interface Endpoint { addr: string; port: number | null; identity: number | null; endpoint: number | null }

export interface PathGroup {
  pathSig: string;
  skbs: number;
  hops: number;
  verdict: string;
  /** `delivered`, or `dropped: SKB_DROP_REASON_X at func (after prev) on iface` (label and site from skb_tracks). */
  verdictText: string;
  dropReason: string | null;
  example: {
    trackId: string;
    skb: string;
    durationNs: number | null;
    src: Endpoint | null;
    dst: Endpoint | null;
    l4: string | null;
    /** `10.244.2.173:54864 (id 26328, ep 1617) → 10.244.2.61:80 (id 9764, ep 133) tcp`, or null without a tuple. */
    tupleText: string | null;
    hops: Hop[];
  };
}

export interface PathsResult {
  capture: string;
  flow: string | null;
  totalSkbs: number;
  matchedSkbs: number;
  totalGroups: number;
  groups: PathGroup[];
}

export interface PathsOptions {
  flow?: string;
  /** Path groups shown (default 10). */
  limit?: number;
  cache?: boolean;
  warn?: (m: string) => void;
}

export async function capturePaths(capture: string, opts: PathsOptions = {}): Promise<PathsResult> {
  const flow = parseFlowFilter(opts.flow ?? '');
  const limit = opts.limit ?? 10;
  if (!Number.isInteger(limit) || limit < 1) throw new UserError(`--limit wants a positive integer, not '${String(opts.limit)}'`, '--limit');
  const a = await openAnalysis([capture], { cache: opts.cache ?? true, warn: opts.warn });
  try {
    return await journeys(a, flow, limit, opts.flow ?? null);
  } finally {
    a.close();
  }
}

/** Path groups and example hops on an open analysis (first capture only). */
export async function journeys(a: Analysis, flow: FlowFilter, limit: number, flowText: string | null = null): Promise<PathsResult> {
  const { values, types } = flowParams(flow);
  const groupsReader = await a.connection.runAndReadAll(internalSql('paths-groups'), values, types);
  const all = groupsReader.getRowObjectsJS() as Row[];
  const [{ n: total }] = (await a.run('SELECT count(*) AS n FROM skb_tracks')) as [{ n: bigint }];
  const hopsSql = internalSql('paths-hops');
  const groups: PathGroup[] = [];
  for (const g of all.slice(0, limit)) {
    const hopRows = await a.run(hopsSql, { capture: g['capture'] as string, skb: g['example_skb'] as bigint, track_no: g['example_track_no'] as bigint });
    groups.push(toGroup(g, hopRows.map(toHop)));
  }
  return {
    capture: a.captureIds[0]!,
    flow: flowText,
    totalSkbs: Number(total),
    matchedSkbs: all.reduce((s, g) => s + Number(g['skbs']), 0),
    totalGroups: all.length,
    groups,
  };
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const str = (v: unknown): string | null => (v === null || v === undefined || v === '' ? null : String(v));

function toHop(r: Row): Hop {
  const ifindex = num(r['ifindex']);
  const name = str(r['ifname']);
  return {
    hop: Number(r['hop']),
    relNs: num(r['rel_ns']),
    func: String(r['func']),
    ifindex: ifindex || null,
    iface: ifindex ? `${name ?? '?'}:${ifindex}` : null,
    netns: num(r['netns']),
    netnsName: str(r['netns_name']),
    netnsChange: false,
    dropReason: str(r['drop_reason']),
    caller: str(r['caller']),
    len: num(r['len']),
  };
}

function toGroup(g: Row, hops: Hop[]): PathGroup {
  let ns: number | null = null;
  for (const h of hops) {
    if (h.netns === null) continue;
    h.netnsChange = ns !== null && h.netns !== ns;
    ns = h.netns;
  }
  const t = g['tuple'] as { saddr?: string; sport?: number; daddr?: string; dport?: number; l4?: string } | null;
  const side = (addr: string | undefined, port: number | undefined, id: unknown, ep: unknown): Endpoint | null =>
    addr ? { addr, port: port ?? null, identity: num(id), endpoint: num(ep) } : null;
  const src = t ? side(t.saddr, t.sport, g['src_identity'], g['src_endpoint']) : null;
  const dst = t ? side(t.daddr, t.dport, g['dst_identity'], g['dst_endpoint']) : null;
  const l4 = str(t?.l4);
  const verdict = String(g['verdict']);
  return {
    pathSig: String(g['path_sig']),
    skbs: Number(g['skbs']),
    hops: Number(g['hops']),
    verdict,
    verdictText: verdictText(verdict, str(g['drop_label']), str(g['drop_site']), hops),
    dropReason: str(g['drop_reason']),
    example: {
      trackId: String(g['example_track']),
      skb: `0x${(g['example_skb'] as bigint).toString(16)}`,
      durationNs: num(g['example_duration_ns']),
      src, dst, l4,
      tupleText: src && dst ? `${endpointText(src)} → ${endpointText(dst)}${l4 ? ` ${l4}` : ''}` : null,
      hops,
    },
  };
}

function endpointText(e: Endpoint): string {
  const addr = e.addr.includes(':') ? `[${e.addr}]` : e.addr;
  const labels = [e.identity !== null ? `id ${e.identity}` : null, e.endpoint !== null ? `ep ${e.endpoint}` : null].filter(Boolean);
  return `${addr}${e.port !== null ? `:${e.port}` : ''}${labels.length ? ` (${labels.join(', ')})` : ''}`;
}

/**
 * A drop in skb_tracks' wording (drop_label at drop_site: the function that freed, after the last non-free hop), then
 * the last device the lifetime was on up to that hop.
 */
function verdictText(verdict: string, label: string | null, site: string | null, hops: Hop[]): string {
  if (verdict !== 'dropped') return verdict;
  const i = hops.findIndex((h) => h.dropReason !== null);
  const dev = hops.slice(0, i < 0 ? hops.length : i + 1).reverse().find((h) => h.iface !== null)?.iface;
  return `dropped: ${label ?? 'reason unknown'}${site ? ` at ${site}` : ''}${dev ? ` on ${dev}` : ''}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Text

const us = (ns: number | null) => (ns === null ? '' : (ns / 1000).toFixed(3));

/** The journey view as text: a summary line, then per group its verdict, tuple and the example's hops. */
export function formatJourneys(r: PathsResult): string {
  const out: string[] = [];
  const shown = r.groups.length < r.totalGroups ? `, showing ${r.groups.length} (--limit)` : '';
  out.push(`${r.capture}: ${r.matchedSkbs} of ${r.totalSkbs} skb lifetimes${r.flow ? ` match '${r.flow}'` : ''}, ${r.totalGroups} distinct path(s)${shown}`);
  r.groups.forEach((g, gi) => {
    const ex = g.example;
    out.push('');
    out.push(`#${gi + 1}  ${g.skbs} skb(s)  ${g.hops} hops  path ${g.pathSig}  ${g.verdictText}`);
    if (ex.tupleText) out.push(`    ${ex.tupleText}`);
    out.push(`    example ${ex.trackId}${ex.durationNs !== null ? `, ${us(ex.durationNs)} µs` : ''}`);
    const fw = Math.max(8, ...ex.hops.map((h) => h.func.length));
    const tw = Math.max(6, ...ex.hops.map((h) => us(h.relNs).length + 1));
    let lastIface: string | null = null;
    for (const h of ex.hops) {
      if (h.netnsChange) out.push(`      ${''.padStart(tw)}  ── netns → ${h.netns}${h.netnsName ? ` (${h.netnsName})` : ''}`);
      const t = h.relNs === null ? '' : `+${us(h.relNs)}`;
      // The device is printed when it changes; the first hop also names its netns.
      let where = '';
      if (h.iface !== null && h.iface !== lastIface) where = h.iface;
      if (h.hop === 1 && h.netns !== null) where += `${where ? '  ' : ''}netns ${h.netns}${h.netnsName ? ` (${h.netnsName})` : ''}`;
      if (h.iface !== null) lastIface = h.iface;
      const drop = h.dropReason ? `  ✗ ${h.dropReason}` : '';
      out.push(`      ${t.padStart(tw)}  ${(where || drop ? h.func.padEnd(fw) : h.func)}${where ? `  ${where}` : ''}${drop}`.trimEnd());
    }
  });
  if (r.totalGroups === 0) out.push('', r.flow ? 'no skb lifetime matches the filter' : 'no skb lifetimes in this capture');
  return out.join('\n') + '\n';
}

/** One line on the --flow language, for help texts. */
export const FLOW_SYNTAX = FLOW_HELP;
