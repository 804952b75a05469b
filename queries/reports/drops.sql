-- Drops by reason, kernel function and Cilium identity: who lost which packets where.
-- Grain: one row per (capture, drop reason, function, previous function, source identity, destination identity, l4, destination port).
-- Inputs: tracks_enriched (skb_tracks' drop verdict, reason and site; identities by ipcache longest-prefix match).
-- Rules: only lifetimes whose verdict is 'dropped' (queries/views/20_skb_tracks.sql: a reference drop, or an
--   unannotated free after a device transmit, is no drop); reason is the short name (NETFILTER_DROP, NOT_SPECIFIED,
--   CODE_<n>); func is the function that freed, after_func the last non-free hop before it (e.g. nf_hook_slow before
--   kfree_skb_reason: the part of the stack that decided); `drops` and `skbs` both count dropped lifetimes (one drop
--   each); example_track is the first dropped lifetime in capture order.
SELECT capture,
       drop_reason AS reason,
       drop_func AS func,
       drop_after AS after_func,
       src_identity,
       dst_identity,
       tuple.l4 AS l4,
       tuple.dport AS dport,
       count(*) AS drops,
       count(*) AS skbs,
       arg_min(track_id, first_seq) AS example_track
FROM tracks_enriched
WHERE verdict = 'dropped'
GROUP BY ALL
ORDER BY drops DESC, capture, reason, func, after_func NULLS LAST, src_identity NULLS LAST, dst_identity NULLS LAST, l4 NULLS LAST,
         dport NULLS LAST;
