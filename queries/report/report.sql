-- (internal: `skbtape report`) The aggregates the HTML report embeds, one statement per block, separated by `-- @name`.
-- Grain: per block below; every block reads the whole capture (one capture per Analysis) and is capped by $cap_*.
-- Inputs: skb_tracks, track_flows, event_track_map, raw_events, metrics_delta, identity_names.
-- Rules: aggregated here so the page holds counts, never events (but the example tracks' own lines); caps are
--   parameters and the page says what they left out. Times are between function ENTRIES (pwru gives entry times).
-- @verdicts
SELECT verdict, count(*) AS n FROM skb_tracks GROUP BY 1 ORDER BY n DESC, verdict;
-- @flows
WITH v AS (
  SELECT f.flow, any_value(f.client_addr) AS client, any_value(f.server_addr) AS server, any_value(f.server_port) AS port,
         any_value(f.l4) AS l4, any_value(f.client_identity) AS client_identity, any_value(f.server_identity) AS server_identity,
         any_value(f.client_endpoint) AS client_endpoint, any_value(f.server_endpoint) AS server_endpoint,
         t.verdict, count(*) AS n
  FROM track_flows f JOIN skb_tracks t ON t.capture = f.capture AND t.skb = f.skb AND t.track_no = f.track_no
  GROUP BY f.flow, t.verdict
), g AS (
SELECT flow, any_value(client) AS client, any_value(server) AS server, any_value(port) AS port, any_value(l4) AS l4,
       any_value(client_identity) AS client_identity, any_value(server_identity) AS server_identity,
       any_value(client_endpoint) AS client_endpoint, any_value(server_endpoint) AS server_endpoint,
       sum(n)::BIGINT AS tracks, coalesce(sum(n) FILTER (WHERE verdict = 'dropped'), 0)::BIGINT AS dropped,
       list({'verdict': verdict, 'n': n} ORDER BY n DESC, verdict) AS verdicts
FROM v GROUP BY flow
), names AS (SELECT identity, any_value(name) AS name FROM identity_names GROUP BY identity)
SELECT g.*, cn.name AS client_identity_name, sn.name AS server_identity_name
FROM g LEFT JOIN names cn ON cn.identity = g.client_identity LEFT JOIN names sn ON sn.identity = g.server_identity
ORDER BY dropped DESC, tracks DESC, flow
LIMIT $cap_flows;
-- @flow_count
SELECT count(DISTINCT flow) AS n FROM track_flows;
-- @path_tracks
SELECT t.path_sig, t.verdict, coalesce(t.drop_reason, '') AS drop_reason, count(*) AS n,
       list(t.track_id ORDER BY t.first_seq)[1:$cap_tracks] AS track_ids,
       list(DISTINCT f.flow ORDER BY f.flow)[1:5] AS flows
FROM skb_tracks t JOIN track_flows f ON f.capture = t.capture AND f.skb = t.skb AND f.track_no = t.track_no
GROUP BY ALL;
-- @hop_medians
SELECT t.path_sig, m.hop, round(median(m.delta_ns))::BIGINT AS median_ns, count(m.delta_ns) AS n
FROM event_track_map m JOIN skb_tracks t ON t.capture = m.capture::VARCHAR AND t.skb = m.skb AND t.track_no = m.track_no
WHERE list_contains($sigs, t.path_sig) AND m.delta_ns IS NOT NULL
GROUP BY ALL;
-- @drops
SELECT drop_label AS reason, drop_site AS site, count(*) AS n FROM skb_tracks WHERE verdict = 'dropped'
GROUP BY ALL ORDER BY n DESC, reason, site;
-- @metrics
SELECT reason, direction, sum(packets)::BIGINT AS packets, sum(bytes)::BIGINT AS bytes FROM metrics_delta
WHERE packets <> 0 OR bytes <> 0 GROUP BY ALL ORDER BY abs(sum(packets)) DESC, reason, direction LIMIT 40;
