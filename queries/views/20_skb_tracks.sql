-- Grain: `skb_tracks` (table): one row per skb lifetime; `event_tracks` (view): one row per event with its lifetime.
-- Inputs: raw_events.
-- Rules:
--   * pwru prints only the skb address, which the kernel reuses. Events of one address (per capture) are ordered by
--     ktime (seq breaks ties; without ktime, seq = input order) and a new lifetime starts
--       - after kfree_skbmem (the struct itself is freed; pwru ends its own per-skb tracking there),
--       - after any other free function (kfree_skb_reason, consume_skb, __kfree_skb, ...) when the next event is not
--         itself part of the free path (skb_release_data, kfree_skbmem, ...): freeing with only the first call traced,
--       - after a gap > 1 s between consecutive events of the address (when both have a ktime),
--       - in tracepoint captures (tool bpftrace) only, when the tuple changes (no traced free in between).
--   * verdict: 'dropped' if any event is a drop (events.is_drop rules: a reason other than consumed/not-specified);
--     'delivered' if it reached a socket/protocol receive function; 'transmitted' if it reached a device xmit
--     function; else 'unknown'. A later drop wins over delivery/xmit because it is the last word on the packet.
--   * path_sig: first 16 hex digits of md5 over the ordered function names joined by '>' (stable across runs).

CREATE OR REPLACE MACRO skb_free_func(f) AS f IN (
  'kfree_skbmem', '__kfree_skb', 'kfree_skb', 'kfree_skb_reason', 'sk_skb_reason_drop', 'consume_skb',
  '__dev_kfree_skb_any', '__dev_kfree_skb_irq', 'dev_kfree_skb_any_reason', 'dev_kfree_skb_irq_reason',
  'napi_consume_skb', '__napi_kfree_skb', 'kfree_skb_partial', 'kfree_skb_list_reason', 'skb_release_head_state',
  'skb_release_data', 'skb_release_all', 'skb_free_head', 'skb_attempt_defer_free', 'napi_skb_cache_put',
  '__consume_stateless_skb', 'kfree_skb_list', '__kfree_skb_defer', 'skb_free_datagram');

CREATE OR REPLACE MACRO skb_deliver_func(f) AS f IN (
  'tcp_v4_rcv', 'tcp_v6_rcv', 'udp_rcv', 'udpv6_rcv', '__udp4_lib_rcv', '__udp6_lib_rcv', 'icmp_rcv', 'icmpv6_rcv',
  'raw_rcv', 'rawv6_rcv', 'raw_local_deliver', 'ping_rcv', 'tcp_queue_rcv', 'tcp_data_queue', 'udp_queue_rcv_skb',
  '__udp_enqueue_schedule_skb', 'sock_queue_rcv_skb', 'sock_queue_rcv_skb_reason', 'skb_copy_datagram_iovec',
  '__skb_datagram_iter', 'tcp_rcv_established', 'unix_stream_sendmsg', 'packet_rcv', 'tpacket_rcv',
  'netlink_unicast', 'igmp_rcv', 'sctp_rcv', 'arp_rcv', 'arp_process');

CREATE OR REPLACE MACRO skb_xmit_func(f) AS f IN (
  'dev_hard_start_xmit', 'net_dev_start_xmit', 'xmit_one', 'dev_queue_xmit_nit', 'sch_direct_xmit',
  'validate_xmit_skb_list');

-- One row per event: which lifetime of its address it belongs to. Materialized once: two window passes with the same
-- partitioning (capture, skb) and order; everything else joins on (capture, seq).
CREATE OR REPLACE TABLE event_track_map AS
WITH t AS (
  -- Tracepoint captures (tool bpftrace) see no kfree_skbmem: the kernel frees most skbs without a traced
  -- function, so a reused address can carry another packet next. There a change of tuple also starts a new
  -- lifetime. Not for pwru captures: NAT (Cilium's service translation) rewrites the tuple of one skb.
  SELECT r.capture, r.seq, r.skb, r.ktime, r.func::VARCHAR AS func,
         CASE WHEN c.tool = 'bpftrace' AND r.sport IS NOT NULL
              THEN concat_ws('|', r.saddr::VARCHAR, r.sport, r.daddr::VARCHAR, r.dport) END AS tup
  FROM raw_events r LEFT JOIN captures c ON c.capture = r.capture::VARCHAR
), o AS (
  SELECT capture, seq, skb, ktime, func, tup,
         lag(func) OVER w AS prev_func, lag(ktime) OVER w AS prev_ktime, lag(tup) OVER w AS prev_tup,
         row_number() OVER w AS addr_ord
  FROM t
  WINDOW w AS (PARTITION BY capture, skb ORDER BY ktime, seq)
), cut AS (
  SELECT capture, seq, skb, ktime, prev_ktime, addr_ord,
    CASE WHEN prev_func IS NULL THEN true
         WHEN prev_func = 'kfree_skbmem' THEN true
         WHEN skb_free_func(prev_func) AND NOT skb_free_func(func) THEN true
         WHEN ktime IS NOT NULL AND prev_ktime IS NOT NULL AND ktime - prev_ktime > 1000000000 THEN true
         WHEN tup IS NOT NULL AND prev_tup IS NOT NULL AND tup <> prev_tup THEN true
         ELSE false END AS starts
  FROM o
)
SELECT capture, seq, skb,
       sum(starts::INTEGER) OVER w2 AS track_no,
       addr_ord - max(CASE WHEN starts THEN addr_ord END) OVER w2 + 1 AS hop,
       CASE WHEN NOT starts THEN (ktime::BIGINT - prev_ktime::BIGINT) END AS delta_ns
FROM cut
WINDOW w2 AS (PARTITION BY capture, skb ORDER BY addr_ord ROWS UNBOUNDED PRECEDING);

CREATE OR REPLACE VIEW event_tracks AS
SELECT m.capture::VARCHAR AS capture, m.seq, m.skb, m.track_no,
       m.capture::VARCHAR || ':' || printf('0x%x', m.skb) || ':' || m.track_no AS track_id,
       m.hop, m.delta_ns
FROM event_track_map m;

CREATE OR REPLACE TABLE skb_tracks AS
WITH n AS (
  SELECT m.capture::VARCHAR AS capture, m.skb, m.track_no, m.hop, r.seq, r.ktime, r.func::VARCHAR AS func,
         r.iface::VARCHAR AS iface, r.netns, r.saddr::VARCHAR AS saddr, r.daddr::VARCHAR AS daddr, r.sport, r.dport,
         r.l4::VARCHAR AS l4,
         coalesce(regexp_replace(r.drop_reason::VARCHAR, '^SKB_DROP_REASON_', ''),
                  CASE WHEN r.drop_code IS NOT NULL THEN 'CODE_' || r.drop_code END) AS reason_name
  FROM event_track_map m
  JOIN raw_events r ON r.capture = m.capture AND r.seq = m.seq
), numbered AS (
  SELECT *, (reason_name IS NOT NULL AND reason_name NOT IN ('SKB_CONSUMED', 'CONSUMED', 'CODE_1', 'NOT_SPECIFIED', 'CODE_2', 'CODE_0')) AS is_drop
  FROM n
), agg0 AS (
  SELECT capture, skb, track_no,
    min(seq) AS first_seq,
    min(ktime) AS first_ktime, max(ktime) AS last_ktime,
    count(*) AS hops,
    -- list_sort on {hop, ...} is several times cheaper than ordered aggregates (list(x ORDER BY hop)).
    list_sort(list({'h': hop, 'f': func, 'i': iface, 'n': netns})) AS hl,
    arg_min({'saddr': saddr, 'sport': sport, 'daddr': daddr, 'dport': dport, 'l4': l4},
            hop) FILTER (WHERE saddr IS NOT NULL AND saddr <> '') AS tuple,
    bool_or(is_drop) AS dropped,
    arg_max(reason_name, hop) FILTER (WHERE is_drop) AS drop_reason,
    arg_max(func, hop) FILTER (WHERE is_drop) AS drop_func,
    bool_or(skb_deliver_func(func)) AS delivered,
    bool_or(skb_xmit_func(func)) AS transmitted
  FROM numbered
  GROUP BY capture, skb, track_no
), agg AS (
  SELECT * EXCLUDE (hl),
         list_transform(hl, lambda x: x.f) AS funcs,
         list_filter(list_transform(hl, lambda x: x.i), lambda v: v IS NOT NULL AND v <> '0') AS iface_seq,
         list_filter(list_transform(hl, lambda x: x.n), lambda v: v IS NOT NULL AND v <> 0) AS netns_seq
  FROM agg0
)
SELECT capture,
       capture || ':' || printf('0x%x', skb) || ':' || track_no AS track_id,
       skb, printf('0x%x', skb) AS skb_hex, track_no, first_seq,
       first_ktime, last_ktime, (last_ktime - first_ktime)::BIGINT AS duration_ns,
       hops, funcs,
       left(md5(array_to_string(funcs, '>')), 16) AS path_sig,
       list_filter(iface_seq, lambda x, i: list_position(iface_seq, x) = i) AS ifaces,
       list_filter(netns_seq, lambda x, i: list_position(netns_seq, x) = i) AS netns_crossed,
       tuple,
       CASE WHEN dropped THEN 'dropped' WHEN delivered THEN 'delivered' WHEN transmitted THEN 'transmitted'
            ELSE 'unknown' END AS verdict,
       drop_reason, drop_func
FROM agg;
