-- Grain: one row per hop (event) of an skb lifetime, in lifetime order.
-- Inputs: event_tracks (20_skb_tracks.sql), events.
-- Rules: hop is 1-based within the lifetime; delta_ns is the ktime step from the previous hop (NULL for the first hop
-- or when ktime is absent).
CREATE OR REPLACE VIEW track_hops AS
SELECT t.track_id, t.capture, t.skb, t.track_no, t.hop, t.delta_ns, e.* EXCLUDE (capture, skb)
FROM event_tracks t
JOIN events e ON e.capture = t.capture AND e.seq = t.seq;
