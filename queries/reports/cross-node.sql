-- One flow followed across nodes: skb lifetimes of different nodes' captures matched by the inner tuple (pwru's --output-tunnel tuple where the skb was encapsulated), in wall-clock order.
-- Grain: one row per (flow, capture, skb lifetime), for flows seen in the captures of at least two nodes.
-- Inputs: track_hops (each event with its node, wall_time, tuple and tunnel text), skb_tracks (verdict).
-- Rules: (each capture's rows are its node's; flows pair them)
--   * An event's inner tuple is its TUNNEL tuple when that names addresses (pwru prints the encapsulated packet's own
--     tuple there: `ip_local_out 10.244.1.23:38412->10.244.2.61:80(tcp:SYN)`), else its TUPLE; its outer tuple is
--     TUPLE when TUNNEL named addresses (the VXLAN/Geneve UDP tuple between the nodes).
--   * A lifetime's flow is the inner tuple of its first hop with one, as `saddr:sport->daddr:dport/l4`; outer is the
--     first outer tuple of the lifetime (NULL when it was never seen encapsulated).
--   * Time is wall_time: ktime plus the capture's monotonic->wall offset (manifest `clock`: measured by `record`,
--     given to `import --clock-offset`). A capture without an offset has no wall time: its rows sort last.
--   * after_prev_us: this lifetime's first event after the previous row's first event of the flow (µs).
WITH h AS (
  SELECT capture, node, track_id, hop, func, ifname, wall_time, saddr, sport, daddr, dport, l4_name,
         regexp_extract(tunnel, '^\[?(.*?)\]?:(\d+)->\[?(.*?)\]?:(\d+)\(([a-z0-9]*)',
                        ['saddr', 'sport', 'daddr', 'dport', 'l4']) AS tun
  FROM track_hops
), k AS (
  SELECT *,
         CASE WHEN tun.saddr <> '' THEN format('{}:{}->{}:{}/{}', tun.saddr, tun.sport, tun.daddr, tun.dport, tun.l4)
              WHEN saddr <> '' THEN format('{}:{}->{}:{}/{}', saddr, sport, daddr, dport, l4_name) END AS inner_tuple,
         CASE WHEN tun.saddr <> '' AND saddr <> '' THEN format('{}:{}->{}:{}/{}', saddr, sport, daddr, dport, l4_name) END AS outer_tuple
  FROM h
), per_track AS (
  SELECT capture, any_value(node) AS node, track_id,
         arg_min(inner_tuple, hop) FILTER (WHERE inner_tuple IS NOT NULL) AS flow,
         arg_min(outer_tuple, hop) FILTER (WHERE outer_tuple IS NOT NULL) AS outer_tuple,
         min(wall_time) AS first_wall, max(wall_time) AS last_wall, count(*) AS hops,
         arg_min(func, hop) AS first_func, arg_max(func, hop) AS last_func,
         arg_min(ifname, hop) AS first_iface, arg_max(ifname, hop) AS last_iface
  FROM k
  GROUP BY capture, track_id
), flows AS (
  SELECT flow FROM per_track WHERE flow IS NOT NULL GROUP BY flow HAVING count(DISTINCT node) >= 2
)
SELECT p.flow, p.node, p.capture, p.track_id, p.first_wall, p.last_wall,
       epoch_us(p.first_wall) - lag(epoch_us(p.first_wall)) OVER (PARTITION BY p.flow ORDER BY p.first_wall NULLS LAST, p.capture, p.track_id) AS after_prev_us,
       p.hops, t.verdict, p.first_func, p.first_iface, p.last_func, p.last_iface, p.outer_tuple
FROM per_track p
JOIN flows USING (flow)
JOIN skb_tracks t ON t.capture = p.capture AND t.track_id = p.track_id
ORDER BY p.flow, p.first_wall NULLS LAST, p.capture, p.track_id;
