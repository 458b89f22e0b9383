-- Database roles exist only on PostgreSQL (the embedded SQLite file has one user,
-- the person at the desk). This step only keeps both backends at the same version.
UPDATE schema_version SET version = 3;
