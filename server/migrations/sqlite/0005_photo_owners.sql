-- Who has shown they hold each photo, by sending all of its bytes. A record shows a photo only
-- when its author is one of them: knowing a photo's SHA-256 is not enough to see it.
CREATE TABLE photo_owners (
    sha256 TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    PRIMARY KEY (sha256, user_id)
);
INSERT INTO photo_owners (sha256, user_id) SELECT sha256, uploaded_by FROM photos;
