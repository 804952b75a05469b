// `skbtape export --perfetto FILE`: a capture as a trace ui.perfetto.dev (and chrome://tracing) opens, in Chrome's JSON
// trace event format: one process per flow, one thread per skb lifetime, each hop a complete slice ('X') lasting
// until the next hop's entry, drops as instant events, clone links as flow events, lost events as a counter
// that steps at each loss report's window, with the window as a slice.
// JSON rather than Perfetto's protobuf: Perfetto reads it natively, it needs no schema or extra dependency, and a test
// (or jq) can check it as plain JSON. It is streamed to a temporary file and renamed, so a failure leaves nothing.
import { createWriteStream, existsSync, renameSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { openAnalysis } from './loader.js';
import { UserError } from '../errors.js';
import { applyFlow, emptyFlowWarning, flowFilter } from './flow-filter.js';
import { sqlFile } from './sql-files.js';
import { readManifest } from '../capture/manifest.js';
import { progress } from '../render/progress.js';

export interface PerfettoOptions { flow?: string; force?: boolean; cache?: boolean; warn?: (m: string) => void }

export interface PerfettoResult {
  file: string; capture: string; flows: number; tracks: number; slices: number; drops: number; clones: number;
  /** 'ktime': slices at their entry times; 'event-order': no absolute timestamps, 1 µs per event. */
  clock: 'ktime' | 'event-order';
  lostEvents: number | null;
}

type TraceEvent = Record<string, unknown>;

/** Writes the trace; returns what went in. A file already at `file` is refused unless `force` (then replaced). */
export async function exportPerfetto(capture: string, file: string, o: PerfettoOptions = {}): Promise<PerfettoResult> {
  if (existsSync(file) && !o.force) throw new UserError(`${file} exists; give --force to replace it`, '--perfetto');
  const flow = flowFilter(o.flow);
  const manifest = readManifest(capture);
  const a = await openAnalysis([capture], { cache: o.cache ?? true, warn: o.warn });
  const tmp = `${file}.tmp-${process.pid}`;
  const out = createWriteStream(tmp);
  let first = true;
  // A phase line on a terminal (quiet when piped) while the hops stream out.
  const bar = progress();
  const emit = async (e: TraceEvent) => {
    if (!out.write(`${first ? '' : ',\n'}${JSON.stringify(e)}`)) await once(out, 'drain');
    first = false;
  };
  try {
    const kept = await applyFlow(a, flow);
    if (flow.text !== null && kept.get(a.captureIds[0]!) === 0) o.warn?.(emptyFlowWarning(flow.text, capture));
    out.write('{"displayTimeUnit":"ns","traceEvents":[\n');
    bar.update(() => `exporting ${file}: a slice per hop…`);
    const r = await writeHops(a, emit);
    const lost = manifest.loss?.events ?? manifest.tracepoint?.lostEvents ?? null;
    await emit({ ph: 'M', name: 'process_name', pid: 0, args: { name: `${a.captureIds[0]} (capture)` } });
    await writeLoss(a, emit, r.endUs);
    const other = { capture: a.captureIds[0], skbtape: 'export --perfetto', clock: r.clock, lostEvents: lost, note: 'slices are function ENTRY times: each lasts until the next hop is entered' };
    out.write(`\n],"otherData":${JSON.stringify(other)}}\n`);
    out.end();
    await once(out, 'close');
    renameSync(tmp, file);
    return { file, capture: a.captureIds[0]!, flows: r.flows, tracks: r.tracks, slices: r.slices, drops: r.drops, clones: r.clones, clock: r.clock, lostEvents: lost };
  } catch (e) {
    out.destroy();
    rmSync(tmp, { force: true });
    throw e;
  } finally {
    bar.done();
    a.close();
  }
}

interface LossRow { source: string; count: number | bigint | null; scope: string; line: number | bigint; text: string; start_ns: number | bigint | null; end_ns: number | bigint | null }

/**
 * Lost events on the capture's own process (pid 0): a counter that steps up by each report's count where its window
 * starts (the capture's start for an open start, a run total or a capture without absolute times), and one slice per
 * report over its window (queries/views/25_loss.sql), named after what was lost, so the lifetimes it overlaps line up.
 */
async function writeLoss(a: Awaited<ReturnType<typeof openAnalysis>>, emit: (e: TraceEvent) => Promise<void>, endUs: number): Promise<void> {
  const rows = (await a.run(sqlFile('analyze/perfetto_loss'))) as unknown as LossRow[];
  await emit({ ph: 'M', name: 'thread_name', pid: 0, tid: 1, args: { name: 'loss windows' } });
  await emit({ ph: 'C', name: 'lost events', pid: 0, ts: 0, args: { lost: 0 } });
  let total = 0;
  for (const l of rows) {
    const startUs = l.start_ns === null ? 0 : Number(l.start_ns) / 1000;
    const stopUs = Math.max(startUs, l.end_ns === null ? endUs : Number(l.end_ns) / 1000);
    const n = l.count === null ? null : Number(l.count);
    total += n ?? 0;
    if (n !== null) await emit({ ph: 'C', name: 'lost events', pid: 0, ts: startUs, args: { lost: total } });
    await emit({ ph: 'X', cat: 'loss', name: n === null ? `${l.source}: output lost (not counted)` : `${l.source}: ${n} events lost`, pid: 0, tid: 1, ts: startUs, dur: stopUs - startUs,
      args: { source: l.source, count: n, scope: l.scope, line: Number(l.line), report: l.text } });
  }
  await emit({ ph: 'C', name: 'lost events', pid: 0, ts: endUs, args: { lost: total } });
}

interface HopRow { flow: string; track_id: string; verdict: string; drop_label: string | null; drop_site: string | null; parent_track: string | null; hop: bigint | number; seq: bigint | number; is_drop: boolean | null; t_ns: bigint | number | null; func: string; iface: string | null; netns: bigint | number | null; tuple: string | null }

/** Streams the hops: each lifetime's rows are held until its next hop (or its end) gives the slice its length. */
async function writeHops(a: Awaited<ReturnType<typeof openAnalysis>>, emit: (e: TraceEvent) => Promise<void>) {
  const res = await a.connection.stream(sqlFile('analyze/perfetto_hops'));
  const pids = new Map<string, number>();
  const tids = new Map<string, { pid: number; tid: number; firstUs: number }>();
  const clones: { child: string; parent: string }[] = [];
  let cur: HopRow[] = [];
  let slices = 0, drops = 0, endUs = 0;
  let clock: PerfettoResult['clock'] = 'ktime';
  // Integer ns first, then µs: a difference of two µs floats would print as 0.17999999999999994.
  const ns = (h: HopRow) => (h.t_ns === null ? Number(h.seq) * 1000 : Number(h.t_ns));
  const us = (h: HopRow) => ns(h) / 1000;
  const flush = async () => {
    if (cur.length === 0) return;
    const h0 = cur[0]!;
    let pid = pids.get(h0.flow);
    if (pid === undefined) {
      pid = pids.size + 1;
      pids.set(h0.flow, pid);
      await emit({ ph: 'M', name: 'process_name', pid, args: { name: h0.flow } });
      await emit({ ph: 'M', name: 'process_sort_index', pid, args: { sort_index: pid } });
    }
    const tid = tids.size + 1;
    tids.set(h0.track_id, { pid, tid, firstUs: us(h0) });
    await emit({ ph: 'M', name: 'thread_name', pid, tid, args: { name: `${h0.track_id} ${h0.verdict}` } });
    if (h0.parent_track) clones.push({ child: h0.track_id, parent: h0.parent_track });
    for (let i = 0; i < cur.length; i++) {
      const h = cur[i]!, ts = us(h), next = cur[i + 1];
      const dur = next ? Math.max(0, ns(next) - ns(h)) / 1000 : 0;
      const args: Record<string, unknown> = { function: h.func, hop: Number(h.hop) };
      if (h.iface) args['interface'] = h.iface;
      if (h.netns !== null) args['netns'] = Number(h.netns);
      if (h.tuple) args['tuple'] = h.tuple;
      if (h.is_drop) { args['reason'] = h.drop_label; args['site'] = h.drop_site; }
      await emit({ ph: 'X', cat: 'hop', name: h.func, pid, tid, ts, dur, args });
      slices++;
      if (h.is_drop) {
        await emit({ ph: 'i', s: 't', cat: 'drop', name: `drop: ${h.drop_label ?? 'reason unknown'}`, pid, tid, ts, args: { reason: h.drop_label, site: h.drop_site } });
        drops++;
      }
      endUs = Math.max(endUs, ts + dur);
    }
    cur = [];
  };
  for await (const rows of res.yieldRowObjectJs()) {
    for (const row of rows as unknown as HopRow[]) {
      if (row.t_ns === null) clock = 'event-order';
      if (cur.length && cur[0]!.track_id !== row.track_id) await flush();
      cur.push(row);
    }
  }
  await flush();
  // Clone links once every lifetime has its thread: a flow arrow from the parent's thread to the clone's first hop.
  let n = 0;
  for (const c of clones) {
    const p = tids.get(c.parent), ch = tids.get(c.child);
    if (!p || !ch) continue; // the parent was filtered out by --flow
    n++;
    await emit({ ph: 's', cat: 'clone', name: 'clone', id: n, pid: p.pid, tid: p.tid, ts: ch.firstUs });
    await emit({ ph: 'f', bp: 'e', cat: 'clone', name: 'clone', id: n, pid: ch.pid, tid: ch.tid, ts: ch.firstUs });
  }
  return { flows: pids.size, tracks: tids.size, slices, drops, clones: n, endUs, clock };
}
