-- Compatibility: additive
-- Apps of schema 7 keep working: the new columns have defaults and are set by
-- triggers that need no grant from the writer.
--
-- Change numbers for the offline copy (src/snapshot/): every synced table gets a
-- change number from one sequence and the id of the transaction that wrote the row,
-- both set by triggers on insert and update; deletions leave a tombstone. A copy
-- then reads only what changed since its last sync, in about as many rows as there
-- were changes.
--
-- The transaction id is what makes the cursor safe. A change number is taken when
-- the row is written, not when its transaction commits: a transaction that took
-- number 10 and commits after another one's 11 would be skipped by a plain
-- « greater than the last number » cursor. The copy records the snapshot of its
-- last sync instead and next time reads every row whose writer was not visible in
-- that snapshot (`pg_visible_in_snapshot`), which by definition includes the late
-- committers; the index on `change_xid` bounds the scan from the snapshot's xmin.

CREATE SEQUENCE sync_change_seq;

CREATE FUNCTION sync_stamp_change() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    NEW.change_no := nextval('public.sync_change_seq');
    NEW.change_xid := pg_current_xact_id();
    RETURN NEW;
END $$;

CREATE TABLE sync_tombstones (
    change_no bigint NOT NULL DEFAULT nextval('sync_change_seq'),
    change_xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    table_name text NOT NULL,
    -- The deleted row's id (text ids stay text); for memberships, the account id,
    -- and the establishment id in row_key2.
    row_key text NOT NULL,
    row_key2 bigint
);
CREATE INDEX sync_tombstones_change_xid ON sync_tombstones (change_xid);

CREATE FUNCTION sync_record_deletion() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_TABLE_NAME = 'memberships' THEN
        INSERT INTO public.sync_tombstones (table_name, row_key, row_key2)
        VALUES (TG_TABLE_NAME, OLD.account_id::text, OLD.establishment_id);
    ELSE
        INSERT INTO public.sync_tombstones (table_name, row_key)
        VALUES (TG_TABLE_NAME, OLD.id::text);
    END IF;
    RETURN NULL;
END $$;

ALTER TABLE establishments ADD COLUMN change_no bigint NOT NULL DEFAULT 0, ADD COLUMN change_xid xid8;
ALTER TABLE accounts ADD COLUMN change_no bigint NOT NULL DEFAULT 0, ADD COLUMN change_xid xid8;
ALTER TABLE memberships ADD COLUMN change_no bigint NOT NULL DEFAULT 0, ADD COLUMN change_xid xid8;
ALTER TABLE link_requests ADD COLUMN change_no bigint NOT NULL DEFAULT 0, ADD COLUMN change_xid xid8;
ALTER TABLE mail_outbox ADD COLUMN change_no bigint NOT NULL DEFAULT 0, ADD COLUMN change_xid xid8;
ALTER TABLE audit_log ADD COLUMN change_no bigint NOT NULL DEFAULT 0, ADD COLUMN change_xid xid8;

CREATE INDEX establishments_change_xid ON establishments (change_xid);
CREATE INDEX accounts_change_xid ON accounts (change_xid);
CREATE INDEX memberships_change_xid ON memberships (change_xid);
CREATE INDEX link_requests_change_xid ON link_requests (change_xid);
CREATE INDEX mail_outbox_change_xid ON mail_outbox (change_xid);
CREATE INDEX audit_log_change_xid ON audit_log (change_xid);

-- Named to fire after the tables' own BEFORE triggers (alphabetical order), so the
-- stamp is the last word on the row.
CREATE TRIGGER zz_sync_stamp_change BEFORE INSERT OR UPDATE ON establishments
    FOR EACH ROW EXECUTE FUNCTION sync_stamp_change();
CREATE TRIGGER zz_sync_stamp_change BEFORE INSERT OR UPDATE ON accounts
    FOR EACH ROW EXECUTE FUNCTION sync_stamp_change();
CREATE TRIGGER zz_sync_stamp_change BEFORE INSERT OR UPDATE ON memberships
    FOR EACH ROW EXECUTE FUNCTION sync_stamp_change();
CREATE TRIGGER zz_sync_stamp_change BEFORE INSERT OR UPDATE ON link_requests
    FOR EACH ROW EXECUTE FUNCTION sync_stamp_change();
CREATE TRIGGER zz_sync_stamp_change BEFORE INSERT OR UPDATE ON mail_outbox
    FOR EACH ROW EXECUTE FUNCTION sync_stamp_change();
-- The journal is append-only: its rows are only ever inserted.
CREATE TRIGGER zz_sync_stamp_change BEFORE INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION sync_stamp_change();

CREATE TRIGGER sync_record_deletion AFTER DELETE ON establishments
    FOR EACH ROW EXECUTE FUNCTION sync_record_deletion();
CREATE TRIGGER sync_record_deletion AFTER DELETE ON accounts
    FOR EACH ROW EXECUTE FUNCTION sync_record_deletion();
CREATE TRIGGER sync_record_deletion AFTER DELETE ON memberships
    FOR EACH ROW EXECUTE FUNCTION sync_record_deletion();
CREATE TRIGGER sync_record_deletion AFTER DELETE ON link_requests
    FOR EACH ROW EXECUTE FUNCTION sync_record_deletion();
CREATE TRIGGER sync_record_deletion AFTER DELETE ON mail_outbox
    FOR EACH ROW EXECUTE FUNCTION sync_record_deletion();

-- Which database a copy came from: a copy pointed at another database (or at a
-- restored one, whose transaction ids started over) is rebuilt, never misread.
CREATE TABLE sync_source (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    database_id uuid NOT NULL DEFAULT gen_random_uuid()
);
INSERT INTO sync_source DEFAULT VALUES;

-- The sync runs under the agent's own login and only reads. The change columns of
-- the column-granted tables are added to what an agent may read (never
-- password_hash nor token_hash); the other tables are readable whole already.
GRANT SELECT (change_no, change_xid) ON accounts TO siec_agent;
GRANT SELECT (change_no, change_xid) ON link_requests TO siec_agent;
GRANT SELECT ON sync_tombstones TO siec_agent;
GRANT SELECT ON sync_source TO siec_agent;
REVOKE ALL ON FUNCTION sync_stamp_change() FROM PUBLIC;
REVOKE ALL ON FUNCTION sync_record_deletion() FROM PUBLIC;

UPDATE schema_version SET version = 8;
