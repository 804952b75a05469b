-- Grain: one row per skb lifetime of the filtered flow whose path calls $func (each one a failure of `no_func`).
-- Inputs: flow_tracks; $func; the flow filter replaces the FILTER marker.
SELECT track_id, saddr || ':' || sport || '->' || daddr || ':' || dport || '/' || l4 AS tuple,
       list_position(funcs, $func) AS hop, verdict
FROM flow_tracks
WHERE list_contains(funcs, $func) AND (/*FILTER*/ true)
ORDER BY first_seq;
