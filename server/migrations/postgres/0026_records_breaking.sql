-- no-transaction
-- The records that break a zero-indicator (a serious report, or any illegal racing): the
-- dashboard names the newest fifty of each kind. Without this it walked the ward's year of
-- records and read each theft's row to see whether it was serious (3 s at a million reports
-- in a month on SQLite, `cargo xtask bench load --seconds 1800`); the partial index holds only
-- these few, with what the kinds are told apart by. The dashboard's query repeats the
-- condition so that SQLite and PostgreSQL can use it (indicators.rs, count_ward). Built
-- without blocking writes, as 0025 (an invalid index left by a stopped build: drop it and
-- start again).
CREATE INDEX CONCURRENTLY IF NOT EXISTS records_breaking ON records (ward_id, form_key, received_at, category, serious) WHERE serious = 1 OR category = 'illegal_racing';
