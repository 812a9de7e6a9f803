-- The review queue: free-text search that ignores diacritics, case and Unicode form (the
-- record's texts folded by domain::fold::search_text, written with the record; rows older than
-- the column are filled in by the server at start), and counts per review state.
ALTER TABLE records ADD COLUMN search_text TEXT;
CREATE INDEX records_ward_status ON records (ward_id, status, received_at);
