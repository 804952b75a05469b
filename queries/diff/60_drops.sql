-- Grain: one row per (capture, drop reason, drop site, flow) among dropped tracks of diff_tracks.
-- Inputs: diff_tracks.
-- Rules: drop_label and drop_site are skb_tracks' wording (`SKB_DROP_REASON_X`, `kfree_skb_reason (after nf_hook_slow)`).
SELECT capture, drop_label, drop_site, flow, count(*) AS tracks
FROM diff_tracks
WHERE verdict = 'dropped'
GROUP BY ALL
ORDER BY drop_label, drop_site, flow, capture;
