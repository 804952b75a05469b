-- Grain: one row per loaded capture: which flow keys its tracks can support.
-- Inputs: flow_tracks, captures, ipcache, endpoints, identity_names.
-- Rules: identity/endpoint keys need a snapshot (ipcache or endpoint list) in that capture; a capture whose
-- tracks carry no tuple at all (pwru before v1.0.8 prints none by default) can only be keyed by process or as a whole.
-- shared_addrs: tuple addresses of this capture that the other one has too (0 on a rerun with new pod addresses).
-- workload_ids / shared_ids / named_ids: the workload identities of this capture's tuples, how many of them the other
-- capture's tuples have too (0 between two clusters, whose identity numbers are their own), and how many an identity
-- snapshot of this capture names (identity_names: the labels key needs every one named).
WITH ids AS (
  SELECT DISTINCT capture, s_id AS id FROM flow_tracks WHERE capture IN ($a, $b) AND s_id IS NOT NULL
  UNION SELECT DISTINCT capture, d_id FROM flow_tracks WHERE capture IN ($a, $b) AND d_id IS NOT NULL
)
SELECT c.capture,
       coalesce(f.tracks, 0) AS tracks,
       coalesce(f.with_tuple, 0) AS with_tuple,
       coalesce(f.with_process, 0) AS with_process,
       (SELECT count(*) FROM ipcache i WHERE i.capture = c.capture) AS ipcache_rows,
       (SELECT count(*) FROM endpoints e WHERE e.capture = c.capture) AS endpoint_rows,
       (SELECT count(*) FROM (SELECT saddr AS a FROM flow_tracks WHERE capture = c.capture UNION SELECT daddr FROM flow_tracks WHERE capture = c.capture) m
         WHERE m.a IS NOT NULL AND m.a IN (SELECT saddr FROM flow_tracks WHERE capture IN ($a, $b) AND capture <> c.capture
                                           UNION SELECT daddr FROM flow_tracks WHERE capture IN ($a, $b) AND capture <> c.capture)) AS shared_addrs
,
       (SELECT count(*) FROM ids i WHERE i.capture = c.capture) AS workload_ids,
       (SELECT count(*) FROM ids i WHERE i.capture = c.capture AND i.id IN (SELECT o.id FROM ids o WHERE o.capture <> c.capture)) AS shared_ids,
       (SELECT count(*) FROM ids i WHERE i.capture = c.capture AND i.id IN (SELECT n.identity FROM identity_names n WHERE n.capture = c.capture)) AS named_ids
FROM captures c
LEFT JOIN (SELECT capture, count(*) AS tracks, count(saddr) AS with_tuple, count(process) AS with_process
           FROM flow_tracks GROUP BY capture) f ON f.capture = c.capture
WHERE c.capture IN ($a, $b);
