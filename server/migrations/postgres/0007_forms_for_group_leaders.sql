-- Whether group leaders file this form version: a group leader sees their group's records of
-- such forms only, never officers' police records (visits, checks) about the same group.
-- Set when a version is published; older rows are filled in by the server at start.
ALTER TABLE forms ADD COLUMN for_group_leaders INTEGER NOT NULL DEFAULT 0;
