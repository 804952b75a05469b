-- Grain: one row per skb lifetime of the filtered flow whose path calls $func (each one a failure of `no_func`).
-- Inputs: flow_tracks; $func; flow_match (the rule's flow filter, src/analyze/flow-filter.ts).
SELECT track_id, saddr || ':' || sport || '->' || daddr || ':' || dport || '/' || l4 AS tuple,
       list_position(funcs, $func) AS hop, verdict
FROM flow_tracks f
WHERE list_contains(funcs, $func) AND (f.capture, f.skb, f.track_no) IN (SELECT capture, skb, track_no FROM flow_match)
ORDER BY first_seq;
