-- Every server keeps the callers it read lately for a few seconds (server/src/sessions.rs) and
-- forgets them all when this channel is notified: at the commit of any change to a session or
-- a user, from whichever server, command or hand-typed statement. One notification a
-- statement; PostgreSQL folds those of a transaction into one.
CREATE FUNCTION wardbook_sessions_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('wardbook_sessions', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER sessions_changed AFTER UPDATE OR DELETE OR TRUNCATE ON sessions
FOR EACH STATEMENT EXECUTE FUNCTION wardbook_sessions_changed();

CREATE TRIGGER users_changed AFTER UPDATE OR DELETE OR TRUNCATE ON users
FOR EACH STATEMENT EXECUTE FUNCTION wardbook_sessions_changed();
