-- Grain: one row per dropped skb lifetime of the filtered flow (each one a failure of `no_drops`).
-- Inputs: flow_tracks; the flow filter replaces the FILTER marker.
-- Rules: dropped = skb_tracks' verdict; drop_label / drop_site are its wording of the drop.
SELECT track_id, saddr || ':' || sport || '->' || daddr || ':' || dport || '/' || l4 AS tuple,
       drop_reason, drop_label, drop_site, hops
FROM flow_tracks
WHERE verdict = 'dropped' AND (/*FILTER*/ true)
ORDER BY first_seq;
