-- Grain: one row per pwru event (view `events`), in capture order (seq); `capture_clock` (table): one row per capture.
-- Inputs: raw_events (loader), captures (clock offset, timestamp mode from pwru's argv), ifnames (names/<phase>.json),
--         tc_progs (bpftool net: full device names),
--         the vocabulary of queries/model/10_func_classes.sql (skb_funcs, drop reason macros).
-- Rules:
--   * capture_clock.ts_mode: 'none' (no event has a TIMESTAMP), 'relative' (pwru's --timestamp relative: ns since the
--     previous event of the same address, by the recorded argv, else by the values: relative deltas start at 0, absolute
--     ktimes are >= 1 s after boot), else 'absolute' (bpf_ktime_get_ns()).
--   * wall_time = ktime + the capture's monotonic->wall offset, only for absolute ktimes and only when the manifest
--     measured the offset.
--   * proto_name from the ethertype number; l4_name from pwru's text or the numeric protocol.
--   * drop_reason_name: skb_drop_reason_name (the SKB_DROP_REASON_ suffix, or CODE_<n>); drop_class:
--     skb_drop_reason_class ('consumed', 'unannotated', 'drop'); func_class: skb_funcs.class.
--   * is_drop: this event is a free entry point that reads as a drop (skb_free_kind 'drop' or 'unannotated', so also a
--     bare kfree_skb). Whether the lifetime was dropped is skb_tracks' verdict: a drop call may only drop a reference,
--     and an unannotated free after a device transmit is the driver's TX completion.
--   * node: the capture's node (manifest `capture.node`: --node, else the recording host), on every event so that a
--     query over captures of several nodes can group by it; wall_time puts their events on one clock.
--   * ifname: the name pwru printed (`eth0:2`, `4(wg0)`), unless it was truncated (`~3a6f7d4e8c73:26`), then the
--     capture's names table by ifindex (+ netns when known), then bpftool's device of the same ifindex whose name
--     ends the same way (latest snapshot phase), else the truncated text. The one place names are completed: every
--     report and command reads events.ifname (or track_hops.ifname, taken from it).

CREATE OR REPLACE TABLE capture_clock AS
SELECT c.capture,
       CASE WHEN coalesce(s.with_ktime, 0) = 0 THEN 'none'
            WHEN c.timestamp_mode IS NOT NULL THEN c.timestamp_mode
            WHEN s.min_ktime < 1000000000 THEN 'relative'
            ELSE 'absolute' END AS ts_mode
FROM captures c
LEFT JOIN (SELECT capture::VARCHAR AS capture, count(ktime) AS with_ktime, min(ktime) AS min_ktime
           FROM raw_events GROUP BY 1) s ON s.capture = c.capture;

CREATE OR REPLACE VIEW ifname_map AS
SELECT capture, ifindex, netns, arg_min(name, CASE phase WHEN 'start' THEN 0 ELSE 1 END) AS name
FROM ifnames
GROUP BY ALL;

-- Truncated names pwru printed that bpftool's device list completes: one row per (capture, ifindex, printed name).
CREATE OR REPLACE VIEW ifname_completions AS
WITH printed AS (
  SELECT DISTINCT capture::VARCHAR AS capture, ifindex, split_part(iface::VARCHAR, ':', 1) AS printed
  FROM raw_events
  WHERE starts_with(iface::VARCHAR, '~')
), bt AS (
  SELECT capture, ifindex, iface FROM tc_progs
  QUALIFY phase = CASE WHEN bool_or(phase = 'end') OVER (PARTITION BY capture) THEN 'end' ELSE 'start' END
)
SELECT p.capture, p.ifindex, p.printed, any_value(bt.iface) AS name
FROM printed p
JOIN bt ON bt.capture = p.capture AND bt.ifindex = p.ifindex AND ends_with(bt.iface, substr(p.printed, 2))
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
         skb_drop_reason_name(b.drop_reason_text, b.drop_code) AS drop_reason_name
  FROM base b
)
SELECT
  n.capture::VARCHAR AS capture, c.node, n.seq, n.line_no, n.layout::VARCHAR AS layout,
  n.skb, printf('0x%x', n.skb) AS skb_hex,
  n.cpu, n.process::VARCHAR AS process, n.pid,
  n.func_name AS func, f.class AS func_class, n.prog_kind::VARCHAR AS prog_kind,
  n.ktime,
  CASE WHEN k.ts_mode = 'absolute' AND c.clock_offset_ns IS NOT NULL
       THEN make_timestamp(((n.ktime::HUGEINT + c.clock_offset_ns) // 1000)::BIGINT) END AS wall_time,
  n.abs_time::VARCHAR AS abs_time,
  n.netns, n.mark, n.ifindex, n.iface_text AS iface,
  CASE WHEN n.iface_printed_name IS NOT NULL AND NOT starts_with(n.iface_printed_name, '~') THEN n.iface_printed_name
       ELSE coalesce(m.name, ic.name, n.iface_printed_name) END AS ifname,
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
  skb_drop_reason_class(n.drop_reason_name) AS drop_class,
  coalesce(skb_free_kind(f.class, f.base, n.drop_reason_name) IN ('drop', 'unannotated'), false) AS is_drop,
  n.tunnel::VARCHAR AS tunnel, n.caller::VARCHAR AS caller, n.netns_name::VARCHAR AS netns_name,
  n.meta_kv::VARCHAR AS meta_kv, n.attachment, n.note, n.json_stack, n.json_skb_metadata
FROM named n
LEFT JOIN captures c ON c.capture = n.capture::VARCHAR
LEFT JOIN capture_clock k ON k.capture = n.capture::VARCHAR
LEFT JOIN skb_funcs f ON f.func = n.func
LEFT JOIN ifname_map m
  ON m.capture = n.capture::VARCHAR AND m.ifindex = n.ifindex AND (m.netns IS NULL OR n.netns IS NULL OR n.netns = 0 OR m.netns = n.netns)
LEFT JOIN ifname_completions ic
  ON ic.capture = n.capture::VARCHAR AND ic.ifindex = n.ifindex AND ic.printed = n.iface_printed_name;
