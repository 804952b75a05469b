-- Grain: one row per skb lifetime (skb_tracks): the columns the --flow filter is compiled against (analyze/flow-filter.ts),
-- under one set of names for paths, diff, check and replay.
-- Inputs: skb_tracks, addresses (integer value of each tuple address), addr_identity, addr_endpoint.
-- Rules:
--   * s_/d_family and s_/d_value: the tuple addresses as integers (32-bit IPv4, 128-bit IPv6), so `host` and `net`
--     compare numerically (fd00:10:96:0::3c is fd00:10:96::3c) by range, as 40_enriched.sql matches ipcache prefixes.
--   * s_/d_identity: the ipcache's longest prefix, else the endpoint map's sec_id (reserved identities included).
--   * l4 lower-cased; func_bases: funcs without `[module]` / `.constprop.0` suffixes (skb_func_base);
--     iface_keys: every way a device can be named: as printed (`eth0:2`, `4(wg0)`), its name, its ifindex.
--   * netns: the netns inodes the lifetime was seen in (netns_crossed); node: the capture's node (the `node` word).
CREATE OR REPLACE VIEW track_flow AS
SELECT t.capture, t.node, t.skb, t.track_no, t.track_id,
       nullif(t.tuple.saddr, '') AS saddr, nullif(t.tuple.daddr, '') AS daddr,
       t.tuple.sport AS sport, t.tuple.dport AS dport, lower(nullif(t.tuple.l4, '')) AS l4,
       sa.family AS s_family, sa.value AS s_value, da.family AS d_family, da.value AS d_value,
       coalesce(si.identity, se.endpoint_identity) AS s_identity, coalesce(di.identity, de.endpoint_identity) AS d_identity,
       se.endpoint_id AS s_endpoint, de.endpoint_id AS d_endpoint,
       t.verdict, t.drop_reason, t.funcs,
       list_transform(t.funcs, lambda f: skb_func_base(f)) AS func_bases,
       list_filter(flatten(list_transform(t.ifaces, lambda i: [
         i, regexp_replace(i, ':\d+$', ''), regexp_extract(i, ':(\d+)$', 1), regexp_extract(i, '^(\d+)', 1),
         regexp_extract(i, '\(([^)]*)\)', 1)])), lambda k: k <> '') AS iface_keys,
       t.netns_crossed AS netns
FROM skb_tracks t
LEFT JOIN addresses sa ON sa.addr = t.tuple.saddr
LEFT JOIN addresses da ON da.addr = t.tuple.daddr
LEFT JOIN addr_identity si ON si.capture = t.capture AND si.addr = t.tuple.saddr
LEFT JOIN addr_identity di ON di.capture = t.capture AND di.addr = t.tuple.daddr
LEFT JOIN addr_endpoint se ON se.capture = t.capture AND se.addr = t.tuple.saddr
LEFT JOIN addr_endpoint de ON de.capture = t.capture AND de.addr = t.tuple.daddr;
