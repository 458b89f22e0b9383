-- What lets a search read accounts in address order and stop after the page,
-- instead of probing memberships for every account:
--   search_tags   one segment per membership, RS academy US role-letter
--                 no-principal-flag RS (RS = chr(30), US = chr(31)), written by the
--                 application, for the academy, role and "without principal" filters;
--   principal_of  how many establishments the address is the principal of;
--   accounts_walk one index holding, in address order, every column a search tests.
ALTER TABLE accounts ADD COLUMN search_tags text COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN principal_of integer NOT NULL DEFAULT 0;
UPDATE accounts a SET search_tags = t.tags, principal_of = t.principal_of FROM (
    SELECT m.account_id,
           string_agg(chr(30) || e.academy || chr(31) || left(m.role, 1)
                      || CASE WHEN p.establishment_id IS NULL THEN '1' ELSE '0' END || chr(30), '' ORDER BY e.id) AS tags,
           count(*) FILTER (WHERE m.role = 'principal') AS principal_of
    FROM memberships m
    JOIN establishments e ON e.id = m.establishment_id
    LEFT JOIN memberships p ON p.establishment_id = m.establishment_id AND p.role = 'principal'
    GROUP BY m.account_id) t
WHERE t.account_id = a.id;
CREATE INDEX accounts_walk ON accounts (email_key) INCLUDE (id, status, password_set_at, principal_of, search_tags, search_text);
CREATE INDEX accounts_principals ON accounts (email_key) INCLUDE (id, status, password_set_at, search_tags) WHERE principal_of > 0;

-- Each membership carries a copy of its account's address, status and
-- initialisation date, kept by triggers whoever writes: a search through an
-- establishment's members then reads one index and never visits the accounts.
ALTER TABLE memberships ADD COLUMN email_key text COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE memberships ADD COLUMN status text NOT NULL DEFAULT 'pending';
ALTER TABLE memberships ADD COLUMN password_set_at bigint;
UPDATE memberships m SET email_key = a.email_key, status = a.status, password_set_at = a.password_set_at
FROM accounts a WHERE a.id = m.account_id;

CREATE FUNCTION memberships_copy_account() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    SELECT a.email_key, a.status, a.password_set_at INTO NEW.email_key, NEW.status, NEW.password_set_at
    FROM accounts a WHERE a.id = NEW.account_id;
    RETURN NEW;
END $$;
-- On every insert and update, so that a direct write to the copies is overwritten by
-- the account's own values.
CREATE TRIGGER memberships_copy_account BEFORE INSERT OR UPDATE ON memberships
    FOR EACH ROW EXECUTE FUNCTION memberships_copy_account();

CREATE FUNCTION accounts_copy_to_memberships() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    UPDATE memberships SET email_key = NEW.email_key, status = NEW.status, password_set_at = NEW.password_set_at
    WHERE account_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER accounts_copy_to_memberships AFTER UPDATE OF email_key, status, password_set_at ON accounts
    FOR EACH ROW WHEN (OLD.email_key IS DISTINCT FROM NEW.email_key OR OLD.status IS DISTINCT FROM NEW.status
                       OR OLD.password_set_at IS DISTINCT FROM NEW.password_set_at)
    EXECUTE FUNCTION accounts_copy_to_memberships();

DROP INDEX memberships_establishment;
CREATE INDEX memberships_establishment ON memberships (establishment_id, role) INCLUDE (account_id, email_key, status, password_set_at);

GRANT SELECT (search_tags, principal_of), INSERT (search_tags, principal_of), UPDATE (search_tags, principal_of) ON accounts TO siec_agent;
UPDATE schema_version SET version = 5;
