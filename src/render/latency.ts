// Text of `paths --between A B`: one row per flow, times in µs, and the reminder that these are entry-to-entry times.
import type { BetweenResult } from '../analyze/latency.js';
import { renderTable } from './table.js';

const us = (ns: number | null) => (ns === null ? null : Math.round(ns / 10) / 100);

export function renderBetween(r: BetweenResult): string {
  const head = `${r.capture}: time from entering ${r.from} to entering ${r.to} next, per flow${r.flow ? ` ('${r.flow}')` : ''} ` +
    '(pwru gives entry times: this is time between entries, not function duration)\n';
  const rows = r.rows.map((x) => [x.flow, x.reachedFrom, x.n, us(x.medianNs), us(x.p90Ns), us(x.p99Ns), us(x.maxNs), x.slowestTracks.join(' ')]);
  return head + renderTable(['FLOW', 'ENTERED_A', 'N', 'MEDIAN_US', 'P90_US', 'P99_US', 'MAX_US', 'SLOWEST_TRACKS'], rows);
}
