// `skbtape filter`: cuts a capture down to the skb lifetimes a --flow filter (and --since/--until/--track) keeps,
// into a new capture of the same format (same Arrow schema and batches), keeping its snapshots, name tables, logs and
// rejects, with `derivedFrom` in the manifest. Whole lifetimes are kept, so paths/replay/query on the result equal
// the filtered subset of the original. Selection is SQL (flow-filter.ts); writing is the capture writer's.
import { cpSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { applyStats, CaptureFiles, LineAccumulator, newCounts } from '../capture/batch-writer.js';
import { applyIdentity, identityOf } from '../capture/capture-id.js';
import { EVENTS_DIR, MANIFEST } from '../capture/dir.js';
import { readManifest, writeManifest, type Manifest } from '../capture/manifest.js';
import { claimOutputDir } from '../capture/output-dir.js';
import { eventsOfBatch, readBatches } from '../capture/reader.js';
import { UserError } from '../errors.js';
import { applyFlow, flowFilter } from './flow-filter.js';
import { CACHE_DIR, openAnalysis, type Analysis } from './loader.js';

export interface FilterOptions {
  flow?: string;
  /** A time: ISO wall-clock (`2026-12-02T00:48:19Z`), or a duration after the capture's first event (`1.5s`). */
  since?: string;
  until?: string;
  /** Track ids as `paths`/`query` print them (`cap:0xffff…:2`), or without the capture label (`0xffff…:2`). */
  tracks?: string[];
  force?: boolean;
  name?: string;
  warn?: (m: string) => void;
}

export interface FilterResult {
  dir: string;
  manifest: Manifest;
  eventsBefore: number; eventsAfter: number; tracksBefore: number; tracksAfter: number;
}

export async function filterCapture(src: string, out: string, o: FilterOptions): Promise<FilterResult> {
  const flow = flowFilter(o.flow); // bad input fails before anything is written or loaded
  const tracks = (o.tracks ?? []).map(parseTrackId);
  if (resolve(src) === resolve(out)) throw new UserError('the output must be a new directory, not the capture itself', '-o');
  const source = readManifest(src);
  const a = await openAnalysis([src], { cache: true, warn: o.warn });
  let seqs: Set<number>;
  let tracksBefore: number;
  let tracksAfter: number;
  try {
    await applyFlow(a, flow);
    const time = await timeWindow(a, o);
    const where = [time.sql, tracks.length ? `(printf('0x%x', t.skb) || ':' || t.track_no) IN (SELECT unnest($tracks::VARCHAR[]))` : 'true'];
    const params = { ...time.params, ...(tracks.length ? { tracks: `[${tracks.map((t) => `'${t}'`).join(',')}]` } : {}) };
    await a.run(`CREATE OR REPLACE TEMP TABLE keep_tracks AS
      SELECT t.skb, t.track_no FROM skb_tracks t JOIN flow_match f USING (capture, skb, track_no) WHERE ${where.join(' AND ')}`, params);
    tracksBefore = Number((await a.run('SELECT count(*) AS n FROM skb_tracks'))[0]!['n']);
    tracksAfter = Number((await a.run('SELECT count(*) AS n FROM keep_tracks'))[0]!['n']);
    const rows = await a.run('SELECT e.seq FROM event_tracks e JOIN keep_tracks k USING (skb, track_no)');
    seqs = new Set(rows.map((r) => Number(r['seq'])));
  } finally {
    a.close();
  }
  if (tracksAfter === 0) o.warn?.(`${describeFilter(o) || 'the filter'} matched nothing in ${src}; the new capture has no events`);
  claimOutputDir(out, o.force ?? false);
  const m = writeFiltered(src, out, source, seqs, o.warn);
  m.derivedFrom = {
    captureId: identityOf(source, src).id, dir: resolve(src), flow: flow.text,
    ...(o.since !== undefined ? { since: o.since } : {}), ...(o.until !== undefined ? { until: o.until } : {}),
    ...(tracks.length ? { tracks } : {}),
    eventsBefore: source.counts.events, eventsAfter: seqs.size, tracksBefore, tracksAfter,
  };
  writeManifest(out, m);
  return { dir: out, manifest: m, eventsBefore: source.counts.events, eventsAfter: m.counts.events, tracksBefore, tracksAfter };
}

/** Copies the kept events batch by batch (the same schema and writer as an import), then everything but events. */
function writeFiltered(src: string, out: string, source: Manifest, seqs: Set<number>, warn?: (m: string) => void): Manifest {
  const m: Manifest = structuredClone(source);
  m.createdAt = new Date().toISOString();
  m.status = 'recording';
  delete m.statusReason;
  delete m.timeRange;
  m.capture = { node: identityOf(source, src).node };
  applyIdentity(m, out, {}); // a new id; the node stays the one the events were recorded on
  const counts = newCounts();
  const acc = new LineAccumulator(counts, [], []);
  // The batch list (checksums) is the new capture's own: written batch by batch, never the source's.
  m.batches = [];
  const files = new CaptureFiles(out, counts, m.batches);
  let seq = 0;
  let continuation = 0;
  for (const { batch } of readBatches(src, { warn })) {
    for (const e of eventsOfBatch(batch)) {
      if (!seqs.has(seq++)) continue;
      acc.addEvent(e);
      if (e.attachment !== null) continuation += e.attachment.split('\n').length;
    }
    files.write(acc.take(false));
  }
  files.write(acc.take(true));
  // Logs, rejects, snapshots, names, the tracer program and the command's output belong to the capture as a whole.
  for (const entry of readdirSync(src)) {
    if (entry === EVENTS_DIR || entry === MANIFEST || entry === CACHE_DIR || entry.endsWith('.tmp')) continue;
    const from = join(src, entry);
    cpSync(from, join(out, entry), { recursive: true });
  }
  // Counts: the kept events, and the source's own lines around them (logs, rejects, blanks are all kept).
  // inputLines: the lines of the original that the filtered capture accounts for, so the counts still add up.
  const c = source.counts;
  m.counts = { ...c, events: counts.events, batches: counts.batches, continuationLines: continuation, skbs: 0,
    inputLines: counts.events + continuation + c.logLines + c.rejects + c.blankLines };
  applyStats(m, acc.stats);
  m.status = 'complete';
  m.finishedAt = new Date().toISOString();
  return m;
}

/** `cap:0xffff…:2` or `0xffff…:2` → `0xffff…:2` (skb in lower-case hex, as skb_tracks prints it). */
function parseTrackId(t: string): string {
  const m = /(?:^|:)(0x[0-9a-fA-F]{1,16}):(\d+)$/.exec(t.trim());
  if (!m) throw new UserError(`--track wants a track id as paths and query print it (cap:0xffff91ba905e1ce8:1 or 0xffff91ba905e1ce8:1), not '${t}'`, '--track');
  return `0x${BigInt(m[1]!).toString(16)}:${Number(m[2])}`;
}

const DUR_NS: Record<string, bigint> = { h: 3_600_000_000_000n, m: 60_000_000_000n, s: 1_000_000_000n, ms: 1_000_000n, us: 1000n, 'µs': 1000n, ns: 1n };

/** A duration (`1.5s`, `250ms`, `1m30s`, bare seconds) in ns, or null when `v` is not one. */
function durationNs(v: string): bigint | null {
  const t = v.trim();
  if (/^\d+(?:\.\d+)?$/.test(t)) return BigInt(Math.round(Number(t) * 1e9));
  const part = /(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/gy;
  let ns = 0n;
  let at = 0;
  for (let x = part.exec(t); x; x = part.exec(t)) {
    ns += BigInt(Math.round(Number(x[1]) * Number(DUR_NS[x[2]!]!)));
    at = part.lastIndex;
  }
  return t !== '' && at === t.length ? ns : null;
}

/** --since/--until as a SQL condition on a lifetime's first event (whole lifetimes are kept). */
async function timeWindow(a: Analysis, o: FilterOptions): Promise<{ sql: string; params: Record<string, string> }> {
  const conds: string[] = [];
  const params: Record<string, string> = {};
  for (const [flag, v, op] of [['--since', o.since, '>='], ['--until', o.until, '<']] as const) {
    if (v === undefined) continue;
    const d = durationNs(v);
    const key = flag.slice(2);
    if (d !== null) {
      const [r] = await a.run('SELECT min(first_ktime) AS k FROM skb_tracks');
      if (r?.['k'] === null || r?.['k'] === undefined) throw new UserError(`${flag} ${v}: this capture has no absolute kernel timestamps to count from`, flag);
      conds.push(`t.first_ktime ${op} $${key}::UBIGINT`);
      params[key] = (BigInt(r['k'] as bigint) + d).toString();
    } else {
      if (Number.isNaN(Date.parse(v))) throw new UserError(`${flag} wants an ISO time (2026-12-02T00:48:19Z) or a duration after the first event (1.5s, 250ms), not '${v}'`, flag);
      const [r] = await a.run('SELECT count(wall_time) AS n FROM events');
      if (Number(r?.['n'] ?? 0) === 0) throw new UserError(`${flag} ${v}: this capture's events have no wall-clock time (no clock offset in its manifest); give a duration after the first event instead`, flag);
      conds.push(`(SELECT epoch_us(min(e.wall_time)) FROM event_tracks et JOIN events e USING (capture, seq) WHERE et.skb = t.skb AND et.track_no = t.track_no) ${op} $${key}::BIGINT`);
      params[key] = String(Date.parse(v) * 1000);
    }
  }
  return { sql: conds.length ? conds.join(' AND ') : 'true', params };
}

function describeFilter(o: FilterOptions): string {
  return [o.flow && `--flow '${o.flow}'`, o.since && `--since ${o.since}`, o.until && `--until ${o.until}`, o.tracks?.length && `--track ${o.tracks.join(' ')}`].filter(Boolean).join(' ');
}
