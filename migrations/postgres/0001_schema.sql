-- Central schema of the SIEC authentication portal's accounts.
-- Timestamps are milliseconds since the Unix epoch (UTC) on both backends, so the
-- desktop app, the CLI and the portal read the same values whatever the database.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE schema_version (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version integer NOT NULL
);
INSERT INTO schema_version (singleton, version) VALUES (true, 1);

CREATE TABLE establishments (
    id bigserial PRIMARY KEY,
    -- Codes, keys and folded text are ASCII compared byte by byte ("C"): the
    -- B-tree then serves both prefix searches (LIKE 'abc%') and the sort order.
    uai text COLLATE "C" NOT NULL CONSTRAINT establishments_uai_key UNIQUE CHECK (uai ~ '^[0-9]{7}[A-Z]$'),
    name text NOT NULL,
    city text NOT NULL DEFAULT '',
    academy text NOT NULL DEFAULT '',
    -- accent- and case-folded "name city", written by the application
    search_text text COLLATE "C" NOT NULL,
    version bigint NOT NULL DEFAULT 1,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL
);
CREATE INDEX establishments_search_trgm ON establishments USING gin (search_text gin_trgm_ops);
CREATE INDEX establishments_search_sort ON establishments (search_text);
CREATE INDEX establishments_academy ON establishments (academy);

CREATE TABLE accounts (
    id bigserial PRIMARY KEY,
    email text NOT NULL,
    email_key text COLLATE "C" NOT NULL CONSTRAINT accounts_email_key UNIQUE,
    display_name text NOT NULL DEFAULT '',
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'active', 'disabled')),
    password_hash text,
    password_set_at bigint,
    version bigint NOT NULL DEFAULT 1,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL
);
CREATE INDEX accounts_email_trgm ON accounts USING gin (email_key gin_trgm_ops);
CREATE INDEX accounts_status ON accounts (status);

CREATE TABLE memberships (
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    establishment_id bigint NOT NULL REFERENCES establishments (id) ON DELETE CASCADE,
    role text NOT NULL DEFAULT 'member' CHECK (role IN ('principal', 'member')),
    created_at bigint NOT NULL,
    PRIMARY KEY (account_id, establishment_id)
);
-- At most one principal account per establishment, whoever writes.
CREATE UNIQUE INDEX memberships_one_principal ON memberships (establishment_id) WHERE role = 'principal';
CREATE INDEX memberships_establishment ON memberships (establishment_id, role);
CREATE INDEX memberships_principal_account ON memberships (account_id) WHERE role = 'principal';

CREATE TABLE link_requests (
    id text PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    purpose text NOT NULL CHECK (purpose IN ('init', 'reset')),
    -- SHA-256 of the token, hex; the token itself is never stored.
    token_hash text CONSTRAINT link_requests_token_hash_key UNIQUE,
    requested_by text NOT NULL,
    created_at bigint NOT NULL,
    expires_at bigint,
    used_at bigint,
    revoked_at bigint
);
CREATE INDEX link_requests_account ON link_requests (account_id, created_at DESC);

CREATE TABLE mail_outbox (
    id text PRIMARY KEY,
    link_request_id text REFERENCES link_requests (id) ON DELETE CASCADE,
    recipient text NOT NULL,
    state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sending', 'sent', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at bigint NOT NULL,
    locked_until bigint,
    last_error text,
    created_at bigint NOT NULL,
    sent_at bigint
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE state IN ('queued', 'sending');
CREATE INDEX mail_outbox_link ON mail_outbox (link_request_id);

CREATE TABLE audit_log (
    id bigserial PRIMARY KEY,
    at bigint NOT NULL,
    agent text NOT NULL,
    action text NOT NULL,
    target text NOT NULL,
    before text,
    after text
);
CREATE INDEX audit_log_target ON audit_log (target, id DESC);
CREATE INDEX audit_log_agent ON audit_log (agent, id DESC);
CREATE INDEX audit_log_at ON audit_log (at);

-- The author of an audit row is the database login, whatever the client sends.
CREATE FUNCTION audit_log_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.agent := session_user;
    RETURN NEW;
END $$;
CREATE TRIGGER audit_log_stamp BEFORE INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_stamp();

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'Le journal d''audit ne peut être ni modifié ni supprimé.'
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
