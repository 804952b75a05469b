-- Per-function hits and hop latency: how often each kernel function ran and how long since the skb's previous hop.
-- Grain: one row per (capture, function).
-- Inputs: events (func), event_tracks (delta_ns: ktime step from the previous hop of the same skb lifetime).
-- Rules: latency is the time from the previous traced function to this one (NULL on a lifetime's first hop and
--   without ktime); median and p99 are quantile_disc (an observed value, not interpolated), in microseconds.
SELECT e.capture,
       e.func,
       count(*) AS hits,
       count(DISTINCT t.track_id) AS skbs,
       round(quantile_disc(t.delta_ns, 0.5) / 1000.0, 3) AS median_delta_us,
       round(quantile_disc(t.delta_ns, 0.99) / 1000.0, 3) AS p99_delta_us,
       round(max(t.delta_ns) / 1000.0, 3) AS max_delta_us
FROM events e
JOIN event_tracks t ON t.capture = e.capture AND t.seq = e.seq
GROUP BY e.capture, e.func
ORDER BY capture, hits DESC, func;
