-- The review queue filtered to urgent or emergency reports (a supervisor's first look in the
-- morning): without this, the newest-first walk of the ward's records passes every normal
-- report before it finds fifty pressing ones (5.6 ms at 36,000 records in the ward, measured
-- by `cargo xtask bench load`). Partial, so that the many normal reports and the records of
-- other forms (no urgency) cost nothing at insert; the queue's query repeats the condition so
-- that SQLite and PostgreSQL can use it (routes/records.rs, Filter::sql).
CREATE INDEX records_pressing ON records (ward_id, urgency, received_at) WHERE urgency <> 'normal';
