-- Grain: one row per kernel function seen in either capture's diff_tracks.
-- Inputs: diff_tracks.
-- Rules: hits are normalised by packets: per_track = hits / tracks of that capture (0 when the function is absent).
WITH n AS (SELECT capture, count(*) AS tracks FROM diff_tracks GROUP BY capture),
h AS (SELECT capture, func, count(*) AS hits FROM (SELECT capture, unnest(funcs) AS func FROM diff_tracks) GROUP BY ALL)
SELECT f.func,
       coalesce(max(h.hits) FILTER (WHERE h.capture = $a), 0) AS hits_a,
       coalesce(max(h.hits) FILTER (WHERE h.capture = $b), 0) AS hits_b,
       coalesce(max(h.hits) FILTER (WHERE h.capture = $a), 0) / greatest((SELECT max(tracks) FROM n WHERE capture = $a), 1) AS per_track_a,
       coalesce(max(h.hits) FILTER (WHERE h.capture = $b), 0) / greatest((SELECT max(tracks) FROM n WHERE capture = $b), 1) AS per_track_b
FROM (SELECT DISTINCT func FROM h) f
JOIN h ON h.func = f.func
GROUP BY f.func;
