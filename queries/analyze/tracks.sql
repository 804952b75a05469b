-- (internal: `skbtape tracks`) One row per skb lifetime, compact, in capture order: the last $last of those the
-- --flow filter keeps (flow_match) and whose first hop lies in [$since_ns, $until_ns) after the capture's first event.
-- Grain: one row per skb lifetime (skb_tracks) passing the filters.
-- Inputs: tracks_enriched (verdict, drop label and site, ifaces, netns, identities), event_track_map + raw_events (the
--   TCP flags of every hop, OR-ed), captures (first ktime, monotonic->wall offset), capture_clock, flow_match.
-- Rules: rel_ns is the lifetime's first hop since the capture's first event (absolute timestamps only, else NULL, and
--   then --since/--until keep nothing); wall is that hop's wall-clock time when the manifest measured the offset.
--   $since_ns / $until_ns / $last NULL = no bound.
WITH base AS (
  SELECT t.capture, min(t.first_ktime) AS k0 FROM skb_tracks t GROUP BY 1
), sel AS (
  SELECT t.*, (t.first_ktime::HUGEINT - coalesce(c.first_ktime, b.k0)::HUGEINT)::BIGINT AS rel_ns, c.clock_offset_ns
  FROM tracks_enriched t
  JOIN captures c ON c.capture = t.capture
  JOIN base b ON b.capture = t.capture
  WHERE (t.capture, t.skb, t.track_no) IN (SELECT capture, skb, track_no FROM flow_match)
), win AS (
  SELECT * FROM sel
  WHERE ($since_ns IS NULL OR rel_ns >= $since_ns) AND ($until_ns IS NULL OR rel_ns < $until_ns)
  QUALIFY $last IS NULL OR row_number() OVER (ORDER BY capture, first_seq DESC) <= $last
), fl AS (
  SELECT m.capture::VARCHAR AS capture, m.skb, m.track_no, bit_or(r.tcp_flags) AS flags
  FROM event_track_map m JOIN raw_events r ON r.capture = m.capture AND r.seq = m.seq
  WHERE (m.capture::VARCHAR, m.skb, m.track_no) IN (SELECT capture, skb, track_no FROM win) AND r.tcp_flags IS NOT NULL
  GROUP BY ALL
)
SELECT w.track_id, w.first_seq, w.rel_ns,
       CASE WHEN w.clock_offset_ns IS NOT NULL AND w.first_ktime IS NOT NULL
            THEN make_timestamp(((w.first_ktime::HUGEINT + w.clock_offset_ns) // 1000)::BIGINT) END AS wall,
       nullif(w.tuple.saddr, '') AS saddr, w.tuple.sport AS sport, nullif(w.tuple.daddr, '') AS daddr, w.tuple.dport AS dport,
       lower(nullif(w.tuple.l4, '')) AS l4,
       w.src_identity, sn.name AS src_identity_name, w.src_endpoint, w.dst_identity, dn.name AS dst_identity_name, w.dst_endpoint,
       CASE WHEN fl.flags IS NOT NULL THEN concat_ws('|',
         CASE WHEN fl.flags & 2 <> 0 THEN 'SYN' END, CASE WHEN fl.flags & 1 <> 0 THEN 'FIN' END,
         CASE WHEN fl.flags & 4 <> 0 THEN 'RST' END, CASE WHEN fl.flags & 8 <> 0 THEN 'PSH' END,
         CASE WHEN fl.flags & 16 <> 0 THEN 'ACK' END, CASE WHEN fl.flags & 32 <> 0 THEN 'URG' END) END AS tcp_flags,
       w.verdict, w.drop_label, w.drop_site, w.ifaces, w.netns_crossed AS netns, w.hops, w.duration_ns
FROM win w
LEFT JOIN fl ON fl.capture = w.capture AND fl.skb = w.skb AND fl.track_no = w.track_no
LEFT JOIN identity_names sn ON sn.capture = w.capture AND sn.identity = w.src_identity
LEFT JOIN identity_names dn ON dn.capture = w.capture AND dn.identity = w.dst_identity
ORDER BY w.capture, w.first_seq;
