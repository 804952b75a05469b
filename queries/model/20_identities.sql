-- Grain: no rows: Cilium's security-identity ranges as DuckDB macros. Loaded with the model, before every view;
-- flow keys (queries/analyze/flow_tracks.sql) and the snapshot diff (queries/diff/80_snapshot_addrs.sql) use them.
-- Inputs: a numeric security identity (ipcache `identity`, endpoint `sec_id`).
-- Rules (cilium pkg/identity/numericidentity.go): 0 is unknown; 1..255 are reserved identities (1 host, 2 world,
--   3 unmanaged, 4 health, 5 init, 6 remote-node, 7 kube-apiserver, 8 ingress, ...) that name no workload;
--   from 256 on they are cluster identities of workloads (and CIDR identities in the local scope, 2^24 and up).
CREATE OR REPLACE MACRO cilium_workload_identity(id) AS CASE WHEN id >= 256 THEN id END;

-- The reserved identity's label when no identity snapshot names it (the same numbers, numericidentity.go;
-- 9/10 are world-ipv4/world-ipv6 when the dual-stack world split is on).
CREATE OR REPLACE MACRO cilium_reserved_label(id) AS CASE id
  WHEN 1 THEN 'reserved:host' WHEN 2 THEN 'reserved:world' WHEN 3 THEN 'reserved:unmanaged' WHEN 4 THEN 'reserved:health'
  WHEN 5 THEN 'reserved:init' WHEN 6 THEN 'reserved:remote-node' WHEN 7 THEN 'reserved:kube-apiserver'
  WHEN 8 THEN 'reserved:ingress' WHEN 9 THEN 'reserved:world-ipv4' WHEN 10 THEN 'reserved:world-ipv6' END;

-- The labels that say which workload an identity is, as a person reads them: Cilium adds labels of its own to every
-- pod's identity (the namespace, its labels, the cluster, the service account: `k8s:io.cilium.k8s.*`,
-- `k8s:io.kubernetes.pod.namespace=`); those are left out unless nothing else is left. Sorted, comma-joined.
CREATE OR REPLACE MACRO cilium_identity_name(labels) AS CASE
  WHEN labels IS NULL OR len(labels) = 0 THEN NULL
  WHEN len(list_filter(labels, l -> NOT (l LIKE 'k8s:io.cilium.k8s.%' OR l LIKE 'k8s:io.kubernetes.pod.namespace=%'))) = 0
    THEN array_to_string(list_sort(labels), ',')
  ELSE array_to_string(list_sort(list_filter(labels, l -> NOT (l LIKE 'k8s:io.cilium.k8s.%' OR l LIKE 'k8s:io.kubernetes.pod.namespace=%'))), ',')
END;
