-- Distinct kernel paths (function sequences) with how many skbs took each, the verdict and an example skb.
-- Grain: one row per (capture, path signature, verdict, drop reason).
-- Inputs: skb_tracks (path_sig = hash of the ordered function names; verdict; ifaces crossed).
-- Rules: tracks of one signature share their hops and functions; the verdict is kept in the key because the same
--   functions can end differently (another drop reason). example_track is the first lifetime in capture order.
--   Use `skbtape paths` for the hop-by-hop journey of each example.
SELECT capture,
       path_sig,
       verdict,
       drop_reason,
       count(*) AS skbs,
       min(hops) AS hops,
       arg_min(funcs[1], first_seq) AS first_func,
       arg_min(funcs[-1], first_seq) AS last_func,
       arg_min(ifaces, first_seq) AS ifaces,
       arg_min(track_id, first_seq) AS example_track
FROM skb_tracks
GROUP BY capture, path_sig, verdict, drop_reason
ORDER BY capture, skbs DESC, min(first_seq), path_sig, verdict, drop_reason NULLS FIRST;
