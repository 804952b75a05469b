-- Interfaces the traced skbs crossed, per network namespace, with the BPF programs bpftool saw attached there.
-- Grain: one row per (capture, netns, ifindex, interface name).
-- Inputs: events (ifindex, ifname, netns), event_tracks, tc_progs_latest (bpftool net).
-- Rules: events without an interface (ifindex 0, socket-level functions) are left out. ifname is events.ifname (a name pwru
--   truncated is completed there). tc_progs matches on ifindex and name, so a pod-side eth0 never borrows a host device's programs.
WITH ev AS (
  SELECT e.capture, e.netns, e.ifindex, e.ifname, e.func, e.seq, t.track_id
  FROM events e
  JOIN event_tracks t ON t.capture = e.capture AND t.seq = e.seq
  WHERE e.ifindex IS NOT NULL AND e.ifindex <> 0
), named AS (
  SELECT ev.*, ev.ifname AS name
  FROM ev
), progs AS (
  SELECT capture, ifindex, iface, string_agg(hook || ':' || prog_name, ' ' ORDER BY hook, prog_name) AS programs
  FROM tc_progs_latest
  GROUP BY capture, ifindex, iface
)
SELECT n.capture,
       n.netns,
       n.ifindex,
       n.name AS ifname,
       count(*) AS events,
       count(DISTINCT n.track_id) AS skbs,
       arg_min(n.func, n.seq) AS first_func,
       p.programs
FROM named n
LEFT JOIN progs p ON p.capture = n.capture AND p.ifindex = n.ifindex AND p.iface = n.name
GROUP BY n.capture, n.netns, n.ifindex, n.name, p.programs
ORDER BY capture, min(n.seq), netns NULLS LAST, ifindex, ifname NULLS LAST;
