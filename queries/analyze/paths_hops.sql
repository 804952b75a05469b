-- (internal: `skbtape paths`) The hops of one skb lifetime, in order, with interface names and netns names resolved.
-- Grain: one row per hop of the lifetime ($capture, $skb, $track_no).
-- Inputs: track_hops, skb_tracks (drop_hop, drop_label), netns_names.
-- Rules: rel_ns is the time since the lifetime's first hop, the running sum of the hop deltas (so relative
--   timestamps count right; NULL without timestamps). ifname is events.ifname (truncated names completed there).
--   drop_reason is the lifetime's drop label
--   (skb_drop_reason_label), set only on the hop that freed a dropped lifetime.
SELECT h.hop,
       h.ktime,
       CASE WHEN h.ktime IS NOT NULL
            THEN coalesce(sum(h.delta_ns) OVER (ORDER BY h.hop ROWS UNBOUNDED PRECEDING), 0) END AS rel_ns,
       h.delta_ns,
       h.func,
       h.ifindex,
       h.ifname,
       nullif(h.netns, 0) AS netns,
       (SELECT any_value(n.name) FROM netns_names n WHERE n.capture = h.capture AND n.inode = h.netns) AS netns_name,
       (h.hop = t.drop_hop) AS is_drop,
       CASE WHEN h.hop = t.drop_hop THEN t.drop_label END AS drop_reason,
       nullif(h.caller, '') AS caller,
       h.len
FROM track_hops h
JOIN skb_tracks t ON t.capture = h.capture AND t.skb = h.skb AND t.track_no = h.track_no
WHERE h.capture = $capture AND h.skb = $skb AND h.track_no = $track_no
ORDER BY h.hop;
