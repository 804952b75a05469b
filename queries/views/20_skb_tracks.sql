-- Grain: `skb_tracks` (table): one row per skb lifetime; `event_track_map` (table) / `event_tracks` (view): one row
-- per event with its lifetime.
-- Inputs: raw_events, captures (tool), capture_clock (ts_mode), skb_funcs and the macros of queries/model/10_func_classes.sql.
-- Rules (function classes are those of queries/model/10_func_classes.sql):
--   * pwru prints only the skb address, which the kernel reuses. The events of one address (per capture) are taken in
--     ktime order (seq breaks ties) when timestamps are absolute, else in input order (seq); a relative timestamp is
--     the hop's delta itself.
--   * A lifetime ends right after a struct-release (kfree_skbmem: 'struct-freed'; napi_skb_cache_put, napi_reuse_skb:
--     'napi-cache'): the next event of the address is a new lifetime.
--   * A free sequence starts at a free-entry and absorbs the teardown and destructors that follow. Inside it, another
--     free-entry starts a new lifetime ('free-entry') unless the previous event is a free-entry that calls it on the
--     same skb (skb_free_nests: consume_skb -> __kfree_skb, skb_attempt_defer_free -> napi_consume_skb, ...).
--   * Ordinary work right after a free-entry: a reference drop (skb_unref) when the capture traces teardown or
--     struct-release at all, so the lifetime goes on; else (e.g. --filter-func kfree_skb_reason, tracepoint captures)
--     that free was the end ('free-entry'). Ordinary work after teardown or a destructor of a free sequence is a new
--     lifetime ('free-entry': freed without a traced struct release, e.g. a bulk free).
--   * Teardown right after a head-realloc (pskb_expand_head, skb_morph) is not a free, nor is the __skb_clone inside
--     skb_morph. A destructor outside a free sequence is skb_orphan (skb_scrub_packet, ip_rcv_core): mid-life.
--   * __skb_clone starts a new lifetime ('clone'); parent_track is the lifetime of the event just before it on the
--     same CPU (the parent's skb_clone), when that is another address.
--   * With absolute timestamps only, a gap > 1 s before ordinary work starts a new lifetime ('gap'), never inside a
--     free sequence (skb_attempt_defer_free may run the free much later on another CPU) nor before teardown; after a
--     reference drop it does.
--   * Tracepoint captures (tool bpftrace) only: a change of tuple starts a new lifetime ('tuple-change'), at a free
--     too (kfree_skb / consume_skb fire once, on the last reference). Not for pwru captures: NAT (Cilium's service
--     translation) rewrites the tuple of one skb.
--   * Tracepoint captures only: an skb changes netns only where a device hands it to its peer (veth, loopback): from
--     a transmit hook (net_dev_queue, net_dev_start_xmit / net_dev_xmit) to a receive hook in the other netns. Any
--     other netns change is another skb at a recycled address whose free no tracepoint reported (TCP frees pure ACKs
--     with __kfree_skb, which has none): a new lifetime ('netns-change').
--   * XDP events (pwru's `(xdp)`: the "skb" is &xdp, a stack address shared by every packet on a CPU) are never grouped
--     by address: each is a lifetime of its own ('xdp').
--   * start_reason: 'capture-start' (first event of the address), 'clone', 'xdp', or the end of the lifetime before it
--     ('struct-freed', 'napi-cache', 'free-entry', 'gap', 'tuple-change', 'netns-change'). end_reason: 'struct-freed', 'napi-cache',
--     'xdp', 'free-entry' (the last hop is inside a free sequence), else the next lifetime's start_reason, else
--     'capture-end'.
--   * verdict, from the lifetime's final free (the free-entries after its last non-free hop) and its classes:
--       'dropped'      the final free reads as a drop (skb_free_kind 'drop' or 'unannotated': NOT_SPECIFIED and a
--                      bare kfree_skb too), except an unannotated free after a device transmit (TX completion);
--       'delivered'    it reached local delivery (deliver: an L4 handler or a socket);
--       'transmitted'  it reached a device driver (xmit) and no forward / receive / deliver hop came after it (a veth
--                      or loopback hand-off goes on in the peer netns);
--       'redirected'   a BPF redirect with no xmit / forward / receive / deliver / free hop after it;
--       'consumed'     freed normally (consume_skb, SKB_CONSUMED, QUEUE_PURGE, a struct release);
--       'unknown'      none of these.
--   * The drop: drop_reason (skb_free_reason), drop_func = the free-entry that freed (first of the final free),
--     drop_after = the last non-free hop before it, drop_site = skb_drop_site(drop_func, drop_after), drop_hop.
--   * node: the capture's node (captures.node), so tracks of several nodes group by it.
--   * path_sig: first 16 hex digits of md5 over the ordered function names joined by '>' (stable across runs).

--   * Built in buckets of addresses (hash(skb) % buckets): every rule looks only at the events of one address, so each
--     bucket is complete on its own, and the windows and list aggregates hold one bucket at a time. The loader runs
--     each statement holding $bucket once per bucket (analyze/view-runner.ts), enough buckets that one fits well
--     inside DuckDB's memory limit: the peak stays flat as the event count grows.

-- One row per capture: what every lifetime rule of that capture needs to know about the whole capture.
CREATE OR REPLACE TABLE track_capture_modes AS
WITH td AS (
  SELECT d.capture, bool_or(f.class IN ('teardown', 'struct-release')) AS traces_teardown
  FROM (SELECT DISTINCT capture::VARCHAR AS capture, func FROM raw_events) d
  JOIN skb_funcs f ON f.func = d.func
  GROUP BY d.capture
)
SELECT c.capture, coalesce(k.ts_mode, 'none') AS ts_mode, c.tool, coalesce(td.traces_teardown, false) AS traces_teardown
FROM captures c LEFT JOIN capture_clock k ON k.capture = c.capture LEFT JOIN td ON td.capture = c.capture;

CREATE OR REPLACE MACRO event_track_rows(bucket, buckets) AS TABLE
WITH t AS (
  SELECT r.capture, r.seq, r.skb, r.cpu, r.ktime, f.base,
         CASE WHEN r.prog_kind::VARCHAR = 'xdp' THEN 'xdp' ELSE coalesce(f.class, 'work') END AS cls,
         skb_free_kind(f.class, f.base, skb_drop_reason_name(r.drop_reason::VARCHAR, r.drop_code)) AS fkind,
         skb_free_reason(f.class, f.base, skb_drop_reason_name(r.drop_reason::VARCHAR, r.drop_code)) AS freason,
         CASE WHEN cap.ts_mode = 'absolute' THEN r.ktime END AS ord,
         cap.ts_mode, cap.traces_teardown,
         CASE WHEN cap.tool = 'bpftrace' AND r.netns <> 0 THEN r.netns END AS tp_netns,
         CASE WHEN cap.tool = 'bpftrace' AND r.sport IS NOT NULL
              THEN concat_ws('|', r.saddr::VARCHAR, r.sport, r.daddr::VARCHAR, r.dport) END AS tup
  FROM raw_events r
  JOIN track_capture_modes cap ON cap.capture = r.capture::VARCHAR
  LEFT JOIN skb_funcs f ON f.func = r.func
  WHERE hash(r.skb) % buckets = bucket
), o AS (
  SELECT *,
         lag(cls) OVER w AS p_cls, lag(base) OVER w AS p_base, lag(ktime) OVER w AS p_ktime, lag(tup) OVER w AS p_tup,
         lag(tp_netns) OVER w AS p_tp_netns,
         -- The class of the last event before this one that is not teardown or a destructor: what those follow.
         last_value(CASE WHEN cls NOT IN ('teardown', 'destructor') THEN cls END IGNORE NULLS)
           OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS p_anchor,
         row_number() OVER w AS addr_ord
  FROM t
  WINDOW w AS (PARTITION BY capture, skb ORDER BY ord, seq)
), cut AS (
  SELECT *,
    CASE
      WHEN addr_ord = 1 THEN 'capture-start'
      WHEN p_cls = 'struct-release' THEN CASE WHEN p_base = 'kfree_skbmem' THEN 'struct-freed' ELSE 'napi-cache' END
      WHEN cls = 'xdp' OR p_cls = 'xdp' THEN 'xdp'
      WHEN cls = 'clone' AND p_anchor IS DISTINCT FROM 'head-realloc' THEN 'clone'
      WHEN cls = 'free-entry' AND p_anchor = 'free-entry'
           AND NOT (p_cls = 'free-entry' AND skb_free_nests(p_base, base)) THEN 'free-entry'
      -- Tracepoint captures: before the free rules, since kfree_skb / consume_skb fire once, on the last reference,
      -- so a free showing another tuple or another netns belongs to another skb (the one before it was freed unseen).
      WHEN tup IS NOT NULL AND p_tup IS NOT NULL AND tup <> p_tup THEN 'tuple-change'
      WHEN tp_netns IS NOT NULL AND p_tp_netns IS NOT NULL AND tp_netns <> p_tp_netns
           AND NOT ((p_cls IN ('xmit', 'forward') OR p_base = 'net_dev_queue') AND cls = 'receive') THEN 'netns-change'
      WHEN cls IN ('teardown', 'destructor', 'struct-release', 'free-entry') THEN NULL
      WHEN p_anchor = 'free-entry' AND (p_cls IN ('teardown', 'destructor') OR NOT traces_teardown) THEN 'free-entry'
      WHEN ts_mode = 'absolute' AND ktime - p_ktime > 1000000000 THEN 'gap'
    END AS boundary,
    -- Inside a free sequence after this event (its own class when it is not teardown / a destructor).
    coalesce(CASE WHEN cls NOT IN ('teardown', 'destructor') THEN cls END, p_anchor) = 'free-entry' AS in_free
  FROM o
), numbered AS (
  SELECT capture, seq, skb, cpu, ord, cls, fkind, freason, in_free, addr_ord,
         boundary IS NOT NULL AS starts,
         CASE WHEN boundary IS NULL THEN NULL WHEN cls IN ('xdp', 'clone') THEN cls ELSE boundary END AS start_reason,
         CASE WHEN boundary IS NULL THEN (CASE WHEN ts_mode = 'relative' THEN ktime::BIGINT
                                               ELSE ktime::BIGINT - p_ktime::BIGINT END) END AS delta_ns
  FROM cut
)
SELECT capture, seq, skb, cpu, ord, cls, fkind, freason, in_free, start_reason, delta_ns,
       sum(starts::INTEGER) OVER w2 AS track_no,
       addr_ord - max(CASE WHEN starts THEN addr_ord END) OVER w2 + 1 AS hop,
       -- Rows are written bucket by bucket, so the lifetime aggregate's `addr_bucket = b` skips the other row groups.
       bucket::UINTEGER AS addr_bucket
FROM numbered
WINDOW w2 AS (PARTITION BY capture, skb ORDER BY addr_ord ROWS UNBOUNDED PRECEDING);

CREATE OR REPLACE TABLE event_track_map AS FROM event_track_rows(0, 1) LIMIT 0;
INSERT INTO event_track_map BY NAME FROM event_track_rows($bucket, $buckets);

CREATE OR REPLACE VIEW event_tracks AS
SELECT m.capture::VARCHAR AS capture, m.seq, m.skb, m.track_no,
       m.capture::VARCHAR || ':' || printf('0x%x', m.skb) || ':' || m.track_no AS track_id,
       m.hop, m.delta_ns
FROM event_track_map m;

-- The parent of each clone: the lifetime of the event just before the __skb_clone on the same CPU (the parent's
-- skb_clone / pskb_copy call), when it is another address. ASOF join on the capture's order (ktime, then seq).
CREATE OR REPLACE TABLE clone_parents AS
WITH k AS (
  SELECT capture, seq, skb, track_no, cpu,
         coalesce(ord::HUGEINT, 0) * 4294967296 + seq AS okey, start_reason
  FROM event_track_map
  WHERE cpu IS NOT NULL AND cls <> 'xdp'
), c AS (
  SELECT * FROM k WHERE start_reason = 'clone'
)
SELECT c.capture::VARCHAR AS capture, c.skb, c.track_no, p.skb AS parent_skb, p.track_no AS parent_track_no
FROM c ASOF JOIN (SELECT * FROM k WHERE (SELECT count(*) FROM c) > 0) p
  ON p.capture = c.capture AND p.cpu = c.cpu AND p.okey < c.okey
WHERE p.skb <> c.skb;

CREATE OR REPLACE MACRO skb_track_rows(bucket, buckets) AS TABLE
WITH n AS (
  SELECT m.capture::VARCHAR AS capture, m.skb, m.track_no, m.hop, m.seq, m.cls, m.fkind, m.freason, m.in_free,
         m.start_reason, m.delta_ns, r.ktime,
         -- Dictionary (ENUM) codes, not text, until the lifetimes are built: a list of codes is fixed-width and DuckDB
         -- can spill it; a list of strings it cannot, and the aggregate ran out of memory under any limit.
         r.func, r.iface, r.netns, r.saddr, r.daddr, r.sport, r.dport, r.l4
  FROM (FROM event_track_map WHERE addr_bucket = bucket) m
  JOIN (FROM raw_events WHERE hash(skb) % buckets = bucket) r ON r.capture = m.capture AND r.seq = m.seq
), agg0 AS (
  SELECT capture, skb, track_no,
    min(seq) AS first_seq,
    min(ktime) AS first_ktime, max(ktime) AS last_ktime, sum(delta_ns) AS delta_sum,
    count(*) AS hops,
    -- list_sort on {hop, ...} is several times cheaper than ordered aggregates (list(x ORDER BY hop)).
    list_sort(list({'h': hop, 'f': func, 'i': iface, 'n': netns})) AS hl,
    arg_min({'saddr': saddr, 'sport': sport, 'daddr': daddr, 'dport': dport, 'l4': l4},
            hop) FILTER (WHERE saddr IS NOT NULL AND saddr::VARCHAR <> '') AS tuple,
    any_value(start_reason) FILTER (WHERE hop = 1) AS start_reason,
    arg_max(cls, hop) AS last_cls, arg_max(func, hop) AS last_func, arg_max(in_free, hop) AS last_in_free,
    coalesce(max(hop) FILTER (WHERE cls NOT IN ('free-entry', 'teardown', 'destructor', 'struct-release')), 0) AS last_work,
    list_sort(list({'h': hop, 'f': func, 'k': fkind, 'r': freason}) FILTER (WHERE cls = 'free-entry')) AS entries,
    max(hop) FILTER (WHERE cls = 'struct-release') AS last_release,
    max(hop) FILTER (WHERE cls = 'deliver') AS last_deliver,
    max(hop) FILTER (WHERE cls = 'xmit') AS last_xmit,
    max(hop) FILTER (WHERE cls IN ('forward', 'receive', 'deliver')) AS last_onward,
    max(hop) FILTER (WHERE cls = 'redirect') AS last_redirect,
    max(hop) FILTER (WHERE cls IN ('xmit', 'forward', 'receive', 'deliver', 'free-entry', 'struct-release')) AS last_after_redirect
  FROM n
  GROUP BY capture, skb, track_no
), agg AS (
  SELECT a.* EXCLUDE (hl, entries, tuple, last_func),
         -- Codes become text here, once per lifetime (the struct cast keeps a NULL tuple NULL).
         a.tuple::STRUCT(saddr VARCHAR, sport USMALLINT, daddr VARCHAR, dport USMALLINT, l4 VARCHAR) AS tuple,
         a.last_func::VARCHAR AS last_func,
         list_transform(hl, lambda x: x.f::VARCHAR) AS funcs,
         list_filter(list_transform(hl, lambda x: x.i::VARCHAR), lambda v: v IS NOT NULL AND v <> '0') AS iface_seq,
         list_filter(list_transform(hl, lambda x: x.n), lambda v: v IS NOT NULL AND v <> 0) AS netns_seq,
         list_transform(list_filter(entries, lambda e: e.h > a.last_work),
                        lambda e: {'h': e.h, 'f': e.f::VARCHAR, 'k': e.k, 'r': e.r}) AS final_free,
         list_filter(entries, lambda e: e.h > a.last_work AND e.k IN ('drop', 'unannotated'))[1] AS drop_entry,
         (a.last_xmit IS NOT NULL AND a.last_xmit > coalesce(a.last_onward, 0)) AS xmitted,
         coalesce(k.ts_mode, 'none') AS ts_mode
  FROM agg0 a LEFT JOIN capture_clock k ON k.capture = a.capture
), v AS (
  SELECT *,
    CASE WHEN drop_entry IS NOT NULL AND NOT (drop_entry.k = 'unannotated' AND xmitted) THEN 'dropped'
         WHEN last_deliver IS NOT NULL THEN 'delivered'
         WHEN xmitted THEN 'transmitted'
         WHEN last_redirect IS NOT NULL AND last_redirect > coalesce(last_after_redirect, 0) THEN 'redirected'
         WHEN len(final_free) > 0 OR last_release > last_work THEN 'consumed'
         ELSE 'unknown' END AS verdict
  FROM agg
), tr AS (
  SELECT v.*,
    CASE WHEN last_cls = 'struct-release' THEN CASE WHEN last_func = 'kfree_skbmem' THEN 'struct-freed' ELSE 'napi-cache' END
         WHEN last_cls = 'xdp' THEN 'xdp'
         WHEN last_in_free THEN 'free-entry'
         ELSE coalesce(lead(start_reason) OVER (PARTITION BY capture, skb ORDER BY track_no), 'capture-end') END AS end_reason
  FROM v
)
SELECT tr.capture, cn.node,
       tr.capture || ':' || printf('0x%x', tr.skb) || ':' || tr.track_no AS track_id,
       tr.skb, printf('0x%x', tr.skb) AS skb_hex, tr.track_no, first_seq,
       CASE WHEN ts_mode = 'absolute' THEN first_ktime END AS first_ktime,
       CASE WHEN ts_mode = 'absolute' THEN last_ktime END AS last_ktime,
       CASE WHEN ts_mode <> 'none' THEN coalesce(delta_sum, 0) END::BIGINT AS duration_ns,
       hops, funcs,
       left(md5(array_to_string(funcs, '>')), 16) AS path_sig,
       list_filter(iface_seq, lambda x, i: list_position(iface_seq, x) = i) AS ifaces,
       list_filter(netns_seq, lambda x, i: list_position(netns_seq, x) = i) AS netns_crossed,
       tuple,
       verdict,
       start_reason, end_reason,
       CASE WHEN p.parent_skb IS NOT NULL
            THEN tr.capture || ':' || printf('0x%x', p.parent_skb) || ':' || p.parent_track_no END AS parent_track,
       CASE WHEN verdict = 'dropped' THEN drop_entry.r END AS drop_reason,
       CASE WHEN verdict = 'dropped' THEN skb_drop_reason_label(drop_entry.r) END AS drop_label,
       CASE WHEN verdict = 'dropped' THEN final_free[1].f END AS drop_func,
       CASE WHEN verdict = 'dropped' AND last_work > 0 THEN funcs[last_work] END AS drop_after,
       CASE WHEN verdict = 'dropped' THEN skb_drop_site(final_free[1].f, CASE WHEN last_work > 0 THEN funcs[last_work] END) END AS drop_site,
       CASE WHEN verdict = 'dropped' THEN final_free[1].h END AS drop_hop
FROM tr
LEFT JOIN (SELECT capture, node FROM captures) cn ON cn.capture = tr.capture
LEFT JOIN clone_parents p ON p.capture = tr.capture AND p.skb = tr.skb AND p.track_no = tr.track_no;

CREATE OR REPLACE TABLE skb_tracks AS FROM skb_track_rows(0, 1) LIMIT 0;
INSERT INTO skb_tracks BY NAME FROM skb_track_rows($bucket, $buckets);
