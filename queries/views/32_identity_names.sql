-- Grain: identity_names: one row per (capture, security identity) that an identity snapshot names, or that the
-- ipcache/endpoint maps hold and is reserved (1 host, 2 world, ...: its name is fixed by Cilium).
-- Inputs: identity_labels (`cilium-dbg identity list`, and the labels of `cilium-dbg endpoint list`; both phases:
--   an identity is allocated for one label set, so its labels never change while it lives), ipcache, endpoints.
-- Rules: the identity list is the source when it has the identity; else the endpoint list's labels. name is
--   cilium_identity_name(labels) (queries/model/20_identities.sql), else the reserved label; shown as
--   `<name> (<number>)` by the renderers, which keep the number beside it.
CREATE OR REPLACE TABLE identity_names AS
WITH l AS (
  SELECT capture, identity, label, min(CASE source WHEN 'identity list' THEN 0 ELSE 1 END) AS pref
  FROM identity_labels GROUP BY capture, identity, label
), best AS (
  SELECT capture, identity, list_sort(list(label) FILTER (WHERE pref = 0)) AS from_list, list_sort(list(label)) AS any_source
  FROM l GROUP BY capture, identity
), labelled AS (
  SELECT capture, identity, CASE WHEN len(from_list) > 0 THEN from_list ELSE any_source END AS labels,
         CASE WHEN len(from_list) > 0 THEN 'identity list' ELSE 'endpoint list' END AS source
  FROM best
), reserved AS (
  SELECT DISTINCT capture, identity FROM ipcache WHERE cilium_reserved_label(identity) IS NOT NULL
  UNION SELECT DISTINCT capture, identity FROM endpoints WHERE cilium_reserved_label(identity) IS NOT NULL
)
SELECT capture, identity, labels, coalesce(cilium_identity_name(labels), cilium_reserved_label(identity)) AS name, source
FROM labelled
UNION ALL
SELECT r.capture, r.identity, NULL, cilium_reserved_label(r.identity), 'reserved'
FROM reserved r ANTI JOIN labelled x ON x.capture = r.capture AND x.identity = r.identity;
