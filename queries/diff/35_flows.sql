-- Grain: one row per (capture, flow) of diff_tracks.
-- Inputs: diff_tracks.
-- Rules: clients/servers are the distinct addresses seen on each side (first few, sorted), so renumbered pods show.
SELECT capture, flow,
       count(*) AS tracks,
       count(*) FILTER (WHERE verdict = 'dropped') AS dropped,
       list_sort(list(DISTINCT client_ip))[1:4] AS clients,
       list_sort(list(DISTINCT server_ip))[1:4] AS servers
FROM diff_tracks
GROUP BY capture, flow
ORDER BY flow, capture;
