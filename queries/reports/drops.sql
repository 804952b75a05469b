-- Drops by reason, kernel function and Cilium identity: who lost which packets where.
-- Grain: one row per (capture, drop reason, function, previous function, source identity, destination identity, l4, destination port).
-- Inputs: tracks_enriched (skb_tracks' drop verdict, reason and site; identities by ipcache longest-prefix match),
--   identity_names (src_name / dst_name: the identity's name from the identity snapshots, else the reserved one).
-- Rules: only lifetimes whose verdict is 'dropped' (queries/views/20_skb_tracks.sql: a reference drop, or an
--   unannotated free after a device transmit, is no drop); reason is the short name (NETFILTER_DROP, NOT_SPECIFIED,
--   CODE_<n>); func is the function that freed, after_func the last non-free hop before it (e.g. nf_hook_slow before
--   kfree_skb_reason: the part of the stack that decided); `drops` and `skbs` both count dropped lifetimes (one drop
--   each); example_track is the first dropped lifetime in capture order.
SELECT t.capture,
       drop_reason AS reason,
       drop_func AS func,
       drop_after AS after_func,
       src_identity,
       coalesce(any_value(sn.name), cilium_reserved_label(src_identity)) AS src_name,
       dst_identity,
       coalesce(any_value(dn.name), cilium_reserved_label(dst_identity)) AS dst_name,
       tuple.l4 AS l4,
       tuple.dport AS dport,
       count(*) AS drops,
       count(*) AS skbs,
       arg_min(track_id, first_seq) AS example_track
FROM tracks_enriched t
LEFT JOIN identity_names sn ON sn.capture = t.capture AND sn.identity = t.src_identity
LEFT JOIN identity_names dn ON dn.capture = t.capture AND dn.identity = t.dst_identity
WHERE verdict = 'dropped'
GROUP BY t.capture, reason, func, after_func, src_identity, dst_identity, l4, dport
ORDER BY drops DESC, t.capture, reason, func, after_func NULLS LAST, src_identity NULLS LAST, dst_identity NULLS LAST, l4 NULLS LAST,
         dport NULLS LAST;
