-- Grain: one row per skb lifetime (skb_tracks) of every loaded capture, with what a flow key is built from.
-- Inputs: skb_tracks, raw_events (SYN flags, the first event's process), addr_identity, addr_endpoint.
-- Rules:
--   * s_id/d_id: the security identity of each tuple address (ipcache longest prefix, else the endpoint map's
--     sec_id), kept only where it names a workload (cilium_workload_identity, queries/model/20_identities.sql): reserved identities (1 host, 2 world, 4 health, ...) name no workload, so
--     those sides are keyed by their address instead.
--   * s_ep/d_ep: the local endpoint id of each address (NULL for remote addresses and `(localhost)`).
--   * syn_dst / syn_src: the track's destination (source) address:port received a bare SYN (SYN without ACK) in the
--     same capture, i.e. it is the server side of a connection seen opening.
--   * tcp_flags: the TCP flags of the lifetime's first event that has them (SYN, SYN|ACK, ACK, FIN|ACK, ...): what
--     kind of segment it was, so a diff pairs a SYN's path with a SYN's, never with the final ACK's.
--   * process: pwru's PROCESS text without its `:pid` (pids change between runs); NULL for `<empty>`.
--   * drop_label / drop_site: skb_tracks' wording of a drop (`SKB_DROP_REASON_X`, `kfree_skb_reason (after nf_hook_slow)`).
CREATE OR REPLACE TABLE flow_tracks AS
WITH syn AS (
  SELECT DISTINCT capture::VARCHAR AS capture, daddr::VARCHAR AS addr, dport AS port
  FROM raw_events
  WHERE tcp_flags IS NOT NULL AND tcp_flags & 18 = 2 AND dport IS NOT NULL
), fl AS (
  SELECT m.capture::VARCHAR AS capture, m.skb, m.track_no, arg_min(r.tcp_flags, m.seq) AS tcp_flags
  FROM event_track_map m
  JOIN raw_events r ON r.capture = m.capture AND r.seq = m.seq
  WHERE r.tcp_flags IS NOT NULL
  GROUP BY ALL
), t AS (
  SELECT s.capture, s.track_id, s.skb, s.track_no, s.first_seq, s.first_ktime, s.hops, s.funcs, s.path_sig,
         s.ifaces, s.netns_crossed, s.verdict, s.drop_reason, s.drop_label, s.drop_func, s.drop_site,
         nullif(s.tuple.saddr, '') AS saddr, s.tuple.sport AS sport, nullif(s.tuple.daddr, '') AS daddr,
         s.tuple.dport AS dport, nullif(s.tuple.l4, '') AS l4
  FROM skb_tracks s
)
SELECT t.*,
       cilium_workload_identity(coalesce(si.identity, se.endpoint_identity)) AS s_id,
       cilium_workload_identity(coalesce(di.identity, de.endpoint_identity)) AS d_id,
       se.endpoint_id AS s_ep, de.endpoint_id AS d_ep,
       (sd.addr IS NOT NULL) AS syn_dst, (ss.addr IS NOT NULL) AS syn_src, fl.tcp_flags,
       nullif(regexp_replace(r.process::VARCHAR, ':\d+$', ''), '<empty>') AS process
FROM t
JOIN raw_events r ON r.capture = t.capture AND r.seq = t.first_seq
LEFT JOIN addr_identity si ON si.capture = t.capture AND si.addr = t.saddr
LEFT JOIN addr_identity di ON di.capture = t.capture AND di.addr = t.daddr
LEFT JOIN addr_endpoint se ON se.capture = t.capture AND se.addr = t.saddr
LEFT JOIN addr_endpoint de ON de.capture = t.capture AND de.addr = t.daddr
LEFT JOIN syn sd ON sd.capture = t.capture AND sd.addr = t.daddr AND sd.port = t.dport
LEFT JOIN syn ss ON ss.capture = t.capture AND ss.addr = t.saddr AND ss.port = t.sport
LEFT JOIN fl ON fl.capture = t.capture AND fl.skb = t.skb AND fl.track_no = t.track_no;
