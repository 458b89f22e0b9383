-- Embedded schema: the same tables and meaning as migrations/postgres.
-- Timestamps are milliseconds since the Unix epoch (UTC).

CREATE TABLE schema_version (
    singleton INTEGER PRIMARY KEY DEFAULT 1 CHECK (singleton = 1),
    version INTEGER NOT NULL
);
INSERT INTO schema_version (singleton, version) VALUES (1, 1);

CREATE TABLE establishments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uai TEXT NOT NULL UNIQUE CHECK (length(uai) = 8 AND uai GLOB '[0-9][0-9][0-9][0-9][0-9][0-9][0-9][A-Z]'),
    name TEXT NOT NULL,
    city TEXT NOT NULL DEFAULT '',
    academy TEXT NOT NULL DEFAULT '',
    search_text TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX establishments_academy ON establishments (academy);

CREATE TABLE accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'active', 'disabled')),
    password_hash TEXT,
    password_set_at INTEGER,
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX accounts_status ON accounts (status);

CREATE TABLE memberships (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    establishment_id INTEGER NOT NULL REFERENCES establishments (id) ON DELETE CASCADE,
    role TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('principal', 'member')),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, establishment_id)
);
CREATE UNIQUE INDEX memberships_one_principal ON memberships (establishment_id) WHERE role = 'principal';
CREATE INDEX memberships_establishment ON memberships (establishment_id, role);
CREATE INDEX memberships_principal_account ON memberships (account_id) WHERE role = 'principal';
CREATE INDEX establishments_search_sort ON establishments (search_text);

CREATE TABLE link_requests (
    id TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('init', 'reset')),
    token_hash TEXT UNIQUE,
    requested_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    used_at INTEGER,
    revoked_at INTEGER
);
CREATE INDEX link_requests_account ON link_requests (account_id, created_at DESC);

CREATE TABLE mail_outbox (
    id TEXT PRIMARY KEY,
    link_request_id TEXT REFERENCES link_requests (id) ON DELETE CASCADE,
    recipient TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    locked_until INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    sent_at INTEGER
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE state IN ('queued', 'sending');
CREATE INDEX mail_outbox_link ON mail_outbox (link_request_id);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    agent TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    before TEXT,
    after TEXT
);
CREATE INDEX audit_log_target ON audit_log (target, id DESC);
CREATE INDEX audit_log_agent ON audit_log (agent, id DESC);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'Le journal d''audit ne peut être ni modifié ni supprimé.');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'Le journal d''audit ne peut être ni modifié ni supprimé.');
END;
