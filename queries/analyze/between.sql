-- (internal: `skbtape paths --between A B`) Time from entering $from to entering $to next, per flow.
-- Grain: one row per (capture, flow) among the lifetimes the --flow filter keeps (flow_match) that enter $from.
-- Inputs: event_track_map (delta_ns per hop), raw_events (func), track_flows, flow_match.
-- Rules: names match with or without a `.constprop.0` / `[module]` suffix (skb_func_base). In each lifetime the first
--   entry of $from is paired with the first entry of $to after it; the time between is the sum of the hop deltas in
--   between (so relative timestamps count too). These are ENTRY times (pwru prints when a function is entered): the
--   time between two entries, not a function's duration. `reached_from` counts lifetimes entering $from,
--   `n` those that went on to enter $to with timestamps; slowest_tracks: up to three, slowest first.
WITH h AS (
  SELECT m.capture::VARCHAR AS capture, m.skb, m.track_no, m.hop, m.delta_ns, skb_func_base(r.func::VARCHAR) AS base,
         sum(m.delta_ns) OVER (PARTITION BY m.capture, m.skb, m.track_no ORDER BY m.hop ROWS UNBOUNDED PRECEDING) AS rel_ns
  FROM event_track_map m
  JOIN raw_events r ON r.capture = m.capture AND r.seq = m.seq
  WHERE (m.capture::VARCHAR, m.skb, m.track_no) IN (SELECT capture, skb, track_no FROM flow_match)
), a AS (
  SELECT capture, skb, track_no, min(hop) AS hop FROM h WHERE base = skb_func_base($from) GROUP BY ALL
), pair AS (
  SELECT a.capture, a.skb, a.track_no, any_value(ha.rel_ns) AS t_from, min(hb.rel_ns) AS t_to
  FROM a
  JOIN h ha ON ha.capture = a.capture AND ha.skb = a.skb AND ha.track_no = a.track_no AND ha.hop = a.hop
  LEFT JOIN h hb ON hb.capture = a.capture AND hb.skb = a.skb AND hb.track_no = a.track_no AND hb.hop > a.hop
                AND hb.base = skb_func_base($to)
  GROUP BY ALL
), d AS (
  SELECT p.capture, f.flow, f.track_id, p.t_to - p.t_from AS between_ns
  FROM pair p JOIN track_flows f ON f.capture = p.capture AND f.skb = p.skb AND f.track_no = p.track_no
)
SELECT capture, flow,
       count(*) AS reached_from,
       count(between_ns) AS n,
       round(median(between_ns))::BIGINT AS median_ns,
       round(quantile_cont(between_ns, 0.9))::BIGINT AS p90_ns,
       round(quantile_cont(between_ns, 0.99))::BIGINT AS p99_ns,
       max(between_ns) AS max_ns,
       list(track_id ORDER BY between_ns DESC, track_id) FILTER (WHERE between_ns IS NOT NULL)[1:3] AS slowest_tracks
FROM d
GROUP BY ALL
ORDER BY n DESC, capture, flow;
