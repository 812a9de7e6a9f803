-- Wardbook schema, SQLite flavour. Times are milliseconds since the Unix epoch (UTC).

CREATE TABLE wards (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    district TEXT NOT NULL,
    city TEXT NOT NULL,
    UNIQUE (name, district, city)
);

CREATE TABLE residential_groups (
    id INTEGER PRIMARY KEY,
    ward_id BIGINT NOT NULL REFERENCES wards (id),
    name TEXT NOT NULL,
    UNIQUE (ward_id, name)
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'officer', 'group_leader')),
    ward_id BIGINT REFERENCES wards (id),
    group_id BIGINT REFERENCES residential_groups (id),
    active INTEGER NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);

-- One row per counter; the change sequence is `seq`. Incremented inside the transaction that
-- stores the change, so sequence order is commit order on every backend.
CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('seq', 0);

CREATE TABLE forms (
    form_key TEXT NOT NULL,
    version INTEGER NOT NULL,
    definition TEXT NOT NULL,
    published_at BIGINT NOT NULL,
    seq BIGINT NOT NULL UNIQUE,
    PRIMARY KEY (form_key, version)
);

CREATE TABLE records (
    id TEXT PRIMARY KEY,
    form_key TEXT NOT NULL,
    form_version INTEGER NOT NULL,
    ward_id BIGINT NOT NULL REFERENCES wards (id),
    group_id BIGINT NOT NULL REFERENCES residential_groups (id),
    author_id BIGINT NOT NULL REFERENCES users (id),
    data TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    status TEXT NOT NULL,
    status_note TEXT,
    client_created_at TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    seq BIGINT NOT NULL UNIQUE,
    FOREIGN KEY (form_key, form_version) REFERENCES forms (form_key, version)
);
CREATE INDEX records_ward ON records (ward_id, received_at);
CREATE INDEX records_group ON records (group_id, received_at);
CREATE INDEX records_author_seq ON records (author_id, seq);

-- A push that reused a stored id with different content: kept for a supervisor, never applied.
CREATE TABLE record_conflicts (
    id INTEGER PRIMARY KEY,
    record_id TEXT NOT NULL,
    author_id BIGINT NOT NULL,
    data TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    UNIQUE (record_id, content_hash)
);

-- Append-only: no code path updates or deletes rows here.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at BIGINT NOT NULL,
    actor_id BIGINT,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_entity ON audit_log (entity, entity_id);
