-- Grain: at most one row: the latency into $func (ktime step from the previous hop of the same skb lifetime) when
-- it breaks a `max_hop_latency_us` limit.
-- Inputs: flow_tracks, flow_match (the rule's flow filter), event_track_map, raw_events; $func; $median_us / $p99_us / $max_us (NULL = no limit).
-- Rules: continuous quantiles over every hop into $func with a measured step; no such hop fails (nothing measured).
WITH h AS (
  SELECT m.delta_ns
  FROM (SELECT capture, skb, track_no FROM flow_tracks f WHERE (f.capture, f.skb, f.track_no) IN (SELECT capture, skb, track_no FROM flow_match)) t
  JOIN event_track_map m ON m.capture = t.capture AND m.skb = t.skb AND m.track_no = t.track_no
  JOIN raw_events r ON r.capture = m.capture AND r.seq = m.seq
  WHERE r.func::VARCHAR = $func AND m.delta_ns IS NOT NULL
), s AS (
  SELECT count(*) AS hops, round(median(delta_ns) / 1000, 1) AS median_us,
         round(quantile_cont(delta_ns, 0.99) / 1000, 1) AS p99_us, round(max(delta_ns) / 1000, 1) AS max_us
  FROM h
)
SELECT $func AS func, hops, median_us, p99_us, max_us,
       CASE WHEN hops = 0 THEN 'no measured hop into ' || $func
            ELSE concat_ws('; ',
              CASE WHEN median_us > $median_us THEN 'median ' || median_us || 'µs > ' || $median_us || 'µs' END,
              CASE WHEN p99_us > $p99_us THEN 'p99 ' || p99_us || 'µs > ' || $p99_us || 'µs' END,
              CASE WHEN max_us > $max_us THEN 'max ' || max_us || 'µs > ' || $max_us || 'µs' END) END AS problem
FROM s
WHERE hops = 0 OR median_us > $median_us OR p99_us > $p99_us OR max_us > $max_us;
