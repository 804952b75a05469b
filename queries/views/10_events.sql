-- Grain: one row per pwru event (view `events`), in capture order (seq).
-- Inputs: raw_events (loader), captures (clock offset), ifnames (names/<phase>.json).
-- Rules:
--   * wall_time = ktime + the capture's monotonic->wall offset, only for absolute ktimes (>= 1 s after boot; smaller
--     values are pwru's relative per-skb deltas) and only when the manifest measured the offset.
--   * proto_name from the ethertype number; l4_name from pwru's text or the numeric protocol.
--   * drop_reason_name: the SKB_DROP_REASON_ suffix, or CODE_<n> for a numeric reason pwru could not name.
--   * drop_class: 'consumed' (SKB_CONSUMED / code 1: a normal free), 'unspecified' (NOT_SPECIFIED / code 2: a plain
--     kfree_skb() that nobody annotated, often not a real drop), 'drop' (any other reason). is_drop = drop_class 'drop'.
--     consume_skb and the free-path helpers carry no reason and are never drops.
--   * ifname: the name pwru printed (`eth0:2`, `4(wg0)`), unless it was truncated (`~3a6f7d4e8c73:26`), then the
--     capture's names table by ifindex (+ netns when known), else the truncated text.

CREATE OR REPLACE VIEW ifname_map AS
SELECT capture, ifindex, netns, arg_min(name, CASE phase WHEN 'start' THEN 0 ELSE 1 END) AS name
FROM ifnames
GROUP BY ALL;

CREATE OR REPLACE VIEW events AS
WITH base AS (
  SELECT r.*, r.func::VARCHAR AS func_name, r.iface::VARCHAR AS iface_text,
         r.drop_reason::VARCHAR AS drop_reason_text
  FROM raw_events r
), named AS (
  SELECT b.*,
         CASE
           WHEN b.iface_text LIKE '%:%' THEN split_part(b.iface_text, ':', 1)
           WHEN b.iface_text LIKE '%(%)' THEN regexp_extract(b.iface_text, '\((.*)\)$', 1)
         END AS iface_printed_name,
         CASE
           WHEN b.drop_reason_text IS NOT NULL THEN regexp_replace(b.drop_reason_text, '^SKB_DROP_REASON_', '')
           WHEN b.drop_code IS NOT NULL THEN 'CODE_' || b.drop_code
         END AS drop_reason_name
  FROM base b
)
SELECT
  n.capture::VARCHAR AS capture, n.seq, n.line_no, n.layout::VARCHAR AS layout,
  n.skb, printf('0x%x', n.skb) AS skb_hex,
  n.cpu, n.process::VARCHAR AS process, n.pid,
  n.func_name AS func, n.prog_kind::VARCHAR AS prog_kind,
  n.ktime,
  CASE WHEN n.ktime >= 1000000000 AND c.clock_offset_ns IS NOT NULL
       THEN make_timestamp(((n.ktime::HUGEINT + c.clock_offset_ns) // 1000)::BIGINT) END AS wall_time,
  n.abs_time::VARCHAR AS abs_time,
  n.netns, n.mark, n.ifindex, n.iface_text AS iface,
  CASE WHEN n.iface_printed_name IS NOT NULL AND NOT starts_with(n.iface_printed_name, '~') THEN n.iface_printed_name
       ELSE coalesce(m.name, n.iface_printed_name) END AS ifname,
  n.proto,
  CASE n.proto WHEN 2048 THEN 'IPv4' WHEN 34525 THEN 'IPv6' WHEN 2054 THEN 'ARP' WHEN 33024 THEN '802.1Q'
               WHEN 34984 THEN '802.1AD' WHEN 35020 THEN 'LLDP' WHEN 34887 THEN 'MPLS' WHEN 32821 THEN 'RARP'
               ELSE CASE WHEN n.proto IS NOT NULL THEN printf('0x%04x', n.proto) END END AS proto_name,
  n.mtu, n.len, n.cb,
  n.saddr::VARCHAR AS saddr, n.daddr::VARCHAR AS daddr, n.sport, n.dport,
  n.l4::VARCHAR AS l4, n.l4_proto,
  coalesce(nullif(n.l4::VARCHAR, ''),
           CASE n.l4_proto WHEN 6 THEN 'tcp' WHEN 17 THEN 'udp' WHEN 1 THEN 'icmp' WHEN 58 THEN 'icmp6'
                           WHEN 132 THEN 'sctp' WHEN 47 THEN 'gre' END) AS l4_name,
  n.tcp_flags,
  CASE WHEN n.tcp_flags IS NOT NULL THEN concat_ws('|',
    CASE WHEN n.tcp_flags & 2 <> 0 THEN 'SYN' END, CASE WHEN n.tcp_flags & 1 <> 0 THEN 'FIN' END,
    CASE WHEN n.tcp_flags & 4 <> 0 THEN 'RST' END, CASE WHEN n.tcp_flags & 8 <> 0 THEN 'PSH' END,
    CASE WHEN n.tcp_flags & 16 <> 0 THEN 'ACK' END, CASE WHEN n.tcp_flags & 32 <> 0 THEN 'URG' END,
    CASE WHEN n.tcp_flags & 64 <> 0 THEN 'ECE' END, CASE WHEN n.tcp_flags & 128 <> 0 THEN 'CWR' END) END AS tcp_flag_names,
  n.drop_reason_text AS drop_reason, n.drop_code, n.drop_reason_name,
  CASE
    WHEN n.drop_reason_name IS NULL THEN NULL
    WHEN n.drop_reason_name IN ('SKB_CONSUMED', 'CONSUMED', 'CODE_1') THEN 'consumed'
    WHEN n.drop_reason_name IN ('NOT_SPECIFIED', 'CODE_2', 'CODE_0') THEN 'unspecified'
    ELSE 'drop'
  END AS drop_class,
  (n.drop_reason_name IS NOT NULL AND n.drop_reason_name NOT IN ('SKB_CONSUMED', 'CONSUMED', 'CODE_1', 'NOT_SPECIFIED', 'CODE_2', 'CODE_0'))
    AS is_drop,
  n.tunnel::VARCHAR AS tunnel, n.caller::VARCHAR AS caller, n.netns_name::VARCHAR AS netns_name,
  n.meta_kv::VARCHAR AS meta_kv, n.attachment, n.json_stack, n.json_skb_metadata
FROM named n
LEFT JOIN captures c ON c.capture = n.capture::VARCHAR
LEFT JOIN ifname_map m
  ON m.capture = n.capture::VARCHAR AND m.ifindex = n.ifindex AND (m.netns IS NULL OR n.netns IS NULL OR n.netns = 0 OR m.netns = n.netns);
