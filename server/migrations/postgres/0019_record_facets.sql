-- The indicators' facets of each record (domain::indicators::facets): its classification, a
-- neighborhood report's "serious" answer, who a visit to a person under management was about;
-- and when its author filed it (ms: the phone's created_at, never after it was received).
-- Written with each record and revision; rows older than the columns are filled in by the
-- server at start (category IS NULL until then).
ALTER TABLE records ADD COLUMN category TEXT;
ALTER TABLE records ADD COLUMN serious BIGINT NOT NULL DEFAULT 0;
ALTER TABLE records ADD COLUMN subject TEXT;
ALTER TABLE records ADD COLUMN filed_at BIGINT;
-- A ward's indicators read its records by form and time: this index answers those reads by
-- itself (the facets, group, author, state and filing time are in it), without visiting the
-- records' rows.
CREATE INDEX records_indicators ON records (ward_id, form_key, received_at, category, group_id, author_id, status, filed_at);
