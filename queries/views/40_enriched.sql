-- Grain: addr_identity: one row per (capture, tuple address) that some ipcache prefix covers;
--        addr_endpoint: one row per (capture, address) that is a local endpoint; ifindex_endpoint: per (capture, ifindex);
--        events_enriched: one row per event; tracks_enriched: one row per skb lifetime.
-- Inputs: addresses (distinct tuple addresses with integer values, computed at load), ipcache, endpoints, events,
--         skb_tracks, track_loss (25_loss.sql: possibly_incomplete = the lifetime overlaps a loss window).
-- Rules:
--   * identity = longest-prefix match: among prefixes of the same family whose [lo, hi] covers the address, the
--     longest wins (/32 over /24 over 0.0.0.0/0, /128 over /64 over ::/0); on a tie the 'start' snapshot wins.
--   * endpoint by IP: exact address in the endpoint map ('start' phase preferred); local = it is an endpoint of this
--     node (or the node itself, `(localhost)`).
--   * ifindex -> endpoint: the lxc device an endpoint's traffic enters/leaves by (host-side ifindex).
CREATE OR REPLACE TABLE addr_identity AS
SELECT c.capture, a.addr,
       arg_max(i.identity, i.prefix_len::INTEGER * 2 + CASE i.phase WHEN 'start' THEN 1 ELSE 0 END) AS identity,
       arg_max(i.prefix, i.prefix_len::INTEGER * 2 + CASE i.phase WHEN 'start' THEN 1 ELSE 0 END) AS prefix,
       max(i.prefix_len) AS prefix_len
FROM addresses a
JOIN ipcache i ON i.family = a.family AND a.value BETWEEN i.lo AND i.hi
JOIN captures c ON c.capture = i.capture
GROUP BY c.capture, a.addr;

CREATE OR REPLACE VIEW addr_endpoint AS
SELECT capture, ip AS addr,
       arg_min(endpoint_id, CASE phase WHEN 'start' THEN 0 ELSE 1 END) AS endpoint_id,
       arg_min(identity, CASE phase WHEN 'start' THEN 0 ELSE 1 END) AS endpoint_identity,
       arg_min(ifindex, CASE phase WHEN 'start' THEN 0 ELSE 1 END) AS endpoint_ifindex,
       bool_or(localhost) AS localhost
FROM endpoints
GROUP BY capture, ip;

CREATE OR REPLACE VIEW ifindex_endpoint AS
SELECT capture, ifindex,
       arg_min(endpoint_id, CASE phase WHEN 'start' THEN 0 ELSE 1 END) AS endpoint_id,
       arg_min(ip, CASE phase WHEN 'start' THEN 0 ELSE 1 END) AS endpoint_ip,
       arg_min(identity, CASE phase WHEN 'start' THEN 0 ELSE 1 END) AS endpoint_identity
FROM endpoints
WHERE ifindex IS NOT NULL AND ifindex <> 0
GROUP BY capture, ifindex;

CREATE OR REPLACE VIEW events_enriched AS
SELECT e.*,
       si.identity AS src_identity, si.prefix AS src_prefix,
       di.identity AS dst_identity, di.prefix AS dst_prefix,
       se.endpoint_id AS src_endpoint, coalesce(se.localhost OR se.endpoint_id IS NOT NULL, false) AS src_local,
       de.endpoint_id AS dst_endpoint, coalesce(de.localhost OR de.endpoint_id IS NOT NULL, false) AS dst_local,
       ie.endpoint_id AS if_endpoint, ie.endpoint_ip AS if_endpoint_ip
FROM events e
LEFT JOIN addr_identity si ON si.capture = e.capture AND si.addr = e.saddr
LEFT JOIN addr_identity di ON di.capture = e.capture AND di.addr = e.daddr
LEFT JOIN addr_endpoint se ON se.capture = e.capture AND se.addr = e.saddr
LEFT JOIN addr_endpoint de ON de.capture = e.capture AND de.addr = e.daddr
LEFT JOIN ifindex_endpoint ie ON ie.capture = e.capture AND ie.ifindex = e.ifindex;

CREATE OR REPLACE VIEW tracks_enriched AS
SELECT t.*,
       si.identity AS src_identity, di.identity AS dst_identity,
       se.endpoint_id AS src_endpoint, de.endpoint_id AS dst_endpoint,
       tl.capture IS NOT NULL AS possibly_incomplete
FROM skb_tracks t
LEFT JOIN track_loss tl ON tl.capture = t.capture AND tl.skb = t.skb AND tl.track_no = t.track_no
LEFT JOIN addr_identity si ON si.capture = t.capture AND si.addr = t.tuple.saddr
LEFT JOIN addr_identity di ON di.capture = t.capture AND di.addr = t.tuple.daddr
LEFT JOIN addr_endpoint se ON se.capture = t.capture AND se.addr = t.tuple.saddr
LEFT JOIN addr_endpoint de ON de.capture = t.capture AND de.addr = t.tuple.daddr;
