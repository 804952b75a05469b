// The one-screen summary of a capture (import, info, record): counts, time range, source, first rejects.
// Pure: takes the manifest, returns data; renderSummary turns it into text.
import type { Manifest } from '../capture/manifest.js';
import { eraVersions, parseLayoutKey } from '../capture/layout.js';
import { identityOf } from '../capture/capture-id.js';
import { lossLine, readLoss, unreportedLoss } from '../capture/loss.js';

export interface CaptureSummary {
  dir: string;
  /** The capture's id (unique across nodes) and the node it was recorded on. */
  id: string;
  node: string;
  derivedFrom?: Manifest['derivedFrom'];
  status: Manifest['status'];
  statusReason?: string;
  source: Manifest['source'];
  createdAt: string;
  counts: Manifest['counts'];
  timeRange?: Manifest['timeRange'];
  durationMs?: number;
  layouts: { key: string; versions: string }[];
  firstRejectLines: number[];
  snapshots: Manifest['snapshots'];
  pwru?: Manifest['pwru'];
  target?: Manifest['target'];
  command?: Manifest['command'];
  warnings: string[];
  /** Loss reports (capture/loss.ts): null for a capture made before skbtape kept them. */
  loss: Manifest['loss'] | null;
  /** Why loss may have gone unreported (the tracer does not report it), or null when the tracer reports all it drops. */
  lossUnreported: string | null;
  schemaVersion: number;
  skbtapeVersion: string;
}

export function captureSummary(dir: string, m: Manifest): CaptureSummary {
  const tr = m.timeRange;
  const durationMs = tr?.firstKtime && tr.lastKtime ? Number(BigInt(tr.lastKtime) - BigInt(tr.firstKtime)) / 1e6 : undefined;
  const who = identityOf(m, dir);
  return {
    dir, id: who.id, node: who.node, derivedFrom: m.derivedFrom, status: m.status, statusReason: m.statusReason, source: m.source, createdAt: m.createdAt, counts: m.counts,
    timeRange: tr, durationMs,
    layouts: m.layouts.map((key) => ({ key, versions: eraVersions(parseLayoutKey(key)) })),
    firstRejectLines: m.firstRejects.slice(0, 5).map((r) => r.line),
    snapshots: m.snapshots, pwru: m.pwru, target: m.target, command: m.command, warnings: m.warnings, loss: m.loss ?? null, lossUnreported: unreportedLoss(m, readLoss(dir)),
    schemaVersion: m.schemaVersion, skbtapeVersion: m.skbtapeVersion,
  };
}

export function renderSummary(s: CaptureSummary): string {
  const c = s.counts;
  const n = (x: number) => x.toLocaleString('en-US');
  const out: string[] = [];
  out.push(`capture   ${s.dir}  (${s.status}${s.statusReason ? `: ${s.statusReason}` : ''})`);
  out.push(`id        ${s.id}  (node ${s.node})`);
  const d = s.derivedFrom;
  if (d) out.push(`cut from  ${d.captureId} by ${[d.flow && `--flow '${d.flow}'`, d.since && `--since ${d.since}`, d.until && `--until ${d.until}`, d.tracks?.length && `--track ${d.tracks.join(' ')}`].filter(Boolean).join(' ')}: ${d.eventsAfter} of ${d.eventsBefore} events, ${d.tracksAfter} of ${d.tracksBefore} lifetimes`);
  out.push(`source    ${s.source.kind}${s.source.path ? ` ${s.source.path}` : ''}${s.source.tool ? ` via ${s.source.tool}` : ''}, format ${s.source.format}`);
  if (s.pwru?.version || s.pwru?.argv) out.push(`pwru      ${s.pwru.version ?? '?'}  ${s.pwru.argv ? s.pwru.argv.join(' ') : ''}`.trimEnd());
  out.push(`events    ${n(c.events)} from ${n(c.inputLines)} lines, ${n(c.skbs)} skb addresses, ${n(c.batches)} batch(es)`);
  out.push(`other     ${n(c.logLines)} log/header lines, ${n(c.continuationLines)} continuation lines, ${n(c.blankLines)} blank`);
  out.push(`rejects   ${n(c.rejects)}${s.firstRejectLines.length ? ` (first at line${s.firstRejectLines.length > 1 ? 's' : ''} ${s.firstRejectLines.join(', ')})` : ''}`);
  // Loss is said even when there is none: a capture that could not know says so, too.
  const said = s.loss === null ? 'not known (made before skbtape kept loss reports)' : lossLine({ loss: s.loss }) ?? 'none reported';
  out.push(`loss      ${said}${s.lossUnreported ? `; ${s.lossUnreported}` : ''}`);
  if (s.timeRange?.firstKtime) out.push(`ktime     ${s.timeRange.firstKtime} … ${s.timeRange.lastKtime}  (${(s.durationMs ?? 0).toFixed(3)} ms)`);
  if (s.timeRange?.firstAbs) out.push(`wall      ${s.timeRange.firstAbs} … ${s.timeRange.lastAbs}`);
  if (s.layouts.length) out.push(`layout    ${s.layouts.map((l) => `${l.key} (${l.versions})`).join('; ')}`);
  if (s.target && Object.keys(s.target).length) out.push(`target    ${Object.entries(s.target).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`).join(' ')}`);
  if (s.command) {
    const c = s.command;
    const exit = c.exit !== undefined ? `exit ${c.exit}${c.exit !== 0 ? ` (${c.exitText})` : ''}` : `exit ${c.exitCode ?? c.signal}`;
    out.push(`command   ${c.argv.join(' ')} → ${exit}, ${c.durationMs} ms`);
  }
  for (const sn of s.snapshots) out.push(`snapshot  ${sn.phase} ${sn.kind}: ${sn.status}${sn.reason ? ` (${sn.reason})` : ''}`);
  for (const w of s.warnings) out.push(`warning   ${w}`);
  return out.join('\n') + '\n';
}
