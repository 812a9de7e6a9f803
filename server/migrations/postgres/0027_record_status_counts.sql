-- How many records each ward holds in each state: the queue's counts without a filter read
-- these few rows. Read from `record_tallies` (0023), whose rows are per form, month, category
-- and seriousness, the counts read every row the ward ever had (708 rows, 1.3 ms, for a ward
-- of the demo's two years; `cargo xtask bench load --postgres --by-kind`), and more each
-- month. Kept by the tallies' trigger function, in the transaction that changes a record.
--
-- The table is filled while writers wait (SHARE blocks them, readers go on): a record another
-- instance stored between this count and the new trigger function would be counted nowhere.
LOCK TABLE records IN SHARE MODE;

CREATE TABLE record_status_counts (
    ward_id BIGINT NOT NULL,
    status TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (ward_id, status)
);

INSERT INTO record_status_counts (ward_id, status, n)
SELECT ward_id, status, COUNT(*) FROM records GROUP BY 1, 2;

CREATE OR REPLACE FUNCTION record_tallies_change() RETURNS trigger
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
    -- The ward's state counts move only when its ward or its state does.
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND (OLD.ward_id IS DISTINCT FROM NEW.ward_id
                                                  OR OLD.status IS DISTINCT FROM NEW.status)) THEN
        UPDATE record_status_counts SET n = n - 1
        WHERE ward_id = OLD.ward_id AND status = OLD.status;
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND (OLD.ward_id IS DISTINCT FROM NEW.ward_id
                                                  OR OLD.status IS DISTINCT FROM NEW.status)) THEN
        INSERT INTO record_status_counts (ward_id, status, n) VALUES (NEW.ward_id, NEW.status, 1)
        ON CONFLICT (ward_id, status) DO UPDATE SET n = record_status_counts.n + 1;
    END IF;
    RETURN NULL;
END
$$;
