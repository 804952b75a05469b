-- (internal: `skbtape paths`) The hops of one skb lifetime, in order, with interface names and netns names resolved.
-- Grain: one row per hop of the lifetime ($capture, $skb, $track_no).
-- Inputs: track_hops, skb_tracks (drop_hop, drop_label), tc_progs_latest (bpftool net: full device names), netns_names.
-- Rules: rel_ns is the time since the lifetime's first hop, the running sum of the hop deltas (so relative
--   timestamps count right; NULL without timestamps). A device name pwru truncated (`~3a6f7d4e8c73`) is completed from
--   the bpftool device with the same ifindex whose name ends the same way. drop_reason is the lifetime's drop label
--   (skb_drop_reason_label), set only on the hop that freed a dropped lifetime.
SELECT h.hop,
       h.ktime,
       CASE WHEN h.ktime IS NOT NULL
            THEN coalesce(sum(h.delta_ns) OVER (ORDER BY h.hop ROWS UNBOUNDED PRECEDING), 0) END AS rel_ns,
       h.delta_ns,
       h.func,
       h.ifindex,
       coalesce((SELECT any_value(p.iface) FROM tc_progs_latest p
                 WHERE p.capture = h.capture AND p.ifindex = h.ifindex AND starts_with(h.ifname, '~')
                   AND ends_with(p.iface, substr(h.ifname, 2))), h.ifname) AS ifname,
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
