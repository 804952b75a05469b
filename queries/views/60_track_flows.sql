-- Grain: one row per skb lifetime (skb_tracks): the flow it belongs to, for the views that group by flow (latency,
-- tracks, the HTML report, the Perfetto export).
-- Inputs: skb_tracks, addr_identity, addr_endpoint.
-- Rules:
--   * dir: 'request' when the lifetime goes towards the server side, which is the side with the lower port
--     (listening ports sit below the ephemeral range; equal ports: the destination); 'reply' otherwise.
--   * flow = '<client addr> → <server addr>:<server port>/<l4>' (IPv6 bracketed), the same for both directions of a
--     connection; '(no tuple)' for lifetimes that never showed a tuple. Addresses, not identities: the key is what
--     --flow matches; client_/server_identity and _endpoint label it (ipcache longest prefix, else the endpoint map).
CREATE OR REPLACE VIEW track_flows AS
WITH t AS (
  SELECT s.capture, s.track_id, s.skb, s.track_no,
         nullif(s.tuple.saddr, '') AS saddr, s.tuple.sport AS sport, nullif(s.tuple.daddr, '') AS daddr,
         s.tuple.dport AS dport, lower(nullif(s.tuple.l4, '')) AS l4
  FROM skb_tracks s
), d AS (
  SELECT t.*, CASE WHEN coalesce(sport, 0) < coalesce(dport, 0) THEN 'reply' ELSE 'request' END AS dir FROM t
), c AS (
  SELECT d.*,
         CASE WHEN dir = 'request' THEN saddr ELSE daddr END AS client_addr,
         CASE WHEN dir = 'request' THEN daddr ELSE saddr END AS server_addr,
         CASE WHEN dir = 'request' THEN dport ELSE sport END AS server_port
  FROM d
)
SELECT c.capture, c.track_id, c.skb, c.track_no, c.dir, c.client_addr, c.server_addr, c.server_port, c.l4,
       CASE WHEN c.saddr IS NULL OR c.daddr IS NULL THEN '(no tuple)'
            ELSE c.client_addr || ' → ' || CASE WHEN c.server_addr LIKE '%:%' THEN '[' || c.server_addr || ']' ELSE c.server_addr END
                 || ':' || coalesce(c.server_port, 0) || '/' || coalesce(c.l4, '?') END AS flow,
       coalesce(ci.identity, ce.endpoint_identity) AS client_identity, ce.endpoint_id AS client_endpoint,
       coalesce(si.identity, se.endpoint_identity) AS server_identity, se.endpoint_id AS server_endpoint
FROM c
LEFT JOIN addr_identity ci ON ci.capture = c.capture AND ci.addr = c.client_addr
LEFT JOIN addr_identity si ON si.capture = c.capture AND si.addr = c.server_addr
LEFT JOIN addr_endpoint ce ON ce.capture = c.capture AND ce.addr = c.client_addr
LEFT JOIN addr_endpoint se ON se.capture = c.capture AND se.addr = c.server_addr;
