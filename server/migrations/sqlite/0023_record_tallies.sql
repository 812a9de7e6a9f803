-- How many records each ward holds per form, month of receipt (yyyymm in the ward's time,
-- UTC+7), category, seriousness and status, kept by triggers inside the transaction that
-- changes a record. The province's indicators read these few rows instead of counting every
-- record of the province (22 s at 10,000,000 records on PostgreSQL, docs/scale.md). A record's ward
-- (a reorganisation), receipt time, category and seriousness (a correction comes back "received
-- now") and status (a review) change, and the update trigger moves it between rows. Every
-- writer of records takes the change counter first (db.rs, next_seq and write_first), so on
-- PostgreSQL two transactions never update these rows in opposite orders.
CREATE TABLE record_tallies (
    ward_id INTEGER NOT NULL,
    form_key TEXT NOT NULL,
    month INTEGER NOT NULL,
    category TEXT NOT NULL,
    serious INTEGER NOT NULL,
    status TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (ward_id, form_key, month, category, serious, status)
) WITHOUT ROWID;

INSERT INTO record_tallies (ward_id, form_key, month, category, serious, status, n)
SELECT ward_id, form_key,
       COALESCE(CAST(strftime('%Y%m', (received_at + 25200000) / 1000.0, 'unixepoch') AS INTEGER), 0),
       COALESCE(category, ''), serious, status, COUNT(*)
FROM records
GROUP BY 1, 2, 3, 4, 5, 6;

CREATE TRIGGER record_tallies_insert AFTER INSERT ON records BEGIN
    INSERT INTO record_tallies (ward_id, form_key, month, category, serious, status, n)
    VALUES (NEW.ward_id, NEW.form_key,
            COALESCE(CAST(strftime('%Y%m', (NEW.received_at + 25200000) / 1000.0, 'unixepoch') AS INTEGER), 0),
            COALESCE(NEW.category, ''), NEW.serious, NEW.status, 1)
    ON CONFLICT (ward_id, form_key, month, category, serious, status) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER record_tallies_delete AFTER DELETE ON records BEGIN
    UPDATE record_tallies SET n = n - 1
    WHERE ward_id = OLD.ward_id AND form_key = OLD.form_key
      AND month = COALESCE(CAST(strftime('%Y%m', (OLD.received_at + 25200000) / 1000.0, 'unixepoch') AS INTEGER), 0)
      AND category = COALESCE(OLD.category, '') AND serious = OLD.serious AND status = OLD.status;
END;

CREATE TRIGGER record_tallies_update
AFTER UPDATE OF ward_id, form_key, received_at, category, serious, status ON records
WHEN OLD.ward_id IS NOT NEW.ward_id OR OLD.form_key IS NOT NEW.form_key
  OR OLD.received_at IS NOT NEW.received_at OR OLD.category IS NOT NEW.category
  OR OLD.serious IS NOT NEW.serious OR OLD.status IS NOT NEW.status
BEGIN
    UPDATE record_tallies SET n = n - 1
    WHERE ward_id = OLD.ward_id AND form_key = OLD.form_key
      AND month = COALESCE(CAST(strftime('%Y%m', (OLD.received_at + 25200000) / 1000.0, 'unixepoch') AS INTEGER), 0)
      AND category = COALESCE(OLD.category, '') AND serious = OLD.serious AND status = OLD.status;
    INSERT INTO record_tallies (ward_id, form_key, month, category, serious, status, n)
    VALUES (NEW.ward_id, NEW.form_key,
            COALESCE(CAST(strftime('%Y%m', (NEW.received_at + 25200000) / 1000.0, 'unixepoch') AS INTEGER), 0),
            COALESCE(NEW.category, ''), NEW.serious, NEW.status, 1)
    ON CONFLICT (ward_id, form_key, month, category, serious, status) DO UPDATE SET n = n + 1;
END;
