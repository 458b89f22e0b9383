-- See migrations/postgres/0005: filter tags (RS academy US role-letter
-- no-principal-flag RS per membership), the number of establishments the address is
-- the principal of, and one covering index in address order for searches.
ALTER TABLE accounts ADD COLUMN search_tags TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN principal_of INTEGER NOT NULL DEFAULT 0;
UPDATE accounts SET
    search_tags = coalesce((
        SELECT group_concat(char(30) || e.academy || char(31) || substr(m.role, 1, 1)
                            || CASE WHEN EXISTS (SELECT 1 FROM memberships p WHERE p.establishment_id = m.establishment_id AND p.role = 'principal') THEN '0' ELSE '1' END
                            || char(30), '')
        FROM memberships m JOIN establishments e ON e.id = m.establishment_id
        WHERE m.account_id = accounts.id), ''),
    principal_of = (SELECT count(*) FROM memberships m WHERE m.account_id = accounts.id AND m.role = 'principal');
CREATE INDEX accounts_walk ON accounts (email_key, status, password_set_at, principal_of, search_tags, search_text);
CREATE INDEX accounts_principals ON accounts (email_key, status, password_set_at, search_tags) WHERE principal_of > 0;

-- Each membership carries a copy of its account's address, status and
-- initialisation date, kept by triggers (see migrations/postgres/0005).
ALTER TABLE memberships ADD COLUMN email_key TEXT NOT NULL DEFAULT '';
ALTER TABLE memberships ADD COLUMN status TEXT NOT NULL DEFAULT 'pending';
ALTER TABLE memberships ADD COLUMN password_set_at INTEGER;
UPDATE memberships SET (email_key, status, password_set_at) =
    (SELECT a.email_key, a.status, a.password_set_at FROM accounts a WHERE a.id = memberships.account_id);
CREATE TRIGGER memberships_copy_account AFTER INSERT ON memberships BEGIN
    UPDATE memberships SET (email_key, status, password_set_at) =
        (SELECT a.email_key, a.status, a.password_set_at FROM accounts a WHERE a.id = NEW.account_id)
    WHERE account_id = NEW.account_id AND establishment_id = NEW.establishment_id;
END;
-- A direct write to a copy is put back from the account (recursive triggers are off).
CREATE TRIGGER memberships_keep_copy AFTER UPDATE OF email_key, status, password_set_at ON memberships BEGIN
    UPDATE memberships SET (email_key, status, password_set_at) =
        (SELECT a.email_key, a.status, a.password_set_at FROM accounts a WHERE a.id = NEW.account_id)
    WHERE account_id = NEW.account_id AND establishment_id = NEW.establishment_id;
END;
CREATE TRIGGER accounts_copy_to_memberships AFTER UPDATE OF email_key, status, password_set_at ON accounts BEGIN
    UPDATE memberships SET email_key = NEW.email_key, status = NEW.status, password_set_at = NEW.password_set_at
    WHERE account_id = NEW.id;
END;
DROP INDEX memberships_establishment;
CREATE INDEX memberships_establishment ON memberships (establishment_id, role, account_id, email_key, status, password_set_at);

-- Trigram indexes of their own for addresses and for establishments' names and
-- cities: a search reaches accounts through either, without reading every row.
CREATE VIRTUAL TABLE accounts_email_fts USING fts5(email_key, content = 'accounts', content_rowid = 'id', tokenize = 'trigram');
INSERT INTO accounts_email_fts (accounts_email_fts) VALUES ('rebuild');
CREATE TRIGGER accounts_email_fts_insert AFTER INSERT ON accounts BEGIN
    INSERT INTO accounts_email_fts (rowid, email_key) VALUES (new.id, new.email_key);
END;
CREATE TRIGGER accounts_email_fts_delete AFTER DELETE ON accounts BEGIN
    INSERT INTO accounts_email_fts (accounts_email_fts, rowid, email_key) VALUES ('delete', old.id, old.email_key);
END;
CREATE TRIGGER accounts_email_fts_update AFTER UPDATE OF email_key ON accounts BEGIN
    INSERT INTO accounts_email_fts (accounts_email_fts, rowid, email_key) VALUES ('delete', old.id, old.email_key);
    INSERT INTO accounts_email_fts (rowid, email_key) VALUES (new.id, new.email_key);
END;
CREATE VIRTUAL TABLE establishments_fts USING fts5(search_text, content = 'establishments', content_rowid = 'id', tokenize = 'trigram');
INSERT INTO establishments_fts (establishments_fts) VALUES ('rebuild');
CREATE TRIGGER establishments_fts_insert AFTER INSERT ON establishments BEGIN
    INSERT INTO establishments_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER establishments_fts_delete AFTER DELETE ON establishments BEGIN
    INSERT INTO establishments_fts (establishments_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER establishments_fts_update AFTER UPDATE OF search_text ON establishments BEGIN
    INSERT INTO establishments_fts (establishments_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO establishments_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
UPDATE schema_version SET version = 5;
