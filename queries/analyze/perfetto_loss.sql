-- (internal: `skbtape export --perfetto`) The capture's loss reports, placed on the trace's clock.
-- Grain: one row per loss report (the `loss` table), in the order they happened (window start, then line).
-- Inputs: loss (windows from queries/views/25_loss.sql), raw_events (the capture's first ktime), capture_clock.
-- Rules: start_ns/end_ns are the window's ends in ns since the capture's first event, as perfetto_hops' t_ns; NULL
--   for an open end (the capture's start or end), and both NULL without absolute timestamps or for a run total.
WITH k AS (
  SELECT r.capture::VARCHAR AS capture, min(r.ktime) AS k0 FROM raw_events r GROUP BY 1
)
SELECT l.source, l.count, l.scope, l.line, l.text,
       CASE WHEN c.ts_mode = 'absolute' AND l.ktime_start IS NOT NULL THEN greatest(l.ktime_start::HUGEINT - k.k0::HUGEINT, 0)::BIGINT END AS start_ns,
       CASE WHEN c.ts_mode = 'absolute' AND l.ktime_end IS NOT NULL THEN greatest(l.ktime_end::HUGEINT - k.k0::HUGEINT, 0)::BIGINT END AS end_ns
FROM loss l
JOIN capture_clock c ON c.capture = l.capture
LEFT JOIN k ON k.capture = l.capture
ORDER BY coalesce(start_ns, -1), l.line, l.report_no;
