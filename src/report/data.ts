// What `skbtape report` embeds, as data: the capture's facts (manifest), and aggregates computed in DuckDB (verdicts,
// flows, path groups with their example journey, drops, metrics deltas), capped so a 1 M-event capture stays a page;
// with --diff also `skbtape diff`'s result and both sides' function lists of the changed paths. The HTML is html.ts's.
import { listValue } from '../analyze/duckdb.js';
import { readManifest, type Manifest } from '../capture/manifest.js';
import { eventsOfBatch, readBatches } from '../capture/reader.js';
import { parseLayoutKey } from '../capture/layout.js';
import { readLoss, unreportedLoss } from '../capture/loss.js';
import { openAnalysis, type Analysis, type Row } from '../analyze/loader.js';
import { flowFilter } from '../analyze/flow-filter.js';
import { journeys, type Hop } from '../analyze/paths.js';
import { sqlFile } from '../analyze/sql-files.js';
import { newRenderState, renderHeader, renderText } from '../render/pwru-layout.js';
import type { DiffResult } from '../diff/diff.js';
import { SKBTAPE_VERSION } from '../version.js';

/** What is embedded at most; the page says when a cap left something out. */
export const CAPS = { flows: 200, paths: 30, tracksPerPath: 20, exampleLines: 200 } as const;

export interface ReportHop extends Hop { medianDeltaNs: number | null }
export interface ReportPath {
  sig: string; verdict: string; verdictText: string; dropReason: string | null; tracks: number; trackIds: string[]; flows: string[];
  tupleText: string | null; exampleTrack: string; durationNs: number | null; hops: ReportHop[];
  /** The example track's events in pwru's layout (header first when the layout has one). */
  pwruLines: string[];
}
export interface ReportFlow {
  flow: string; client: string | null; server: string | null; port: number | null; l4: string | null;
  clientIdentity: number | null; serverIdentity: number | null; clientEndpoint: number | null; serverEndpoint: number | null;
  clientIdentityName: string | null; serverIdentityName: string | null;
  tracks: number; dropped: number; verdicts: { verdict: string; n: number }[];
}
export interface CaptureReport {
  id: string; dir: string;
  facts: {
    tracer: string; version: string | null; argv: string[] | null; source: Manifest['source']; status: string; host: Manifest['host'];
    target: Record<string, unknown> | null; command: { argv: string[]; exit: number | null; exitText: string | null; durationMs: number } | null;
    timeRange: Manifest['timeRange'] | null; durationMs: number | null; createdAt: string; lostEvents: number | null;
    /** Why loss may have gone unreported (capture/loss.ts unreportedLoss), or null. */
    lossUnreported: string | null;
  };
  summary: { events: number; rejects: number; lifetimes: number; flows: number; paths: number; dropped: number };
  verdicts: { verdict: string; n: number }[];
  flows: ReportFlow[];
  paths: ReportPath[];
  drops: { reason: string | null; site: string | null; n: number }[];
  metrics: { reason: string; direction: string; packets: number; bytes: number }[];
  /** What a cap left out: flows and paths shown of how many. */
  shown: { flows: number; flowsTotal: number; paths: number; pathsTotal: number };
}
export interface ReportData {
  skbtape: string; generatedAt: string; caps: typeof CAPS;
  captures: CaptureReport[];
  diff: { result: DiffResult; funcs: Record<string, { a: string[] | null; b: string[] | null }> } | null;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const str = (v: unknown): string | null => (v === null || v === undefined || v === '' ? null : String(v));

/** The `-- @name` blocks of queries/reports/_report.sql. */
function blocks(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of sqlFile('report/report').split(/^-- @/m).slice(1)) {
    const nl = part.indexOf('\n');
    out[part.slice(0, nl).trim()] = part.slice(nl + 1);
  }
  return out;
}

export async function captureReport(dir: string, opts: { cache?: boolean; warn?: (m: string) => void } = {}): Promise<CaptureReport> {
  const m = readManifest(dir);
  const a = await openAnalysis([dir], { cache: opts.cache ?? true, warn: opts.warn });
  try {
    return await reportOf(a, dir, m);
  } finally {
    a.close();
  }
}

async function reportOf(a: Analysis, dir: string, m: Manifest): Promise<CaptureReport> {
  const q = blocks();
  const j = await journeys(a, flowFilter(undefined), CAPS.paths);
  const pathTracks = await a.run(q['path_tracks']!, { cap_tracks: BigInt(CAPS.tracksPerPath) });
  const sigs = j.groups.map((g) => g.pathSig);
  const medians = sigs.length ? await a.run(q['hop_medians']!, { sigs: listValue(sigs) }) : [];
  const med = new Map(medians.map((r) => [`${r['path_sig']} ${r['hop']}`, num(r['median_ns'])]));
  const examples = await exampleLines(a, dir, j.groups.map((g) => g.example.trackId));
  const paths: ReportPath[] = j.groups.map((g) => {
    const pt = pathTracks.find((r) => r['path_sig'] === g.pathSig && r['verdict'] === g.verdict && String(r['drop_reason']) === (g.dropReason ?? ''));
    return {
      sig: g.pathSig, verdict: g.verdict, verdictText: g.verdictText, dropReason: g.dropReason, tracks: g.skbs,
      trackIds: (pt?.['track_ids'] as string[]) ?? [g.example.trackId], flows: (pt?.['flows'] as string[]) ?? [],
      tupleText: g.example.tupleText, exampleTrack: g.example.trackId, durationNs: g.example.durationNs,
      hops: g.example.hops.map((h) => ({ ...h, medianDeltaNs: h.hop === 1 ? null : (med.get(`${g.pathSig} ${h.hop}`) ?? null) })),
      pwruLines: examples.get(g.example.trackId) ?? [],
    };
  });
  const flows = (await a.run(q['flows']!, { cap_flows: BigInt(CAPS.flows) })).map(toFlow);
  const flowsTotal = Number((await a.run(q['flow_count']!))[0]!['n']);
  const verdicts = (await a.run(q['verdicts']!)).map((r) => ({ verdict: String(r['verdict']), n: Number(r['n']) }));
  const drops = (await a.run(q['drops']!)).map((r) => ({ reason: r['reason'] as string | null, site: r['site'] as string | null, n: Number(r['n']) }));
  const metrics = (await a.run(q['metrics']!)).map((r) => ({ reason: String(r['reason']), direction: String(r['direction']), packets: Number(r['packets']), bytes: Number(r['bytes']) }));
  const tr = m.timeRange;
  const c = m.command;
  return {
    id: a.captureIds[0]!, dir,
    facts: {
      tracer: m.source.tool ?? 'pwru', version: m.source.tool === 'bpftrace' ? (m.tracepoint?.bpftraceVersion ?? null) : (m.pwru?.version ?? null),
      argv: m.source.tool === 'bpftrace' ? (m.tracepoint?.argv ?? null) : (m.pwru?.argv ?? null), source: m.source, status: m.status, host: m.host,
      target: m.target ?? null,
      command: c ? { argv: c.argv, exit: c.exit ?? c.exitCode ?? null, exitText: c.exitText ?? null, durationMs: c.durationMs } : null,
      timeRange: tr ?? null, durationMs: tr?.firstKtime && tr.lastKtime ? Number(BigInt(tr.lastKtime) - BigInt(tr.firstKtime)) / 1e6 : null,
      createdAt: m.createdAt, lostEvents: m.loss?.events ?? m.tracepoint?.lostEvents ?? null, lossUnreported: unreportedLoss(m, readLoss(dir)),
    },
    summary: { events: m.counts.events, rejects: m.counts.rejects, lifetimes: j.totalSkbs, flows: flowsTotal, paths: j.totalGroups, dropped: verdicts.find((v) => v.verdict === 'dropped')?.n ?? 0 },
    verdicts, flows, paths, drops, metrics,
    shown: { flows: flows.length, flowsTotal, paths: paths.length, pathsTotal: j.totalGroups },
  };
}

function toFlow(r: Row): ReportFlow {
  return {
    flow: String(r['flow']), client: r['client'] as string | null, server: r['server'] as string | null, port: num(r['port']), l4: r['l4'] as string | null,
    clientIdentity: num(r['client_identity']), serverIdentity: num(r['server_identity']),
    clientIdentityName: str(r['client_identity_name']), serverIdentityName: str(r['server_identity_name']), clientEndpoint: num(r['client_endpoint']), serverEndpoint: num(r['server_endpoint']),
    tracks: Number(r['tracks']), dropped: Number(r['dropped']),
    verdicts: ((r['verdicts'] as { verdict: string; n: unknown }[]) ?? []).map((v) => ({ verdict: v.verdict, n: Number(v.n) })),
  };
}

/** Each example track's events rendered as `skbtape replay` prints them; stops reading once the last one is found. */
async function exampleLines(a: Analysis, dir: string, trackIds: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (trackIds.length === 0) return out;
  const rows = await a.run(`SELECT track_id, seq FROM event_tracks WHERE list_contains($ids, track_id) ORDER BY seq`, { ids: listValue(trackIds) });
  const bySeq = new Map(rows.map((r) => [Number(r['seq']), String(r['track_id'])]));
  const st = newRenderState();
  // Seq numbers count events across batches in order (as raw_events does); only batches holding an example's event
  // are turned into events (decoding all of a million-event capture costs half a minute).
  const wanted = [...bySeq.keys()].sort((x, y) => x - y);
  let base = 0, w = 0;
  for (const { batch } of readBatches(dir)) {
    const end = base + batch.numRows;
    if (w < wanted.length && wanted[w]! < end) {
      const evs = eventsOfBatch(batch);
      for (; w < wanted.length && wanted[w]! < end; w++) {
        const seq = wanted[w]!, e = evs[seq - base]!, id = bySeq.get(seq)!;
        let lines = out.get(id);
        if (!lines) {
          lines = [];
          out.set(id, lines);
          const h = renderHeader(parseLayoutKey(e.layout));
          if (h !== null) lines.push(h);
        }
        if (lines.length <= CAPS.exampleLines) lines.push(renderText(e, st));
      }
    }
    if (w >= wanted.length) break;
    base = end;
  }
  return out;
}

/** The function sequences of the paths a diff changed, by signature, from both captures. */
export async function diffFuncs(dirA: string, dirB: string, r: DiffResult, warn?: (m: string) => void): Promise<Record<string, { a: string[] | null; b: string[] | null }>> {
  const sigs = [...new Set(r.flows.flatMap((f) => f.changed.flatMap((c) => [c.sigA, c.sigB])))];
  const out: Record<string, { a: string[] | null; b: string[] | null }> = {};
  if (sigs.length === 0) return out;
  const an = await openAnalysis([dirA, dirB], { warn });
  try {
    const rows = await an.run(`SELECT capture, path_sig, any_value(funcs) AS funcs FROM skb_tracks WHERE list_contains($s, path_sig) GROUP BY ALL`, { s: listValue(sigs) });
    for (const s of sigs) out[s] = { a: null, b: null };
    for (const row of rows) out[String(row['path_sig'])]![row['capture'] === an.captureIds[0] ? 'a' : 'b'] = row['funcs'] as string[];
    return out;
  } finally {
    an.close();
  }
}

export async function buildReport(dir: string, o: { diff?: string; cache?: boolean; warn?: (m: string) => void } = {}): Promise<ReportData> {
  const captures = [await captureReport(dir, o)];
  let diff: ReportData['diff'] = null;
  if (o.diff !== undefined) {
    captures.push(await captureReport(o.diff, o));
    const { diffCaptures } = await import('../diff/diff.js');
    const result = await diffCaptures(dir, o.diff, { warn: o.warn });
    diff = { result, funcs: await diffFuncs(dir, o.diff, result, o.warn) };
  }
  return { skbtape: SKBTAPE_VERSION, generatedAt: new Date().toISOString(), caps: CAPS, captures, diff };
}
