-- Uploads in progress are per (user, photo): another user who knows a photo's hash can no
-- longer reset or take over someone's upload. Uploads in progress are dropped (phones start
-- them again from 0); their chunks, left under the old layout, are removed by the sweep.
DROP TABLE photo_uploads;
CREATE TABLE photo_uploads (
    user_id BIGINT NOT NULL REFERENCES users (id),
    sha256 TEXT NOT NULL,
    content_type TEXT NOT NULL,
    total BIGINT NOT NULL,
    received BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, sha256)
);
CREATE INDEX photo_uploads_updated ON photo_uploads (updated_at);
CREATE INDEX photos_uploaded_at ON photos (uploaded_at);
