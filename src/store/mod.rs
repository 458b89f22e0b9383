//! The one entry point to the database: `postgres://…` (the central database) or
//! `sqlite://…` (the embedded default). Both run the same SQL through sqlx's `Any`
//! driver; the few places where dialects differ ask `backend()`.

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions as _};
use std::str::FromStr;

use crate::clock::{Clock, SystemClock};
use crate::error::{Error, Result};

pub mod address;
pub mod compat;
pub use compat::SchemaState;

static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");
static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Postgres,
    Sqlite,
}

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    agent: Arc<str>,
    clock: Arc<dyn Clock>,
    url_for_display: Arc<str>,
    schema: Arc<std::sync::RwLock<SchemaState>>,
    /// Set on the offline copy: every write is refused with this message.
    read_only: Option<Arc<str>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("url", &self.url_for_display)
            .field("backend", &self.backend)
            .finish()
    }
}

/// What a connection needs besides the URL.
#[derive(Clone, Default)]
pub struct StoreOptions {
    pub password: Option<SecretString>,
    /// Who writes the audit rows on SQLite (on PostgreSQL the login is the author).
    pub agent: Option<String>,
    pub ca_file: Option<String>,
    pub max_connections: Option<u32>,
    /// SQLCipher key of an encrypted SQLite file, as 64 hex digits (256 bits).
    pub sqlite_key: Option<SecretString>,
}

impl Store {
    pub async fn connect(url: &str, options: StoreOptions) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let url = &address::secure(url)?;
        let mut parsed = url::Url::parse(url).map_err(|e| {
            Error::invalid(format!(
                "Adresse de base de données « {} » incorrecte : {e}",
                address::redact(url)
            ))
        })?;
        let backend = match parsed.scheme() {
            "postgres" | "postgresql" => Backend::Postgres,
            "sqlite" => Backend::Sqlite,
            other => {
                return Err(Error::invalid(format!(
                "Type de base « {other} » non pris en charge : utilisez postgres://… ou sqlite://…"
            )))
            }
        };
        let display = address::redact(parsed.as_str());
        let max = match backend {
            // One writer at a time is what SQLite allows anyway; a single connection
            // turns lock contention into an orderly queue instead of "database is locked".
            Backend::Sqlite => 1,
            Backend::Postgres => options.max_connections.unwrap_or(8),
        };
        match backend {
            Backend::Sqlite => {
                let path = sqlite_path(url);
                let file = std::path::Path::new(&path);
                if let Some(dir) = file.parent() {
                    if !dir.as_os_str().is_empty() && !dir.exists() {
                        crate::credentials::private_dir(dir)?;
                    }
                }
                // Personal data: the base (and the journals SQLite gives its mode) 0600.
                if !path.starts_with(':') && !path.is_empty() {
                    crate::credentials::private_file(file)?;
                }
                if !parsed.query_pairs().any(|(k, _)| k == "mode") {
                    parsed.query_pairs_mut().append_pair("mode", "rwc");
                }
            }
            Backend::Postgres => {
                if let Some(pw) = &options.password {
                    parsed
                        .set_password(Some(pw.expose_secret()))
                        .map_err(|_| Error::invalid("Adresse de base de données incorrecte."))?;
                }
                if let Some(ca) = &options.ca_file {
                    parsed.query_pairs_mut().append_pair("sslrootcert", ca);
                }
            }
        }
        let connect = AnyConnectOptions::from_str(parsed.as_str())
            .map_err(|e| {
                Error::invalid(format!(
                    "Adresse de base de données « {display} » incorrecte : {e}"
                ))
            })?
            .disable_statement_logging();
        let key = options.sqlite_key.clone();
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(std::time::Duration::from_secs(10))
            .after_connect(move |conn, _| {
                let key = key.clone();
                let encrypted = key.is_some();
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        if let Some(key) = key {
                            // SQLCipher needs the key before anything reads the file.
                            // A raw key (x'…') skips the passphrase derivation: the key
                            // is already 256 random bits.
                            sqlx::query(&sqlcipher_key_pragma(&key))
                                .execute(&mut *conn)
                                .await?;
                        }
                        sqlx::query("PRAGMA foreign_keys = ON")
                            .execute(&mut *conn)
                            .await?;
                        // An encrypted file is the offline copy, which a full sync
                        // replaces by renaming a new file over it: a WAL beside it
                        // would then belong to the wrong file. Its temporary tables
                        // and sorts stay in memory, never in a plaintext temp file.
                        let journal: &[&str] = if encrypted {
                            &[
                                "PRAGMA journal_mode = DELETE",
                                "PRAGMA temp_store = MEMORY",
                                // Every page read from disk is decrypted: keep
                                // more of them decrypted in memory (64 MiB).
                                "PRAGMA cache_size = -65536",
                            ]
                        } else {
                            &["PRAGMA journal_mode = WAL"]
                        };
                        for pragma in journal {
                            sqlx::query(pragma).execute(&mut *conn).await?;
                        }
                        sqlx::query("PRAGMA busy_timeout = 10000")
                            .execute(&mut *conn)
                            .await?;
                    } else {
                        // The app's statements read at most a few thousand rows each,
                        // on every keystroke: starting parallel workers costs more
                        // (several milliseconds) than it saves.
                        sqlx::query("SET max_parallel_workers_per_gather = 0")
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(connect)
            .await
            .map_err(|e| connect_error(e, &display))?;
        let agent = options.agent.unwrap_or_else(|| "agent".into());
        let mut store = Self {
            pool,
            backend,
            agent: agent.into(),
            clock: Arc::new(SystemClock),
            url_for_display: display.into(),
            schema: Arc::new(std::sync::RwLock::new(SchemaState::Behind {
                database: 0,
                app: 0,
            })),
            read_only: None,
        };
        store.refresh_schema_state().await?;
        if backend == Backend::Postgres {
            // On PostgreSQL the audit author is the login; show the same name.
            let (user,): (String,) = sqlx::query_as("SELECT CAST(session_user AS TEXT)")
                .fetch_one(&store.pool)
                .await?;
            store.agent = user.into();
        }
        Ok(store)
    }

    /// Replaces the clock (tests check expiry without sleeping).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The same store, refusing every write with `message` (the offline copy).
    pub fn read_only(mut self, message: impl Into<String>) -> Self {
        self.read_only = Some(message.into().into());
        self
    }

    pub fn is_read_only(&self) -> bool {
        self.read_only.is_some()
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }
    pub fn backend(&self) -> Backend {
        self.backend
    }
    pub fn agent(&self) -> &str {
        &self.agent
    }
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }
    pub fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }
    pub fn url_for_display(&self) -> &str {
        &self.url_for_display
    }

    fn migrator(&self) -> &'static sqlx::migrate::Migrator {
        match self.backend {
            Backend::Postgres => &POSTGRES_MIGRATIONS,
            Backend::Sqlite => &SQLITE_MIGRATIONS,
        }
    }

    /// The schema version this build writes.
    pub fn app_schema_version(&self) -> i64 {
        self.migrator().iter().map(|m| m.version).max().unwrap_or(0)
    }

    pub async fn database_schema_version(&self) -> Result<i64> {
        Ok(compat::read_record(&self.pool).await?.0)
    }

    pub async fn refresh_schema_state(&self) -> Result<SchemaState> {
        let (database, min_app) = compat::read_record(&self.pool).await?;
        let state = SchemaState::classify(database, min_app, self.app_schema_version());
        if let Ok(mut current) = self.schema.write() {
            *current = state;
        }
        Ok(state)
    }

    pub fn schema_state(&self) -> SchemaState {
        match self.schema.read() {
            Ok(state) => *state,
            Err(poisoned) => *poisoned.into_inner(),
        }
    }

    /// Applies the pending migrations: `siec-accounts migrate`, by the owner of the
    /// schema on PostgreSQL. Never runs sqlx's migrator on a database a newer build
    /// migrated (see `compat`).
    pub async fn migrate(&self) -> Result<SchemaState> {
        match self.refresh_schema_state().await? {
            SchemaState::Ahead { database, app, .. }
            | SchemaState::TooOld { database, app, .. } => {
                return Err(compat::newer_than_app(database, app))
            }
            SchemaState::Current { .. } | SchemaState::Behind { .. } => {}
        }
        if self.backend == Backend::Postgres {
            compat::ensure_may_migrate_postgres(&self.pool).await?;
        }
        self.migrator().run(&self.pool).await.map_err(|e| match e {
            sqlx::migrate::MigrateError::Execute(inner) => Error::from(inner),
            sqlx::migrate::MigrateError::VersionMismatch(v) => Error::Conflict(format!(
                "La migration {v} enregistrée dans cette base diffère de celle de l'application : la base a été créée par une version de développement. Recréez-la ou restaurez une sauvegarde."
            )),
            other => Error::Internal(format!("Échec de la mise à jour du schéma : {other}")),
        })?;
        self.refresh_schema_state().await
    }

    /// The embedded SQLite base keeps itself up to date: migrated when behind, left
    /// as it is when a newer build already migrated it (read-only if too new).
    pub async fn migrate_embedded(&self) -> Result<SchemaState> {
        match self.refresh_schema_state().await? {
            SchemaState::Behind { .. } if self.backend == Backend::Sqlite => self.migrate().await,
            state => Ok(state),
        }
    }

    /// Every write starts here: an app older than the database's oldest writing
    /// schema never writes, and nothing writes to a schema that was never migrated.
    pub fn ensure_writable(&self) -> Result<()> {
        if let Some(message) = &self.read_only {
            return Err(Error::Unavailable(message.to_string()));
        }
        match self.schema_state().write_refusal() {
            None => Ok(()),
            Some(refusal) => Err(refusal),
        }
    }

    /// Opens a transaction for a change, after the schema check.
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        self.ensure_writable()?;
        Ok(self.pool.begin().await?)
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// `PRAGMA key` for a raw 256-bit key; anything but 64 hex digits is refused
/// before it reaches SQL.
fn sqlcipher_key_pragma(key: &SecretString) -> String {
    let hex = key.expose_secret();
    if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        format!("PRAGMA key = \"x'{hex}'\"")
    } else {
        // A statement that fails: no key would silently mean a plaintext file.
        "SELECT RAISE(ABORT, 'clé de chiffrement invalide')".into()
    }
}

fn is_missing_table(message: &str) -> bool {
    message.contains("no such table") || message.contains("does not exist")
}

fn sqlite_path(url: &str) -> String {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    rest.split('?').next().unwrap_or_default().to_string()
}

fn connect_error(e: sqlx::Error, display: &str) -> Error {
    match Error::from(e) {
        Error::Unavailable(_) => Error::Unavailable(format!(
            "La base de données {display} est injoignable. Vérifiez l'adresse et la connexion réseau, puis réessayez."
        )),
        Error::Internal(m) => Error::Unavailable(format!("Connexion à {display} impossible : {m}")),
        other => other,
    }
}
