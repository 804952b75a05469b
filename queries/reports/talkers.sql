-- Top talkers by Cilium identity: skbs between each pair of source and destination identities, and how they ended.
-- Grain: one row per (capture, source identity, destination identity, l4).
-- Inputs: tracks_enriched (tuple of the first hop that has one; identities by ipcache longest-prefix match),
--   identity_names (queries/views/32_identity_names.sql).
-- Rules: lifetimes without a tuple (ARP, non-IP) are left out; NULL identity = no ipcache prefix covers the address.
--   src_label / dst_label: the identity's name from the identity snapshots (k8s:app=client), else the reserved one
--   (reserved:host, reserved:world, ...), else empty.
WITH t AS (
  SELECT capture, src_identity, dst_identity, tuple.l4 AS l4, tuple.saddr AS saddr, tuple.daddr AS daddr, verdict, hops
  FROM tracks_enriched
  WHERE tuple IS NOT NULL
)
SELECT t.capture,
       src_identity,
       coalesce(any_value(sn.name), cilium_reserved_label(src_identity)) AS src_label,
       dst_identity,
       coalesce(any_value(dn.name), cilium_reserved_label(dst_identity)) AS dst_label,
       l4,
       count(*) AS skbs,
       count(*) FILTER (WHERE verdict = 'dropped') AS dropped,
       sum(hops) AS events,
       list_sort(list(DISTINCT saddr)) AS src_addrs,
       list_sort(list(DISTINCT daddr)) AS dst_addrs
FROM t
LEFT JOIN identity_names sn ON sn.capture = t.capture AND sn.identity = t.src_identity
LEFT JOIN identity_names dn ON dn.capture = t.capture AND dn.identity = t.dst_identity
GROUP BY t.capture, src_identity, dst_identity, l4
ORDER BY skbs DESC, t.capture, src_identity NULLS LAST, dst_identity NULLS LAST, l4 NULLS LAST;
