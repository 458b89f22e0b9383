-- One search document per account: its address and the UAI, name and city of each
-- of its establishments, folded (lower case, no accents) by the application. A
-- single trigram index then answers every text search, and broad matches are read
-- in address order, stopping after the page.
ALTER TABLE accounts ADD COLUMN search_text text COLLATE "C" NOT NULL DEFAULT '';
UPDATE accounts a SET search_text = lower(a.email_key) || coalesce((
    SELECT ' ' || string_agg(lower(e.uai) || ' ' || e.search_text, ' ' ORDER BY e.id)
    FROM memberships m JOIN establishments e ON e.id = m.establishment_id
    WHERE m.account_id = a.id), '');
CREATE INDEX accounts_search_trgm ON accounts USING gin (search_text gin_trgm_ops);
GRANT SELECT (search_text), INSERT (search_text), UPDATE (search_text) ON accounts TO siec_agent;
UPDATE schema_version SET version = 4;
