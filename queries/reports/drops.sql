-- Drops by reason, kernel function and Cilium identity: who lost which packets where.
-- Grain: one row per (capture, drop reason, function, previous function, source identity, destination identity, l4, destination port).
-- Inputs: events_enriched (is_drop, drop_reason_name; identities by ipcache longest-prefix match), event_tracks.
-- Rules: only real drops (events.is_drop: a reason other than consumed / not-specified); `drops` counts events,
--   `skbs` distinct skb lifetimes; after_func is the hop before the drop in the same lifetime (e.g. nf_hook_slow before
--   kfree_skb_reason: the part of the stack that decided); example_track is the first dropped lifetime in capture order.
SELECT e.capture,
       e.drop_reason_name AS reason,
       e.func,
       pe.func AS after_func,
       e.src_identity,
       e.dst_identity,
       e.l4_name AS l4,
       e.dport,
       count(*) AS drops,
       count(DISTINCT t.track_id) AS skbs,
       arg_min(t.track_id, e.seq) AS example_track
FROM events_enriched e
JOIN event_tracks t ON t.capture = e.capture AND t.seq = e.seq
LEFT JOIN event_tracks p ON p.capture = t.capture AND p.skb = t.skb AND p.track_no = t.track_no AND p.hop = t.hop - 1
LEFT JOIN events pe ON pe.capture = p.capture AND pe.seq = p.seq
WHERE e.is_drop
GROUP BY e.capture, e.drop_reason_name, e.func, pe.func, e.src_identity, e.dst_identity, e.l4_name, e.dport
ORDER BY drops DESC, capture, reason, func, after_func NULLS LAST, src_identity NULLS LAST, dst_identity NULLS LAST, l4 NULLS LAST,
         dport NULLS LAST;
