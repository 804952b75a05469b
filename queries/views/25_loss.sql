-- Grain: `loss` (table): one row per loss report of a capture (loss.ndjson: bpftrace's `Lost N events`, pwru's own
-- loss warnings, output skbtape could not read); `track_loss` (table): one row per skb lifetime whose time span
-- overlaps a loss window (tracks_enriched.possibly_incomplete).
-- Inputs: loss_reports (loader), raw_events (line_no, ktime), capture_clock (ts_mode), skb_tracks (first/last ktime).
-- Rules:
--   * A report sits at a line of the event stream (`line`: the input line it was read at, or for a stderr report the
--     stdout lines read when it arrived). Tracers print in the order they drain per-CPU buffers, not in time order,
--     so its window is widened to the events printed near it: from the earliest ktime among the 1000 lines before it
--     to the latest among the 1000 lines after, or to `ktime_bound` (when a stderr report arrived, CLOCK_MONOTONIC =
--     bpf_ktime_get_ns) when that is not before the start.
--   * NULL ends are open: ktime_start NULL = from the capture's start, ktime_end NULL = to its end. A run total
--     (scope 'run', e.g. pwru's recursion misses at exit) and any capture without absolute timestamps get NULL at both
--     ends: every lifetime of that capture may be incomplete.
--   * A lifetime overlaps a window when it starts no later than the window ends and ends no earlier than it starts.
CREATE OR REPLACE TABLE loss AS
WITH r AS (
  SELECT l.*, row_number() OVER (PARTITION BY l.capture ORDER BY l.line, l.text) AS report_no
  FROM loss_reports l
), near AS (
  SELECT r.capture, r.report_no,
         min(e.ktime) FILTER (WHERE e.line_no <= r.line) AS before_min,
         max(e.ktime) FILTER (WHERE e.line_no > r.line) AS after_max
  FROM r
  JOIN raw_events e ON e.capture::VARCHAR = r.capture
   AND e.line_no::BIGINT BETWEEN r.line::BIGINT - 1000 AND r.line::BIGINT + 1000
  WHERE r.scope = 'window'
  GROUP BY ALL
), w AS (
  SELECT r.*, c.ts_mode = 'absolute' AND r.scope = 'window' AS windowed, n.before_min, n.after_max
  FROM r
  JOIN capture_clock c ON c.capture = r.capture
  LEFT JOIN near n ON n.capture = r.capture AND n.report_no = r.report_no
)
SELECT capture, report_no, source, count, scope, line, text,
       CASE WHEN windowed THEN before_min END AS ktime_start,
       CASE WHEN windowed THEN
         CASE WHEN ktime_bound IS NOT NULL AND ktime_bound >= coalesce(before_min, 0) THEN greatest(ktime_bound, coalesce(after_max, 0))
              ELSE after_max END
       END AS ktime_end
FROM w;

CREATE OR REPLACE TABLE track_loss AS
SELECT t.capture, t.skb, t.track_no, count(*) AS loss_reports
FROM skb_tracks t
JOIN loss l ON l.capture = t.capture
WHERE (l.ktime_start IS NULL OR t.last_ktime IS NULL OR t.last_ktime >= l.ktime_start)
  AND (l.ktime_end IS NULL OR t.first_ktime IS NULL OR t.first_ktime <= l.ktime_end)
GROUP BY ALL;
