-- Exports of records (routes/exports.rs): a job per request, built by the server that took it
-- into a file in the object store, read by whoever asked for it. `heartbeat` moves while the
-- job runs: a running job whose heartbeat stopped died with its server and is shown as failed.
CREATE TABLE exports (
    id TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    format TEXT NOT NULL,
    -- The queue's filter as the request gave it (a query string), and the file's name.
    filter TEXT NOT NULL,
    file_name TEXT NOT NULL,
    -- running, done or failed.
    state TEXT NOT NULL,
    total BIGINT NOT NULL,
    done BIGINT NOT NULL DEFAULT 0,
    bytes BIGINT,
    error TEXT,
    created_at BIGINT NOT NULL,
    heartbeat BIGINT NOT NULL
);
CREATE INDEX exports_by_user ON exports (user_id, created_at);
CREATE INDEX exports_by_age ON exports (created_at);
