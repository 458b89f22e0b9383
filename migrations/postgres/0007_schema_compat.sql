-- Rolling upgrades: the database records the oldest application schema that may
-- still write to it, so that desks one release behind keep working while the IT
-- team rolls the new version out (docs/UPGRADES.md).
--
-- Every later migration opens with one of these two lines, checked by the tests
-- of src/store/compat.rs:
--   -- Compatibility: additive
--        apps of the previous schema keep working; min_app_schema is left alone;
--   -- Compatibility: requires app schema K
--        apps below K would write what the new schema no longer accepts or
--        understands; the migration sets min_app_schema = K.
--
-- Compatibility: requires app schema 6
-- 0007 itself only adds a column no older app reads; the record starts at 6
-- because 0006 moved link requests, revocations and their audit rows behind
-- checked functions: an app of schema 5 writes them directly and is refused.
ALTER TABLE schema_version ADD COLUMN min_app_schema integer NOT NULL DEFAULT 0;
UPDATE schema_version SET version = 7, min_app_schema = 6;
