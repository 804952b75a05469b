// Loss reports of a capture: one row per report that events were lost before they reached us, in loss.ndjson, with
// a summary in the manifest (`loss`). Who reports: bpftrace (`Lost N events` on stdout), pwru on stderr, and skbtape
// itself (output it could not read). The time window of a report is computed at load time (queries/views/25_loss.sql).
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { capturePaths } from './dir.js';
import type { Manifest } from './manifest.js';
import { writeUserError } from '../errors.js';

export type LossSource = 'bpftrace' | 'pwru' | 'skbtape';

/** One loss report as stored (loss.ndjson). */
export interface LossRow {
  source: LossSource;
  /** Events lost, as the reporter counted them; null when it could not say (skbtape's unread pipe). */
  count: number | null;
  /**
   * Where in the event stream the report sits: the input line it was read at (a stdout or saved-file line), or, for a
   * stderr report, the number of stdout lines read when it arrived. The load takes the window from events around it.
   */
  line: number;
  /** 'window': the loss happened near `line`; 'run': a total over the whole run (its window is the capture). */
  scope: 'window' | 'run';
  /** An upper bound on when it happened, on CLOCK_MONOTONIC (= bpf_ktime_get_ns): when a stderr report arrived. */
  ktimeEnd?: string;
  /** The report as printed. */
  text: string;
}

/**
 * A line that reports lost events, or null. Only layouts the tools really print (../shared/formats/PWRU_FORMATS.md §1.1):
 * - bpftrace, stdout, while running: `Lost N events` (N printf records, one line each here);
 * - pwru v0.0.1–v0.0.9 (perf buffer era), stderr, while running: `<Go log date> Perf event ring buffer full, dropped N samples`
 *   (a real one heads cilium/pwru#46: `Perf event ring buffer full, dropped 16 samples`);
 * - pwru main after v1.0.12, stderr, at exit: `<date> WARN Some events went untraced due to BPF recursion misses total=N …`
 *   (the formats file's text for main.go@HEAD, the change asked for in cilium/pwru#649; no released pwru prints it).
 */
export function lossReport(line: string): { source: LossSource; count: number; scope: LossRow['scope'] } | null {
  let m = /^Lost (\d+) events$/.exec(line);
  if (m) return { source: 'bpftrace', count: Number(m[1]), scope: 'window' };
  // pwru's final progress bar can lack its newline, so a log line sticks to it (PWRU_FORMATS.md §1.2): `… p/s2025/…`.
  const msg = line.replace(/^.* p\/s(?=\d{4}\/)/, '').replace(/^(\^C)?\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2} /, '');
  m = /^[Pp]erf event ring buffer full, dropped (\d+) samples$/.exec(msg);
  if (m) return { source: 'pwru', count: Number(m[1]), scope: 'window' };
  m = /^WARN Some events went untraced due to BPF recursion misses total=(\d+)\b/.exec(msg);
  if (m) return { source: 'pwru', count: Number(m[1]), scope: 'run' };
  return null;
}

/** A cheap pre-test on a stored log row (JSON text) before it is parsed: most rows are no loss report. */
const MAYBE = /Lost \d+ events|ring buffer full|recursion misses/;

/**
 * Appends loss rows to loss.ndjson as they are found and keeps the manifest's `loss` summary with them (written with
 * the manifest at the writer's next flush). Created empty with the capture, so a loss-free capture says so.
 */
export class LossLog {
  private readonly file: string;

  constructor(dir: string, private readonly manifest: Manifest) {
    this.file = capturePaths(dir).loss;
    // The writer may be the first to touch the directory (an import or filter creates it as it goes).
    if (!existsSync(this.file)) this.write(() => { mkdirSync(dir, { recursive: true }); writeFileSync(this.file, ''); });
    manifest.loss ??= { reports: 0, events: 0, uncounted: 0, sources: [] };
  }

  add(row: LossRow): void {
    this.write(() => appendFileSync(this.file, JSON.stringify(row) + '\n'));
    const s = this.manifest.loss!;
    s.reports++;
    if (!s.sources.includes(row.source)) s.sources.push(row.source);
    if (row.count === null) s.uncounted++;
    else s.events += row.count;
  }

  /** A full disk or read-only mount: the one-line error naming the file, as for every other write. */
  private write(fn: () => void): void {
    try { fn(); } catch (e) { throw writeUserError(e, this.file) ?? e; }
  }

  /** Loss reports among log rows just written (`{"line":N,"kind":…,"text":…}`): tracer lines and imported pwru logs. */
  fromLogRows(rows: readonly string[]): void {
    for (const r of rows) {
      if (!MAYBE.test(r)) continue;
      const o = JSON.parse(r) as { line: number; text: string };
      const rep = lossReport(o.text);
      if (rep) this.add({ ...rep, line: o.line, text: o.text });
    }
  }
}

/** The stored rows (a capture made before loss.ndjson existed has none); a cut last line is skipped with a warning. */
export function readLoss(dir: string, warn: (m: string) => void = () => {}): LossRow[] {
  const file = capturePaths(dir).loss;
  if (!existsSync(file)) return [];
  const out: LossRow[] = [];
  readFileSync(file, 'utf8').split('\n').forEach((l, i) => {
    if (!l.trim()) return;
    try {
      out.push(JSON.parse(l) as LossRow);
    } catch {
      warn(`${file}:${i + 1}: not a JSON line; skipped`);
    }
  });
  return out;
}

/** One line for summaries: `2 loss report(s): 120 events lost (bpftrace)`; null without loss. */
export function lossLine(m: Pick<Manifest, 'loss'>): string | null {
  const s = m.loss;
  if (!s || s.reports === 0) return null;
  const counted = s.uncounted ? `${s.events.toLocaleString('en-US')}+ events lost (${s.uncounted} report(s) without a count)` : `${s.events.toLocaleString('en-US')} events lost`;
  return `${s.reports} loss report(s): ${counted} (${s.sources.join(', ')})`;
}

/**
 * Why a capture may have lost events that nobody reported, or null when its tracer reports all it drops. The loss
 * table only holds what a tracer said; pwru from v1.0.0 on passes events through a 10,000-entry BPF queue
 * (cilium/pwru#195, replacing the perf buffer whose overflow pwru logged, e.g. cilium/pwru#46) and pushes with
 * BPF_EXIST, which evicts the oldest entry when the queue is full, with no counter and no message (cilium/pwru#710).
 * bpftrace prints `Lost N events` for every perf-buffer overflow, so the tracepoint source reports all of its loss.
 */
export function unreportedLoss(m: Pick<Manifest, 'source' | 'pwru' | 'layouts' | 'tracepoint' | 'loss'>, rows: readonly LossRow[] = []): string | null {
  // The tracepoint source writes pwru's JSON layout; a `Lost N` report in an import says bpftrace wrote it, too.
  if (m.source.tool === 'bpftrace' || m.tracepoint || m.loss?.sources.includes('bpftrace')) return null;
  // pwru's perf-buffer warning (a windowed pwru report) exists only before v1.0.0: that pwru reported its loss.
  if (rows.some((r) => r.source === 'pwru' && r.scope === 'window')) return null;
  const QUEUE = 'pwru v1.0.0+ does not report events its full BPF queue evicts (cilium/pwru#710)';
  const v = /(\d+)\.(\d+)\.(\d+)/.exec(m.pwru?.version ?? '');
  if (v) return Number(v[1]) >= 1 ? QUEUE : null;
  const eras = new Set(m.layouts.map((k) => k.split(':')[0]));
  if (eras.has('E') || eras.has('J')) return QUEUE;
  // Era C spans v0.0.5–v1.0.6, across the switch: only the version could tell.
  if (eras.has('C')) return 'if this pwru (layout v0.0.5–v1.0.6, version not known) is v1.0.0 or later, it does not report events its full BPF queue evicts (cilium/pwru#710)';
  if (eras.has('A')) return null; // v0.0.1–v0.0.4: the perf buffer, whose overflow pwru logged
  return m.source.tool === 'pwru' ? QUEUE : null;
}
