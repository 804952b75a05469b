-- Grain: one row per (capture, flow, direction, path signature) of diff_tracks.
-- Inputs: diff_tracks.
-- Rules: tracks sharing a signature share the function sequence; the verdict, drop label, drop site, interfaces
-- and netns sequence are the most common among them (they can differ only by what pwru saw outside the functions).
-- tcp_flags: the most common first TCP flags of those tracks (NULL when none had flags), for pairing like with like.
SELECT capture, flow, dir, path_sig,
       count(*) AS tracks,
       any_value(funcs) AS funcs,
       mode(verdict) AS verdict,
       mode(drop_label) AS drop_label,
       mode(drop_site) AS drop_site,
       mode(array_to_string(ifaces, ' ')) AS ifaces,
       mode(array_to_string(list_transform(netns_crossed, lambda x: x::VARCHAR), ' ')) AS netns,
       mode(tcp_flags) AS tcp_flags
FROM diff_tracks
GROUP BY capture, flow, dir, path_sig
ORDER BY flow, dir, capture, tracks DESC, path_sig;
