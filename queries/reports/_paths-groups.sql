-- (internal: `skbtape paths`) Path groups of the lifetimes that pass the --flow filter, most common first.
-- Grain: one row per (capture, path signature, verdict, drop reason) among the matching skb lifetimes.
-- Inputs: tracks_enriched; parameters (lists, empty = no condition): $hosts, $srcs, $dsts VARCHAR[]; $ports, $sports,
--   $dports INTEGER[]; $protos VARCHAR[]; $identities, $src_identities, $dst_identities UINTEGER[]; $verdicts VARCHAR[].
-- Rules: every listed value must hold (the filter's terms are joined by `and`): `host X` = saddr or daddr is X,
--   `port N` = sport or dport is N, `identity N` = either side's identity is N. Lifetimes without a tuple never match
--   an address, port, protocol or identity term. The example is the first matching lifetime in capture order; its
--   drop_label and drop_site (skb_tracks) word the group's drop.
WITH m AS (
  SELECT t.*
  FROM tracks_enriched t
  WHERE len(list_filter($hosts::VARCHAR[], lambda v: v IS DISTINCT FROM t.tuple.saddr AND v IS DISTINCT FROM t.tuple.daddr)) = 0
    AND len(list_filter($srcs::VARCHAR[], lambda v: v IS DISTINCT FROM t.tuple.saddr)) = 0
    AND len(list_filter($dsts::VARCHAR[], lambda v: v IS DISTINCT FROM t.tuple.daddr)) = 0
    AND len(list_filter($ports::INTEGER[], lambda v: v IS DISTINCT FROM t.tuple.sport AND v IS DISTINCT FROM t.tuple.dport)) = 0
    AND len(list_filter($sports::INTEGER[], lambda v: v IS DISTINCT FROM t.tuple.sport)) = 0
    AND len(list_filter($dports::INTEGER[], lambda v: v IS DISTINCT FROM t.tuple.dport)) = 0
    AND len(list_filter($protos::VARCHAR[], lambda v: v IS DISTINCT FROM lower(t.tuple.l4))) = 0
    AND len(list_filter($identities::UINTEGER[], lambda v: v IS DISTINCT FROM t.src_identity AND v IS DISTINCT FROM t.dst_identity)) = 0
    AND len(list_filter($src_identities::UINTEGER[], lambda v: v IS DISTINCT FROM t.src_identity)) = 0
    AND len(list_filter($dst_identities::UINTEGER[], lambda v: v IS DISTINCT FROM t.dst_identity)) = 0
    AND len(list_filter($verdicts::VARCHAR[], lambda v: v IS DISTINCT FROM t.verdict)) = 0
)
SELECT capture,
       path_sig,
       verdict,
       drop_reason,
       count(*) AS skbs,
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
ORDER BY skbs DESC, first_seq, capture, path_sig, verdict, drop_reason NULLS FIRST;
