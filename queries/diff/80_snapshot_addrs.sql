-- Grain: one row per (capture, address) that a flow of diff_tracks used, with what each capture's snapshots say of it.
-- Inputs: diff_tracks, addr_identity, addr_endpoint, ipcache, endpoints, identity_names (name_a / name_b: the
--   identity's name in that capture, for the notes).
-- Rules: identities are looked up in both captures' snapshots for every address (addr_identity covers all
-- addresses against every capture's ipcache); id_in_other = that identity still has some ipcache/endpoint entry
-- in the other capture. wid_a / wid_b: the same identities where they name a workload (cilium_workload_identity).
WITH used AS (
  SELECT DISTINCT capture, unnest([saddr, daddr]) AS addr FROM diff_tracks WHERE saddr IS NOT NULL
), ids AS (
  SELECT capture, identity FROM ipcache UNION SELECT capture, identity FROM endpoints WHERE identity IS NOT NULL
)
SELECT u.capture, u.addr,
       coalesce(ia.identity, ea.endpoint_identity) AS id_a, coalesce(ib.identity, eb.endpoint_identity) AS id_b,
       cilium_workload_identity(coalesce(ia.identity, ea.endpoint_identity)) AS wid_a,
       cilium_workload_identity(coalesce(ib.identity, eb.endpoint_identity)) AS wid_b,
       ea.endpoint_id AS ep_a, eb.endpoint_id AS ep_b,
       (SELECT name FROM identity_names n WHERE n.capture = $a AND n.identity = coalesce(ia.identity, ea.endpoint_identity)) AS name_a,
       (SELECT name FROM identity_names n WHERE n.capture = $b AND n.identity = coalesce(ib.identity, eb.endpoint_identity)) AS name_b,
       EXISTS (SELECT 1 FROM ids WHERE ids.capture = CASE WHEN u.capture = $a THEN $b ELSE $a END
                 AND ids.identity = coalesce(CASE WHEN u.capture = $a THEN coalesce(ia.identity, ea.endpoint_identity)
                                                  ELSE coalesce(ib.identity, eb.endpoint_identity) END, -1)) AS id_in_other
FROM used u
LEFT JOIN addr_identity ia ON ia.capture = $a AND ia.addr = u.addr
LEFT JOIN addr_identity ib ON ib.capture = $b AND ib.addr = u.addr
LEFT JOIN addr_endpoint ea ON ea.capture = $a AND ea.addr = u.addr
LEFT JOIN addr_endpoint eb ON eb.capture = $b AND eb.addr = u.addr
WHERE u.addr IS NOT NULL
ORDER BY u.addr, u.capture;
