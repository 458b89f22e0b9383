-- See migrations/postgres/0007: the oldest application schema that may still
-- write to this database. The same declaration on both backends.
--
-- Compatibility: requires app schema 6
ALTER TABLE schema_version ADD COLUMN min_app_schema INTEGER NOT NULL DEFAULT 0;
UPDATE schema_version SET version = 7, min_app_schema = 6;
