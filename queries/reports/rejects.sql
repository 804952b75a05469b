-- Input lines the parser could not read, by reason, with the first example of each.
-- Grain: one row per (capture, reject reason).
-- Inputs: capture_rejects (rejects.ndjson: line number, text, reason).
-- Rules: example is the earliest rejected line of that reason, cut to 120 characters.
SELECT capture,
       reason,
       count(*) AS lines,
       min(line) AS first_line,
       left(arg_min(text, line), 120) AS example
FROM capture_rejects
GROUP BY capture, reason
ORDER BY capture, lines DESC, reason;
