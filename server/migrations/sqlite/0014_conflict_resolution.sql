-- A conflict is resolved by a reviewer choosing a copy: the current revision ('current') or the
-- conflicting one ('theirs', which then becomes the record's new current revision).
ALTER TABLE record_conflicts ADD COLUMN resolution TEXT;
ALTER TABLE record_conflicts ADD COLUMN resolved_by BIGINT;
ALTER TABLE record_conflicts ADD COLUMN resolved_at BIGINT;
