-- Cilium datapath metrics that moved during the capture (end snapshot minus start snapshot).
-- Grain: one row per (capture, reason, direction, line, file) with a non-zero packet or byte delta.
-- Inputs: metrics_delta (bpf_metrics 'start' and 'end' phases).
-- Rules: unchanged counters are left out; captures without both snapshots have no deltas and no rows (`skbtape info`
--   says which snapshots a capture has); a negative delta means the agent restarted and its counters were reset.
SELECT capture, reason, direction, file, line, start_packets, end_packets, packets, bytes
FROM metrics_delta
WHERE packets <> 0 OR bytes <> 0
ORDER BY capture, abs(packets) DESC, reason, direction, file NULLS LAST, line NULLS LAST;
