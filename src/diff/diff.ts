// `skbtape diff` as data: aligns the FLOWS of two captures (not skbs: addresses, ephemeral ports and pod IPs change
// between runs), compares their path sets, verdicts, drops, hop latencies, metrics and snapshots, and returns one
// DiffResult. SQL lives in queries/diff/; text rendering in render/diff.ts; exit codes in commands/diff.ts.
//
// JSON structure (`skbtape diff --format json`), version 1. Stable: fields are only ever added.
// {
//   version: 1,
//   a, b:        { id, dir, tracks, snapshots: boolean }            the two captures (id = directory basename)
//   key:         { by, requested, reason }                          flow key used: identity|labels|endpoint|ip|port|process|capture
//   filter:      string | null                                      --flow as given
//   summary:     { sentence, flowsCompared, flowsChanged, flowsOnlyInA, flowsOnlyInB, newDrops, goneDrops,
//                  changes, allowed }                               changes = entries of `changes` not allowed
//   flows: [{ flow, status: 'changed'|'same'|'only-a'|'only-b',
//             a, b: { tracks, dropped, clients: string[], servers: string[] } | null,
//             paths: [{ dir, sig, in: 'a'|'b'|'both', tracksA, tracksB, hops, verdict, dropReason, dropAt }],
//             changed: [{ dir, sigA, sigB, tracksA, tracksB, common, lastCommon, nextA, nextB, divergesAt,
//                         added: string[], removed: string[], ifaces: {a,b}|null, netns: {a,b}|null,
//                         verdict: { a, b, dropReason, dropAt } | null }],
//             gone: [{ dir, sig, tracks, verdict }],              A-only paths no B path was paired with
//             verdicts: [{ dir, a: {verdict: n}, b: {verdict: n} }] (only when they differ),
//             latency: [{ dir, sig, hop, func, n: [a, b], medianNs: [a, b], p99Ns: [a, b], significant }] }],
//   truncated:   number                                            flows left out by --max-flows
//   drops:       { new: [{ reason, at, flows, tracks }], gone: [...] }   reason = SKB_DROP_REASON_* name
//   funcRates:   [{ func, perTrackA, perTrackB, delta }]            hits per track, |delta| >= 0.05, top 20
//   metrics:     { compared: boolean, reason: string | null, rows: [{ reason, direction, file, line, packetsA, packetsB }] }
//   snapshots:   [{ kind: 'identity-changed'|'identity-renumbered'|'identity-gone'|'endpoint-changed'|'ip-changed', subject, text }]
//   changes:     [{ kind, subject, text, allowed }]                 the flat list that decides the exit status
// }
// Change kinds (also the baseline vocabulary): flow-only-in-a, flow-only-in-b, new-path, gone-path, verdict,
// latency (flow subjects); drop, drop-gone (SKB_DROP_REASON_* subjects); metric (metrics reason); snapshot
// (address or id:<n>). ip-changed snapshot notes and function-rate deltas are information, not changes; so, keyed by
// labels (two clusters), are identity-renumbered (same labels, another number) and endpoint-changed notes.
import { readFileSync } from 'node:fs';
import { openAnalysis, type Analysis, type Row } from '../analyze/loader.js';
import { fsUserError, UserError } from '../errors.js';
import { applyFlow, emptyFlowWarning, flowFilter, type CompiledFlow } from '../analyze/flow-filter.js';
import { sqlFile } from '../analyze/sql-files.js';
import { fmtCounts } from '../render/table.js';
import { dropReasonLabel, tcpFlagNames } from '../capture/vocabulary.js';

export const DIFF_VERSION = 1;
export type KeyBy = 'identity' | 'labels' | 'endpoint' | 'ip' | 'port' | 'process' | 'capture';
const KEY_RANK: KeyBy[] = ['identity', 'labels', 'endpoint', 'ip', 'port', 'process', 'capture'];

export interface DiffOptions {
  by?: 'identity' | 'labels' | 'endpoint' | 'ip' | 'port';
  flow?: string;
  maxFlows?: number;
  baseline?: string;
  warn?: (m: string) => void;
  strict?: boolean;
  /** Latency thresholds: a hop change counts when the median or p99 moves by this factor AND this many ns. */
  latencyFactor?: number;
  latencyMinNs?: number;
}

export interface Side { tracks: number; dropped: number; clients: string[]; servers: string[] }
export interface PathEntry { dir: string; sig: string; in: 'a' | 'b' | 'both'; tracksA: number; tracksB: number; hops: number; verdict: string; dropReason: string | null; dropAt: string | null }
export interface PathChange {
  dir: string; sigA: string; sigB: string; tracksA: number; tracksB: number;
  /** Length of the longest common prefix of the two function sequences. */
  common: number; lastCommon: string | null; nextA: string | null; nextB: string | null;
  /** The first divergent function: B's next function, or A's when B's path simply ends. */
  divergesAt: string | null;
  added: string[]; removed: string[];
  ifaces: { a: string; b: string } | null; netns: { a: string; b: string } | null;
  verdict: { a: string; b: string; dropReason: string | null; dropAt: string | null } | null;
  /** The first TCP flags of each side's tracks (`SYN`, `ACK`, …; null without flags): paths are paired like with like. */
  tcpFlags: { a: string | null; b: string | null };
}
export interface HopLatency { dir: string; sig: string; hop: number; func: string; n: [number, number]; medianNs: [number, number]; p99Ns: [number, number]; significant: boolean }
export interface FlowDiff {
  flow: string; status: 'changed' | 'same' | 'only-a' | 'only-b';
  a: Side | null; b: Side | null;
  paths: PathEntry[]; changed: PathChange[];
  gone: { dir: string; sig: string; tracks: number; verdict: string }[];
  verdicts: { dir: string; a: Record<string, number>; b: Record<string, number> }[];
  latency: HopLatency[];
}
export interface DropRow { reason: string; at: string; flows: string[]; tracks: number }
export interface Change { kind: string; subject: string; text: string; allowed: boolean }
export interface SnapshotNote { kind: 'identity-changed' | 'identity-renumbered' | 'identity-gone' | 'endpoint-changed' | 'ip-changed'; subject: string; text: string }
export interface DiffResult {
  version: number;
  a: { id: string; dir: string; tracks: number; snapshots: boolean };
  b: { id: string; dir: string; tracks: number; snapshots: boolean };
  key: { by: KeyBy; requested: string | null; reason: string };
  filter: string | null;
  summary: { sentence: string; flowsCompared: number; flowsChanged: number; flowsOnlyInA: number; flowsOnlyInB: number; newDrops: number; goneDrops: number; changes: number; allowed: number };
  flows: FlowDiff[];
  truncated: number;
  drops: { new: DropRow[]; gone: DropRow[] };
  funcRates: { func: string; perTrackA: number; perTrackB: number; delta: number }[];
  metrics: { compared: boolean; reason: string | null; rows: { reason: string; direction: string; file: string | null; line: number | null; packetsA: number; packetsB: number }[] };
  snapshots: SnapshotNote[];
  changes: Change[];
}

/** The text of queries/diff/<name>.sql. */
const diffSql = (name: string): string => sqlFile(`diff/${name}`);

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

const globRe = (g: string) => new RegExp(`^${g.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);

// ---------------------------------------------------------------------------------------------------------------
// Baseline: allowed changes, one per line: `<kind> <subject-glob>`; `#` starts a comment.

export interface BaselineRule { kind: string; pattern: RegExp; line: number }
export const CHANGE_KINDS = ['flow-only-in-a', 'flow-only-in-b', 'new-path', 'gone-path', 'verdict', 'latency', 'drop', 'drop-gone', 'metric', 'snapshot'] as const;

export function parseBaseline(text: string, file: string): BaselineRule[] {
  const out: BaselineRule[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const m = /^(\S+)(?:\s+(.+))?$/.exec(line)!;
    const kind = m[1]!;
    if (kind !== '*' && !(CHANGE_KINDS as readonly string[]).includes(kind)) {
      throw new UserError(`baseline: unknown change kind '${kind}' (one of ${CHANGE_KINDS.join(', ')}, or *)`, `${file}:${i + 1}`);
    }
    let subject = (m[2] ?? '*').trim();
    // Drop reasons may be written with or without the SKB_DROP_REASON_ prefix.
    if ((kind === 'drop' || kind === 'drop-gone') && subject !== '*') subject = dropReasonLabel(subject);
    out.push({ kind, pattern: globRe(subject), line: i + 1 });
  });
  return out;
}

export function readBaseline(file: string): BaselineRule[] {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (e) { throw fsUserError(e, file); }
  return parseBaseline(text, file);
}

const allowedBy = (rules: BaselineRule[], c: { kind: string; subject: string }) =>
  rules.some((r) => (r.kind === '*' || r.kind === c.kind) && r.pattern.test(c.subject));

// ---------------------------------------------------------------------------------------------------------------
// Sequence helpers (pure)

/** Length of the longest common prefix. */
export function commonPrefix(a: readonly string[], b: readonly string[]): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/** Functions only in B (added) and only in A (removed), by a longest-common-subsequence alignment. */
export function hopDelta(a: readonly string[], b: readonly string[]): { added: string[]; removed: string[] } {
  const n = a.length, m = b.length;
  const L = Array.from({ length: n + 1 }, () => new Uint16Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) L[i]![j] = a[i] === b[j] ? L[i + 1]![j + 1]! + 1 : Math.max(L[i + 1]![j]!, L[i]![j + 1]!);
  const added: string[] = [], removed: string[] = [];
  let i = 0, j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) { i++; j++; }
    else if (L[i + 1]![j]! >= L[i]![j + 1]!) removed.push(a[i++]!);
    else added.push(b[j++]!);
  }
  while (i < n) removed.push(a[i++]!);
  while (j < m) added.push(b[j++]!);
  return { added, removed };
}

// ---------------------------------------------------------------------------------------------------------------
// The diff

/** drop_label / drop_site: skb_tracks' wording of a drop (`SKB_DROP_REASON_X`, `kfree_skb_reason (after nf_hook_slow)`). */
interface PathRow { capture: string; flow: string; dir: string; path_sig: string; tracks: number; funcs: string[]; verdict: string; drop_label: string | null; drop_site: string | null; ifaces: string; netns: string; tcp_flags: number | null }

export async function diffCaptures(dirA: string, dirB: string, opts: DiffOptions = {}): Promise<DiffResult> {
  const baseline = opts.baseline !== undefined ? readBaseline(opts.baseline) : [];
  if (opts.by !== undefined && !['identity', 'labels', 'endpoint', 'ip', 'port'].includes(opts.by)) throw new UserError(`--by wants identity, labels, endpoint, ip or port, not '${opts.by}'`, '--by');
  if (opts.maxFlows !== undefined && (!Number.isInteger(opts.maxFlows) || opts.maxFlows < 0)) throw new UserError(`--max-flows wants a whole number, not '${opts.maxFlows}'`, '--max-flows');
  const filter = flowFilter(opts.flow);
  const an = await openAnalysis([dirA, dirB], { warn: opts.warn, strict: opts.strict });
  try {
    return await diffLoaded(an, dirA, dirB, filter, baseline, opts);
  } finally {
    an.close();
  }
}

/** The diff over an already loaded Analysis holding both captures (the bench times this part alone). */
export async function diffLoaded(an: Analysis, dirA: string, dirB: string, filter: CompiledFlow, baseline: BaselineRule[], opts: DiffOptions = {}): Promise<DiffResult> {
  const [a, b] = an.captureIds as [string, string];
  const ab = { a, b };
  await an.run(sqlFile('analyze/flow_tracks'));
  const support = await an.run(diffSql('15_key_support'), ab);
  const sup = (id: string) => support.find((r) => r['capture'] === id) ?? {};
  const key = chooseKey(a, b, sup(a), sup(b), opts.by ?? null);
  const kept = await applyFlow(an, filter);
  if (filter.text !== null) {
    const empty = ([['A', a, dirA], ['B', b, dirB]] as const).filter(([, id]) => kept.get(id) === 0).map(([s, , dir]) => `${s} (${dir})`);
    if (empty.length) opts.warn?.(emptyFlowWarning(filter.text, empty.join(' and in ')));
  }
  await an.run(diffSql('20_diff_tracks'), { ...ab, by: key.by });

  const paths = (await an.run(diffSql('30_paths'))).map((r) => ({
    capture: String(r['capture']), flow: String(r['flow']), dir: String(r['dir']), path_sig: String(r['path_sig']), tracks: num(r['tracks']),
    funcs: (r['funcs'] as string[]) ?? [], verdict: String(r['verdict']), drop_label: str(r['drop_label']), drop_site: str(r['drop_site']),
    ifaces: String(r['ifaces'] ?? ''), netns: String(r['netns'] ?? ''), tcp_flags: r['tcp_flags'] === null ? null : num(r['tcp_flags']),
  })) as PathRow[];
  const flowRows = await an.run(diffSql('35_flows'));
  const latRows = await an.run(diffSql('40_hop_latency'));

  const factor = opts.latencyFactor ?? 2;
  const minNs = opts.latencyMinNs ?? 10_000;
  const flowsByName = new Map<string, FlowDiff>();
  const side = (r: Row): Side => ({ tracks: num(r['tracks']), dropped: num(r['dropped']), clients: (r['clients'] as string[]) ?? [], servers: (r['servers'] as string[]) ?? [] });
  for (const r of flowRows) {
    const f = String(r['flow']);
    let fd = flowsByName.get(f);
    if (!fd) { fd = { flow: f, status: 'same', a: null, b: null, paths: [], changed: [], gone: [], verdicts: [], latency: [] }; flowsByName.set(f, fd); }
    if (r['capture'] === a) fd.a = side(r); else fd.b = side(r);
  }
  const pathsByFlow = groupBy(paths, (p) => p.flow);
  const latByFlow = groupBy(latRows, (r) => String(r['flow']));
  for (const fd of flowsByName.values()) {
    if (!fd.a) { fd.status = 'only-b'; fd.paths = pathEntries(pathsByFlow.get(fd.flow) ?? [], a); continue; }
    if (!fd.b) { fd.status = 'only-a'; fd.paths = pathEntries(pathsByFlow.get(fd.flow) ?? [], a); continue; }
    comparePaths(fd, pathsByFlow.get(fd.flow) ?? [], a);
    fd.latency = hopLatency(latByFlow.get(fd.flow) ?? [], a, pathsByFlow.get(fd.flow) ?? [], factor, minNs);
    if (fd.changed.length || fd.gone.length || fd.paths.some((p) => p.in !== 'both') || fd.verdicts.length || fd.latency.some((l) => l.significant)) fd.status = 'changed';
  }
  const order = { changed: 0, 'only-b': 1, 'only-a': 2, same: 3 } as const;
  const flows = [...flowsByName.values()].sort((x, y) => order[x.status] - order[y.status] || (x.flow < y.flow ? -1 : x.flow > y.flow ? 1 : 0));

  const drops = dropDiff(await an.run(diffSql('60_drops')), a);
  const funcRates = (await an.run(diffSql('50_func_rates'), ab))
    .map((r) => ({ func: String(r['func']), perTrackA: round(num(r['per_track_a'])), perTrackB: round(num(r['per_track_b'])), delta: round(num(r['per_track_b']) - num(r['per_track_a'])) }))
    .filter((r) => Math.abs(r.delta) >= 0.05)
    .sort((x, y) => Math.abs(y.delta) - Math.abs(x.delta) || (x.func < y.func ? -1 : 1))
    .slice(0, 20);
  const metrics = metricsDiff(await an.run(diffSql('70_metrics'), ab), a, b);
  const hasSnap = (s: Row) => num(s['ipcache_rows']) + num(s['endpoint_rows']) > 0;
  const snapshots = hasSnap(sup(a)) && hasSnap(sup(b)) ? snapshotDiff(await an.run(diffSql('80_snapshot_addrs'), ab), a, key.by) : [];

  const changes = collectChanges(flows, drops, metrics, snapshots, key.by).map((c) => ({ ...c, allowed: allowedBy(baseline, c) }));
  const max = opts.maxFlows ?? Infinity;
  const shown = flows.slice(0, max);
  const summary = summarise(flows, drops, changes);
  return {
    version: DIFF_VERSION,
    a: { id: a, dir: dirA, tracks: num(sup(a)['tracks']), snapshots: hasSnap(sup(a)) },
    b: { id: b, dir: dirB, tracks: num(sup(b)['tracks']), snapshots: hasSnap(sup(b)) },
    key, filter: opts.flow ?? null, summary, flows: shown, truncated: flows.length - shown.length, drops, funcRates, metrics, snapshots, changes,
  };
}

const round = (x: number) => Math.round(x * 1000) / 1000;

function groupBy<T>(xs: T[], k: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) { const key = k(x); const l = m.get(key); if (l) l.push(x); else m.set(key, [x]); }
  return m;
}

/** The best key both captures support: identity (or endpoint) needs snapshots in both, ip needs tuples. */
function chooseKey(a: string, b: string, sa: Row, sb: Row, requested: string | null): DiffResult['key'] {
  const best = (s: Row): { by: KeyBy; why: string } => {
    if (num(s['with_tuple']) === 0) {
      return num(s['with_process']) > 0
        ? { by: 'process', why: 'its events carry no tuple' }
        : { by: 'capture', why: 'its events carry neither tuple nor process' };
    }
    if (num(s['ipcache_rows']) + num(s['endpoint_rows']) === 0) return { by: 'ip', why: 'it has no ipcache/endpoint snapshot' };
    return { by: 'identity', why: '' };
  };
  // Labels: identities, each of them named by an identity snapshot of its own capture.
  const labelled = (s: Row) => best(s).by === 'identity' && num(s['named_ids']) === num(s['workload_ids']) && num(s['workload_ids']) > 0;
  if (requested === 'labels') {
    const no = ([[a, sa], [b, sb]] as const).filter(([, s]) => !labelled(s)).map(([id, s]) => `${id}: ${best(s).by !== 'identity' ? best(s).why : 'an identity of its flows has no identity list or endpoint list labels'}`);
    if (no.length) throw new UserError(`--by labels is not available (${no.join('; ')}); use --by identity or ip`, '--by');
    return { by: 'labels', requested, reason: '--by labels' };
  }
  const ba = best(sa), bb = best(sb);
  const want: KeyBy = (requested as KeyBy | null) ?? 'identity';
  let by = want;
  const limits: string[] = [];
  for (const [id, s] of [[a, ba], [b, bb]] as const) {
    if (KEY_RANK.indexOf(s.by) > KEY_RANK.indexOf(by)) by = s.by;
    if (KEY_RANK.indexOf(s.by) > KEY_RANK.indexOf(want)) limits.push(`${id}: ${s.why}`);
  }
  // A key asked for by name is not quietly swapped for another one.
  if (requested !== null && limits.length) throw new UserError(`--by ${requested} is not available (${limits.join('; ')}); use --by ${by}`, '--by');
  let reason: string;
  if (limits.length === 0) {
    reason = requested ? `--by ${requested}` : 'both captures have ipcache/endpoint snapshots';
  } else {
    reason = `fell back from ${want} to ${by} (${limits.join('; ')})`;
  }
  // Two clusters number the same workloads differently: by number every flow would be only in A or only in B.
  if (requested === null && by === 'identity' && labelled(sa) && labelled(sb) && num(sa['shared_ids']) === 0 && num(sb['shared_ids']) === 0) {
    by = 'labels';
    reason += '; A and B share no identity number (another cluster?), so flows are keyed by their identities\' labels (--by labels)';
  }
  // Keyed by address, a rerun with new pod addresses would be "every flow only in A, every flow only in B".
  if (requested === null && by === 'ip' && num(sa['shared_addrs']) === 0 && num(sb['shared_addrs']) === 0) {
    by = 'port';
    reason += '; A and B share no address (new pods?), so flows are keyed by server port and L4 (--by port)';
  }
  return { by, requested, reason };
}

function pathEntries(rows: PathRow[], a: string): PathEntry[] {
  const m = new Map<string, PathEntry>();
  for (const r of rows) {
    const k = `${r.dir} ${r.path_sig}`;
    let e = m.get(k);
    if (!e) {
      e = { dir: r.dir, sig: r.path_sig, in: r.capture === a ? 'a' : 'b', tracksA: 0, tracksB: 0, hops: r.funcs.length, verdict: r.verdict, dropReason: r.drop_label, dropAt: r.drop_site };
      m.set(k, e);
    } else e.in = 'both';
    if (r.capture === a) e.tracksA += r.tracks; else e.tracksB += r.tracks;
  }
  return [...m.values()].sort((x, y) => (x.dir < y.dir ? -1 : x.dir > y.dir ? 1 : 0) || (y.tracksA + y.tracksB) - (x.tracksA + x.tracksB) || (x.sig < y.sig ? -1 : 1));
}

/**
 * Each path only in B is paired with the A path of the same direction sharing the longest function prefix
 * (A-only paths first, then more tracks, then signature), giving the first divergent function. A-only paths no B
 * path chose are listed as gone.
 */
function comparePaths(fd: FlowDiff, rows: PathRow[], a: string): void {
  fd.paths = pathEntries(rows, a);
  const bySig = new Map(rows.map((r) => [`${r.capture === a ? 'a' : 'b'} ${r.dir} ${r.path_sig}`, r]));
  const get = (s: 'a' | 'b', p: PathEntry) => bySig.get(`${s} ${p.dir} ${p.sig}`)!;
  const paired = new Set<string>();
  for (const pb of fd.paths.filter((p) => p.in === 'b')) {
    const rb = get('b', pb);
    let best: { p: PathEntry; r: PathRow; c: number; s: number } | null = null;
    // Like with like: a SYN's path is compared with a SYN's, not with the final ACK's, when A has one.
    const sameFlags = fd.paths.some((pa) => pa.in !== 'b' && pa.dir === pb.dir && get('a', pa).tcp_flags === rb.tcp_flags);
    for (const pa of fd.paths) {
      if (pa.in === 'b' || pa.dir !== pb.dir) continue;
      if (sameFlags && get('a', pa).tcp_flags !== rb.tcp_flags) continue;
      const ra = get('a', pa);
      const c = commonPrefix(ra.funcs, rb.funcs);
      if (best && c < best.c) continue;
      // Ties on the prefix go to the path sharing the most functions overall (LCS), then A-only, then more tracks.
      const s = ra.funcs.length - hopDelta(ra.funcs, rb.funcs).removed.length;
      const better = !best || c > best.c || s > best.s
        || (s === best.s && ((pa.in === 'a') > (best.p.in === 'a') || ((pa.in === 'a') === (best.p.in === 'a') && pa.tracksA > best.p.tracksA)));
      if (better) best = { p: pa, r: ra, c, s };
    }
    if (!best) continue; // a direction A never had: the path is listed, nothing to align it with
    paired.add(`${best.p.dir} ${best.p.sig}`);
    fd.changed.push(pathChange(best.r, rb, best.c));
  }
  for (const pa of fd.paths.filter((p) => p.in === 'a' && !paired.has(`${p.dir} ${p.sig}`))) fd.gone.push({ dir: pa.dir, sig: pa.sig, tracks: pa.tracksA, verdict: pa.verdict });
  for (const dir of [...new Set(rows.map((r) => r.dir))].sort()) {
    const count = (cap: 'a' | 'b') => {
      const o: Record<string, number> = {};
      for (const r of rows) if (r.dir === dir && (r.capture === a) === (cap === 'a')) o[r.verdict] = (o[r.verdict] ?? 0) + r.tracks;
      return o;
    };
    const va = count('a'), vb = count('b');
    // A change in the mix of verdicts (a verdict appearing or vanishing), not in how many packets there were.
    const ka = Object.keys(va).sort().join(','), kb = Object.keys(vb).sort().join(',');
    if (ka !== kb && ka !== '' && kb !== '') fd.verdicts.push({ dir, a: va, b: vb });
  }
}

function pathChange(ra: PathRow, rb: PathRow, c: number): PathChange {
  const nextA = ra.funcs[c] ?? null, nextB = rb.funcs[c] ?? null;
  const { added, removed } = hopDelta(ra.funcs, rb.funcs);
  const verdictChanged = ra.verdict !== rb.verdict || ra.drop_label !== rb.drop_label;
  return {
    dir: rb.dir, sigA: ra.path_sig, sigB: rb.path_sig, tracksA: ra.tracks, tracksB: rb.tracks,
    common: c, lastCommon: c > 0 ? ra.funcs[c - 1]! : null, nextA, nextB, divergesAt: nextB ?? nextA,
    added, removed,
    ifaces: ra.ifaces !== rb.ifaces ? { a: ra.ifaces, b: rb.ifaces } : null,
    netns: ra.netns.split(' ').length !== rb.netns.split(' ').length ? { a: ra.netns, b: rb.netns } : null,
    verdict: verdictChanged ? { a: ra.verdict, b: rb.verdict, dropReason: rb.drop_label, dropAt: rb.drop_site } : null,
    tcpFlags: { a: ra.tcp_flags === null ? null : tcpFlagNames(ra.tcp_flags), b: rb.tcp_flags === null ? null : tcpFlagNames(rb.tcp_flags) },
  };
}

function hopLatency(rows: Row[], a: string, paths: PathRow[], factor: number, minNs: number): HopLatency[] {
  const funcsOf = new Map(paths.map((p) => [`${p.dir} ${p.path_sig}`, p.funcs]));
  const byHop = groupBy(rows, (r) => `${r['dir']} ${r['path_sig']} ${r['hop']}`);
  const out: HopLatency[] = [];
  for (const rs of byHop.values()) {
    const ra = rs.find((r) => r['capture'] === a), rb = rs.find((r) => r['capture'] !== a);
    if (!ra || !rb) continue;
    const med: [number, number] = [num(ra['median_ns']), num(rb['median_ns'])];
    const p99: [number, number] = [num(ra['p99_ns']), num(rb['p99_ns'])];
    const moved = (x: [number, number]) => Math.abs(x[1] - x[0]) >= minNs && Math.max(x[0], x[1]) >= factor * Math.max(1, Math.min(x[0], x[1]));
    const hop = num(ra['hop']);
    out.push({
      dir: String(ra['dir']), sig: String(ra['path_sig']), hop, func: funcsOf.get(`${ra['dir']} ${ra['path_sig']}`)?.[hop - 1] ?? '?',
      n: [num(ra['n']), num(rb['n'])], medianNs: med.map(Math.round) as [number, number], p99Ns: p99.map(Math.round) as [number, number], significant: moved(med) || moved(p99),
    });
  }
  // Keep what moved, biggest first; hops that did not move are noise in a diff.
  return out.filter((l) => l.significant).sort((x, y) => Math.abs(y.medianNs[1] - y.medianNs[0]) - Math.abs(x.medianNs[1] - x.medianNs[0]) || x.hop - y.hop);
}

function dropDiff(rows: Row[], a: string): DiffResult['drops'] {
  const agg = (cap: 'a' | 'b') => {
    const m = new Map<string, DropRow>();
    for (const r of rows) {
      if ((r['capture'] === a) !== (cap === 'a')) continue;
      const reason = str(r['drop_label']) ?? 'unknown';
      const at = str(r['drop_site']) ?? '?';
      const k = `${reason} ${at}`;
      let d = m.get(k);
      if (!d) { d = { reason, at, flows: [], tracks: 0 }; m.set(k, d); }
      d.tracks += num(r['tracks']);
      if (!d.flows.includes(String(r['flow']))) d.flows.push(String(r['flow']));
    }
    return m;
  };
  const ma = agg('a'), mb = agg('b');
  const reasonsA = new Set([...ma.values()].map((d) => d.reason)), reasonsB = new Set([...mb.values()].map((d) => d.reason));
  // A reason is new when B drops for it and A never did (at any site); gone the other way round.
  return {
    new: [...mb.values()].filter((d) => !reasonsA.has(d.reason)),
    gone: [...ma.values()].filter((d) => !reasonsB.has(d.reason)),
  };
}

function metricsDiff(rows: Row[], a: string, b: string): DiffResult['metrics'] {
  if (rows.length === 0) return { compared: false, reason: 'no metrics snapshots in either capture', rows: [] };
  const missing = [a, b].filter((id, i) => rows.every((r) => r[i === 0 ? 'packets_a' : 'packets_b'] === null));
  if (missing.length) return { compared: false, reason: `${missing.join(' and ')}: no start and end metrics snapshots`, rows: [] };
  // A counter that moved in one window and stood still in the other is what differs between the runs.
  return {
    compared: true, reason: null,
    rows: rows.filter((r) => (num(r['packets_a']) > 0) !== (num(r['packets_b']) > 0))
      .map((r) => ({ reason: String(r['reason']), direction: String(r['direction']), file: str(r['file']), line: r['line'] === null ? null : num(r['line']), packetsA: num(r['packets_a']), packetsB: num(r['packets_b']) })),
  };
}

/** An identity in a note, one form for every kind: `k8s:app=client (26328)`, or the number alone without a name. */
const shownIdentity = (id: number | null, name: unknown) => (id === null ? 'none' : name ? `${String(name)} (${id})` : String(id));

function snapshotDiff(rows: Row[], a: string, by: KeyBy): SnapshotNote[] {
  const out: SnapshotNote[] = [];
  const byAddr = groupBy(rows, (r) => String(r['addr']));
  const idIps = new Map<number, { a: Set<string>; b: Set<string> }>();
  const namesInB = new Set(rows.filter((r) => r['capture'] !== a && r['name_b']).map((r) => String(r['name_b'])));
  for (const [addr, rs] of byAddr) {
    const inA = rs.some((r) => r['capture'] === a), inB = rs.some((r) => r['capture'] !== a);
    const r = rs[0]!;
    const idA = r['id_a'] === null ? null : num(r['id_a']), idB = r['id_b'] === null ? null : num(r['id_b']);
    // Workload identities only (cilium_workload_identity in SQL): a reserved one changing names no workload.
    const widA = r['wid_a'] === null ? null : num(r['wid_a']), widB = r['wid_b'] === null ? null : num(r['wid_b']);
    if (inA && inB && idA !== idB && (widA !== null || widB !== null)) {
      // Keyed by labels, a number that differs under the same labels is the other cluster's numbering.
      if (by === 'labels' && r['name_a'] && r['name_a'] === r['name_b']) out.push({ kind: 'identity-renumbered', subject: addr, text: `${addr}: identity ${String(r['name_a'])}, ${idA} in A, ${idB} in B` });
      else out.push({ kind: 'identity-changed', subject: addr, text: `${addr}: identity ${shownIdentity(idA, r['name_a'])} in A, ${shownIdentity(idB, r['name_b'])} in B` });
    }
    const epA = r['ep_a'] === null ? null : num(r['ep_a']), epB = r['ep_b'] === null ? null : num(r['ep_b']);
    if (inA && inB && epA !== null && epA !== epB) out.push({ kind: 'endpoint-changed', subject: addr, text: `${addr}: endpoint ${epA} in A, ${epB ?? 'none'} in B` });
    for (const x of rs) {
      const mine = x['capture'] === a ? widA : widB;
      if (mine === null) continue;
      let e = idIps.get(mine);
      if (!e) { e = { a: new Set(), b: new Set() }; idIps.set(mine, e); }
      (x['capture'] === a ? e.a : e.b).add(addr);
      // Keyed by labels, an identity is gone only when B names none with its labels.
      if (x['capture'] === a && !x['id_in_other'] && !inB && !(by === 'labels' && x['name_a'] && namesInB.has(String(x['name_a'])))) {
        out.push({ kind: 'identity-gone', subject: `id:${mine}`, text: `identity ${shownIdentity(mine, x['name_a'])}, ${addr} in A, has no ipcache/endpoint entry in B` });
      }
    }
  }
  // The identities' names (identity_names of A, else B) for the notes; the number stays the subject.
  const names = new Map<number, string>();
  for (const r of rows) {
    for (const [id, name] of [[r['id_b'], r['name_b']], [r['id_a'], r['name_a']]] as const) if (id !== null && name) names.set(num(id), String(name));
  }
  for (const [id, e] of [...idIps].sort((x, y) => x[0] - y[0])) {
    const sa = [...e.a].sort().join(','), sb = [...e.b].sort().join(',');
    if (e.a.size && e.b.size && sa !== sb) out.push({ kind: 'ip-changed', subject: `id:${id}`, text: `identity ${shownIdentity(id, names.get(id))}: ${sa} in A, ${sb} in B` });
  }
  return out;
}

function collectChanges(flows: FlowDiff[], drops: DiffResult['drops'], metrics: DiffResult['metrics'], snaps: SnapshotNote[], by: KeyBy): Omit<Change, 'allowed'>[] {
  const out: Omit<Change, 'allowed'>[] = [];
  for (const f of flows) {
    if (f.status === 'only-a') out.push({ kind: 'flow-only-in-a', subject: f.flow, text: `flow ${f.flow} only in A (${f.a!.tracks} tracks)` });
    if (f.status === 'only-b') out.push({ kind: 'flow-only-in-b', subject: f.flow, text: `flow ${f.flow} only in B (${f.b!.tracks} tracks)` });
    const nb = f.paths.filter((p) => p.in === 'b').length, na = f.paths.filter((p) => p.in === 'a').length;
    if (f.status === 'changed' && nb) out.push({ kind: 'new-path', subject: f.flow, text: `${nb} path(s) only in B in flow ${f.flow}` });
    if (f.status === 'changed' && na) out.push({ kind: 'gone-path', subject: f.flow, text: `${na} path(s) only in A in flow ${f.flow}` });
    for (const v of f.verdicts) out.push({ kind: 'verdict', subject: f.flow, text: `${v.dir} verdicts ${fmtCounts(v.a)} → ${fmtCounts(v.b)} in flow ${f.flow}` });
    const lat = f.latency.filter((l) => l.significant);
    if (lat.length) out.push({ kind: 'latency', subject: f.flow, text: `${lat.length} hop(s) slower or faster in flow ${f.flow}` });
  }
  for (const d of drops.new) out.push({ kind: 'drop', subject: d.reason, text: `new drop ${d.reason} at ${d.at} (${d.tracks} tracks)` });
  for (const d of drops.gone) out.push({ kind: 'drop-gone', subject: d.reason, text: `drop ${d.reason} at ${d.at} gone (${d.tracks} tracks in A)` });
  for (const m of metrics.rows) out.push({ kind: 'metric', subject: m.reason, text: `metric '${m.reason}' ${m.direction} ${m.file ?? ''}:${m.line ?? ''}: +${m.packetsA} in A, +${m.packetsB} in B` });
  const info = (s: SnapshotNote) => s.kind === 'ip-changed' || s.kind === 'identity-renumbered' || (by === 'labels' && s.kind === 'endpoint-changed');
  for (const s of snaps) if (!info(s)) out.push({ kind: 'snapshot', subject: s.subject, text: s.text });
  return out;
}


function summarise(flows: FlowDiff[], drops: DiffResult['drops'], changes: Change[]): DiffResult['summary'] {
  const count = (s: FlowDiff['status']) => flows.filter((f) => f.status === s).length;
  const changed = count('changed'), onlyA = count('only-a'), onlyB = count('only-b');
  const parts: string[] = [];
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  if (changed) parts.push(`${plural(changed, 'flow')} changed`);
  if (onlyA) parts.push(`${plural(onlyA, 'flow')} only in A`);
  if (onlyB) parts.push(`${plural(onlyB, 'flow')} only in B`);
  if (drops.new.length) {
    const d = drops.new[0]!;
    parts.push(`${plural(drops.new.length, 'new drop')}: ${d.reason} at ${d.at} in flow ${d.flows.join(', ')}`);
  }
  if (drops.gone.length) parts.push(`${plural(drops.gone.length, 'drop')} gone`);
  const rest = changes.filter((c) => !['flow-only-in-a', 'flow-only-in-b', 'new-path', 'gone-path', 'verdict', 'latency', 'drop', 'drop-gone'].includes(c.kind)).length;
  if (rest) parts.push(`${plural(rest, 'other change')}`);
  const allowed = changes.filter((c) => c.allowed).length;
  let sentence = parts.length ? parts.join(', ') : 'no differences';
  if (allowed) sentence += ` (${allowed} of ${changes.length} change${changes.length === 1 ? '' : 's'} allowed by the baseline)`;
  return {
    sentence, flowsCompared: flows.filter((f) => f.a && f.b).length, flowsChanged: changed, flowsOnlyInA: onlyA, flowsOnlyInB: onlyB,
    newDrops: drops.new.length, goneDrops: drops.gone.length, changes: changes.length - allowed, allowed,
  };
}
