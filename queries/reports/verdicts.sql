-- How skb lifetimes ended: delivered, transmitted, dropped (by reason), consumed, redirected or unknown.
-- Grain: one row per (capture, verdict, drop reason).
-- Inputs: skb_tracks (verdict rules in queries/views/20_skb_tracks.sql).
-- Rules: `events` sums the hops of those lifetimes; example_track is the first in capture order.
SELECT capture,
       verdict,
       drop_reason,
       count(*) AS skbs,
       sum(hops) AS events,
       arg_min(track_id, first_seq) AS example_track
FROM skb_tracks
GROUP BY capture, verdict, drop_reason
ORDER BY capture, skbs DESC, verdict, drop_reason NULLS FIRST;
