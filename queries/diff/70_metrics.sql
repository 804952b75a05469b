-- Grain: one row per cilium datapath metrics key (reason, direction, file, line) seen in $a or $b.
-- Inputs: metrics_delta (end - start per capture window).
-- Rules: a key missing from one capture's window counts as 0 there; NULL deltas (a capture without both snapshot
-- phases) are left NULL so diff/diff.ts can say the metrics were not compared.
SELECT coalesce(a.reason, b.reason) AS reason, coalesce(a.direction, b.direction) AS direction,
       coalesce(a.file, b.file) AS file, coalesce(a.line, b.line) AS line,
       a.packets AS packets_a, b.packets AS packets_b
FROM (SELECT * FROM metrics_delta WHERE capture = $a) a
FULL OUTER JOIN (SELECT * FROM metrics_delta WHERE capture = $b) b
  ON a.reason = b.reason AND a.direction = b.direction AND a.file IS NOT DISTINCT FROM b.file AND a.line IS NOT DISTINCT FROM b.line
ORDER BY reason, direction, file, line;
