// Text of `skbtape tracks`: one line per skb lifetime, in the spirit of `hubble observe -o compact`.
import type { TrackLine, TracksResult } from '../analyze/tracks.js';
import { identityText } from './identity.js';

const label = (addr: string | null, id: number | null, ep: number | null, name: string | null) => {
  const l = [id !== null ? identityText(id, name) : null, ep !== null ? `ep ${ep}` : null].filter(Boolean).join(', ');
  return `${addr ?? '?'}${l ? ` (${l})` : ''}`;
};

export const fmtNs = (ns: number | null): string =>
  ns === null ? '-' : ns < 1000 ? `${ns}ns` : ns < 1e6 ? `${(ns / 1e3).toFixed(1)}µs` : ns < 1e9 ? `${(ns / 1e6).toFixed(2)}ms` : `${(ns / 1e9).toFixed(3)}s`;

function when(t: TrackLine): string {
  if (t.wall) return t.wall.replace('T', ' ').replace('Z', '');
  return t.relNs === null ? '-' : `+${(t.relNs / 1e9).toFixed(6)}s`;
}

export function trackLine(t: TrackLine): string {
  const tuple = t.src || t.dst ? `${label(t.src, t.srcIdentity, t.srcEndpoint, t.srcIdentityName)} → ${label(t.dst, t.dstIdentity, t.dstEndpoint, t.dstIdentityName)}${t.l4 ? ` ${t.l4}` : ''}` : '(no tuple)';
  const verdict = t.verdict === 'dropped' ? `DROPPED ${t.dropReason ?? 'reason unknown'}${t.dropSite ? ` at ${t.dropSite}` : ''}` : t.verdict.toUpperCase();
  const parts = [when(t), tuple];
  if (t.tcpFlags) parts.push(t.tcpFlags);
  parts.push(verdict);
  if (t.ifaces.length) parts.push(`via ${t.ifaces.join(' → ')}`);
  if (t.netns.length > 1) parts.push(`netns ${t.netns.join(' → ')}`);
  parts.push(`${t.hops} hops ${fmtNs(t.durationNs)}`, t.track);
  return parts.join('  ');
}

export function renderTracksText(r: TracksResult): string {
  const head = `${r.capture}: ${r.lines.length} of ${r.matched} matching skb lifetime(s) (${r.total} in the capture)`;
  return [head, ...r.lines.map(trackLine)].join('\n') + '\n';
}
