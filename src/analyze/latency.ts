// `paths --between A B`: the time from entering function A to entering B next, per flow (queries/reports/_between.sql).
// pwru prints function ENTRY times, so this is time between entries, never a function's own duration. The per-edge
// report over consecutive hops is queries/reports/latency.sql (`query --report latency`); rendering is render/latency.ts's.
import { openAnalysis } from './loader.js';
import { UserError } from '../errors.js';
import { applyFlow, emptyFlowWarning, flowFilter } from './flow-filter.js';
import { sqlFile } from './sql-files.js';

export interface BetweenRow {
  flow: string;
  /** Lifetimes that entered `from`. */
  reachedFrom: number;
  /** Of those, the ones that entered `to` after it, with timestamps: the sample the figures are over. */
  n: number;
  medianNs: number | null; p90Ns: number | null; p99Ns: number | null; maxNs: number | null;
  slowestTracks: string[];
}

export interface BetweenResult { capture: string; from: string; to: string; flow: string | null; rows: BetweenRow[]; pairs: number }

export interface BetweenOptions { flow?: string; cache?: boolean; warn?: (m: string) => void }

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export async function betweenLatency(capture: string, from: string, to: string, opts: BetweenOptions = {}): Promise<BetweenResult> {
  for (const f of [from, to]) if (!/^[\w.$[\]-]+$/.test(f)) throw new UserError(`--between wants two kernel function names, not '${f}'`, '--between');
  const flow = flowFilter(opts.flow);
  const a = await openAnalysis([capture], { cache: opts.cache ?? true, warn: opts.warn });
  try {
    const kept = await applyFlow(a, flow);
    const id = a.captureIds[0]!;
    if (flow.text !== null && kept.get(id) === 0) opts.warn?.(emptyFlowWarning(flow.text, capture));
    const rows = (await a.run(sqlFile('analyze/between'), { from, to })).map((r): BetweenRow => ({
      flow: String(r['flow']), reachedFrom: Number(r['reached_from']), n: Number(r['n']),
      medianNs: num(r['median_ns']), p90Ns: num(r['p90_ns']), p99Ns: num(r['p99_ns']), maxNs: num(r['max_ns']),
      slowestTracks: ((r['slowest_tracks'] as string[] | null) ?? []),
    }));
    const pairs = rows.reduce((s, r) => s + r.n, 0);
    // Nothing to measure is said, with which half matched nothing (a typo in a name would otherwise look like "fast").
    if (pairs === 0) {
      const seen = async (f: string) => Number(((await a.run('SELECT count(*) AS n FROM raw_events WHERE skb_func_base(func::VARCHAR) = skb_func_base($f)', { f }))[0]!)['n']);
      const missing = [];
      for (const f of [from, to]) if ((await seen(f)) === 0) missing.push(f);
      opts.warn?.(missing.length
        ? `--between: no event of ${capture} enters ${missing.join(' or ')}`
        : `--between: no lifetime${flow.text ? ` matching '${flow.text}'` : ''} in ${capture} enters ${to} after ${from} (with timestamps)`);
    }
    return { capture: id, from, to, flow: flow.text, rows, pairs };
  } finally {
    a.close();
  }
}
