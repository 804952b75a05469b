-- Grain: one row per skb lifetime of captures $a and $b that passes the flow filter, with its flow key and direction.
-- Inputs: flow_tracks; identity_names; flow_match (the lifetimes the --flow filter keeps, analyze/flow-filter.ts);
--   $by ('identity' | 'labels' | 'endpoint' | 'ip' | 'port' | 'process' | 'capture').
-- Rules:
--   * side label: identity -> '<name> (<n>)' when the address has a (non-reserved) identity that an identity snapshot
--     of A or B names (identity_names; one name per number across both, so the two sides' keys agree), 'id:<n>' when
--     none does, else the address; labels -> '<name>' from the track's own capture's identity snapshots (two
--     clusters number the same workload differently: its labels pair it), else 'id:<n>', else the address;
--     endpoint -> 'ep:<id>' when it is a local endpoint, else the address; ip -> the address; port -> '*' (the flow is
--     then its server port and L4 only: reruns with new pod addresses still line up).
--   * direction: the server side is the side that received a bare SYN in that capture; failing that the side with
--     the lower port (well-known and listening ports sit below the ephemeral range); on equal ports the side whose
--     label sorts first. dir = 'request' when the track goes towards the server, else 'reply'.
--   * flow = '<client label>-><server label>:<server port>/<l4>' (a side labelled by its IPv6 address bracketed); 'process:<name>' or '*'
--     for the process/capture keys; '(no tuple)' for tuple-less tracks of a capture keyed by addresses.
CREATE OR REPLACE TABLE diff_tracks AS
WITH names AS (
  SELECT identity, min(name) AS name FROM identity_names WHERE capture IN ($a, $b) GROUP BY identity
), k AS (
  SELECT f.*,
    CASE $by WHEN 'identity' THEN coalesce(sn.name || ' (' || s_id || ')', 'id:' || s_id, saddr) WHEN 'labels' THEN coalesce(sl.name, 'id:' || s_id, saddr)
             WHEN 'endpoint' THEN coalesce('ep:' || s_ep, saddr) WHEN 'port' THEN '*' ELSE saddr END AS s_label,
    CASE $by WHEN 'identity' THEN coalesce(dn.name || ' (' || d_id || ')', 'id:' || d_id, daddr) WHEN 'labels' THEN coalesce(dl.name, 'id:' || d_id, daddr)
             WHEN 'endpoint' THEN coalesce('ep:' || d_ep, daddr) WHEN 'port' THEN '*' ELSE daddr END AS d_label
  FROM flow_tracks f
  LEFT JOIN names sn ON sn.identity = f.s_id
  LEFT JOIN names dn ON dn.identity = f.d_id
  LEFT JOIN identity_names sl ON sl.capture = f.capture AND sl.identity = f.s_id
  LEFT JOIN identity_names dl ON dl.capture = f.capture AND dl.identity = f.d_id
  WHERE f.capture IN ($a, $b) AND (f.capture, f.skb, f.track_no) IN (SELECT capture, skb, track_no FROM flow_match)
), d AS (
  SELECT k.*,
    CASE WHEN saddr IS NULL OR daddr IS NULL THEN 'request'
         WHEN syn_dst AND NOT syn_src THEN 'request'
         WHEN syn_src AND NOT syn_dst THEN 'reply'
         WHEN coalesce(dport, 0) < coalesce(sport, 0) THEN 'request'
         WHEN coalesce(sport, 0) < coalesce(dport, 0) THEN 'reply'
         WHEN d_label <= s_label THEN 'request'
         ELSE 'reply' END AS dir
  FROM k
)
SELECT d.*,
  CASE WHEN $by = 'process' THEN 'process:' || coalesce(process, '<empty>')
       WHEN $by = 'capture' THEN '*'
       WHEN saddr IS NULL OR daddr IS NULL THEN '(no tuple)'
       WHEN dir = 'request' THEN s_label || '->' || CASE WHEN d_label = daddr AND daddr LIKE '%:%' THEN '[' || d_label || ']' ELSE d_label END
                                  || ':' || coalesce(dport, 0) || '/' || coalesce(l4, '?')
       ELSE d_label || '->' || CASE WHEN s_label = saddr AND saddr LIKE '%:%' THEN '[' || s_label || ']' ELSE s_label END
                                  || ':' || coalesce(sport, 0) || '/' || coalesce(l4, '?')
  END AS flow,
  CASE WHEN dir = 'request' THEN saddr ELSE daddr END AS client_ip,
  CASE WHEN dir = 'request' THEN daddr ELSE saddr END AS server_ip
FROM d;
