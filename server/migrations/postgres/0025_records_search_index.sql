-- no-transaction
-- The trigram index of 0024, built without blocking writes: on a database that already holds
-- millions of records the build takes minutes, and the other instances go on taking pushes
-- meanwhile. CONCURRENTLY cannot run in a transaction, nor beside another statement, hence
-- this file of one statement. A build that stopped halfway leaves an invalid index under this
-- name, which IF NOT EXISTS would keep: `DROP INDEX records_search;` and start again.
CREATE INDEX CONCURRENTLY IF NOT EXISTS records_search ON records USING gin (ward_id, search_text gin_trgm_ops);
