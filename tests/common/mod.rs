//! Test support: every test gets its own database, PostgreSQL or SQLite, freshly
//! migrated, and drops it afterwards.
//!
//! On PostgreSQL the superuser only creates the database, migrates it and creates
//! the test's logins (unique names, dropped afterwards): `store` is a real
//! `siec_agent` login, as a desk connects; `admin` a `siec_admin` login; `mailer` a
//! `siec_mailer` login (the mail service); `su` the superuser, standing for the
//! portal (which sets passwords) and for fixtures written with plain SQL. On SQLite
//! all four are the same file.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use siec_accounts::store::{Store, StoreOptions};

pub const PG_ADMIN_URL_DEFAULT: &str = "postgres://postgres@127.0.0.1:5432/postgres";

pub fn pg_admin_url() -> String {
    std::env::var("SIEC_TEST_PG_URL").unwrap_or_else(|_| PG_ADMIN_URL_DEFAULT.to_string())
}

// Both support modules need it, alone or together in one test binary.
#[allow(clippy::duplicate_mod)]
#[path = "../support/group_roles.rs"]
mod group_roles;
pub use group_roles::ensure_group_roles;

/// A database that lives as long as the value.
pub struct TestDb {
    /// The desk: a `siec_agent` login on PostgreSQL.
    pub store: Store,
    /// URL of the agent's login (no password: the shared test server trusts).
    pub url: String,
    pub admin: Store,
    pub mailer: Store,
    pub su: Store,
    pub su_url: String,
    pub logins: Logins,
    cleanup: Cleanup,
}

/// The logins made for one test (empty on SQLite).
#[derive(Debug, Clone, Default)]
pub struct Logins {
    pub agent: String,
    pub admin: String,
    pub mailer: String,
}

enum Cleanup {
    Postgres { name: String, logins: Logins },
    Sqlite { dir: std::path::PathBuf },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Postgres,
    Sqlite,
}

pub const BOTH: [Kind; 2] = [Kind::Postgres, Kind::Sqlite];

/// The superuser's, the mail service's and an administrator's stores of one database.
type Others = (Store, Store, Store);

/// Stores of each test database by name, for fixtures that get only the desk's store.
fn registry() -> &'static Mutex<HashMap<String, Others>> {
    static R: OnceLock<Mutex<HashMap<String, Others>>> = OnceLock::new();
    R.get_or_init(Default::default)
}

fn db_name_of(store: &Store) -> String {
    url::Url::parse(store.url_for_display())
        .map(|u| u.path().trim_start_matches('/').to_string())
        .unwrap_or_default()
}

/// The superuser's store on the same database as `store`, with its clock: the
/// portal's side (redeeming sets a password) and plain-SQL fixtures.
pub fn portal(store: &Store) -> Store {
    match store.backend() {
        siec_accounts::store::Backend::Sqlite => store.clone(),
        siec_accounts::store::Backend::Postgres => {
            let r = registry().lock().unwrap_or_else(|e| e.into_inner());
            let (su, _, _) = r
                .get(&db_name_of(store))
                .expect("a database made by TestDb");
            su.clone().with_clock(store.clock())
        }
    }
}

/// An administrator's store (`siec_admin` login) on the same database, with its clock.
pub fn admin_of(store: &Store) -> Store {
    match store.backend() {
        siec_accounts::store::Backend::Sqlite => store.clone(),
        siec_accounts::store::Backend::Postgres => {
            let r = registry().lock().unwrap_or_else(|e| e.into_inner());
            let (_, _, admin) = r
                .get(&db_name_of(store))
                .expect("a database made by TestDb");
            admin.clone().with_clock(store.clock())
        }
    }
}

/// The mail service's store (`siec_mailer` login) on the same database, with its clock.
pub fn mail_service(store: &Store) -> Store {
    match store.backend() {
        siec_accounts::store::Backend::Sqlite => store.clone(),
        siec_accounts::store::Backend::Postgres => {
            let r = registry().lock().unwrap_or_else(|e| e.into_inner());
            let (_, mailer, _) = r
                .get(&db_name_of(store))
                .expect("a database made by TestDb");
            mailer.clone().with_clock(store.clock())
        }
    }
}

pub fn unique_login(prefix: &str) -> String {
    format!(
        "{prefix}.t{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

async fn connect(url: &str, agent: &str) -> Store {
    let s = Store::connect(
        url,
        StoreOptions {
            agent: Some(agent.into()),
            ..Default::default()
        },
    )
    .await
    .expect("connexion à la base de test");
    s.refresh_schema_state().await.expect("schema state");
    s
}

impl TestDb {
    pub async fn new(kind: Kind) -> Self {
        Self::create(kind, true).await
    }

    /// An empty database, not migrated (every store is the superuser's).
    pub async fn empty(kind: Kind) -> Self {
        Self::create(kind, false).await
    }

    async fn create(kind: Kind, migrate: bool) -> Self {
        match kind {
            Kind::Postgres => {
                let name = format!("siec_test_{}", uuid::Uuid::new_v4().simple());
                let root = Store::connect(&pg_admin_url(), StoreOptions::default())
                    .await
                    .expect("PostgreSQL de test joignable");
                ensure_group_roles(&root).await;
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(root.pool())
                    .await
                    .unwrap();
                let mut url = url::Url::parse(&pg_admin_url()).unwrap();
                url.set_path(&name);
                let su_url = url.to_string();
                let su = connect(&su_url, "agent.test").await;
                let mut logins = Logins::default();
                if migrate {
                    su.migrate().await.expect("migrations");
                    logins = Logins {
                        agent: unique_login("agent"),
                        admin: unique_login("admin"),
                        mailer: unique_login("mailer"),
                    };
                    for (login, group) in [
                        (&logins.agent, "siec_agent"),
                        (&logins.admin, "siec_admin"),
                        (&logins.mailer, "siec_mailer"),
                    ] {
                        sqlx::query(&format!(
                            "CREATE ROLE \"{login}\" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE IN ROLE {group}"
                        ))
                        .execute(root.pool())
                        .await
                        .unwrap();
                    }
                }
                root.close().await;
                let login_url = |login: &str| {
                    let mut u = url.clone();
                    if !login.is_empty() {
                        u.set_username(login).unwrap();
                    }
                    u.to_string()
                };
                let agent_url = login_url(&logins.agent);
                let (store, admin, mailer) = if migrate {
                    (
                        connect(&agent_url, "agent.test").await,
                        connect(&login_url(&logins.admin), "admin.test").await,
                        connect(&login_url(&logins.mailer), "mailer.test").await,
                    )
                } else {
                    (su.clone(), su.clone(), su.clone())
                };
                registry()
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(name.clone(), (su.clone(), mailer.clone(), admin.clone()));
                Self {
                    store,
                    url: agent_url,
                    admin,
                    mailer,
                    su,
                    su_url,
                    logins: logins.clone(),
                    cleanup: Cleanup::Postgres { name, logins },
                }
            }
            Kind::Sqlite => {
                let dir = std::env::temp_dir()
                    .join(format!("siec-test-{}", uuid::Uuid::new_v4().simple()));
                std::fs::create_dir_all(&dir).unwrap();
                let url = format!("sqlite://{}", dir.join("test.sqlite").display());
                let store = Store::connect(
                    &url,
                    StoreOptions {
                        agent: Some("agent.test".into()),
                        ..Default::default()
                    },
                )
                .await
                .expect("connexion à la base de test");
                if migrate {
                    store.migrate().await.expect("migrations");
                }
                Self {
                    admin: store.clone(),
                    mailer: store.clone(),
                    su: store.clone(),
                    store,
                    su_url: url.clone(),
                    url,
                    logins: Logins::default(),
                    cleanup: Cleanup::Sqlite { dir },
                }
            }
        }
    }

    /// The agent's login name as the audit records it (`agent.test` on SQLite).
    pub fn agent_name(&self) -> &str {
        if self.logins.agent.is_empty() {
            "agent.test"
        } else {
            &self.logins.agent
        }
    }

    pub async fn reconnect(&self, agent: &str) -> Store {
        connect(&self.url, agent).await
    }

    /// Another agent's login on this database (dropped with it).
    pub async fn another_agent(&mut self) -> (String, Store) {
        let login = unique_login("agent");
        sqlx::query(&format!(
            "CREATE ROLE \"{login}\" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE IN ROLE siec_agent"
        ))
        .execute(self.su.pool())
        .await
        .unwrap();
        if let Cleanup::Postgres { logins, .. } = &mut self.cleanup {
            // Kept with the others so that it is dropped too.
            logins.agent = format!("{}\u{1f}{login}", logins.agent);
        }
        let mut u = url::Url::parse(&self.su_url).unwrap();
        u.set_username(&login).unwrap();
        let store = connect(u.as_str(), &login).await;
        (login, store)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Postgres { name, logins } => {
                let name = name.clone();
                let mut roles: Vec<String> =
                    logins.agent.split('\u{1f}').map(String::from).collect();
                roles.push(logins.admin.clone());
                roles.push(logins.mailer.clone());
                roles.retain(|r| !r.is_empty());
                registry().lock().map(|mut r| r.remove(&name)).ok();
                // Dropping needs no open connection to it; run on a fresh runtime in a thread
                // so it works from inside the test's runtime.
                // The test's own runtime is blocked in drop, so its pool cannot be closed
                // politely: FORCE ends its connections.
                std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap();
                    rt.block_on(async move {
                        if let Ok(admin) =
                            Store::connect(&pg_admin_url(), StoreOptions::default()).await
                        {
                            let _ = sqlx::query(&format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            ))
                            .execute(admin.pool())
                            .await;
                            for role in roles {
                                let _ = sqlx::query(&format!("DROP ROLE IF EXISTS \"{role}\""))
                                    .execute(admin.pool())
                                    .await;
                            }
                            admin.close().await;
                        }
                    });
                })
                .join()
                .ok();
            }
            Cleanup::Sqlite { dir } => {
                let _ = std::fs::remove_dir_all(dir);
            }
        }
    }
}
