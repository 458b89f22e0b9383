-- The database is the trust boundary: desks request, a mail service delivers.
--
--   siec_agent   requests, revokes and retries links only through the functions
--                below (which check the account, set the recipient, the lifetime
--                and the audit row themselves); writes no token hash, no expiry,
--                no outbox row and no audit row directly.
--   siec_mailer  the delivery service (`siec-accounts mailer`): claims outbox
--                rows under a lease, mints tokens (writes token_hash and
--                expires_at), records delivery and its heartbeat. Reads no
--                password hash.
--   siec_admin   what an agent does, plus establishments, agents and the
--                settings that shape links (link_settings).
--
-- Errors raised here carry a French message for the agent: SQLSTATE SIE02 for
-- bad input, SIE03 for a refusal, P0002 for something that does not exist.
--
-- The audit log is written only by these functions and by triggers on the tables
-- they describe: the author is session_user, the time the database's.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'siec_mailer') THEN
        CREATE ROLE siec_mailer NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END $$;

GRANT USAGE ON SCHEMA public TO siec_mailer;

CREATE FUNCTION siec_now_ms() RETURNS bigint LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint $$;

-- Settings that shape links: one row, read by everyone, changed by siec_admin.
CREATE TABLE link_settings (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    portal_url text NOT NULL DEFAULT 'https://auth.siec.education.fr'
        CHECK (portal_url ~ '^https?://[^[:space:][:cntrl:]]+$' AND length(portal_url) <= 200),
    lifetime_minutes integer NOT NULL DEFAULT 60 CHECK (lifetime_minutes BETWEEN 5 AND 1440),
    sender text NOT NULL DEFAULT 'SIEC - Maison des examens <ne-pas-repondre@siec.education.fr>'
        CHECK (sender !~ '[[:cntrl:]]' AND length(sender) BETWEEN 3 AND 200),
    updated_at bigint NOT NULL DEFAULT 0,
    updated_by text NOT NULL DEFAULT ''
);
INSERT INTO link_settings (singleton) VALUES (true);

-- The mail service says it is alive; desks read when it was last seen.
CREATE TABLE mailer_heartbeat (
    instance text PRIMARY KEY CHECK (length(instance) BETWEEN 1 AND 100),
    login text NOT NULL,
    started_at bigint NOT NULL,
    seen_at bigint NOT NULL
);

-- Work space of the audit triggers (which account was created, which principal
-- demoted, in the current transaction). Nobody but the definer functions touches it.
CREATE TABLE audit_scratch (
    txid xid8 NOT NULL,
    kind text NOT NULL,
    establishment_id bigint,
    account_id bigint NOT NULL
);
CREATE INDEX audit_scratch_tx ON audit_scratch (txid);
REVOKE ALL ON audit_scratch FROM PUBLIC;

CREATE FUNCTION siec_audit_write(p_action text, p_target text, p_before jsonb, p_after jsonb)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO public.audit_log (at, agent, action, target, before, after)
    VALUES (public.siec_now_ms(), session_user, p_action, p_target, p_before::text, p_after::text);
END $$;
REVOKE ALL ON FUNCTION siec_audit_write(text, text, jsonb, jsonb) FROM PUBLIC;

-- ---------------------------------------------------------------- audit triggers

CREATE FUNCTION siec_accounts_audit() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    now_ms bigint := public.siec_now_ms();
BEGIN
    IF TG_OP = 'INSERT' THEN
        -- Written at commit (deferred trigger below), once the memberships exist.
        INSERT INTO public.audit_scratch (txid, kind, account_id) VALUES (pg_current_xact_id(), 'created', NEW.id);
        RETURN NULL;
    END IF;
    IF OLD.status IS DISTINCT FROM NEW.status THEN
        IF NEW.status = 'disabled' THEN
            -- A disabled account's links die, and their unsent mails with them.
            UPDATE public.link_requests SET revoked_at = now_ms
            WHERE account_id = NEW.id AND used_at IS NULL AND revoked_at IS NULL;
            UPDATE public.mail_outbox SET state = 'failed', last_error = 'Envoi annulé : le compte a été désactivé.'
            WHERE state = 'queued' AND link_request_id IN
                (SELECT id FROM public.link_requests WHERE account_id = NEW.id AND revoked_at = now_ms);
            PERFORM public.siec_audit_write('account.disable', NEW.email_key,
                jsonb_build_object('status', OLD.status), jsonb_build_object('status', NEW.status));
        ELSIF OLD.status = 'disabled' THEN
            PERFORM public.siec_audit_write('account.enable', NEW.email_key,
                jsonb_build_object('status', OLD.status), jsonb_build_object('status', NEW.status));
        END IF;
    END IF;
    IF OLD.display_name IS DISTINCT FROM NEW.display_name OR OLD.email IS DISTINCT FROM NEW.email THEN
        PERFORM public.siec_audit_write('account.edit', NEW.email_key,
            jsonb_strip_nulls(jsonb_build_object('display_name', OLD.display_name,
                'email', CASE WHEN OLD.email IS DISTINCT FROM NEW.email THEN OLD.email END)),
            jsonb_strip_nulls(jsonb_build_object('display_name', NEW.display_name,
                'email', CASE WHEN OLD.email IS DISTINCT FROM NEW.email THEN NEW.email END)));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER accounts_audit AFTER INSERT OR UPDATE ON accounts
    FOR EACH ROW EXECUTE FUNCTION siec_accounts_audit();

CREATE FUNCTION siec_accounts_audit_added() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    a public.accounts%ROWTYPE;
    m record;
BEGIN
    SELECT * INTO a FROM public.accounts WHERE id = NEW.id;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    SELECT e.uai, ms.role INTO m FROM public.memberships ms JOIN public.establishments e ON e.id = ms.establishment_id
    WHERE ms.account_id = a.id ORDER BY ms.created_at, e.id LIMIT 1;
    PERFORM public.siec_audit_write('account.add', a.email_key, NULL,
        jsonb_build_object('email', a.email, 'display_name', a.display_name,
                           'uai', m.uai, 'role', m.role));
    DELETE FROM public.audit_scratch WHERE txid = pg_current_xact_id() AND kind = 'created' AND account_id = a.id;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER accounts_audit_added AFTER INSERT ON accounts
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION siec_accounts_audit_added();

CREATE FUNCTION siec_memberships_audit() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    account_key text;
    est_uai text;
    previous text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        SELECT email_key INTO account_key FROM public.accounts WHERE id = OLD.account_id;
        SELECT uai INTO est_uai FROM public.establishments WHERE id = OLD.establishment_id;
        IF account_key IS NOT NULL AND est_uai IS NOT NULL THEN
            PERFORM public.siec_audit_write('account.detach', account_key,
                jsonb_build_object('uai', est_uai, 'role', OLD.role), NULL);
        END IF;
        RETURN NULL;
    END IF;
    SELECT email_key INTO account_key FROM public.accounts WHERE id = NEW.account_id;
    SELECT uai INTO est_uai FROM public.establishments WHERE id = NEW.establishment_id;
    IF TG_OP = 'INSERT' THEN
        -- An address added with its establishment is one « account.add ».
        IF NOT EXISTS (SELECT 1 FROM public.audit_scratch WHERE txid = pg_current_xact_id()
                       AND kind = 'created' AND account_id = NEW.account_id) THEN
            PERFORM public.siec_audit_write('account.attach', account_key, NULL,
                jsonb_build_object('uai', est_uai, 'role', NEW.role));
        END IF;
        RETURN NULL;
    END IF;
    IF OLD.role = 'principal' AND NEW.role <> 'principal' THEN
        INSERT INTO public.audit_scratch (txid, kind, establishment_id, account_id)
        VALUES (pg_current_xact_id(), 'demoted', NEW.establishment_id, NEW.account_id);
    ELSIF OLD.role <> 'principal' AND NEW.role = 'principal' THEN
        SELECT a.email INTO previous FROM public.audit_scratch s JOIN public.accounts a ON a.id = s.account_id
        WHERE s.txid = pg_current_xact_id() AND s.kind = 'demoted' AND s.establishment_id = NEW.establishment_id
        LIMIT 1;
        DELETE FROM public.audit_scratch WHERE txid = pg_current_xact_id() AND kind = 'demoted'
            AND establishment_id = NEW.establishment_id;
        PERFORM public.siec_audit_write('account.principal', est_uai,
            jsonb_build_object('principal', previous),
            jsonb_build_object('principal', (SELECT email FROM public.accounts WHERE id = NEW.account_id)));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER memberships_audit AFTER INSERT OR UPDATE OF role OR DELETE ON memberships
    FOR EACH ROW EXECUTE FUNCTION siec_memberships_audit();

CREATE FUNCTION siec_establishments_audit() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM public.siec_audit_write('establishment.add', NEW.uai, NULL,
            jsonb_build_object('uai', NEW.uai, 'name', NEW.name, 'city', NEW.city,
                               'academy', NEW.academy, 'version', NEW.version));
    ELSIF TG_OP = 'UPDATE' THEN
        IF (OLD.uai, OLD.name, OLD.city, OLD.academy) IS DISTINCT FROM (NEW.uai, NEW.name, NEW.city, NEW.academy) THEN
            PERFORM public.siec_audit_write('establishment.edit', NEW.uai,
                jsonb_build_object('uai', OLD.uai, 'name', OLD.name, 'city', OLD.city,
                                   'academy', OLD.academy, 'version', OLD.version),
                jsonb_build_object('uai', NEW.uai, 'name', NEW.name, 'city', NEW.city,
                                   'academy', NEW.academy, 'version', NEW.version));
        END IF;
    ELSE
        PERFORM public.siec_audit_write('establishment.delete', OLD.uai,
            jsonb_build_object('uai', OLD.uai, 'name', OLD.name), NULL);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER establishments_audit AFTER INSERT OR UPDATE OR DELETE ON establishments
    FOR EACH ROW EXECUTE FUNCTION siec_establishments_audit();

CREATE FUNCTION siec_link_settings_audit() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    NEW.updated_at := public.siec_now_ms();
    NEW.updated_by := session_user;
    PERFORM public.siec_audit_write('settings.link', 'réglages des liens',
        jsonb_build_object('portal_url', OLD.portal_url, 'lifetime_minutes', OLD.lifetime_minutes, 'sender', OLD.sender),
        jsonb_build_object('portal_url', NEW.portal_url, 'lifetime_minutes', NEW.lifetime_minutes, 'sender', NEW.sender));
    RETURN NEW;
END $$;
CREATE TRIGGER link_settings_audit BEFORE UPDATE ON link_settings
    FOR EACH ROW EXECUTE FUNCTION siec_link_settings_audit();

-- ---------------------------------------------------------------- agent functions

-- Queues a link for each account: refused as a whole when one is unknown or
-- disabled. The recipient is the account's own address, the requester the login,
-- the time the database's; the purpose, when not given, is initialisation while
-- the account has no password and reset after.
CREATE FUNCTION siec_request_links(account_ids bigint[], wanted_purpose text, batch text)
RETURNS TABLE (request_id text, outbox_id text, account_id bigint, email text, purpose text)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    now_ms bigint := public.siec_now_ms();
    n integer;
    bad record;
BEGIN
    IF wanted_purpose IS NOT NULL AND wanted_purpose NOT IN ('init', 'reset') THEN
        RAISE EXCEPTION 'Type de lien « % » inconnu.', left(wanted_purpose, 20) USING ERRCODE = 'SIE02';
    END IF;
    IF batch IS NOT NULL AND batch !~ '^[0-9a-f-]{36}$' THEN
        RAISE EXCEPTION 'Identifiant d''envoi groupé incorrect.' USING ERRCODE = 'SIE02';
    END IF;
    n := coalesce(cardinality(account_ids), 0);
    IF n = 0 OR n > 1000 THEN
        RAISE EXCEPTION 'Entre 1 et 1000 comptes par demande.' USING ERRCODE = 'SIE02';
    END IF;
    SELECT x.id INTO bad FROM unnest(account_ids) AS x(id)
    WHERE NOT EXISTS (SELECT 1 FROM public.accounts a WHERE a.id = x.id) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'Aucun compte n°%.', bad.id USING ERRCODE = 'no_data_found';
    END IF;
    SELECT a.email INTO bad FROM public.accounts a WHERE a.id = ANY (account_ids) AND a.status = 'disabled' LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'Le compte % est désactivé : aucun lien ne lui est envoyé. Réactivez-le d''abord si nécessaire.', bad.email
            USING ERRCODE = 'SIE03';
    END IF;
    RETURN QUERY
    WITH picked AS (
        SELECT DISTINCT a.id, a.email, a.email_key,
               coalesce(wanted_purpose, CASE WHEN a.password_hash IS NULL THEN 'init' ELSE 'reset' END) AS purpose,
               gen_random_uuid()::text AS rid, gen_random_uuid()::text AS oid
        FROM public.accounts a WHERE a.id = ANY (account_ids)
    ), links AS (
        INSERT INTO public.link_requests (id, account_id, purpose, requested_by, created_at)
        SELECT p.rid, p.id, p.purpose, session_user, now_ms FROM picked p
        RETURNING id
    ), mails AS (
        INSERT INTO public.mail_outbox (id, link_request_id, recipient, state, attempts, next_attempt_at, created_at, batch_id)
        SELECT p.oid, p.rid, p.email, 'queued', 0, now_ms, now_ms, batch FROM picked p
        RETURNING id
    ), audited AS (
        INSERT INTO public.audit_log (at, agent, action, target, before, after)
        SELECT now_ms, session_user, 'link.request', p.email_key, NULL,
               jsonb_build_object('request', p.rid, 'purpose', p.purpose, 'batch', batch)::text
        FROM picked p
        RETURNING id
    )
    -- Data-modifying CTEs run to completion whether or not they are read.
    SELECT p.rid, p.oid, p.id, p.email, p.purpose FROM picked p;
END $$;

-- Revokes a live link (an agent who sent it to the wrong moment, say).
CREATE FUNCTION siec_revoke_link(request text)
RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    now_ms bigint := public.siec_now_ms();
    key text;
BEGIN
    UPDATE public.link_requests l SET revoked_at = now_ms
    WHERE l.id = request AND l.used_at IS NULL AND l.revoked_at IS NULL
    RETURNING (SELECT a.email_key FROM public.accounts a WHERE a.id = l.account_id) INTO key;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    UPDATE public.mail_outbox SET state = 'failed', last_error = 'Lien annulé avant l''envoi.'
    WHERE link_request_id = request AND state = 'queued';
    PERFORM public.siec_audit_write('link.revoke', key, NULL, jsonb_build_object('request', request));
    RETURN true;
END $$;

-- Puts the failed links of a bulk dispatch back in the queue, except those whose
-- account was disabled or whose link died since. Refused for an unknown batch.
CREATE FUNCTION siec_retry_batch(batch text)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    now_ms bigint := public.siec_now_ms();
    n bigint;
BEGIN
    IF batch IS NULL OR NOT EXISTS (SELECT 1 FROM public.mail_outbox WHERE batch_id = batch) THEN
        RAISE EXCEPTION 'Aucun envoi groupé « % ».', left(coalesce(batch, ''), 80) USING ERRCODE = 'no_data_found';
    END IF;
    UPDATE public.mail_outbox SET state = 'queued', attempts = 0, next_attempt_at = now_ms, last_error = NULL, locked_until = NULL
    WHERE batch_id = batch AND state = 'failed' AND link_request_id IN (
        SELECT l.id FROM public.link_requests l JOIN public.accounts a ON a.id = l.account_id
        WHERE l.used_at IS NULL AND l.revoked_at IS NULL AND a.status <> 'disabled');
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM public.siec_audit_write('link.retry', 'envoi groupé ' || batch, NULL, jsonb_build_object('requeued', n));
    RETURN n;
END $$;

-- Stops what has not left yet of a bulk dispatch.
CREATE FUNCTION siec_cancel_batch(batch text)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n bigint;
BEGIN
    UPDATE public.mail_outbox SET state = 'failed', last_error = 'Envoi annulé par l''agent.'
    WHERE batch_id = batch AND state = 'queued';
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n > 0 THEN
        PERFORM public.siec_audit_write('link.cancel', 'envoi groupé ' || batch, NULL, jsonb_build_object('cancelled', n));
    END IF;
    RETURN n;
END $$;

-- Brings queued mails forward (« outbox run »): only the time changes.
CREATE FUNCTION siec_bring_forward()
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    now_ms bigint := public.siec_now_ms();
    n bigint;
BEGIN
    UPDATE public.mail_outbox SET next_attempt_at = now_ms WHERE state = 'queued' AND next_attempt_at > now_ms;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;

-- Agent management now audits itself (same rows as before, written by the database).
CREATE OR REPLACE FUNCTION siec_create_agent(login text, verifier text, full_name text, is_admin boolean)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF login IS NULL OR login !~ '^[a-z0-9._-]{3,63}$' OR login ~ '^(pg_|siec_)' OR login = 'postgres' THEN
        RAISE EXCEPTION 'Identifiant d''agent « % » refusé.', left(login, 80) USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF verifier IS NULL OR verifier !~ '^SCRAM-SHA-256\$[0-9]+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$' THEN
        RAISE EXCEPTION 'Le mot de passe doit être transmis sous forme de vérificateur SCRAM-SHA-256.'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF full_name ~ '[[:cntrl:]\u202a-\u202e\u2066-\u2069\u200e\u200f]' THEN
        RAISE EXCEPTION 'Le nom de l''agent contient des caractères de contrôle.' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = login) THEN
        RAISE EXCEPTION 'L''agent « % » existe déjà.', login USING ERRCODE = 'duplicate_object';
    END IF;
    EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD %L IN ROLE %I',
                   login, verifier, CASE WHEN is_admin THEN 'siec_admin' ELSE 'siec_agent' END);
    EXECUTE format('COMMENT ON ROLE %I IS %L', login, coalesce(full_name, ''));
    PERFORM public.siec_audit_write('agent.add', login, NULL,
        jsonb_build_object('login', login, 'name', full_name, 'admin', is_admin));
END $$;

CREATE OR REPLACE FUNCTION siec_disable_agent(login text)
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
       OR login IN ('siec_agent', 'siec_admin', 'siec_mailer') THEN
        RAISE EXCEPTION 'Aucun agent « % ».', left(login, 80) USING ERRCODE = 'undefined_object';
    END IF;
    IF login = session_user THEN
        RAISE EXCEPTION 'Vous ne pouvez pas désactiver votre propre compte.' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    EXECUTE format('ALTER ROLE %I NOLOGIN', login);
    PERFORM public.siec_audit_write('agent.disable', login, '{"active":true}'::jsonb, '{"active":false}'::jsonb);
END $$;

-- ---------------------------------------------------------------- mailer functions

-- Records that a mail service instance is alive.
CREATE FUNCTION siec_mailer_heartbeat(p_instance text, p_started_at bigint)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    now_ms bigint := public.siec_now_ms();
BEGIN
    INSERT INTO public.mailer_heartbeat (instance, login, started_at, seen_at)
    VALUES (p_instance, session_user, p_started_at, now_ms)
    ON CONFLICT (instance) DO UPDATE SET login = EXCLUDED.login, seen_at = EXCLUDED.seen_at;
    DELETE FROM public.mailer_heartbeat WHERE seen_at < now_ms - 7 * 86400000;
    RETURN now_ms;
END $$;

-- ---------------------------------------------------------------- grants

REVOKE ALL ON FUNCTION siec_now_ms() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION siec_now_ms() TO siec_agent, siec_mailer;
REVOKE ALL ON FUNCTION siec_request_links(bigint[], text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION siec_revoke_link(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION siec_retry_batch(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION siec_cancel_batch(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION siec_bring_forward() FROM PUBLIC;
REVOKE ALL ON FUNCTION siec_mailer_heartbeat(text, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION siec_accounts_audit() FROM PUBLIC;
REVOKE ALL ON FUNCTION siec_accounts_audit_added() FROM PUBLIC;
REVOKE ALL ON FUNCTION siec_memberships_audit() FROM PUBLIC;
REVOKE ALL ON FUNCTION siec_establishments_audit() FROM PUBLIC;
REVOKE ALL ON FUNCTION siec_link_settings_audit() FROM PUBLIC;
-- The copy triggers of 0005 need no caller rights either.
REVOKE ALL ON FUNCTION memberships_copy_account() FROM PUBLIC;
REVOKE ALL ON FUNCTION accounts_copy_to_memberships() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION siec_request_links(bigint[], text, text) TO siec_agent;
GRANT EXECUTE ON FUNCTION siec_revoke_link(text) TO siec_agent;
GRANT EXECUTE ON FUNCTION siec_retry_batch(text) TO siec_agent;
GRANT EXECUTE ON FUNCTION siec_cancel_batch(text) TO siec_agent;
GRANT EXECUTE ON FUNCTION siec_bring_forward() TO siec_agent, siec_mailer;
GRANT EXECUTE ON FUNCTION siec_mailer_heartbeat(text, bigint) TO siec_mailer;

-- What the functions make unnecessary.
REVOKE INSERT, UPDATE ON link_requests FROM siec_agent;
REVOKE INSERT, UPDATE ON mail_outbox FROM siec_agent;
REVOKE INSERT ON audit_log FROM siec_agent;
-- Column grants of 0003 are revoked column by column too.
REVOKE INSERT (id, account_id, purpose, token_hash, requested_by, created_at, expires_at, used_at, revoked_at)
    ON link_requests FROM siec_agent;
REVOKE UPDATE (token_hash, expires_at, revoked_at) ON link_requests FROM siec_agent;

GRANT SELECT ON link_settings TO siec_agent, siec_mailer;
GRANT UPDATE (portal_url, lifetime_minutes, sender) ON link_settings TO siec_admin;
GRANT SELECT ON mailer_heartbeat TO siec_agent, siec_mailer;

-- The mail service: reads what a mail needs, leases and records outbox rows,
-- mints tokens. It reads no password hash and writes no account.
GRANT SELECT ON schema_version TO siec_mailer;
GRANT SELECT (id, email, email_key, status) ON accounts TO siec_mailer;
GRANT SELECT (id, account_id, purpose, created_at, expires_at, used_at, revoked_at) ON link_requests TO siec_mailer;
GRANT UPDATE (token_hash, expires_at) ON link_requests TO siec_mailer;
GRANT SELECT ON mail_outbox TO siec_mailer;
GRANT UPDATE (state, attempts, next_attempt_at, locked_until, last_error, sent_at) ON mail_outbox TO siec_mailer;

UPDATE schema_version SET version = 6;
