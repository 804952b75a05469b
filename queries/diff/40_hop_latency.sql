-- Grain: one row per (capture, flow, direction, path signature, hop) for signatures both captures have.
-- Inputs: diff_tracks, event_track_map (delta_ns = ktime step from the previous hop of the same lifetime).
-- Rules: only hops with a measured step count; median and p99 (continuous quantile) in ns.
WITH common AS (
  SELECT flow, dir, path_sig FROM diff_tracks GROUP BY ALL HAVING count(DISTINCT capture) = 2
)
SELECT t.capture, t.flow, t.dir, t.path_sig, m.hop,
       count(*) AS n,
       median(m.delta_ns) AS median_ns,
       quantile_cont(m.delta_ns, 0.99) AS p99_ns
FROM diff_tracks t
JOIN common c ON c.flow = t.flow AND c.dir = t.dir AND c.path_sig = t.path_sig
JOIN event_track_map m ON m.capture = t.capture AND m.skb = t.skb AND m.track_no = t.track_no
WHERE m.delta_ns IS NOT NULL
GROUP BY ALL;
