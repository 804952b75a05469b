-- Grain: one row per (capture, drop reason, drop site, flow) among dropped tracks of diff_tracks.
-- Inputs: diff_tracks.
-- Rules: reason is skb_tracks' name without SKB_DROP_REASON_; drop_at is the function before the drop function.
SELECT capture, drop_reason, coalesce(drop_at, drop_func) AS drop_at, flow, count(*) AS tracks
FROM diff_tracks
WHERE verdict = 'dropped'
GROUP BY ALL
ORDER BY drop_reason, drop_at, flow, capture;
