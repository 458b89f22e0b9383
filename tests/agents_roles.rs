//! What the database lets an agent do, and what it refuses, tried with real agent
//! logins on PostgreSQL: two agents and one administrator per run, dropped at the end.

mod common;

use common::{Kind, TestDb};
use secrecy::SecretString;
use siec_accounts::agents::{self, AgentLogin, NewAgent, SignIn};
use siec_accounts::store::Store;
use siec_accounts::{Error, ErrorKind};

/// Drops the run's logins whatever happens to the test (roles are cluster-wide).
struct Logins(Vec<String>);

impl Drop for Logins {
    fn drop(&mut self) {
        let names = self.0.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let admin = Store::connect(&common::pg_admin_url(), Default::default())
                    .await
                    .unwrap();
                for n in names {
                    let _ = sqlx::query(&format!("DROP ROLE IF EXISTS \"{n}\""))
                        .execute(admin.pool())
                        .await;
                }
                admin.close().await;
            });
        })
        .join()
        .unwrap();
    }
}

fn unique(tag: &str) -> AgentLogin {
    let id = uuid::Uuid::new_v4().simple().to_string();
    AgentLogin::parse(&format!("t{}.{tag}", &id[..10])).unwrap()
}

async fn sign_in(url: &str, login: &AgentLogin) -> Result<Store, Error> {
    agents::sign_in(&SignIn {
        url: url.to_string(),
        login: Some(login.to_string()),
        password: Some(SecretString::from("ignored-by-trust".to_string())),
        ca_file: None,
    })
    .await
}

async fn refused(store: &Store, sql: &str) -> Error {
    let err = sqlx::query(sql).execute(store.pool()).await.expect_err(sql);
    let err = Error::from(err);
    assert_eq!(err.kind(), ErrorKind::Forbidden, "{sql}: {err}");
    err
}

#[tokio::test]
async fn agents_do_their_work_and_nothing_else() {
    let db = TestDb::new(Kind::Postgres).await;
    let (admin, alice, bob) = (unique("admin"), unique("alice"), unique("bob"));
    let _cleanup = Logins(vec![admin.to_string(), alice.to_string(), bob.to_string()]);

    // The administrator is created by the database owner; the administrator creates the agents.
    agents::create_agent(
        &db.su,
        &NewAgent {
            login: admin.clone(),
            name: "Ada Admin".into(),
            admin: true,
        },
        &agents::generate_password(),
    )
    .await
    .unwrap();
    let admin_store = sign_in(&db.su_url, &admin).await.unwrap();
    assert_eq!(admin_store.agent(), admin.as_str());
    for (login, name) in [(&alice, "Alice Agent"), (&bob, "Bob Agent")] {
        agents::create_agent(
            &admin_store,
            &NewAgent {
                login: login.clone(),
                name: name.into(),
                admin: false,
            },
            &agents::generate_password(),
        )
        .await
        .unwrap();
    }
    let again = agents::create_agent(
        &admin_store,
        &NewAgent {
            login: bob.clone(),
            name: "Bob".into(),
            admin: false,
        },
        &agents::generate_password(),
    )
    .await
    .unwrap_err();
    assert_eq!(again.kind(), ErrorKind::Conflict, "{again}");

    let listed: Vec<_> = agents::list_agents(&admin_store)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| [&admin, &alice, &bob].iter().any(|l| l.as_str() == a.login))
        .collect();
    assert_eq!(listed.len(), 3, "{listed:?}");
    let find = |l: &AgentLogin| {
        listed
            .iter()
            .find(|a| a.login == l.as_str())
            .unwrap()
            .clone()
    };
    assert!(find(&admin).admin && !find(&alice).admin && find(&alice).active);
    assert_eq!(find(&alice).name, "Alice Agent");

    let alice_store = sign_in(&db.su_url, &alice).await.unwrap();
    let bob_store = sign_in(&db.su_url, &bob).await.unwrap();

    // The administrator imports establishments; an agent cannot.
    sqlx::query("INSERT INTO establishments (uai, name, search_text, created_at, updated_at) VALUES ('0750655E', 'Lycée Louis-le-Grand', 'lycee louis le grand', 0, 0)")
        .execute(admin_store.pool())
        .await
        .unwrap();
    refused(&alice_store, "INSERT INTO establishments (uai, name, search_text, created_at, updated_at) VALUES ('0301674G', 'X', 'x', 0, 0)").await;
    refused(&alice_store, "UPDATE establishments SET name = 'Y'").await;

    // Daily work, with explicit columns (password_hash is not among them).
    let (account_id,): (i64,) = sqlx::query_as(
        "INSERT INTO accounts (email, email_key, display_name, status, created_at, updated_at) \
         VALUES ('Marie.Curie@ac-paris.fr', 'marie.curie@ac-paris.fr', 'Marie Curie', 'pending', 1, 1) RETURNING id",
    )
    .fetch_one(alice_store.pool())
    .await
    .unwrap();
    sqlx::query("INSERT INTO memberships (account_id, establishment_id, role, created_at) VALUES ($1, 1, 'principal', 1)")
        .bind(account_id)
        .execute(alice_store.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE accounts SET display_name = 'Marie Skłodowska-Curie', version = version + 1 WHERE id = $1 AND version = 1")
        .bind(account_id)
        .execute(bob_store.pool())
        .await
        .unwrap();
    // Links go through the checked function: the agent writes no token, no
    // expiry and no outbox row itself.
    refused(&bob_store, "INSERT INTO link_requests (id, account_id, purpose, token_hash, requested_by, created_at, expires_at) VALUES ('l1', 1, 'init', 'abc123', 'x', 1, 2)").await;
    refused(&bob_store, "INSERT INTO mail_outbox (id, link_request_id, recipient, next_attempt_at, created_at) VALUES ('m1', 'l1', 'marie.curie@ac-paris.fr', 1, 1)").await;
    let (request, purpose): (String, String) = sqlx::query_as(
        "SELECT request_id, purpose FROM siec_request_links(CAST(string_to_array($1, ',') AS bigint[]), NULL, NULL)",
    )
    .bind(account_id.to_string())
    .fetch_one(bob_store.pool())
    .await
    .unwrap();
    let (requested_by,): (String,) =
        sqlx::query_as("SELECT requested_by FROM link_requests WHERE id = $1")
            .bind(&request)
            .fetch_one(alice_store.pool())
            .await
            .unwrap();
    assert_eq!(requested_by, bob.as_str());
    assert_eq!(purpose, "init");
    refused(
        &bob_store,
        "UPDATE mail_outbox SET state = 'sent', sent_at = 2",
    )
    .await;
    let (email,): (String,) = sqlx::query_as("SELECT email FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_one(alice_store.pool())
        .await
        .unwrap();
    assert_eq!(email, "Marie.Curie@ac-paris.fr");

    // Audit rows: written by the database for the changes it saw, under the
    // login that made them; an agent cannot write one of its own wording.
    for store in [&alice_store, &bob_store, &admin_store] {
        refused(store, "INSERT INTO audit_log (at, agent, action, target) VALUES (1, 'quelqu.un.d.autre', 'account.add', 'marie.curie@ac-paris.fr')").await;
    }
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT action, agent FROM audit_log ORDER BY id")
            .fetch_all(db.su.pool())
            .await
            .unwrap();
    let author = |action: &str| {
        rows.iter()
            .find(|(a, _)| a == action)
            .map(|(_, who)| who.clone())
            .unwrap_or_else(|| panic!("no {action} in {rows:?}"))
    };
    assert_eq!(author("account.add"), alice.as_str());
    assert_eq!(author("account.edit"), bob.as_str());
    assert_eq!(author("establishment.add"), admin.as_str());
    assert_eq!(author("link.request"), bob.as_str());
    assert!(!rows.iter().any(|(_, who)| who == "quelqu.un.d.autre"));
    // Creating the agents was audited too, under the administrator's name.
    let created: Vec<&(String, String)> = rows.iter().filter(|(a, _)| a == "agent.add").collect();
    assert_eq!(created.len(), 3, "{rows:?}");
    assert_eq!(
        created
            .iter()
            .filter(|(_, who)| who == admin.as_str())
            .count(),
        2
    );

    // What the database refuses to an agent.
    for sql in [
        "UPDATE audit_log SET action = 'falsifié'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
        "CREATE ROLE pirate LOGIN",
        "ALTER TABLE accounts ADD COLUMN note text",
        "DROP TABLE memberships",
        "CREATE TABLE public.pirate (x int)",
        "SELECT password_hash FROM accounts",
        "SELECT * FROM accounts",
        "UPDATE accounts SET password_hash = 'x'",
        "SELECT token_hash FROM link_requests",
        "SELECT id FROM link_requests WHERE token_hash = 'abc123'",
        "DELETE FROM accounts",
        "DELETE FROM mail_outbox",
        "UPDATE link_requests SET used_at = 5",
    ] {
        refused(&alice_store, sql).await;
    }
    let err = refused(&alice_store, "SELECT password_hash FROM accounts").await;
    assert!(err.to_string().contains("n'a pas le droit"), "{err}");

    // An agent can neither create nor disable an agent.
    let err = agents::disable_agent(&alice_store, &bob).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Forbidden);
    assert!(err.to_string().contains("Seul un administrateur"), "{err}");
    refused(&alice_store, &format!("SELECT siec_disable_agent('{bob}')")).await;
    let err = agents::create_agent(
        &alice_store,
        &NewAgent {
            login: unique("x"),
            name: "X".into(),
            admin: true,
        },
        &agents::generate_password(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Forbidden, "{err}");
    sign_in(&db.su_url, &bob).await.expect("bob still signs in");

    // Nothing of the above changed the audit.
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_log WHERE action = 'falsifié'")
        .fetch_one(db.su.pool())
        .await
        .unwrap();
    assert_eq!(n, 0);

    // The administrator disables Bob, not themself; Bob can no longer sign in.
    let err = agents::disable_agent(&admin_store, &admin)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("propre compte"), "{err}");
    let err = agents::disable_agent(&admin_store, &AgentLogin::parse("postgres.x").unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    bob_store.close().await;
    agents::disable_agent(&admin_store, &bob).await.unwrap();
    let err = sign_in(&db.su_url, &bob).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Forbidden);
    assert!(err.to_string().contains("est désactivé"), "{err}");
    let listed = agents::list_agents(&admin_store).await.unwrap();
    assert!(
        !listed
            .iter()
            .find(|a| a.login == bob.as_str())
            .unwrap()
            .active
    );
    let (who,): (String,) = sqlx::query_as(
        "SELECT agent FROM audit_log WHERE action = 'agent.disable' AND target = $1",
    )
    .bind(bob.as_str())
    .fetch_one(db.su.pool())
    .await
    .unwrap();
    assert_eq!(who, admin.as_str());

    alice_store.close().await;
    admin_store.close().await;
    db.su.close().await;
}

#[tokio::test]
async fn a_login_outside_the_groups_is_told_it_lacks_rights() {
    let db = TestDb::new(Kind::Postgres).await;
    let stranger = unique("stranger");
    let _cleanup = Logins(vec![stranger.to_string()]);
    sqlx::query(&format!("CREATE ROLE \"{stranger}\" LOGIN"))
        .execute(db.su.pool())
        .await
        .unwrap();
    let err = sign_in(&db.su_url, &stranger).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Forbidden);
    assert!(
        err.to_string().contains("n'a pas les droits d'un agent"),
        "{err}"
    );
    db.su.close().await;
}

#[tokio::test]
async fn migrating_twice_and_in_a_second_database_keeps_the_roles() {
    // Roles are shared by every database of the cluster: a second migrated database
    // (and a second run) must find them and not fail.
    let first = TestDb::new(Kind::Postgres).await;
    let second = TestDb::new(Kind::Postgres).await;
    second.su.migrate().await.unwrap();
    for db in [&first, &second] {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM pg_roles WHERE rolname IN ('siec_agent', 'siec_admin', 'siec_mailer') AND NOT rolcanlogin")
            .fetch_one(db.su.pool())
            .await
            .unwrap();
        assert_eq!(n, 3);
        let (v,): (i32,) = sqlx::query_as("SELECT version FROM schema_version")
            .fetch_one(db.su.pool())
            .await
            .unwrap();
        assert_eq!(i64::from(v), db.su.app_schema_version());
        db.su.close().await;
    }
}

#[tokio::test]
async fn agent_management_is_refused_on_the_embedded_database() {
    let db = TestDb::new(Kind::Sqlite).await;
    let err = agents::list_agents(&db.su).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Invalid);
    assert!(err.to_string().contains("PostgreSQL"), "{err}");
    let (v,): (i32,) = sqlx::query_as("SELECT version FROM schema_version")
        .fetch_one(db.su.pool())
        .await
        .unwrap();
    assert_eq!(i64::from(v), db.su.app_schema_version());
}

#[tokio::test]
async fn the_accounts_service_runs_under_an_agent_login() {
    use siec_accounts::accounts::{self, EstablishmentInput, NewAccount};
    use siec_accounts::audit::{self, AuditFilter};
    use siec_accounts::domain::{Email, Uai};
    use siec_accounts::search::{self, SearchQuery};

    let db = TestDb::new(Kind::Postgres).await;
    let (admin, agent) = (unique("admin"), unique("agent"));
    let _cleanup = Logins(vec![admin.to_string(), agent.to_string()]);
    for (login, is_admin) in [(&admin, true), (&agent, false)] {
        let new = NewAgent {
            login: login.clone(),
            name: "Test".into(),
            admin: is_admin,
        };
        agents::create_agent(&db.su, &new, &agents::generate_password())
            .await
            .unwrap();
    }
    let admin_store = sign_in(&db.su_url, &admin).await.unwrap();
    let agent_store = sign_in(&db.su_url, &agent).await.unwrap();
    let establishment = |code: &str| EstablishmentInput {
        uai: Uai::parse(code).unwrap(),
        name: "Lycée Louis-le-Grand".into(),
        city: "Paris".into(),
        academy: "Paris".into(),
    };
    let err = accounts::add_establishment(&agent_store, establishment("0750655E"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Forbidden, "{err}");
    accounts::add_establishment(&admin_store, establishment("0750655E"))
        .await
        .unwrap();

    let email = Email::parse("Jeanne.Dupont@ac-paris.fr").unwrap();
    let new = NewAccount {
        email: email.clone(),
        uai: Uai::parse("0750655E").unwrap(),
        principal: true,
        display_name: "Jeanne Dupont".into(),
    };
    accounts::add_account(&agent_store, new).await.unwrap();
    accounts::set_enabled(&agent_store, &email, false, None)
        .await
        .unwrap();
    let detail = accounts::account(&agent_store, &email).await.unwrap();
    assert_eq!(detail.account.email, "Jeanne.Dupont@ac-paris.fr");
    let page = search::search(
        &agent_store,
        &SearchQuery {
            text: "jeanne".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(page.total, 1);
    let entries = audit::list(&agent_store, &AuditFilter::default())
        .await
        .unwrap();
    assert!(
        entries.iter().any(|e| e.agent == agent.as_str()),
        "{entries:?}"
    );
    assert!(
        entries.iter().any(|e| e.agent == admin.as_str()),
        "{entries:?}"
    );
    assert!(entries.iter().all(|e| e.agent == agent.as_str()
        || e.agent == admin.as_str()
        || e.action == "agent.add"));

    // Correcting an address, and detaching it from its last establishment with its
    // live link revoked through the database's checked function: the agent's own
    // login may do both.
    let corrected = Email::parse("jeanne.dupond@ac-paris.fr").unwrap();
    let version = accounts::account(&agent_store, &email)
        .await
        .unwrap()
        .account
        .version;
    accounts::edit_account(
        &agent_store,
        &email,
        version,
        accounts::AccountEdit {
            email: Some(corrected.clone()),
            display_name: None,
        },
    )
    .await
    .unwrap();
    accounts::set_enabled(&agent_store, &corrected, true, None)
        .await
        .unwrap();
    siec_accounts::links::request_link(&agent_store, &corrected, None)
        .await
        .unwrap();
    assert_eq!(
        accounts::detach(&agent_store, &corrected, &Uai::parse("0750655E").unwrap())
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::Conflict
    );
    accounts::detach_with(
        &agent_store,
        &corrected,
        &Uai::parse("0750655E").unwrap(),
        true,
    )
    .await
    .unwrap();

    agent_store.close().await;
    admin_store.close().await;
    db.su.close().await;
}
