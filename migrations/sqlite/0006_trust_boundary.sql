-- Database roles, the mail service's role and the shared link settings exist only
-- on PostgreSQL: on the embedded SQLite file the desk is its own mail service and
-- the link settings are local (bounded by the configuration). This step only keeps
-- both backends at the same version.
UPDATE schema_version SET version = 6;
