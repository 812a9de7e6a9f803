-- A conflicting copy keeps the residential group and form version it was made with, so that a
-- reviewer who chooses it gets the whole copy (copies kept before this have neither: the
-- record's own are used for them).
ALTER TABLE record_conflicts ADD COLUMN group_id BIGINT;
ALTER TABLE record_conflicts ADD COLUMN form_version INTEGER;
-- Whether the record's current revision names the photo. Photos of earlier revisions stay
-- readable in the history, but a photo a correction dropped is no longer awaited.
ALTER TABLE record_photos ADD COLUMN current INTEGER NOT NULL DEFAULT 1;
