-- Compatibility: additive
-- The change sequence lives on PostgreSQL only (the source of an offline copy).
-- The copy's own bookkeeping (`snapshot_meta`) is created by the sync, in the copy
-- alone, so the embedded base keeps exactly the schema the read paths expect.
UPDATE schema_version SET version = 8;
