// The journey view of `skbtape paths` (like `retis sort`): skb lifetimes grouped by path signature, most common
// first, each with one example lifetime hop by hop. The --flow language is analyze/flow-filter.ts's; grouping and hop SQL live in
// queries/analyze/paths_*.sql; loading is loader.ts's job; printing is the command's.
import { listValue } from './duckdb.js';
import { openAnalysis, type Analysis, type Row } from './loader.js';
import { UserError } from '../errors.js';
import { applyFlow, emptyFlowWarning, flowFilter, type CompiledFlow } from './flow-filter.js';
import { sqlFile } from './sql-files.js';
import { identityText } from '../render/identity.js';

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

export interface Endpoint {
  addr: string;
  port: number | null;
  identity: number | null;
  /** The identity's name (render/identity.ts) and labels from the identity snapshots; null when none names it. */
  identityName: string | null;
  identityLabels: string[] | null;
  endpoint: number | null;
}

export interface PathGroup {
  /** The capture whose lifetimes these are. */
  capture: string;
  pathSig: string;
  skbs: number;
  /** Lifetimes of the group that overlap a loss window (tracks_enriched.possibly_incomplete). */
  possiblyIncomplete: number;
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
  /** The capture's id, or the ids joined by ', ' when several were loaded. */
  capture: string;
  captures: string[];
  flow: string | null;
  totalSkbs: number;
  matchedSkbs: number;
  totalGroups: number;
  groups: PathGroup[];
  /** Loss reports of the captures (the loss table) and the matched lifetimes they may have cut. */
  loss: { reports: number; events: number; possiblyIncomplete: number };
}

export interface PathsOptions {
  flow?: string;
  /** Path groups shown (default 10). */
  limit?: number;
  cache?: boolean;
  warn?: (m: string) => void;
  strict?: boolean;
}

/** The journey view of one capture, or of several (a directory of captures, a fleet's nodes): groups are per capture. */
export async function capturePaths(capture: string | string[], opts: PathsOptions = {}): Promise<PathsResult> {
  const captures = typeof capture === 'string' ? [capture] : capture;
  const flow = flowFilter(opts.flow);
  const limit = opts.limit ?? 10;
  if (!Number.isInteger(limit) || limit < 1) throw new UserError(`--limit wants a positive integer, not '${String(opts.limit)}'`, '--limit');
  const a = await openAnalysis(captures, { cache: opts.cache ?? true, warn: opts.warn, strict: opts.strict });
  try {
    const r = await journeys(a, flow, limit);
    if (flow.text !== null && r.matchedSkbs === 0) opts.warn?.(emptyFlowWarning(flow.text, captures.join(', ')));
    return r;
  } finally {
    a.close();
  }
}

/** Path groups and example hops on an open analysis (every capture loaded; a group belongs to one capture). */
export async function journeys(a: Analysis, flow: CompiledFlow, limit: number): Promise<PathsResult> {
  await applyFlow(a, flow);
  const all = await a.run(sqlFile('analyze/paths_groups'));
  const [{ n: total }] = (await a.run('SELECT count(*) AS n FROM skb_tracks')) as [{ n: bigint }];
  const shown = all.slice(0, limit);
  const hopRows = shown.length ? await a.run(sqlFile('analyze/paths_hops'), { tracks: listValue(shown.map((g) => String(g['example_track']))) }) : [];
  const byTrack = new Map<string, Row[]>();
  for (const r of hopRows) {
    const id = String(r['track_id']);
    const l = byTrack.get(id);
    if (l) l.push(r); else byTrack.set(id, [r]);
  }
  const groups = shown.map((g) => toGroup(g, (byTrack.get(String(g['example_track'])) ?? []).map(toHop)));
  const [l] = await a.run('SELECT count(*) AS reports, coalesce(sum(count), 0) AS events FROM loss');
  return {
    capture: a.captureIds.join(', '),
    captures: a.captureIds,
    flow: flow.text,
    totalSkbs: Number(total),
    matchedSkbs: all.reduce((s, g) => s + Number(g['skbs']), 0),
    totalGroups: all.length,
    groups,
    loss: { reports: Number(l!['reports']), events: Number(l!['events']), possiblyIncomplete: all.reduce((s, g) => s + Number(g['incomplete']), 0) },
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
  const side = (addr: string | undefined, port: number | undefined, k: 'src' | 'dst'): Endpoint | null =>
    addr
      ? {
        addr, port: port ?? null, identity: num(g[`${k}_identity`]), identityName: str(g[`${k}_identity_name`]),
        identityLabels: (g[`${k}_identity_labels`] as string[] | null) ?? null, endpoint: num(g[`${k}_endpoint`]),
      }
      : null;
  const src = t ? side(t.saddr, t.sport, 'src') : null;
  const dst = t ? side(t.daddr, t.dport, 'dst') : null;
  const l4 = str(t?.l4);
  const verdict = String(g['verdict']);
  return {
    capture: String(g['capture']),
    pathSig: String(g['path_sig']),
    skbs: Number(g['skbs']),
    possiblyIncomplete: Number(g['incomplete']),
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
  const labels = [e.identity !== null ? identityText(e.identity, e.identityName) : null, e.endpoint !== null ? `ep ${e.endpoint}` : null].filter(Boolean);
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
  const L = r.loss;
  if (L.reports > 0) out.push(`loss: ${L.reports} report(s), ${L.events} events lost: ${L.possiblyIncomplete} of these ${r.matchedSkbs} lifetimes possibly incomplete (query: SELECT * FROM loss)`);
  r.groups.forEach((g, gi) => {
    const ex = g.example;
    out.push('');
    const of = r.captures.length > 1 ? `  [${g.capture}]` : '';
    const cut = g.possiblyIncomplete > 0 ? `  (${g.possiblyIncomplete} possibly incomplete)` : '';
    out.push(`#${gi + 1}  ${g.skbs} skb(s)  ${g.hops} hops  path ${g.pathSig}  ${g.verdictText}${of}${cut}`);
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
