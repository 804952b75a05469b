-- Grain: at most one row: the failure of a `reaches` check (no track of the filtered flow reaches $func).
-- Inputs: flow_tracks (10_flow_tracks.sql); $func; the flow filter replaces the FILTER marker (check.ts).
-- Rules: passes when any matching track's function sequence contains $func; a filter matching nothing fails too.
WITH m AS (SELECT * FROM flow_tracks WHERE (/*FILTER*/ true))
SELECT (SELECT count(*) FROM m) AS matching_tracks,
       (SELECT list(DISTINCT verdict ORDER BY verdict) FROM m) AS verdicts,
       (SELECT list(DISTINCT drop_label || ' at ' || drop_site ORDER BY drop_label || ' at ' || drop_site)
          FILTER (WHERE verdict = 'dropped') FROM m) AS drops,
       'no track reaches ' || $func AS problem
WHERE NOT EXISTS (SELECT 1 FROM m WHERE list_contains(funcs, $func));
