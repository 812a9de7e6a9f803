-- How many records each ward holds per form, month of receipt (yyyymm in the ward's time,
-- UTC+7), category, seriousness and status, kept by triggers inside the transaction that
-- changes a record. The province's indicators read these few rows instead of counting every
-- record of the province (22 s at 10,000,000 records, docs/scale.md). A record's ward (a
-- reorganisation), receipt time, category and seriousness (a correction comes back "received
-- now") and status (a review) change, and the update trigger moves it between rows. Every writer of records
-- takes the change counter first (db.rs, next_seq and write_first), so two transactions never
-- update these rows in opposite orders (no deadlock) and the rows add no waiting of their own.
CREATE TABLE record_tallies (
    ward_id BIGINT NOT NULL,
    form_key TEXT NOT NULL,
    month INTEGER NOT NULL,
    category TEXT NOT NULL,
    serious BIGINT NOT NULL,
    status TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (ward_id, form_key, month, category, serious, status)
);

-- yyyymm of a time in milliseconds, in the ward's time (UTC+7, no daylight saving).
-- One expression of immutable functions, so that PostgreSQL inlines it into the queries and
-- the backfill below (a FROM in the body kept it from being inlined: six times slower).
CREATE FUNCTION record_month(ms BIGINT) RETURNS INTEGER
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT CAST(
        EXTRACT(YEAR FROM to_timestamp(FLOOR((ms + 25200000) / 1000.0)) AT TIME ZONE 'UTC') * 100
        + EXTRACT(MONTH FROM to_timestamp(FLOOR((ms + 25200000) / 1000.0)) AT TIME ZONE 'UTC')
        AS INTEGER)
$$;

INSERT INTO record_tallies (ward_id, form_key, month, category, serious, status, n)
SELECT ward_id, form_key, record_month(received_at), COALESCE(category, ''), serious, status, COUNT(*)
FROM records
GROUP BY 1, 2, 3, 4, 5, 6;

CREATE FUNCTION record_tallies_change() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE record_tallies SET n = n - 1
        WHERE ward_id = OLD.ward_id AND form_key = OLD.form_key
          AND month = record_month(OLD.received_at)
          AND category = COALESCE(OLD.category, '') AND serious = OLD.serious
          AND status = OLD.status;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO record_tallies (ward_id, form_key, month, category, serious, status, n)
        VALUES (NEW.ward_id, NEW.form_key, record_month(NEW.received_at),
                COALESCE(NEW.category, ''), NEW.serious, NEW.status, 1)
        ON CONFLICT (ward_id, form_key, month, category, serious, status)
        DO UPDATE SET n = record_tallies.n + 1;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER record_tallies_insert_delete AFTER INSERT OR DELETE ON records
FOR EACH ROW EXECUTE FUNCTION record_tallies_change();

CREATE TRIGGER record_tallies_update
AFTER UPDATE OF ward_id, form_key, received_at, category, serious, status ON records
FOR EACH ROW
WHEN (OLD.ward_id IS DISTINCT FROM NEW.ward_id OR OLD.form_key IS DISTINCT FROM NEW.form_key
      OR OLD.received_at IS DISTINCT FROM NEW.received_at
      OR OLD.category IS DISTINCT FROM NEW.category OR OLD.serious IS DISTINCT FROM NEW.serious
      OR OLD.status IS DISTINCT FROM NEW.status)
EXECUTE FUNCTION record_tallies_change();
