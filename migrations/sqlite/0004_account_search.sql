-- One search document per account (see migrations/postgres/0004): its address and
-- the UAI, name and city of each of its establishments, folded by the application,
-- indexed by an FTS5 trigram table kept in step by triggers, so that substring
-- searches do not read every account.
ALTER TABLE accounts ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
UPDATE accounts SET search_text = lower(email_key) || coalesce((
    SELECT ' ' || group_concat(lower(e.uai) || ' ' || e.search_text, ' ')
    FROM memberships m JOIN establishments e ON e.id = m.establishment_id
    WHERE m.account_id = accounts.id), '');
CREATE VIRTUAL TABLE accounts_fts USING fts5(search_text, content = 'accounts', content_rowid = 'id', tokenize = 'trigram');
INSERT INTO accounts_fts (accounts_fts) VALUES ('rebuild');
CREATE TRIGGER accounts_fts_insert AFTER INSERT ON accounts BEGIN
    INSERT INTO accounts_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER accounts_fts_delete AFTER DELETE ON accounts BEGIN
    INSERT INTO accounts_fts (accounts_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER accounts_fts_update AFTER UPDATE OF search_text ON accounts BEGIN
    INSERT INTO accounts_fts (accounts_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO accounts_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
UPDATE schema_version SET version = 4;
