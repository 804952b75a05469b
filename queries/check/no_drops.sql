-- Grain: one row per dropped skb lifetime of the filtered flow (each one a failure of `no_drops`).
-- Inputs: flow_tracks; flow_match (the rule's flow filter, src/analyze/flow-filter.ts).
-- Rules: dropped = skb_tracks' verdict; drop_label / drop_site are its wording of the drop.
SELECT track_id, saddr || ':' || sport || '->' || daddr || ':' || dport || '/' || l4 AS tuple,
       drop_reason, drop_label, drop_site, hops
FROM flow_tracks f
WHERE verdict = 'dropped' AND (f.capture, f.skb, f.track_no) IN (SELECT capture, skb, track_no FROM flow_match)
ORDER BY first_seq;
