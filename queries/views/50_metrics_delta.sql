-- Grain: one row per (capture, reason, direction, line, file) of cilium's datapath metrics map.
-- Inputs: bpf_metrics (snapshots start and end).
-- Rules: delta = end - start (signed: an agent restart resets counters and shows as negative); a key present in one
-- phase only counts as 0 in the other; captures without both phases give NULL deltas.
CREATE OR REPLACE VIEW metrics_delta AS
WITH s AS (SELECT * FROM bpf_metrics WHERE phase = 'start'),
     e AS (SELECT * FROM bpf_metrics WHERE phase = 'end'),
     phases AS (SELECT capture, bool_or(phase = 'start') AS has_start, bool_or(phase = 'end') AS has_end
                FROM bpf_metrics GROUP BY capture)
SELECT coalesce(e.capture, s.capture) AS capture,
       coalesce(e.reason, s.reason) AS reason, coalesce(e.direction, s.direction) AS direction,
       coalesce(e.line, s.line) AS line, coalesce(e.file, s.file) AS file,
       s.packets AS start_packets, e.packets AS end_packets,
       CASE WHEN p.has_start AND p.has_end THEN coalesce(e.packets, 0)::BIGINT - coalesce(s.packets, 0)::BIGINT END AS packets,
       CASE WHEN p.has_start AND p.has_end THEN coalesce(e.bytes, 0)::BIGINT - coalesce(s.bytes, 0)::BIGINT END AS bytes
FROM s FULL OUTER JOIN e
  ON e.capture = s.capture AND e.reason = s.reason AND e.direction = s.direction
 AND e.line IS NOT DISTINCT FROM s.line AND e.file IS NOT DISTINCT FROM s.file
JOIN phases p ON p.capture = coalesce(e.capture, s.capture);
