// The events of one capture that a --flow filter keeps, for `replay`: their seq numbers (each event's position in
// the capture's batches, as raw_events numbers them). The language is analyze/flow-filter.ts's; this only opens DuckDB.
import { openAnalysis } from './loader.js';
import { applyFlow, emptyFlowWarning, flowFilter } from './flow-filter.js';

/** Which seq numbers a filter kept: one bit per event of the capture (10 M events: 1.25 MB). */
export interface SeqSet { has(seq: number): boolean; readonly size: number }

export async function flowEventSeqs(dir: string, flow: string, opts: { cache?: boolean; warn?: (m: string) => void; strict?: boolean } = {}): Promise<SeqSet> {
  const f = flowFilter(flow); // a bad filter fails before DuckDB loads
  const an = await openAnalysis([dir], { cache: opts.cache ?? true, warn: opts.warn, strict: opts.strict });
  try {
    const kept = await applyFlow(an, f);
    if (f.text !== null && kept.get(an.captureIds[0]!) === 0) opts.warn?.(emptyFlowWarning(f.text, dir));
    const max = Number((await an.run('SELECT coalesce(max(seq), -1) AS m FROM event_tracks'))[0]!['m']);
    const bits = new Uint8Array(Math.floor((max + 1 + 7) / 8));
    let size = 0;
    // Read chunk by chunk: as one array of row objects, a filter keeping most of 1 M events held ~100 MB at once.
    const result = await an.connection.stream(
      `SELECT e.seq FROM event_tracks e
       WHERE (e.capture, e.skb, e.track_no) IN (SELECT capture, skb, track_no FROM flow_match)`);
    for (let chunk = await result.fetchChunk(); chunk !== null && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
      for (const v of chunk.getColumnValues(0)) {
        const s = Number(v);
        if (!(bits[s >> 3]! & (1 << (s & 7)))) size++;
        bits[s >> 3]! |= 1 << (s & 7);
      }
    }
    return { size, has: (s) => s >= 0 && s <= max && (bits[s >> 3]! & (1 << (s & 7))) !== 0 };
  } finally {
    an.close();
  }
}
