-- Grain: no rows: Cilium's security-identity ranges as DuckDB macros. Loaded with the model, before every view;
-- flow keys (queries/analyze/flow_tracks.sql) and the snapshot diff (queries/diff/80_snapshot_addrs.sql) use them.
-- Inputs: a numeric security identity (ipcache `identity`, endpoint `sec_id`).
-- Rules (cilium pkg/identity/numericidentity.go): 0 is unknown; 1..255 are reserved identities (1 host, 2 world,
--   3 unmanaged, 4 health, 5 init, 6 remote-node, 7 kube-apiserver, 8 ingress, ...) that name no workload;
--   from 256 on they are cluster identities of workloads (and CIDR identities in the local scope, 2^24 and up).
CREATE OR REPLACE MACRO cilium_workload_identity(id) AS CASE WHEN id >= 256 THEN id END;
