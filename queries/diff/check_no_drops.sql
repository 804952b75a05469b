-- Grain: one row per dropped skb lifetime of the filtered flow (each one a failure of `no_drops`).
-- Inputs: flow_tracks; the flow filter replaces the FILTER marker.
-- Rules: dropped = skb_tracks' verdict (a drop reason other than consumed / not specified).
SELECT track_id, saddr || ':' || sport || '->' || daddr || ':' || dport || '/' || l4 AS tuple,
       drop_reason, drop_at, hops
FROM flow_tracks
WHERE verdict = 'dropped' AND (/*FILTER*/ true)
ORDER BY first_seq;
