// DiffResult -> text: the summary sentence first (one screen at most), then per-flow details and the whole-capture
// sections. Pure: returns a string; the command writes it.
import type { DiffResult, FlowDiff } from '../diff/diff.js';
import { fmtCounts } from './table.js';

const LIST_MAX = 8;
const list = (xs: string[]) => (xs.length <= LIST_MAX ? xs.join(', ') : `${xs.slice(0, LIST_MAX).join(', ')}, … (+${xs.length - LIST_MAX})`);
const us = (ns: number) => `${(ns / 1000).toFixed(1)}µs`;
const sig = (s: string) => s.slice(0, 8);

export function renderDiffText(r: DiffResult): string {
  const L: string[] = [];
  L.push(`skbtape diff: A=${r.a.id} (${r.a.tracks} tracks) B=${r.b.id} (${r.b.tracks} tracks)`);
  L.push(`flow key: ${r.key.by} — ${r.key.reason}${r.filter ? `; --flow '${r.filter}'` : ''}`);
  L.push(`summary: ${r.summary.sentence}`);
  for (const c of r.changes.slice(0, 10)) L.push(`  ${c.allowed ? '=' : '!'} ${c.kind} ${c.subject}: ${c.text}`);
  if (r.changes.length > 10) L.push(`  … ${r.changes.length - 10} more changes (--format json lists all)`);
  L.push('');
  L.push(`flows: ${r.summary.flowsCompared} in both, ${r.summary.flowsChanged} changed, ${r.summary.flowsOnlyInA} only in A, ${r.summary.flowsOnlyInB} only in B`);
  for (const f of r.flows) L.push(...flowText(f));
  if (r.truncated) L.push(`… ${r.truncated} more flows (raise --max-flows)`);
  L.push('');
  L.push('drops:');
  if (!r.drops.new.length && !r.drops.gone.length) L.push('  no drop reason new or gone');
  for (const d of r.drops.new) L.push(`  + ${d.reason} at ${d.at}: ${d.tracks} tracks in ${d.flows.join(', ')}`);
  for (const d of r.drops.gone) L.push(`  - ${d.reason} at ${d.at}: ${d.tracks} tracks in A, none in B`);
  L.push('function hits per track (A → B, |Δ| ≥ 0.05):');
  if (!r.funcRates.length) L.push('  no change');
  for (const x of r.funcRates.slice(0, 10)) L.push(`  ${x.func.padEnd(32)} ${x.perTrackA.toFixed(2)} → ${x.perTrackB.toFixed(2)}`);
  L.push(`metrics: ${r.metrics.compared ? (r.metrics.rows.length ? '' : 'no counter moved in only one window') : `not compared (${r.metrics.reason})`}`);
  for (const m of r.metrics.rows) L.push(`  ${m.reason} ${m.direction} ${m.file ?? ''}:${m.line ?? ''}: +${m.packetsA} in A, +${m.packetsB} in B`);
  L.push(`snapshots: ${r.a.snapshots && r.b.snapshots ? (r.snapshots.length ? '' : 'nothing that matters to these flows changed') : 'not compared (a capture has no ipcache/endpoint snapshot)'}`);
  for (const s of r.snapshots) L.push(`  ${s.kind}: ${s.text}`);
  return L.map((l) => l.trimEnd()).join('\n') + '\n';
}

function flowText(f: FlowDiff): string[] {
  const mark = { changed: '~', same: '=', 'only-a': '-', 'only-b': '+' }[f.status];
  const side = (s: FlowDiff['a']) => (s ? `${s.tracks} tracks${s.dropped ? ` (${s.dropped} dropped)` : ''} ${s.clients.join(',')}→${s.servers.join(',')}` : 'absent');
  const L = [`${mark} ${f.flow}  [${f.status}]`, `    A: ${side(f.a)}`, `    B: ${side(f.b)}`];
  if (f.status === 'same') return L;
  if (f.status !== 'changed') {
    for (const p of f.paths.slice(0, 4)) L.push(`    ${p.dir} path ${sig(p.sig)}: ${p.tracksA + p.tracksB} tracks, ${p.hops} hops, ${p.verdict}${p.dropReason ? ` ${p.dropReason} at ${p.dropAt ?? '?'}` : ''}`);
    return L;
  }
  const both = f.paths.filter((p) => p.in === 'both').length;
  L.push(`    paths: ${both} in both, ${f.paths.filter((p) => p.in === 'a').length} only in A, ${f.paths.filter((p) => p.in === 'b').length} only in B`);
  for (const c of f.changed) {
    const fl = (x: string | null) => (x ? ` ${x}` : '');
    L.push(`    ${c.dir} path ${sig(c.sigA)}${fl(c.tcpFlags.a)} (A ${c.tracksA}) → ${sig(c.sigB)}${fl(c.tcpFlags.b)} (B ${c.tracksB}): first divergent function ${c.divergesAt ?? '(none)'}`);
    L.push(`      common prefix ${c.common} hops${c.lastCommon ? ` up to ${c.lastCommon}` : ''}; next: A ${c.nextA ?? '(end)'}, B ${c.nextB ?? '(end)'}`);
    if (c.verdict) L.push(`      verdict ${c.verdict.a} → ${c.verdict.b}${c.verdict.dropReason ? ` (${c.verdict.dropReason} at ${c.verdict.dropAt ?? '?'})` : ''}`);
    if (c.added.length) L.push(`      hops added:   ${list(c.added)}`);
    if (c.removed.length) L.push(`      hops removed: ${list(c.removed)}`);
    if (c.ifaces) L.push(`      ifaces: ${c.ifaces.a} → ${c.ifaces.b}`);
    if (c.netns) L.push(`      netns: ${c.netns.a} → ${c.netns.b}`);
  }
  if (f.gone.length) L.push(`    gone (only in A, nothing in B aligned with them): ${f.gone.map((g) => `${g.dir} ${sig(g.sig)} ×${g.tracks}`).join(', ')}`);
  for (const v of f.verdicts) L.push(`    ${v.dir} verdicts: ${fmtCounts(v.a)} → ${fmtCounts(v.b)}`);
  for (const l of f.latency.slice(0, 5)) {
    L.push(`    latency ${l.dir} ${sig(l.sig)} hop ${l.hop} ${l.func}: median ${us(l.medianNs[0])} → ${us(l.medianNs[1])}, p99 ${us(l.p99Ns[0])} → ${us(l.p99Ns[1])}`);
  }
  return L;
}
