-- The review queue's urgency filter: a record's `urgency` answer (neighborhood reports ask it),
-- kept beside its data; written with each record and revision, filled in here for older ones.
ALTER TABLE records ADD COLUMN urgency TEXT;
UPDATE records SET urgency = (data::jsonb) ->> 'urgency'
 WHERE jsonb_typeof((data::jsonb) -> 'urgency') = 'string';
