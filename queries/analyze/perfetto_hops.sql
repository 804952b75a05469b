-- (internal: `skbtape export --perfetto`) Every hop of every skb lifetime the --flow filter keeps, grouped by flow.
-- Grain: one row per event of a kept lifetime, ordered by flow, lifetime (first_seq) and hop.
-- Inputs: event_track_map, raw_events, skb_tracks (verdict, drop hop/label/site, parent_track), track_flows,
--   capture_clock, flow_match.
-- Rules: t_ns is the hop's time since the capture's first event when timestamps are absolute; with relative
--   timestamps the lifetime's own running sum of deltas placed after the lifetimes before it is not knowable, so, as
--   without timestamps, t_ns is NULL and the exporter lays hops out by event order (seq).
WITH k AS (
  SELECT r.capture::VARCHAR AS capture, min(r.ktime) AS k0 FROM raw_events r GROUP BY 1
)
SELECT f.flow, f.client_identity, f.server_identity, t.track_id, t.first_seq, t.verdict, t.drop_label, t.drop_site,
       t.parent_track, m.hop, m.seq, m.hop = t.drop_hop AS is_drop,
       CASE WHEN c.ts_mode = 'absolute' THEN (r.ktime::HUGEINT - k.k0::HUGEINT)::BIGINT END AS t_ns,
       r.func::VARCHAR AS func, nullif(r.iface::VARCHAR, '') AS iface, nullif(r.netns, 0) AS netns,
       CASE WHEN nullif(r.saddr::VARCHAR, '') IS NOT NULL
            THEN r.saddr::VARCHAR || ':' || coalesce(r.sport, 0) || '->' || r.daddr::VARCHAR || ':' || coalesce(r.dport, 0)
                 || '(' || coalesce(nullif(r.l4::VARCHAR, ''), '?') || ')' END AS tuple
FROM event_track_map m
JOIN raw_events r ON r.capture = m.capture AND r.seq = m.seq
JOIN skb_tracks t ON t.capture = m.capture::VARCHAR AND t.skb = m.skb AND t.track_no = m.track_no
JOIN track_flows f ON f.capture = t.capture AND f.skb = t.skb AND f.track_no = t.track_no
JOIN capture_clock c ON c.capture = t.capture
JOIN k ON k.capture = t.capture
WHERE (t.capture, t.skb, t.track_no) IN (SELECT capture, skb, track_no FROM flow_match)
ORDER BY f.flow, t.first_seq, m.hop;
