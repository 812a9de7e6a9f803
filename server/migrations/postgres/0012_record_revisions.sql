-- Revisions (sync rule 7). A record's first revision is the record itself (its id); every
-- resubmission after a return is a revision whose id the phone made, naming the revision it
-- was based on. `records` holds the current revision (revision_id NULL: the first); this table
-- holds every revision once a record has more than one, the first copied in when the second
-- arrives, so the history and its differences can be read. Append-only.
ALTER TABLE records ADD COLUMN revision_id TEXT;
CREATE TABLE record_revisions (
    id TEXT PRIMARY KEY,
    record_id TEXT NOT NULL REFERENCES records (id),
    base_id TEXT,
    author_id BIGINT NOT NULL REFERENCES users (id),
    form_version INTEGER NOT NULL,
    group_id BIGINT NOT NULL,
    data TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    received_at BIGINT NOT NULL
);
CREATE INDEX record_revisions_record ON record_revisions (record_id, received_at);
-- A resubmission on a stale base is kept as a conflict, with the revisions it names.
ALTER TABLE record_conflicts ADD COLUMN revision_id TEXT;
ALTER TABLE record_conflicts ADD COLUMN base_id TEXT;
