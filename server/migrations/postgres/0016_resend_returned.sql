-- Records returned before pulls carried a returned record's data reached phones without it, so a
-- phone that had forgotten its copy could not correct them. Each gets a new change number, so the
-- next pull sends it again, now with its data.
WITH returned AS (
    SELECT id, row_number() OVER (ORDER BY id) AS n FROM records WHERE status = 'returned'
)
UPDATE records SET seq = (SELECT value FROM counters WHERE name = 'seq') + returned.n
  FROM returned WHERE records.id = returned.id;
UPDATE counters SET value = value + (SELECT COUNT(*) FROM records WHERE status = 'returned')
 WHERE name = 'seq';
