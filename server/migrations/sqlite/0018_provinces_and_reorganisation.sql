-- Provinces above wards and communes; wards that close (merged away) from a date; where each
-- residential group and each member of a ward's staff belonged from which date; the ward a record
-- was filed in, kept when its group moves; the provincial role.
CREATE TABLE provinces (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
INSERT INTO provinces (name) SELECT DISTINCT city FROM wards ORDER BY city;

-- A ward's province is the province named by its `city` (a centrally-run city is a province).
ALTER TABLE wards ADD COLUMN province_id BIGINT REFERENCES provinces (id);
UPDATE wards SET province_id = (SELECT p.id FROM provinces p WHERE p.name = wards.city);
-- phường (ward) or xã (commune)
ALTER TABLE wards ADD COLUMN kind TEXT NOT NULL DEFAULT 'ward' CHECK (kind IN ('ward', 'commune'));
-- The first instant (ms, ward time midnight) the ward no longer exists; NULL while it does.
ALTER TABLE wards ADD COLUMN closed_from BIGINT;
CREATE INDEX wards_province ON wards (province_id);

-- Where a residential group belonged from `since` (ms, the ward-time midnight a reorganisation
-- took effect; 0 for its first place), entered at `applied_at` (server time; 0 for the first
-- place). residential_groups.ward_id is the latest place.
CREATE TABLE group_places (
    group_id BIGINT NOT NULL REFERENCES residential_groups (id),
    ward_id BIGINT NOT NULL REFERENCES wards (id),
    since BIGINT NOT NULL,
    applied_at BIGINT NOT NULL,
    PRIMARY KEY (group_id, since)
);
CREATE INDEX group_places_ward ON group_places (ward_id, group_id);
INSERT INTO group_places (group_id, ward_id, since, applied_at)
    SELECT id, ward_id, 0, 0 FROM residential_groups;

-- The same for people a reorganisation moved (group leaders with their group, a closed ward's
-- staff), written only by reorganisations: a record its author filed offline before the change
-- is accepted from the ward they were in then, for a while (see routes::sync).
CREATE TABLE user_places (
    user_id BIGINT NOT NULL REFERENCES users (id),
    ward_id BIGINT NOT NULL REFERENCES wards (id),
    since BIGINT NOT NULL,
    applied_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, since)
);

-- records.ward_id follows the record's group (the ward that answers for it now: its queue, its
-- indicators); filed_ward_id is the ward the group belonged to when the record was filed.
ALTER TABLE records ADD COLUMN filed_ward_id BIGINT REFERENCES wards (id);
UPDATE records SET filed_ward_id = ward_id;

-- The provincial role (Công an tỉnh / thành phố): reads every ward and commune of a province.
-- SQLite cannot change a CHECK in place, so `users` is rebuilt. The migration runs in one
-- transaction, where foreign keys cannot be switched off; deferred, they let `users` be dropped
-- while sessions, records... name its rows, and the commit fails unless every row is back.
-- Deferred checks look up the rows naming each user: indexed, so the rebuild stays linear.
CREATE INDEX IF NOT EXISTS photos_uploaded_by ON photos (uploaded_by);
CREATE INDEX IF NOT EXISTS photo_owners_user ON photo_owners (user_id);
CREATE INDEX IF NOT EXISTS record_reviews_reviewer ON record_reviews (reviewer_id);
CREATE INDEX IF NOT EXISTS record_revisions_author ON record_revisions (author_id);
PRAGMA defer_foreign_keys = ON;
CREATE TABLE users_old AS SELECT * FROM users;
DROP TABLE users;
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'provincial', 'supervisor', 'officer', 'group_leader')),
    ward_id BIGINT REFERENCES wards (id),
    group_id BIGINT REFERENCES residential_groups (id),
    active INTEGER NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    province_id BIGINT REFERENCES provinces (id)
);
INSERT INTO users (id, username, display_name, password_hash, role, ward_id, group_id, active, created_at)
    SELECT id, username, display_name, password_hash, role, ward_id, group_id, active, created_at
    FROM users_old;
DROP TABLE users_old;
