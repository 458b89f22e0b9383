//! Rolling upgrades, as a version matrix on real PostgreSQL: this build (schema N)
//! against a database one compatible migration ahead, one incompatible migration
//! ahead, and one migration behind. The desk's side runs under a real agent login,
//! through the core (as the window does) and through the `siec-accounts` command.
//! The migrations ahead are test steps applied as the superuser, recorded in
//! `_sqlx_migrations` as sqlx would record them.

mod common;

use std::process::{Command, Output};

use common::{Kind, TestDb};
use secrecy::SecretString;
use siec_accounts::accounts::{self, NewAccount};
use siec_accounts::agents::{self, AgentLogin, NewAgent, SignIn};
use siec_accounts::domain::{Email, Uai};
use siec_accounts::store::{SchemaState, Store};
use siec_accounts::ErrorKind;

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
                    let _ = sqlx::query(&format!("DROP OWNED BY \"{n}\""))
                        .execute(admin.pool())
                        .await;
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

/// A fresh `siec_agent` login on the test database, created by its owner. On a
/// database behind this build the app refuses to write, so the role is made by SQL.
async fn new_agent(owner: &Store) -> (AgentLogin, Logins) {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let login = AgentLogin::parse(&format!("t{}.compat", &id[..10])).unwrap();
    let cleanup = Logins(vec![login.to_string()]);
    if owner.ensure_writable().is_ok() {
        agents::create_agent(
            owner,
            &NewAgent {
                login: login.clone(),
                name: "Agent Compat".into(),
                admin: false,
            },
            &agents::generate_password(),
        )
        .await
        .unwrap();
    } else {
        sqlx::query(&format!("CREATE ROLE \"{login}\" LOGIN IN ROLE siec_agent"))
            .execute(owner.pool())
            .await
            .unwrap();
    }
    (login, cleanup)
}

fn agent_url(db: &TestDb, login: &AgentLogin) -> String {
    let mut url = url::Url::parse(&db.url).unwrap();
    url.set_username(&login.to_string()).unwrap();
    url.to_string()
}

/// Signs in as the agent, as the window's Connexion screen does (the shared test
/// server trusts local logins: the password is not checked).
async fn desk(url: &str, login: &AgentLogin) -> siec_accounts::Result<Store> {
    agents::sign_in(&SignIn {
        url: url.to_string(),
        login: Some(login.to_string()),
        password: Some(SecretString::from("ignored-by-trust".to_string())),
        ca_file: None,
    })
    .await
}

/// The agent's command line, with no configuration file and no keyring.
fn cli(url: &str, args: &[&str]) -> Output {
    let dir = std::env::temp_dir().join(format!("siec-compat-{}", uuid::Uuid::new_v4().simple()));
    let out = Command::new(env!("CARGO_BIN_EXE_siec-accounts"))
        .args(["--database-url", url])
        .args(args)
        .env("SIEC_CONFIG", dir.join("comptes-siec.toml"))
        .env("SIEC_DATA_DIR", dir.join("data"))
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(dir);
    out
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A migration of a later build, applied by SQL as the database owner and
/// recorded where sqlx records its own.
async fn apply_test_migration(owner: &Store, version: i64, sql: &str) {
    sqlx::raw_sql(sql).execute(owner.pool()).await.unwrap();
    sqlx::query(&format!(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES ({version}, 'test step', true, '\\x00'::bytea, 0)"
    ))
    .execute(owner.pool())
    .await
    .unwrap();
}

async fn applied(owner: &Store) -> (i64, i64) {
    let (max,): (i64,) = sqlx::query_as("SELECT max(version) FROM _sqlx_migrations")
        .fetch_one(owner.pool())
        .await
        .unwrap();
    (max, owner.database_schema_version().await.unwrap())
}

async fn establishment(owner: &Store) {
    sqlx::query("INSERT INTO establishments (uai, name, search_text, created_at, updated_at) VALUES ('0750655E', 'Lycée Louis-le-Grand', 'lycee louis le grand paris', 0, 0)")
        .execute(owner.pool())
        .await
        .unwrap();
}

fn new_account(email: &str) -> NewAccount {
    NewAccount {
        email: Email::parse(email).unwrap(),
        uai: Uai::parse("0750655E").unwrap(),
        principal: false,
        display_name: String::new(),
    }
}

#[tokio::test]
async fn a_desk_keeps_writing_after_a_compatible_migration() {
    let db = TestDb::new(Kind::Postgres).await;
    establishment(&db.su).await;
    let (login, _cleanup) = new_agent(&db.su).await;
    let n = db.store.app_schema_version();
    // Expand: a new column with a default, which apps of schema N never name.
    apply_test_migration(
        &db.su,
        n + 1,
        &format!(
            "ALTER TABLE accounts ADD COLUMN nickname text NOT NULL DEFAULT '';
             UPDATE schema_version SET version = {};",
            n + 1
        ),
    )
    .await;

    let store = desk(&db.url, &login).await.unwrap();
    assert_eq!(store.agent(), login.to_string());
    assert_eq!(
        store.schema_state(),
        SchemaState::Ahead {
            database: n + 1,
            app: n,
            min_app: 6
        }
    );
    store.ensure_writable().unwrap();
    let added = accounts::add_account(&store, new_account("desk@ac-paris.fr"))
        .await
        .unwrap();
    assert_eq!(added.account.email, "desk@ac-paris.fr");
    store.close().await;

    let url = agent_url(&db, &login);
    let out = cli(
        &url,
        &["account", "add", "cli@ac-paris.fr", "--uai", "0750655E"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let (count,): (i64,) = sqlx::query_as("SELECT count(*) FROM accounts WHERE nickname = ''")
        .fetch_one(db.su.pool())
        .await
        .unwrap();
    assert_eq!(count, 2);

    // An administrator's `migrate` from this older build touches nothing: sqlx's
    // migrator would stop on a version it does not know.
    let out = cli(&db.su_url, &["migrate"]);
    assert_eq!(out.status.code(), Some(6), "{}", text(&out));
    assert!(text(&out).contains("plus récent"), "{}", text(&out));
    assert_eq!(applied(&db.su).await, (n + 1, n + 1));
}

#[tokio::test]
async fn a_desk_too_old_for_the_database_reads_but_does_not_write() {
    let db = TestDb::new(Kind::Postgres).await;
    establishment(&db.su).await;
    let (login, _cleanup) = new_agent(&db.su).await;
    let n = db.store.app_schema_version();
    accounts::add_account(&db.store, new_account("deja@ac-paris.fr"))
        .await
        .unwrap();
    // Contract: apps of schema N no longer write correctly after this step.
    apply_test_migration(
        &db.su,
        n + 1,
        &format!(
            "UPDATE schema_version SET version = {v}, min_app_schema = {v};",
            v = n + 1
        ),
    )
    .await;

    let store = desk(&db.url, &login).await.unwrap();
    assert_eq!(
        store.schema_state(),
        SchemaState::TooOld {
            database: n + 1,
            app: n,
            min_app: n + 1
        }
    );
    let err = accounts::add_account(&store, new_account("desk@ac-paris.fr"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Forbidden);
    let message = err.to_string();
    assert!(
        message.starts_with(
            "Cette version de Comptes SIEC est trop ancienne pour la base : installez la mise à jour"
        ),
        "{message}"
    );
    assert!(
        message.contains(&format!("schéma de cette application : {n}"))
            && message.contains(&format!("schéma de la base : {}", n + 1)),
        "{message}"
    );
    // Reading still works.
    let found = accounts::account(&store, &Email::parse("deja@ac-paris.fr").unwrap())
        .await
        .unwrap();
    assert_eq!(found.account.email, "deja@ac-paris.fr");
    store.close().await;

    let url = agent_url(&db, &login);
    let out = cli(
        &url,
        &["account", "add", "cli@ac-paris.fr", "--uai", "0750655E"],
    );
    assert_eq!(out.status.code(), Some(6), "{}", text(&out));
    assert!(text(&out).contains("trop ancienne"), "{}", text(&out));
    let out = cli(&url, &["search", "deja"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("deja@ac-paris.fr"), "{}", text(&out));
    let (count,): (i64,) = sqlx::query_as("SELECT count(*) FROM accounts")
        .fetch_one(db.store.pool())
        .await
        .unwrap();
    assert_eq!(count, 1, "nothing was written");
}

#[tokio::test]
async fn an_agent_never_migrates_an_older_database() {
    let db = TestDb::empty(Kind::Postgres).await;
    let n = db.store.app_schema_version();
    // The database as the previous release left it.
    let mut previous = sqlx::migrate::Migrator::new(std::path::Path::new("migrations/postgres"))
        .await
        .unwrap();
    previous.migrations = previous
        .migrations
        .iter()
        .filter(|m| m.version < n)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    let prev = previous.iter().map(|m| m.version).max().unwrap();
    previous.run(db.store.pool()).await.unwrap();
    assert_eq!(applied(&db.su).await, (prev, prev));
    let (login, _cleanup) = new_agent(&db.su).await;

    // The window refuses to open the session, and says who must act.
    let store = desk(&db.url, &login).await.unwrap();
    assert_eq!(
        store.schema_state(),
        SchemaState::Behind {
            database: prev,
            app: n
        }
    );
    let err = store.ensure_writable().unwrap_err();
    assert!(
        err.to_string()
            .contains("demandez à un administrateur de lancer « siec-accounts migrate »"),
        "{err}"
    );
    let err = store.migrate().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Forbidden, "{err}");
    store.close().await;

    let url = agent_url(&db, &login);
    let out = cli(&url, &["search", "lycee"]);
    assert_eq!(out.status.code(), Some(5), "{}", text(&out));
    assert!(
        text(&out).contains("La base n’est pas à jour"),
        "{}",
        text(&out)
    );
    let out = cli(&url, &["migrate"]);
    assert_eq!(out.status.code(), Some(6), "{}", text(&out));
    assert!(
        text(&out).contains("ne peut pas mettre à jour le schéma"),
        "{}",
        text(&out)
    );
    assert_eq!(applied(&db.su).await, (prev, prev), "untouched");

    // The owner migrates; the same agent then works.
    let out = cli(&db.su_url, &["migrate"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(applied(&db.su).await, (n, n));
    let out = cli(&url, &["search", "lycee"]);
    assert!(out.status.success(), "{}", text(&out));
}

/// The embedded base migrates itself, and opens as it is when a newer build
/// migrated it: writable after a compatible step, read-only after an incompatible one.
#[tokio::test]
async fn the_embedded_base_follows_the_same_rule() {
    let db = TestDb::new(Kind::Sqlite).await;
    let n = db.store.app_schema_version();
    establishment(&db.su).await;
    sqlx::query(&format!("UPDATE schema_version SET version = {}", n + 1))
        .execute(db.store.pool())
        .await
        .unwrap();
    let store = db.reconnect("agent.test").await;
    assert!(matches!(
        store.migrate_embedded().await.unwrap(),
        SchemaState::Ahead { .. }
    ));
    accounts::add_account(&store, new_account("a@ac-paris.fr"))
        .await
        .unwrap();
    sqlx::query(&format!(
        "UPDATE schema_version SET min_app_schema = {}",
        n + 1
    ))
    .execute(db.store.pool())
    .await
    .unwrap();
    store.refresh_schema_state().await.unwrap();
    let err = accounts::add_account(&store, new_account("b@ac-paris.fr"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("trop ancienne"), "{err}");
    store.close().await;
}
