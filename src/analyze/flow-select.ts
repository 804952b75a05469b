// The events of one capture that a --flow filter keeps, for `replay`: their seq numbers (each event's position in
// the capture's batches, as raw_events numbers them). The language is analyze/flow-filter.ts's; this only opens DuckDB.
import { openAnalysis } from './loader.js';
import { applyFlow, emptyFlowWarning, flowFilter } from './flow-filter.js';

export async function flowEventSeqs(dir: string, flow: string, opts: { cache?: boolean; warn?: (m: string) => void } = {}): Promise<Set<number>> {
  const f = flowFilter(flow); // a bad filter fails before DuckDB loads
  const an = await openAnalysis([dir], { cache: opts.cache ?? true, warn: opts.warn });
  try {
    const kept = await applyFlow(an, f);
    if (f.text !== null && kept.get(an.captureIds[0]!) === 0) opts.warn?.(emptyFlowWarning(f.text, dir));
    const rows = await an.run(
      `SELECT e.seq FROM event_tracks e
       WHERE (e.capture, e.skb, e.track_no) IN (SELECT capture, skb, track_no FROM flow_match)`);
    return new Set(rows.map((r) => Number(r['seq'])));
  } finally {
    an.close();
  }
}
