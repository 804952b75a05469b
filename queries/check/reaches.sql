-- Grain: at most one row: the failure of a `reaches` check (no track of the filtered flow reaches $func).
-- Inputs: flow_tracks (queries/analyze/flow_tracks.sql); $func; flow_match (the rule's flow filter, src/analyze/flow-filter.ts).
-- Rules: passes when any matching track's function sequence contains $func; a filter matching nothing fails too.
WITH m AS (SELECT * FROM flow_tracks f WHERE (f.capture, f.skb, f.track_no) IN (SELECT capture, skb, track_no FROM flow_match))
SELECT (SELECT count(*) FROM m) AS matching_tracks,
       (SELECT list(DISTINCT verdict ORDER BY verdict) FROM m) AS verdicts,
       (SELECT list(DISTINCT drop_label || ' at ' || drop_site ORDER BY drop_label || ' at ' || drop_site)
          FILTER (WHERE verdict = 'dropped') FROM m) AS drops,
       'no track reaches ' || $func AS problem
WHERE NOT EXISTS (SELECT 1 FROM m WHERE list_contains(funcs, $func));
