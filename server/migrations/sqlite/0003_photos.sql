-- Photos, named by the SHA-256 of their bytes; the bytes live in the object store.
CREATE TABLE photos (
    sha256 TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    bytes BIGINT NOT NULL,
    uploaded_by BIGINT NOT NULL REFERENCES users (id),
    uploaded_at BIGINT NOT NULL
);

-- An upload in progress: how many bytes have arrived so far. Each chunk is an object
-- `uploads/<sha256>/<offset>` until the last one arrives and the whole is checked.
CREATE TABLE photo_uploads (
    sha256 TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    total BIGINT NOT NULL,
    received BIGINT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    updated_at BIGINT NOT NULL
);

-- The photos each record names. A record is complete when every one of them is in `photos`.
CREATE TABLE record_photos (
    record_id TEXT NOT NULL REFERENCES records (id),
    sha256 TEXT NOT NULL,
    PRIMARY KEY (record_id, sha256)
);
CREATE INDEX record_photos_sha ON record_photos (sha256);
