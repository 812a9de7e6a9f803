-- How many records each ward holds in each state: the queue's counts without a filter read
-- these few rows instead of every row of the ward's tallies (0023), which grow each month.
-- Kept by triggers in the transaction that changes a record; SQLite has one writer, so the
-- count below and the triggers see the same records.
CREATE TABLE record_status_counts (
    ward_id INTEGER NOT NULL,
    status TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (ward_id, status)
) WITHOUT ROWID;

INSERT INTO record_status_counts (ward_id, status, n)
SELECT ward_id, status, COUNT(*) FROM records GROUP BY 1, 2;

CREATE TRIGGER record_status_counts_insert AFTER INSERT ON records BEGIN
    INSERT INTO record_status_counts (ward_id, status, n) VALUES (NEW.ward_id, NEW.status, 1)
    ON CONFLICT (ward_id, status) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER record_status_counts_delete AFTER DELETE ON records BEGIN
    UPDATE record_status_counts SET n = n - 1
    WHERE ward_id = OLD.ward_id AND status = OLD.status;
END;

CREATE TRIGGER record_status_counts_update AFTER UPDATE OF ward_id, status ON records
WHEN OLD.ward_id IS NOT NEW.ward_id OR OLD.status IS NOT NEW.status
BEGIN
    UPDATE record_status_counts SET n = n - 1
    WHERE ward_id = OLD.ward_id AND status = OLD.status;
    INSERT INTO record_status_counts (ward_id, status, n) VALUES (NEW.ward_id, NEW.status, 1)
    ON CONFLICT (ward_id, status) DO UPDATE SET n = n + 1;
END;
