//! Test support: every test gets its own database, PostgreSQL or SQLite, freshly
//! migrated, and drops it afterwards.
#![allow(dead_code)]

use siec_accounts::store::{Store, StoreOptions};

pub const PG_ADMIN_URL_DEFAULT: &str = "postgres://postgres@127.0.0.1:5432/postgres";

pub fn pg_admin_url() -> String {
    std::env::var("SIEC_TEST_PG_URL").unwrap_or_else(|_| PG_ADMIN_URL_DEFAULT.to_string())
}

/// A database that lives as long as the value.
pub struct TestDb {
    pub store: Store,
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Postgres { name: String },
    Sqlite { dir: std::path::PathBuf },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Postgres,
    Sqlite,
}

pub const BOTH: [Kind; 2] = [Kind::Postgres, Kind::Sqlite];

impl TestDb {
    pub async fn new(kind: Kind) -> Self {
        Self::create(kind, true).await
    }

    /// An empty database, not migrated.
    pub async fn empty(kind: Kind) -> Self {
        Self::create(kind, false).await
    }

    async fn create(kind: Kind, migrate: bool) -> Self {
        let (url, cleanup) = match kind {
            Kind::Postgres => {
                let name = format!("siec_test_{}", uuid::Uuid::new_v4().simple());
                let admin = Store::connect(&pg_admin_url(), StoreOptions::default()).await.expect("PostgreSQL de test joignable");
                sqlx::query(&format!("CREATE DATABASE {name}")).execute(admin.pool()).await.unwrap();
                admin.close().await;
                let mut url = url::Url::parse(&pg_admin_url()).unwrap();
                url.set_path(&name);
                (url.to_string(), Cleanup::Postgres { name })
            }
            Kind::Sqlite => {
                let dir = std::env::temp_dir().join(format!("siec-test-{}", uuid::Uuid::new_v4().simple()));
                std::fs::create_dir_all(&dir).unwrap();
                (format!("sqlite://{}", dir.join("test.sqlite").display()), Cleanup::Sqlite { dir })
            }
        };
        let store = Store::connect(&url, StoreOptions { agent: Some("agent.test".into()), ..Default::default() })
            .await
            .expect("connexion à la base de test");
        if migrate {
            store.migrate().await.expect("migrations");
        }
        Self { store, url, cleanup }
    }

    pub async fn reconnect(&self, agent: &str) -> Store {
        let s = Store::connect(&self.url, StoreOptions { agent: Some(agent.into()), ..Default::default() }).await.unwrap();
        s.refresh_schema_state().await.unwrap();
        s
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Postgres { name } => {
                let name = name.clone();
                // Dropping needs no open connection to it; run on a fresh runtime in a thread
                // so it works from inside the test's runtime.
                let pool = self.store.pool().clone();
                std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                    rt.block_on(async move {
                        pool.close().await;
                        if let Ok(admin) = Store::connect(&pg_admin_url(), StoreOptions::default()).await {
                            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(admin.pool()).await;
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
