-- SQLite has no TRUNCATE (DELETE is refused by 0004's trigger); kept so both databases carry
-- the same migration numbers.
SELECT 1;
