-- Officers may be responsible for some residential groups of their ward.
CREATE TABLE officer_groups (
    user_id BIGINT NOT NULL REFERENCES users (id),
    group_id BIGINT NOT NULL REFERENCES residential_groups (id),
    PRIMARY KEY (user_id, group_id)
);

-- The audit trail says what a change was (before and after, as JSON) and in which ward, so a
-- supervisor can browse their ward's part of it.
ALTER TABLE audit_log ADD COLUMN ward_id BIGINT;
ALTER TABLE audit_log ADD COLUMN before_state TEXT;
ALTER TABLE audit_log ADD COLUMN after_state TEXT;
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_ward_at ON audit_log (ward_id, at);

-- Append-only: no statement may change or remove an entry.
CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
