-- Time between function entries per flow and edge (consecutive hops): count, median, p90, p99, max, slowest tracks.
-- Grain: one row per (capture, flow, from_func, to_func) over every skb lifetime whose hops carry timestamps.
-- Inputs: event_track_map (delta_ns: the ktime step from the previous hop of the same lifetime), raw_events (func),
--   track_flows (the flow of each lifetime).
-- Rules: pwru gives each function's ENTRY time, so a value is the time from entering from_func to entering to_func
--   (what from_func and whatever it called did before to_func was entered), not how long from_func ran. Only hops
--   with a measured step count (NULL without timestamps). Quantiles are continuous, in ns; slowest_tracks are up to
--   three track ids with the longest step, slowest first. Ordered by the flow's p99, worst edges first.
WITH h AS (
  SELECT m.capture::VARCHAR AS capture, m.skb, m.track_no, m.hop, m.delta_ns, r.func::VARCHAR AS to_func,
         lag(r.func::VARCHAR) OVER (PARTITION BY m.capture, m.skb, m.track_no ORDER BY m.hop) AS from_func
  FROM event_track_map m
  JOIN raw_events r ON r.capture = m.capture AND r.seq = m.seq
)
SELECT h.capture, f.flow, h.from_func, h.to_func,
       count(*) AS n,
       round(median(h.delta_ns))::BIGINT AS median_ns,
       round(quantile_cont(h.delta_ns, 0.9))::BIGINT AS p90_ns,
       round(quantile_cont(h.delta_ns, 0.99))::BIGINT AS p99_ns,
       max(h.delta_ns) AS max_ns,
       list(f.track_id ORDER BY h.delta_ns DESC, f.track_id)[1:3] AS slowest_tracks
FROM h
JOIN track_flows f ON f.capture = h.capture AND f.skb = h.skb AND f.track_no = h.track_no
WHERE h.from_func IS NOT NULL AND h.delta_ns IS NOT NULL
GROUP BY ALL
ORDER BY h.capture, f.flow, p99_ns DESC, max_ns DESC, h.from_func, h.to_func;
