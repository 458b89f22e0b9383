-- Agents connect with their own login; the database itself decides what they may do.
--
-- Group roles (NOLOGIN, cluster-wide, so created only when missing: several
-- databases of one cluster share them):
--   siec_agent  daily work: read what is needed, manage accounts, memberships,
--               links and the outbox, append to the audit log. Never reads a
--               password hash or a token hash, never changes or deletes an audit
--               row, never creates a role nor alters the schema.
--   siec_admin  everything siec_agent does, plus establishments (import, edit)
--               and agent management through siec_create_agent / siec_disable_agent.
-- Columns hidden from both: accounts.password_hash, link_requests.token_hash.
-- Later migrations that add tables must grant on them explicitly.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'siec_agent') THEN
        CREATE ROLE siec_agent NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    -- Another database of the cluster created it at the same moment.
    NULL;
END $$;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'siec_admin') THEN
        CREATE ROLE siec_admin NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END $$;

DO $$
BEGIN
    IF NOT pg_has_role('siec_admin', 'siec_agent', 'MEMBER') THEN
        GRANT siec_agent TO siec_admin;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END $$;

-- Nobody but the owner creates objects here (already the default since PostgreSQL 15).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO siec_agent;

GRANT SELECT ON schema_version TO siec_agent;

GRANT SELECT ON establishments TO siec_agent;
GRANT INSERT, UPDATE, DELETE ON establishments TO siec_admin;

-- Column grants: password_hash is neither readable nor writable by agents
-- (the portal sets it when a person redeems a link).
GRANT SELECT (id, email, email_key, display_name, status, password_set_at, version, created_at, updated_at)
    ON accounts TO siec_agent;
GRANT INSERT (id, email, email_key, display_name, status, version, created_at, updated_at)
    ON accounts TO siec_agent;
GRANT UPDATE (email, email_key, display_name, status, version, updated_at)
    ON accounts TO siec_agent;

GRANT SELECT, INSERT, UPDATE, DELETE ON memberships TO siec_agent;

-- token_hash may be written (issuing a link) but never read back.
GRANT SELECT (id, account_id, purpose, requested_by, created_at, expires_at, used_at, revoked_at)
    ON link_requests TO siec_agent;
GRANT INSERT (id, account_id, purpose, token_hash, requested_by, created_at, expires_at, used_at, revoked_at)
    ON link_requests TO siec_agent;
GRANT UPDATE (token_hash, expires_at, revoked_at)
    ON link_requests TO siec_agent;

GRANT SELECT, INSERT, UPDATE ON mail_outbox TO siec_agent;

-- Append-only: no UPDATE, DELETE or TRUNCATE (the triggers of 0001 refuse them too).
GRANT SELECT, INSERT ON audit_log TO siec_agent;

GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO siec_agent;

-- Agent management. The functions run with the rights of the migration owner
-- (who holds CREATEROLE), take a SCRAM-SHA-256 verifier rather than a password
-- (so no clear password ever reaches the server or its logs), and only touch
-- logins that belong to the siec groups. An agent cannot call them.
CREATE FUNCTION siec_create_agent(login text, verifier text, full_name text, is_admin boolean)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF login IS NULL OR login !~ '^[a-z0-9._-]{3,63}$' OR login ~ '^(pg_|siec_)' OR login = 'postgres' THEN
        RAISE EXCEPTION 'Identifiant d''agent « % » refusé.', login USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF verifier IS NULL OR verifier !~ '^SCRAM-SHA-256\$[0-9]+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$' THEN
        RAISE EXCEPTION 'Le mot de passe doit être transmis sous forme de vérificateur SCRAM-SHA-256.'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = login) THEN
        RAISE EXCEPTION 'L''agent « % » existe déjà.', login USING ERRCODE = 'duplicate_object';
    END IF;
    EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD %L IN ROLE %I',
                   login, verifier, CASE WHEN is_admin THEN 'siec_admin' ELSE 'siec_agent' END);
    EXECUTE format('COMMENT ON ROLE %I IS %L', login, coalesce(full_name, ''));
END $$;

CREATE FUNCTION siec_disable_agent(login text)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    target pg_roles%ROWTYPE;
BEGIN
    SELECT * INTO target FROM pg_roles WHERE rolname = login;
    IF NOT FOUND OR target.rolsuper OR NOT pg_has_role(target.oid, 'siec_agent', 'MEMBER')
       OR login IN ('siec_agent', 'siec_admin') THEN
        RAISE EXCEPTION 'Aucun agent « % ».', login USING ERRCODE = 'undefined_object';
    END IF;
    IF login = session_user THEN
        RAISE EXCEPTION 'Vous ne pouvez pas désactiver votre propre compte.' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    EXECUTE format('ALTER ROLE %I NOLOGIN', login);
END $$;

REVOKE ALL ON FUNCTION siec_create_agent(text, text, text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION siec_disable_agent(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION siec_create_agent(text, text, text, boolean) TO siec_admin;
GRANT EXECUTE ON FUNCTION siec_disable_agent(text) TO siec_admin;

-- The trigger functions of 0001 need no caller rights; keep them off the public API.
REVOKE ALL ON FUNCTION audit_log_stamp() FROM PUBLIC;
REVOKE ALL ON FUNCTION audit_log_append_only() FROM PUBLIC;

UPDATE schema_version SET version = 3;
