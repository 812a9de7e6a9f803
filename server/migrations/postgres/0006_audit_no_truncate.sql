-- TRUNCATE does not fire row triggers: refuse it too, so the audit trail stays append-only.
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
