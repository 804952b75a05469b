// Checks a Chrome JSON trace (what `export --perfetto` writes) against the trace event format's rules: every event has
// its phase's fields; complete slices ('X') have a duration >= 0 and, per thread, start in time order and end before
// the next starts; B/E pairs balance per thread; flow events ('s'/'f') pair by id; every thread and process is named.
// Returns the problems found (empty = valid).
export interface TraceEvent { ph: string; name?: string; pid?: number; tid?: number; ts?: number; dur?: number; id?: number; s?: string; args?: Record<string, unknown>; cat?: string; bp?: string }

export function traceProblems(doc: { traceEvents?: TraceEvent[] }): string[] {
  const out: string[] = [];
  const evs = doc.traceEvents;
  if (!Array.isArray(evs)) return ['no traceEvents array'];
  const byThread = new Map<string, TraceEvent[]>();
  const named = new Set<string>(), procs = new Set<number>(), namedProcs = new Set<number>();
  const flows = new Map<number, string[]>();
  for (const [i, e] of evs.entries()) {
    if (typeof e.ph !== 'string') { out.push(`event ${i}: no ph`); continue; }
    if (e.ph === 'M') {
      if (e.name === 'thread_name') named.add(`${e.pid}/${e.tid}`);
      if (e.name === 'process_name') namedProcs.add(e.pid!);
      continue;
    }
    if (typeof e.pid !== 'number' || typeof e.ts !== 'number' || !Number.isFinite(e.ts)) { out.push(`event ${i} (${e.ph}): pid and a numeric ts are required`); continue; }
    procs.add(e.pid);
    if (e.ph === 'C') continue;
    if (typeof e.tid !== 'number') { out.push(`event ${i} (${e.ph}): no tid`); continue; }
    const k = `${e.pid}/${e.tid}`;
    // Flow arrows are checked by id and thread, not by their place in the file (the format lets events come in any
    // order; skbtape writes slices in time order per thread, and that is what is checked).
    if (e.ph === 's' || e.ph === 'f') { if (!named.has(k)) out.push(`flow ${e.id}: thread ${k} is not named before it`); }
    else byThread.set(k, [...(byThread.get(k) ?? []), e]);
    if (e.ph === 'X' && !(typeof e.dur === 'number' && e.dur >= 0)) out.push(`event ${i}: slice ${e.name} without a duration >= 0`);
    if (e.ph === 'i' && !['t', 'p', 'g'].includes(e.s ?? 't')) out.push(`event ${i}: instant scope ${e.s}`);
    if (e.ph === 's' || e.ph === 'f') flows.set(e.id!, [...(flows.get(e.id!) ?? []), e.ph]);
  }
  for (const [k, list] of byThread) {
    if (!named.has(k)) out.push(`thread ${k} has no thread_name`);
    let depth = 0, lastTs = -Infinity, lastEnd = -Infinity; // lastEnd in ns
    for (const e of list) {
      if (e.ts! < lastTs) out.push(`thread ${k}: ${e.ph} ${e.name} at ${e.ts} before ${lastTs}`);
      lastTs = e.ts!;
      if (e.ph === 'B') depth++;
      if (e.ph === 'E' && --depth < 0) out.push(`thread ${k}: E without B at ${e.ts}`);
      if (e.ph === 'X') {
        // In whole ns, as Perfetto reads µs timestamps: the float sum ts + dur is off by an ulp at 2e7 µs.
        const ns = (us: number) => Math.round(us * 1000);
        if (ns(e.ts!) < lastEnd) out.push(`thread ${k}: slice ${e.name} at ${e.ts} starts before the previous ended (${lastEnd / 1000})`);
        lastEnd = ns(e.ts!) + ns(e.dur!);
      }
    }
    if (depth !== 0) out.push(`thread ${k}: ${depth} slice(s) never closed`);
  }
  for (const p of procs) if (!namedProcs.has(p)) out.push(`process ${p} has no process_name`);
  for (const [id, phs] of flows) if (phs.join() !== 's,f') out.push(`flow ${id}: ${phs.join()} (want s then f)`);
  return out;
}
