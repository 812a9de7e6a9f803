-- The indicators' facets of each record (domain::indicators::facets): its classification, a
-- neighborhood report's "serious" answer, who a visit to a person under management was about;
-- and when its author filed it (ms: the phone's created_at, never after it was received).
-- Written with each record and revision; rows older than the columns are filled in by the
-- server at start (category IS NULL until then).
ALTER TABLE records ADD COLUMN category TEXT;
ALTER TABLE records ADD COLUMN serious BIGINT NOT NULL DEFAULT 0;
ALTER TABLE records ADD COLUMN subject TEXT;
ALTER TABLE records ADD COLUMN filed_at BIGINT;
