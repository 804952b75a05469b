-- (internal: `skbtape paths`) The hops of one skb lifetime, in order, with interface names and netns names resolved.
-- Grain: one row per hop of the lifetime ($capture, $skb, $track_no).
-- Inputs: track_hops, tc_progs_latest (bpftool net: full device names), netns_names.
-- Rules: rel_ns is the ktime since the lifetime's first hop. A device name pwru truncated (`~3a6f7d4e8c73`) is
--   completed from the bpftool device with the same ifindex whose name ends the same way. drop_reason is pwru's text
--   (SKB_DROP_REASON_…) or CODE_<n>, set only on drop hops.
SELECT h.hop,
       h.ktime,
       (h.ktime::BIGINT - first_value(h.ktime::BIGINT) OVER (ORDER BY h.hop)) AS rel_ns,
       h.delta_ns,
       h.func,
       h.ifindex,
       coalesce((SELECT any_value(p.iface) FROM tc_progs_latest p
                 WHERE p.capture = h.capture AND p.ifindex = h.ifindex AND starts_with(h.ifname, '~')
                   AND ends_with(p.iface, substr(h.ifname, 2))), h.ifname) AS ifname,
       nullif(h.netns, 0) AS netns,
       (SELECT any_value(n.name) FROM netns_names n WHERE n.capture = h.capture AND n.inode = h.netns) AS netns_name,
       h.is_drop,
       CASE WHEN h.is_drop THEN coalesce(h.drop_reason, 'CODE_' || h.drop_code) END AS drop_reason,
       nullif(h.caller, '') AS caller,
       h.len
FROM track_hops h
WHERE h.capture = $capture AND h.skb = $skb AND h.track_no = $track_no
ORDER BY h.hop;
