-- Top talkers by Cilium identity: skbs between each pair of source and destination identities, and how they ended.
-- Grain: one row per (capture, source identity, destination identity, l4).
-- Inputs: tracks_enriched (tuple of the first hop that has one; identities by ipcache longest-prefix match).
-- Rules: lifetimes without a tuple (ARP, non-IP) are left out; NULL identity = no ipcache prefix covers the address.
--   Reserved identities are named: 1 host, 2 world, 3 unmanaged, 4 health, 5 init, 6 remote-node, 7 kube-apiserver,
--   8 ingress.
WITH t AS (
  SELECT capture, src_identity, dst_identity, tuple.l4 AS l4, tuple.saddr AS saddr, tuple.daddr AS daddr, verdict, hops
  FROM tracks_enriched
  WHERE tuple IS NOT NULL
)
SELECT capture,
       src_identity,
       CASE src_identity WHEN 1 THEN 'host' WHEN 2 THEN 'world' WHEN 3 THEN 'unmanaged' WHEN 4 THEN 'health'
         WHEN 5 THEN 'init' WHEN 6 THEN 'remote-node' WHEN 7 THEN 'kube-apiserver' WHEN 8 THEN 'ingress' END AS src_label,
       dst_identity,
       CASE dst_identity WHEN 1 THEN 'host' WHEN 2 THEN 'world' WHEN 3 THEN 'unmanaged' WHEN 4 THEN 'health'
         WHEN 5 THEN 'init' WHEN 6 THEN 'remote-node' WHEN 7 THEN 'kube-apiserver' WHEN 8 THEN 'ingress' END AS dst_label,
       l4,
       count(*) AS skbs,
       count(*) FILTER (WHERE verdict = 'dropped') AS dropped,
       sum(hops) AS events,
       list_sort(list(DISTINCT saddr)) AS src_addrs,
       list_sort(list(DISTINCT daddr)) AS dst_addrs
FROM t
GROUP BY capture, src_identity, dst_identity, l4
ORDER BY skbs DESC, capture, src_identity NULLS LAST, dst_identity NULLS LAST, l4 NULLS LAST;
