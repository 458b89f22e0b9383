//! The central database as the trust boundary, tried as a curious or malicious agent
//! with psql would: every write the catalog allows anyone to attempt, the named
//! attacks on links and the journal, and the checked functions misused. Run under
//! real `siec_agent` and `siec_mailer` logins.

mod common;

use common::{Kind, TestDb};
use siec_accounts::links::{self, LinkSettingsEdit};
use siec_accounts::store::Store;
use siec_accounts::ErrorKind;

/// Writes an agent may make, table by table, and why. Anything else the catalog
/// lists must be refused by the database.
const AGENT_MAY_INSERT: &[(&str, &str, &str)] = &[
    (
        "accounts",
        "id email email_key display_name status version created_at updated_at search_text search_tags principal_of",
        "adding an address (the password hash and its date are not among them)",
    ),
    (
        "memberships",
        "*",
        "attaching an address to an establishment (the copies of the account's columns are overwritten by a trigger)",
    ),
];
const AGENT_MAY_UPDATE: &[(&str, &str, &str)] = &[
    (
        "accounts",
        "email email_key display_name status version updated_at search_text search_tags principal_of",
        "editing, disabling and enabling an address (audited by a trigger; disabling revokes its links)",
    ),
    (
        "memberships",
        "*",
        "making an address the principal account (one per establishment, by a unique index)",
    ),
];
const AGENT_MAY_DELETE: &[(&str, &str)] =
    &[("memberships", "detaching an address (audited by a trigger)")];

fn allowed(list: &[(&str, &str, &str)], table: &str, column: &str) -> bool {
    list.iter().any(|(t, cols, _)| {
        *t == table && (*cols == "*" || cols.split_whitespace().any(|c| c == column))
    })
}

/// Runs `sql` in a transaction that is always rolled back; `Ok` when the database
/// let it through its privilege checks (a constraint may still refuse the values).
async fn attempt(store: &Store, sql: &str) -> Result<(), String> {
    let mut tx = store.pool().begin().await.unwrap();
    let r = sqlx::query(sql).execute(&mut *tx).await;
    let _ = tx.rollback().await;
    match r {
        Ok(_) => Ok(()),
        Err(sqlx::Error::Database(e)) => {
            let code = e.code().map(|c| c.to_string()).unwrap_or_default();
            // 42501 insufficient_privilege: refused for rights. Anything else
            // (not-null, check, foreign key) means the rights were there.
            if code == "42501" || e.message().contains("journal d'audit") {
                Err(e.message().to_string())
            } else {
                Ok(())
            }
        }
        Err(e) => panic!("{sql}: {e}"),
    }
}

async fn refused(store: &Store, sql: &str) -> String {
    match attempt(store, sql).await {
        Err(msg) => msg,
        Ok(()) => panic!("accepted, should be refused: {sql}"),
    }
}

async fn count(store: &Store, sql: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sql)
        .fetch_one(common::portal(store).pool())
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    n
}

/// An establishment, a pending account, an active one (with a password), a
/// disabled one, and one link requested through the function.
async fn seed(db: &TestDb) -> (i64, i64, i64, String) {
    let su = db.su.pool();
    for sql in [
        "INSERT INTO establishments (uai, name, search_text, created_at, updated_at) VALUES ('0750655E', 'Lycée', 'lycee', 0, 0)",
        "INSERT INTO accounts (email, email_key, status, created_at, updated_at) VALUES ('Victime@ac-paris.fr', 'victime@ac-paris.fr', 'pending', 0, 0)",
        "INSERT INTO accounts (email, email_key, status, password_hash, created_at, updated_at) VALUES ('actif@ac-paris.fr', 'actif@ac-paris.fr', 'active', '$argon2id$v=19$m=19456,t=2,p=1$c2VsZGVzZWw$aGFjaGFnZWRlbW90ZGVwYXNzZQ', 0, 0)",
        "INSERT INTO accounts (email, email_key, status, created_at, updated_at) VALUES ('parti@ac-paris.fr', 'parti@ac-paris.fr', 'disabled', 0, 0)",
        "INSERT INTO memberships (account_id, establishment_id, role, created_at) SELECT id, 1, 'member', 0 FROM accounts",
    ] {
        sqlx::query(sql).execute(su).await.unwrap();
    }
    let id = |key: &'static str| async move {
        let (id,): (i64,) = sqlx::query_as("SELECT id FROM accounts WHERE email_key = $1")
            .bind(key)
            .fetch_one(su)
            .await
            .unwrap();
        id
    };
    let (victim, active, disabled) = (
        id("victime@ac-paris.fr").await,
        id("actif@ac-paris.fr").await,
        id("parti@ac-paris.fr").await,
    );
    let (request,): (String,) = sqlx::query_as(
        "SELECT request_id FROM siec_request_links(CAST(string_to_array($1, ',') AS bigint[]), NULL, NULL)",
    )
    .bind(victim.to_string())
    .fetch_one(db.store.pool())
    .await
    .unwrap();
    (victim, active, disabled, request)
}

#[tokio::test]
async fn every_write_the_catalog_offers_is_refused_to_an_agent_unless_listed() {
    let db = TestDb::new(Kind::Postgres).await;
    seed(&db).await;
    let agent = &db.store;
    let columns: Vec<(String, String)> = sqlx::query_as(
        "SELECT CAST(c.relname AS TEXT), CAST(a.attname AS TEXT) FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid \
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm') AND a.attnum > 0 AND NOT a.attisdropped \
         ORDER BY 1, a.attnum",
    )
    .fetch_all(db.su.pool())
    .await
    .unwrap();
    let mut tables: Vec<String> = columns.iter().map(|(t, _)| t.clone()).collect();
    tables.dedup();
    assert!(tables.len() >= 10, "{tables:?}");
    for name in [
        "accounts",
        "link_requests",
        "mail_outbox",
        "audit_log",
        "link_settings",
        "mailer_heartbeat",
    ] {
        assert!(tables.iter().any(|t| t == name), "{name} in {tables:?}");
    }

    let mut tried = 0;
    for (table, column) in &columns {
        let insert = format!("INSERT INTO {table} (\"{column}\") VALUES (NULL)");
        let update = format!("UPDATE {table} SET \"{column}\" = NULL WHERE false");
        for (sql, may) in [
            (&insert, allowed(AGENT_MAY_INSERT, table, column)),
            (&update, allowed(AGENT_MAY_UPDATE, table, column)),
        ] {
            let got = attempt(agent, sql).await;
            assert_eq!(got.is_ok(), may, "{sql}: {got:?}");
            tried += 1;
        }
    }
    for table in &tables {
        let delete = format!("DELETE FROM {table} WHERE false");
        let may = AGENT_MAY_DELETE.iter().any(|(t, _)| t == table);
        let got = attempt(agent, &delete).await;
        assert_eq!(got.is_ok(), may, "{delete}: {got:?}");
        refused(agent, &format!("TRUNCATE {table}")).await;
        tried += 2;
    }
    // Sequences: drawn (adding an address), never moved.
    let sequences: Vec<(String,)> = sqlx::query_as(
        "SELECT CAST(sequencename AS TEXT) FROM pg_sequences WHERE schemaname = 'public'",
    )
    .fetch_all(db.su.pool())
    .await
    .unwrap();
    for (s,) in &sequences {
        refused(agent, &format!("SELECT setval('{s}', 1)")).await;
        tried += 1;
    }
    // Functions an agent may call: the checked ones, and nothing else of ours.
    let callable: Vec<(String,)> = sqlx::query_as(&format!(
        "SELECT CAST(p.proname AS TEXT) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
         WHERE n.nspname = 'public' AND has_function_privilege('{}', p.oid, 'EXECUTE') \
         AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e') ORDER BY 1",
        db.logins.agent
    ))
    .fetch_all(db.su.pool())
    .await
    .unwrap();
    let callable: Vec<&str> = callable.iter().map(|(p,)| p.as_str()).collect();
    assert_eq!(
        callable,
        vec![
            "siec_bring_forward",
            "siec_cancel_batch",
            "siec_now_ms",
            "siec_request_links",
            "siec_retry_batch",
            "siec_revoke_link",
        ]
    );
    assert!(tried > 100, "{tried} attempts");
    db.store.close().await;
}

#[tokio::test]
async fn the_named_attacks_are_refused() {
    let mut db = TestDb::new(Kind::Postgres).await;
    let (victim, _, _, request) = seed(&db).await;
    let agent = db.store.clone();
    let before = count(&agent, "SELECT COUNT(*) FROM audit_log").await;
    let forged_hash = "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8";

    // A token hash of one's choosing, on a new link or on an existing one.
    refused(&agent, &format!(
        "INSERT INTO link_requests (id, account_id, purpose, token_hash, requested_by, created_at, expires_at) \
         VALUES ('pirate', {victim}, 'reset', '{forged_hash}', 'x', 1, 9999999999999)"
    )).await;
    refused(
        &agent,
        &format!("UPDATE link_requests SET token_hash = '{forged_hash}' WHERE id = '{request}'"),
    )
    .await;
    // An expiry in 2286.
    refused(
        &agent,
        &format!("UPDATE link_requests SET expires_at = 9999999999999 WHERE id = '{request}'"),
    )
    .await;
    // Un-revoking a link after revoking it through the function.
    let (revoked,): (bool,) = sqlx::query_as("SELECT siec_revoke_link($1)")
        .bind(&request)
        .fetch_one(agent.pool())
        .await
        .unwrap();
    assert!(revoked);
    refused(
        &agent,
        &format!("UPDATE link_requests SET revoked_at = NULL WHERE id = '{request}'"),
    )
    .await;
    // Redirecting a mail to one's own mailbox, or queueing one.
    refused(
        &agent,
        "UPDATE mail_outbox SET recipient = 'pirate@exemple.fr'",
    )
    .await;
    refused(&agent, &format!(
        "INSERT INTO mail_outbox (id, link_request_id, recipient, next_attempt_at, created_at) VALUES ('m', '{request}', 'pirate@exemple.fr', 0, 0)"
    )).await;
    // An audit row of one's own wording, directly or through the definer's helper.
    refused(
        &agent,
        "INSERT INTO audit_log (at, agent, action, target) VALUES (1, 'autre', 'account.add', 'x')",
    )
    .await;
    refused(
        &agent,
        "SELECT siec_audit_write('account.add', 'x', NULL, NULL)",
    )
    .await;
    // Another agent's request: neither its author nor its mail can be touched.
    let (other, other_store) = db.another_agent().await;
    let (theirs,): (String,) = sqlx::query_as(
        "SELECT request_id FROM siec_request_links(CAST(string_to_array($1, ',') AS bigint[]), 'reset', NULL)",
    )
    .bind(victim.to_string())
    .fetch_one(other_store.pool())
    .await
    .unwrap();
    refused(
        &agent,
        &format!("UPDATE link_requests SET requested_by = 'quelqu.un' WHERE id = '{theirs}'"),
    )
    .await;
    refused(
        &agent,
        &format!("UPDATE mail_outbox SET state = 'sent' WHERE link_request_id = '{theirs}'"),
    )
    .await;
    refused(
        &agent,
        &format!("DELETE FROM link_requests WHERE id = '{theirs}'"),
    )
    .await;
    let (author,): (String,) =
        sqlx::query_as("SELECT requested_by FROM link_requests WHERE id = $1")
            .bind(&theirs)
            .fetch_one(agent.pool())
            .await
            .unwrap();
    assert_eq!(author, other);
    // Reading what would let one forge a link.
    refused(&agent, "SELECT token_hash FROM link_requests").await;
    refused(&agent, "SELECT password_hash FROM accounts").await;
    // Being the mail service.
    refused(&agent, "SELECT siec_mailer_heartbeat('moi', 0)").await;
    // Changing the settings that shape a link.
    refused(&agent, "UPDATE link_settings SET lifetime_minutes = 1440").await;
    refused(
        &agent,
        "UPDATE link_settings SET portal_url = 'https://pirate.exemple.fr'",
    )
    .await;

    // What went through: the revocation and the other agent's request, each
    // audited by the database under its own login.
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT action, agent FROM audit_log ORDER BY id OFFSET $1")
            .bind(before)
            .fetch_all(db.su.pool())
            .await
            .unwrap();
    assert_eq!(
        rows,
        vec![
            ("link.revoke".to_string(), db.logins.agent.clone()),
            ("link.request".to_string(), other.clone()),
        ]
    );
    other_store.close().await;
    db.store.close().await;
}

#[tokio::test]
async fn the_checked_functions_refuse_what_they_must() {
    let db = TestDb::new(Kind::Postgres).await;
    let (victim, active, disabled, _) = seed(&db).await;
    let agent = &db.store;
    let before = count(agent, "SELECT COUNT(*) FROM audit_log").await;
    let links_before = count(agent, "SELECT COUNT(*) FROM link_requests").await;
    let request = |ids: String, purpose: Option<&'static str>| {
        let pool = agent.pool().clone();
        async move {
            sqlx::query_as::<_, (String, String, String)>(
                "SELECT request_id, email, purpose FROM siec_request_links(CAST(string_to_array($1, ',') AS bigint[]), $2, NULL)",
            )
            .bind(ids)
            .bind(purpose)
            .fetch_all(&pool)
            .await
            .map_err(siec_accounts::Error::from)
        }
    };
    // A disabled account, alone or among others: nothing is written.
    let e = request(disabled.to_string(), None).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden, "{e}");
    assert!(e.to_string().contains("désactivé"), "{e}");
    let e = request(format!("{victim},{disabled}"), None)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden, "{e}");
    // An account that does not exist, an unknown purpose, too many at once.
    let e = request("999999".into(), None).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    let e = request(victim.to_string(), Some("admin"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Invalid, "{e}");
    let many = vec![victim.to_string(); 1001].join(",");
    let e = request(many, None).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Invalid, "{e}");
    // A retry of a batch that does not exist.
    let e = links::retry_failed(agent, "00000000-0000-0000-0000-000000000000")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert_eq!(count(agent, "SELECT COUNT(*) FROM audit_log").await, before);
    assert_eq!(
        count(agent, "SELECT COUNT(*) FROM link_requests").await,
        links_before
    );

    // Another account's id: the mail goes to that account's own address, never
    // elsewhere, and the purpose follows its password.
    let rows = request(active.to_string(), None).await.unwrap();
    assert_eq!(
        rows[0].1.as_str(),
        "actif@ac-paris.fr",
        "the recipient is the account's"
    );
    assert_eq!(rows[0].2, "reset");
    let (recipient,): (String,) =
        sqlx::query_as("SELECT recipient FROM mail_outbox WHERE link_request_id = $1")
            .bind(&rows[0].0)
            .fetch_one(agent.pool())
            .await
            .unwrap();
    assert_eq!(recipient, "actif@ac-paris.fr");

    // A huge lifetime: refused to the agent, to the administrator by the core and
    // by the database itself.
    let edit = |m: i64| LinkSettingsEdit {
        lifetime_minutes: Some(m),
        ..Default::default()
    };
    let e = links::set_link_settings(agent, &edit(30))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden, "{e}");
    for huge in [i64::MAX, 1 << 40, 1441, 4] {
        let e = links::set_link_settings(&db.admin, &edit(huge))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Invalid, "{huge}: {e}");
        assert!(
            e.to_string().contains("entre 5 minutes et 24 heures"),
            "{e}"
        );
    }
    let e = sqlx::query("UPDATE link_settings SET lifetime_minutes = 2147483647")
        .execute(db.admin.pool())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("check"), "{e}");
    let shown = links::set_link_settings(&db.admin, &edit(30))
        .await
        .unwrap();
    assert_eq!(shown.lifetime_minutes, 30);
    assert_eq!(shown.updated_by.as_deref(), Some(db.logins.admin.as_str()));
    let (who,): (String,) =
        sqlx::query_as("SELECT agent FROM audit_log WHERE action = 'settings.link'")
            .fetch_one(agent.pool())
            .await
            .unwrap();
    assert_eq!(who, db.logins.admin);
    db.store.close().await;
}

#[tokio::test]
async fn the_mail_service_mints_and_delivers_and_nothing_more() {
    let db = TestDb::new(Kind::Postgres).await;
    let (victim, _, _, request) = seed(&db).await;
    let mailer = &db.mailer;
    // What it needs: lease a row, mint, record, say it is alive.
    attempt(
        mailer,
        &format!(
            "UPDATE link_requests SET token_hash = 'x', expires_at = 1 WHERE id = '{request}'"
        ),
    )
    .await
    .unwrap();
    attempt(
        mailer,
        "UPDATE mail_outbox SET state = 'sending', locked_until = 1, attempts = attempts + 1",
    )
    .await
    .unwrap();
    attempt(mailer, "SELECT siec_mailer_heartbeat('essai', 0)")
        .await
        .unwrap();
    // What it does not: read passwords, create links, redirect mails, write the journal.
    refused(mailer, "SELECT password_hash FROM accounts").await;
    refused(mailer, &format!(
        "INSERT INTO link_requests (id, account_id, purpose, requested_by, created_at) VALUES ('m', {victim}, 'reset', 'x', 0)"
    )).await;
    refused(
        mailer,
        "UPDATE mail_outbox SET recipient = 'pirate@exemple.fr'",
    )
    .await;
    refused(
        mailer,
        "INSERT INTO audit_log (at, agent, action, target) VALUES (1, 'x', 'y', 'z')",
    )
    .await;
    refused(mailer, "UPDATE accounts SET status = 'active'").await;
    refused(
        mailer,
        "SELECT * FROM siec_request_links(ARRAY[1]::bigint[], NULL, NULL)",
    )
    .await;
    db.store.close().await;
}
