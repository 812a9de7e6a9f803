-- The review queue's search at city size: with 33,000 records in a ward (10,000,000 in all)
-- the newest-first walk of the ward's records read every one of them for a search that finds
-- few or none (59 ms, 64.6 ms for nothing found; docs/benchmarks/scale-postgres.md). A trigram
-- index answers `search_text LIKE '%…%'` (three letters or more) from the index; with
-- btree_gin the ward is a key of the same index, so a search reads only its ward's matches.
-- Both extensions ship with PostgreSQL (contrib) and are trusted: the database's owner may
-- create them without being a superuser (docs/deploy.md). The index itself is 0025.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gin;
