-- Grain: no rows: the one vocabulary of kernel function classes and drop reasons (DuckDB macros). Loaded first; every
-- view, report, `paths`, `diff` and `check` query classifies functions and reasons through these and nowhere else.
-- Inputs: a function name as pwru prints it (without the drop reason or (tc)/(xdp) suffix, maybe with a `[module]`
--   or `.constprop.0`-style suffix), a drop reason as pwru prints it (SKB_DROP_REASON_X) or its number.
-- Rules (kernel facts, net/core/skbuff.c; the lifetime rules that use them are in 20_skb_tracks.sql):
--   * free-entry: a function that frees an skb when it holds the last reference (skb_unref), else only drops one
--     reference. kfree_skb/kfree_skb_reason/sk_skb_reason_drop are the drop API; consume_skb and the rest free normally.
--   * teardown: what a free runs on the skb before giving the struct back (skb_release_all -> skb_release_head_state
--     -> the destructor, skb_release_data -> skb_free_head). A head reallocation runs some of them too.
--   * destructor: skb->destructor, run by skb_release_head_state (inside a free) or by skb_orphan (mid-life):
--     sock_wfree, tcp_wfree, sock_rfree, unix_destruct_scm, ... and anything named *_wfree, *_rfree, *destruct*.
--   * struct-release: the struct goes back to the allocator (kfree_skbmem), to the per-CPU NAPI cache
--     (napi_skb_cache_put), or is reset for the next GRO frags packet (napi_reuse_skb): the address is free again.
--   * head-realloc: the skb lives on with a new head or new contents: pskb_expand_head (-> skb_release_data |
--     skb_free_head), skb_morph (-> skb_release_all, __skb_clone on the same skb).
--   * clone: __skb_clone(n, skb): pwru prints n, the new skb.
--   * deliver: local delivery: an L4 protocol handler of this host (tcp_v4_rcv, udp_rcv, icmp_rcv, ...) or a
--     socket (its receive processing or queue, or a read from it).
--   * xmit: handed to a device driver (dev_hard_start_xmit; the tracepoints net_dev_start_xmit / net_dev_xmit).
--   * forward: a virtual device handing the skb on into another netns (veth, loopback): the journey goes on.
--   * receive: the receive path of a device or of L3 (netif_receive_skb, ip_rcv, ...), before local delivery.
--   * redirect: a BPF redirect (tc bpf_redirect*, skb_do_redirect).
--   * NULL: ordinary work.
--   Drop reasons (skb_drop_reason_class): 'consumed' = SKB_CONSUMED, NOT_DROPPED_YET, QUEUE_PURGE (queue flushed,
--   e.g. on close), codes 0/1; 'unannotated' = NOT_SPECIFIED, code 2 (a drop whose call site carries no reason);
--   'drop' = any other. A bare kfree_skb (kernels before 5.17 have no reason argument; since 5.17 kfree_skb(skb) is
--   kfree_skb_reason(skb, NOT_SPECIFIED)) reads as NOT_SPECIFIED.

CREATE OR REPLACE MACRO skb_func_base(f) AS
  regexp_replace(f, '(\[[^\]]*\]|\.(constprop|isra|part|cold|llvm|localalias)(\.[0-9]+)?)+$', '');

CREATE OR REPLACE MACRO skb_base_class(f) AS
  CASE
    WHEN f IN ('kfree_skb', 'kfree_skb_reason', 'sk_skb_reason_drop', 'consume_skb', '__kfree_skb', 'kfree_skb_list',
               'kfree_skb_list_reason', '__dev_kfree_skb_any', '__dev_kfree_skb_irq', 'dev_kfree_skb_any_reason',
               'dev_kfree_skb_irq_reason', 'napi_consume_skb', '__napi_kfree_skb', '__kfree_skb_defer',
               '_kfree_skb_defer', 'kfree_skb_napi_cache', 'napi_skb_free_stolen_head', 'kfree_skb_partial',
               '__consume_stateless_skb', 'skb_consume_udp', 'skb_free_datagram', 'skb_attempt_defer_free')
      THEN 'free-entry'
    WHEN f IN ('skb_release_head_state', 'skb_release_data', 'skb_release_all', 'skb_free_head', 'skb_pp_recycle')
      THEN 'teardown'
    WHEN f IN ('kfree_skbmem', 'napi_skb_cache_put', 'napi_reuse_skb') THEN 'struct-release'
    WHEN f IN ('sock_efree', 'sock_pfree', 'sock_ofree', 'sock_edemux') OR ends_with(f, '_wfree') OR ends_with(f, '_rfree')
         OR contains(f, 'destruct')
      THEN 'destructor'
    WHEN f IN ('pskb_expand_head', 'skb_morph') THEN 'head-realloc'
    WHEN f = '__skb_clone' THEN 'clone'
    WHEN f IN ('tcp_v4_rcv', 'tcp_v6_rcv', 'udp_rcv', 'udpv6_rcv', '__udp4_lib_rcv', '__udp6_lib_rcv', 'icmp_rcv',
               'icmpv6_rcv', 'igmp_rcv', 'raw_rcv', 'rawv6_rcv', 'raw_local_deliver', 'ping_rcv', 'sctp_rcv', 'arp_process',
               'tcp_v4_do_rcv', 'tcp_v6_do_rcv', 'tcp_rcv_established', 'tcp_rcv_state_process', 'tcp_child_process',
               'tcp_queue_rcv', 'tcp_data_queue', 'tcp_data_queue_ofo', 'tcp_add_backlog', '__udp_enqueue_schedule_skb',
               'udp_queue_rcv_skb', 'udp_queue_rcv_one_skb', 'udpv6_queue_rcv_skb', 'udpv6_queue_rcv_one_skb',
               '__udp_queue_rcv_skb', '__udpv6_queue_rcv_skb', 'sock_queue_rcv_skb', 'sock_queue_rcv_skb_reason',
               '__sock_queue_rcv_skb', 'raw_rcv_skb', 'rawv6_rcv_skb', 'ping_queue_rcv_skb', 'packet_rcv', 'tpacket_rcv',
               'packet_rcv_spkt', '__netlink_sendskb', 'netlink_sendskb', 'unix_stream_read_actor',
               'skb_copy_datagram_iovec', 'skb_copy_datagram_iter', '__skb_datagram_iter', 'sctp_ulpq_tail_data')
      THEN 'deliver'
    WHEN f IN ('dev_hard_start_xmit', 'xmit_one', 'net_dev_start_xmit', 'net_dev_xmit') THEN 'xmit'
    WHEN f IN ('veth_xmit', 'veth_forward_skb', '__dev_forward_skb', '__dev_forward_skb2', 'dev_forward_skb',
               'dev_forward_skb_nomtu', 'loopback_xmit')
      THEN 'forward'
    WHEN f IN ('netif_rx', '__netif_rx', 'netif_rx_internal', 'netif_rx_entry', 'enqueue_to_backlog', 'netif_receive_skb',
               'netif_receive_skb_entry', 'netif_receive_skb_list_entry', '__netif_receive_skb',
               '__netif_receive_skb_core', '__netif_receive_skb_one_core', 'netif_receive_skb_list_internal',
               'napi_gro_receive', 'napi_gro_receive_entry', 'napi_gro_frags', 'napi_gro_frags_entry', 'dev_gro_receive',
               'ip_rcv', 'ipv6_rcv', 'arp_rcv', 'gre_rcv', 'vxlan_rcv', 'geneve_rcv')
      THEN 'receive'
    WHEN f IN ('skb_do_redirect', '__bpf_redirect', 'bpf_redirect', 'bpf_redirect_peer', 'bpf_redirect_neigh',
               'bpf_clone_redirect')
      THEN 'redirect'
  END;

CREATE OR REPLACE MACRO skb_func_class(fn) AS skb_base_class(skb_func_base(fn));

-- A free entry point that a previous one calls on the same skb (so it continues that free, it is not a new one):
-- kfree_skb/kfree_skb_reason/consume_skb -> __kfree_skb, the device wrappers -> the plain frees, a deferred free
-- (skb_attempt_defer_free, dev_kfree_skb_irq*) -> the function that runs it later.
CREATE OR REPLACE MACRO skb_free_nests(outer_fn, inner_fn) AS
  list_contains(CASE skb_func_base(outer_fn)
    WHEN 'kfree_skb' THEN ['__kfree_skb']
    WHEN 'kfree_skb_reason' THEN ['__kfree_skb', 'sk_skb_reason_drop']
    WHEN 'sk_skb_reason_drop' THEN ['__kfree_skb']
    WHEN 'consume_skb' THEN ['__kfree_skb']
    WHEN 'kfree_skb_list' THEN ['kfree_skb', '__kfree_skb']
    WHEN 'kfree_skb_list_reason' THEN ['kfree_skb_reason', '__kfree_skb']
    WHEN '__dev_kfree_skb_any' THEN ['__dev_kfree_skb_irq', 'kfree_skb', 'consume_skb', 'kfree_skb_reason']
    WHEN 'dev_kfree_skb_any_reason' THEN ['dev_kfree_skb_irq_reason', 'kfree_skb_reason', 'sk_skb_reason_drop', 'consume_skb']
    WHEN '__dev_kfree_skb_irq' THEN ['__kfree_skb', '__kfree_skb_defer', '_kfree_skb_defer', '__napi_kfree_skb', 'napi_consume_skb']
    WHEN 'dev_kfree_skb_irq_reason' THEN ['__kfree_skb', '__napi_kfree_skb', '_kfree_skb_defer', 'napi_consume_skb']
    WHEN 'napi_consume_skb' THEN ['__kfree_skb', 'dev_kfree_skb_any_reason', '__dev_kfree_skb_any', '_kfree_skb_defer', '__kfree_skb_defer']
    WHEN 'skb_attempt_defer_free' THEN ['napi_consume_skb', '__kfree_skb', 'kfree_skb_napi_cache', '__napi_kfree_skb', '_kfree_skb_defer']
    WHEN 'kfree_skb_napi_cache' THEN ['_kfree_skb_defer', '__kfree_skb']
    WHEN 'skb_consume_udp' THEN ['__consume_stateless_skb', 'consume_skb']
    WHEN 'skb_free_datagram' THEN ['consume_skb', '__kfree_skb']
    WHEN 'kfree_skb_partial' THEN ['__kfree_skb']
    ELSE []::VARCHAR[] END, skb_func_base(inner_fn));

-- A drop reason as one name: pwru's SKB_DROP_REASON_X without the prefix, or CODE_<n> for a number it could not name.
-- The prefix is stripped here and added back only by skb_drop_reason_label.
CREATE OR REPLACE MACRO skb_drop_reason_name(reason_text, code) AS
  CASE WHEN reason_text IS NOT NULL THEN regexp_replace(reason_text, '^SKB_DROP_REASON_', '')
       WHEN code IS NOT NULL THEN 'CODE_' || code END;

CREATE OR REPLACE MACRO skb_drop_reason_label(name) AS
  CASE WHEN name IS NULL OR starts_with(name, 'CODE_') OR name IN ('SKB_CONSUMED', 'SKB_NOT_DROPPED_YET') THEN name
       ELSE 'SKB_DROP_REASON_' || name END;

CREATE OR REPLACE MACRO skb_drop_reason_class(name) AS
  CASE WHEN name IS NULL THEN NULL
       WHEN name IN ('SKB_CONSUMED', 'CONSUMED', 'SKB_NOT_DROPPED_YET', 'NOT_DROPPED_YET', 'QUEUE_PURGE', 'CODE_0', 'CODE_1')
         THEN 'consumed'
       WHEN name IN ('NOT_SPECIFIED', 'CODE_2') THEN 'unannotated'
       ELSE 'drop' END;

-- What a free entry point says about the packet, from its class and base name (skb_funcs) and its reason name:
-- 'drop', 'unannotated' (a drop without a reason: NOT_SPECIFIED, or the bare drop API kfree_skb / kfree_skb_list),
-- 'consumed' (a normal free), NULL for any other function.
CREATE OR REPLACE MACRO skb_free_kind(cls, base, reason_name) AS
  CASE WHEN cls IS DISTINCT FROM 'free-entry' THEN NULL
       WHEN reason_name IS NOT NULL THEN skb_drop_reason_class(reason_name)
       WHEN base IN ('kfree_skb', 'kfree_skb_list', 'kfree_skb_reason', 'sk_skb_reason_drop', 'kfree_skb_list_reason')
         THEN 'unannotated'
       ELSE 'consumed' END;

-- The reason a drop reads as: the printed one, NOT_SPECIFIED for the bare drop API; NULL when not a drop.
CREATE OR REPLACE MACRO skb_free_reason(cls, base, reason_name) AS
  CASE skb_free_kind(cls, base, reason_name) WHEN 'unannotated' THEN coalesce(reason_name, 'NOT_SPECIFIED')
                                             WHEN 'drop' THEN reason_name END;

-- Where a lifetime was dropped, one wording for paths, diff and check: the function that freed and the last
-- non-free function before it, `kfree_skb_reason (after nf_hook_slow)`.
CREATE OR REPLACE MACRO skb_drop_site(free_fn, after_fn) AS
  CASE WHEN free_fn IS NOT NULL THEN free_fn || coalesce(' (after ' || after_fn || ')', '') END;

-- One row per distinct function of the loaded captures with its class: views join this rather than classify per event.
CREATE OR REPLACE TABLE skb_funcs AS
-- func keeps raw_events' type (an ENUM) so that joins on it compare codes, not strings.
SELECT func, skb_func_base(func::VARCHAR) AS base, skb_func_class(func::VARCHAR) AS class
FROM (SELECT DISTINCT func FROM raw_events);
