// `skbtape tracks`: one compact line per skb lifetime, as `hubble observe -o compact` prints flows: time, tuple with
// Cilium labels, TCP flags, verdict and drop, devices and netns passed, hops, duration (queries/reports/_tracks.sql).
// Filtering by --flow is flow-filter.ts's; the text is render/tracks.ts's.
import { openAnalysis } from './loader.js';
import { applyFlow, emptyFlowWarning, flowFilter } from './flow-filter.js';
import { sqlFile } from './sql-files.js';

export interface TrackLine {
  track: string;
  /** ns from the capture's first event to this lifetime's first hop (null without absolute timestamps). */
  relNs: number | null;
  /** ISO wall-clock time of the first hop, when the capture measured the clock offset. */
  wall: string | null;
  src: string | null; dst: string | null; l4: string | null;
  srcIdentity: number | null; dstIdentity: number | null; srcEndpoint: number | null; dstEndpoint: number | null;
  /** The identities' names from the identity snapshots (render/identity.ts), null when none names them. */
  srcIdentityName: string | null; dstIdentityName: string | null;
  tcpFlags: string | null;
  verdict: string; dropReason: string | null; dropSite: string | null;
  ifaces: string[]; netns: number[];
  hops: number; durationNs: number | null;
}

export interface TracksResult { capture: string; total: number; matched: number; lines: TrackLine[] }

export interface TracksOptions {
  flow?: string;
  /** Window on the first hop, in ns after the capture's first event. */
  sinceNs?: number; untilNs?: number;
  /** Only the last N lifetimes (of those the other filters keep). */
  last?: number;
  cache?: boolean;
  warn?: (m: string) => void;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const str = (v: unknown): string | null => (v === null || v === undefined || v === '' ? null : String(v));
const hostPort = (a: string | null, p: number | null) => (a === null ? null : `${a.includes(':') ? `[${a}]` : a}${p !== null ? `:${p}` : ''}`);

export async function compactTracks(capture: string, o: TracksOptions = {}): Promise<TracksResult> {
  const flow = flowFilter(o.flow);
  const a = await openAnalysis([capture], { cache: o.cache ?? true, warn: o.warn });
  try {
    const kept = await applyFlow(a, flow);
    const id = a.captureIds[0]!;
    const total = Number((await a.run('SELECT count(*) AS n FROM skb_tracks'))[0]!['n']);
    const matched = kept.get(id) ?? total;
    if (flow.text !== null && matched === 0) o.warn?.(emptyFlowWarning(flow.text, capture));
    const big = (x: number | undefined) => (x === undefined ? null : BigInt(Math.round(x)));
    const rows = await a.run(sqlFile('analyze/tracks'), { since_ns: big(o.sinceNs), until_ns: big(o.untilNs), last: big(o.last) });
    const lines = rows.map((r): TrackLine => ({
      track: String(r['track_id']), relNs: num(r['rel_ns']),
      wall: r['wall'] instanceof Date ? r['wall'].toISOString() : str(r['wall']),
      src: hostPort(str(r['saddr']), num(r['sport'])), dst: hostPort(str(r['daddr']), num(r['dport'])), l4: str(r['l4']),
      srcIdentity: num(r['src_identity']), dstIdentity: num(r['dst_identity']),
      srcIdentityName: str(r['src_identity_name']), dstIdentityName: str(r['dst_identity_name']), srcEndpoint: num(r['src_endpoint']), dstEndpoint: num(r['dst_endpoint']),
      tcpFlags: str(r['tcp_flags']), verdict: String(r['verdict']), dropReason: str(r['drop_label']), dropSite: str(r['drop_site']),
      ifaces: (r['ifaces'] as string[] | null) ?? [], netns: ((r['netns'] as unknown[] | null) ?? []).map(Number),
      hops: Number(r['hops']), durationNs: num(r['duration_ns']),
    }));
    // A window or --last that keeps nothing of what the flow matched is said too: an empty answer is never silent.
    if (lines.length === 0 && matched > 0 && (o.sinceNs !== undefined || o.untilNs !== undefined)) {
      o.warn?.(`--since/--until kept none of the ${matched} lifetime(s) in ${capture}${rows.length === 0 && lines.length === 0 ? ' (times count from the capture\'s first event; a capture without absolute timestamps has none)' : ''}`);
    }
    return { capture: id, total, matched, lines };
  } finally {
    a.close();
  }
}
