-- Grain: endpoints_latest / ipcache_latest / tc_progs_latest: the rows of the latest snapshot phase a capture has
-- ('end' when taken, else 'start'); one row per endpoint address / ipcache prefix / attached program.
-- Inputs: endpoints, ipcache, tc_progs (analyze/side-tables.ts).
-- Rules: phases are never mixed within a capture, so a prefix removed during the capture disappears with 'end'.
CREATE OR REPLACE VIEW snapshot_phases AS
SELECT capture, 'endpoints' AS kind, phase, count(*) AS rows FROM endpoints GROUP BY ALL
UNION ALL SELECT capture, 'ipcache', phase, count(*) FROM ipcache GROUP BY ALL
UNION ALL SELECT capture, 'metrics', phase, count(*) FROM bpf_metrics GROUP BY ALL
UNION ALL SELECT capture, 'bpftool-net', phase, count(*) FROM tc_progs GROUP BY ALL;

CREATE OR REPLACE VIEW endpoints_latest AS
SELECT * FROM endpoints
QUALIFY phase = CASE WHEN bool_or(phase = 'end') OVER (PARTITION BY capture) THEN 'end' ELSE 'start' END;

CREATE OR REPLACE VIEW ipcache_latest AS
SELECT * FROM ipcache
QUALIFY phase = CASE WHEN bool_or(phase = 'end') OVER (PARTITION BY capture) THEN 'end' ELSE 'start' END;

CREATE OR REPLACE VIEW tc_progs_latest AS
SELECT * FROM tc_progs
QUALIFY phase = CASE WHEN bool_or(phase = 'end') OVER (PARTITION BY capture) THEN 'end' ELSE 'start' END;
