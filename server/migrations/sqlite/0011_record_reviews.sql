-- Reviews: every approval, return (with what to correct), taking up and resolving (with the
-- reply to the reporter) of a record, by whom and when. The record's status and status_note
-- are the latest review's; this is their history. Append-only.
CREATE TABLE record_reviews (
    id INTEGER PRIMARY KEY,
    record_id TEXT NOT NULL REFERENCES records (id),
    action TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    comment TEXT,
    reviewer_id BIGINT NOT NULL REFERENCES users (id),
    at BIGINT NOT NULL
);
CREATE INDEX record_reviews_record ON record_reviews (record_id, id);
