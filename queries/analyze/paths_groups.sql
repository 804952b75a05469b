-- (internal: `skbtape paths`) Path groups of the lifetimes that pass the --flow filter, most common first.
-- Grain: one row per (capture, path signature, verdict, drop reason) among the matching skb lifetimes.
-- Inputs: tracks_enriched; identity_names (the labels of each side's identity); flow_match (the lifetimes the --flow filter keeps: analyze/flow-filter.ts fills it).
-- Rules: the example is the first matching lifetime in capture order; its drop_label and drop_site (skb_tracks) word
--   the group's drop; incomplete counts the group's lifetimes that overlap a loss window (possibly_incomplete).
WITH m AS (
  SELECT t.*
  FROM tracks_enriched t
  WHERE (t.capture, t.skb, t.track_no) IN (SELECT capture, skb, track_no FROM flow_match)
), g AS (
SELECT capture,
       path_sig,
       verdict,
       drop_reason,
       count(*) AS skbs,
       count(*) FILTER (WHERE possibly_incomplete) AS incomplete,
       min(hops) AS hops,
       min(first_seq) AS first_seq,
       arg_min(track_id, first_seq) AS example_track,
       arg_min(drop_label, first_seq) AS drop_label,
       arg_min(drop_site, first_seq) AS drop_site,
       arg_min(skb, first_seq) AS example_skb,
       arg_min(track_no, first_seq) AS example_track_no,
       arg_min(duration_ns, first_seq) AS example_duration_ns,
       arg_min(tuple, first_seq) AS tuple,
       arg_min(src_identity, first_seq) AS src_identity,
       arg_min(src_endpoint, first_seq) AS src_endpoint,
       arg_min(dst_identity, first_seq) AS dst_identity,
       arg_min(dst_endpoint, first_seq) AS dst_endpoint
FROM m
GROUP BY capture, path_sig, verdict, drop_reason
)
SELECT g.*, sn.name AS src_identity_name, sn.labels AS src_identity_labels, dn.name AS dst_identity_name, dn.labels AS dst_identity_labels
FROM g
LEFT JOIN identity_names sn ON sn.capture = g.capture AND sn.identity = g.src_identity
LEFT JOIN identity_names dn ON dn.capture = g.capture AND dn.identity = g.dst_identity
ORDER BY skbs DESC, first_seq, capture, path_sig, verdict, drop_reason NULLS FIRST;
