-- Sign-in attempt counts shared by every server instance (src/throttle.rs). UNLOGGED: written
-- without the write-ahead log, so counting costs no fsync; PostgreSQL empties it after a crash,
-- which only forgives some failed sign-ins.
DROP TABLE login_failures;
CREATE UNLOGGED TABLE login_throttle (
    key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    last_at BIGINT NOT NULL
);
CREATE INDEX login_throttle_last_at ON login_throttle (last_at);
