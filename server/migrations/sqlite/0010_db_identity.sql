-- The database's identity: every pull cursor carries it, so a cursor of another database (a
-- restored backup, a new server) is answered "reset" instead of silently skipping changes.
CREATE TABLE db_identity (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    epoch TEXT NOT NULL
);
INSERT INTO db_identity (id, epoch) VALUES (1, lower(hex(randomblob(16))));
