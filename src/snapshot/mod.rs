//! The offline copy: an encrypted SQLite file (SQLCipher) built from
//! `migrations/sqlite`, so every read path that runs on the embedded base (search,
//! account and establishment pages, dashboard, link history, journal) runs on it
//! unchanged. It is synced from the central database under the agent's own login —
//! full the first time, then incrementally from the change sequence of migration
//! 0008 — and holds what that login may read and nothing more: never a password
//! or token hash. `connectivity` switches the app to it when the central database
//! stops answering, and refuses writes while it does.

pub mod connectivity;
mod key;
mod settings;
mod sync;
mod tables;

use std::path::{Path, PathBuf};

use secrecy::SecretString;

use crate::config::Settings;
use crate::error::Result;
use crate::store::{Store, StoreOptions};

pub use connectivity::{Connectivity, OfflineState};
pub use key::NO_KEYRING_FOR_COPY;
pub use sync::{Progress, SyncKind, SyncReport};

/// What every write answers while the app works from the copy.
pub const OFFLINE_WRITE_REFUSED: &str = "Hors connexion : la base centrale ne répond pas, rien n'a été enregistré. Réessayez quand la connexion sera rétablie.";

/// The copy's file name in the data folder.
pub const FILE_NAME: &str = "copie-hors-ligne.sqlite";

/// Which establishments (and so which accounts) the copy holds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", content = "academies", rename_all = "snake_case")]
pub enum Scope {
    All,
    /// Establishments of these academies, the accounts attached to them, their
    /// links and journal lines.
    Academies(Vec<String>),
}

impl Scope {
    /// Academies sorted and deduplicated, so the same list always reads the same.
    pub fn academies(names: impl IntoIterator<Item = String>) -> Self {
        let mut v: Vec<String> = names
            .into_iter()
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty())
            .collect();
        v.sort();
        v.dedup();
        if v.is_empty() {
            Scope::All
        } else {
            Scope::Academies(v)
        }
    }

    /// The form kept in the copy and bound to the queries (`\x1f`-separated).
    fn encode(&self) -> String {
        match self {
            Scope::All => String::new(),
            Scope::Academies(v) => v.join("\u{1f}"),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Scope::All => "toutes les académies".into(),
            Scope::Academies(v) => format!("académies : {}", v.join(", ")),
        }
    }
}

/// The copy's bookkeeping, in its own `snapshot_meta` table.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CopyMeta {
    /// `<database_id>/<database name>` of the source.
    pub source: String,
    pub source_schema: i64,
    pub copy_schema: i64,
    pub scope: String,
    pub agent: String,
    /// The PostgreSQL snapshot of the last sync (`xmin:xmax:xip…`).
    #[serde(skip)]
    pub watermark: String,
    pub synced_at: i64,
    pub full_synced_at: i64,
}

/// The copy as the app reads it: a read-only store and when it was synced.
#[derive(Debug, Clone)]
pub struct OpenCopy {
    pub store: Store,
    pub meta: CopyMeta,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct CopyStatus {
    pub path: PathBuf,
    pub exists: bool,
    pub size_bytes: u64,
    pub meta: Option<CopyMeta>,
    pub accounts: i64,
    pub establishments: i64,
}

/// The offline copy of one data folder.
#[derive(Debug, Clone)]
pub struct OfflineCopy {
    path: PathBuf,
    scope: Scope,
}

impl OfflineCopy {
    pub fn new(path: impl Into<PathBuf>, scope: Scope) -> Self {
        Self {
            path: path.into(),
            scope,
        }
    }

    /// The copy in the data folder, with the scope of `snapshot.academies`.
    pub fn from_settings(settings: &Settings) -> Self {
        Self::new(
            settings.paths.data_dir.join(FILE_NAME),
            settings.snapshot_scope(),
        )
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    fn key(&self) -> key::CopyKey {
        key::CopyKey::for_file(&self.path)
    }

    /// Opens the copy for reading, every write refused with the offline message.
    /// `None` when there is no usable copy: none yet, its key gone from the keyring
    /// or not the one it was made with (the file is then discarded; the next sync
    /// rebuilds it), or a copy this build cannot read.
    pub async fn open(&self) -> Result<Option<OpenCopy>> {
        let Some(opened) = self.open_keyed().await? else {
            return Ok(None);
        };
        let (store, meta) = opened;
        match meta {
            Some(meta) if meta.copy_schema == store.app_schema_version() => Ok(Some(OpenCopy {
                store: store.read_only(OFFLINE_WRITE_REFUSED),
                meta,
            })),
            _ => {
                store.close().await;
                Ok(None)
            }
        }
    }

    /// The file opened with the keyring's key, and its bookkeeping if it has any.
    async fn open_keyed(&self) -> Result<Option<(Store, Option<CopyMeta>)>> {
        if !self.path.exists() {
            return Ok(None);
        }
        let Some(key) = self.key().read()? else {
            tracing::info!(path = %self.path.display(), "offline copy without its key: discarded");
            discard(&self.path)?;
            return Ok(None);
        };
        if !opens_with(&self.path, &key).await? {
            tracing::info!(path = %self.path.display(), "offline copy does not open with its key: discarded");
            discard(&self.path)?;
            return Ok(None);
        }
        let store = connect_copy(&self.path, key).await?;
        let meta = sync::read_meta(&store).await.unwrap_or(None);
        Ok(Some((store, meta)))
    }

    pub async fn status(&self) -> Result<CopyStatus> {
        let size_bytes = std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0);
        let mut status = CopyStatus {
            path: self.path.clone(),
            exists: self.path.exists(),
            size_bytes,
            meta: None,
            accounts: 0,
            establishments: 0,
        };
        if let Some(open) = self.open().await? {
            let (accounts,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM accounts")
                .fetch_one(open.store.pool())
                .await?;
            let (establishments,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM establishments")
                .fetch_one(open.store.pool())
                .await?;
            status.accounts = accounts;
            status.establishments = establishments;
            status.meta = Some(open.meta);
            open.store.close().await;
        }
        status.exists = self.path.exists();
        Ok(status)
    }

    /// Deletes the copy and its key. `true` when there was a copy.
    pub fn forget(&self) -> Result<bool> {
        let existed = self.path.exists();
        discard(&self.path)?;
        discard(&sync::building_path(&self.path))?;
        self.key().forget()?;
        Ok(existed)
    }

    /// Brings the copy up to date from `source` (the central database, under the
    /// agent's login): incremental when the copy is usable and from the same
    /// source, schema and scope; full otherwise.
    pub async fn sync(
        &self,
        source: &Store,
        progress: &(dyn Fn(Progress) + Send + Sync),
    ) -> Result<SyncReport> {
        sync::sync(self, source, progress).await
    }
}

/// A store on an encrypted SQLite file.
async fn connect_copy(path: &Path, key: SecretString) -> Result<Store> {
    Store::connect(
        &format!("sqlite://{}", path.display()),
        StoreOptions {
            sqlite_key: Some(key),
            agent: Some("copie-hors-ligne".into()),
            ..Default::default()
        },
    )
    .await
}

/// Whether the file opens with this key. SQLCipher answers a missing or wrong key
/// only at the first read, with SQLite's « file is not a database »; checked on a
/// connection of its own, since the store's pool would retry a failing connection
/// until its timeout.
async fn opens_with(path: &Path, key: &SecretString) -> Result<bool> {
    use secrecy::ExposeSecret;
    use sqlx::ConnectOptions;
    let hex = key.expose_secret();
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(false);
    }
    let opened = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .pragma("key", format!("\"x'{hex}'\""))
        .disable_statement_logging()
        .connect()
        .await;
    let mut conn = match opened {
        Ok(c) => c,
        Err(e) if e.to_string().contains("not a database") => return Ok(false),
        Err(e) => return Err(e.into()),
    };
    let read = sqlx::query("SELECT COUNT(*) FROM sqlite_master")
        .execute(&mut conn)
        .await;
    let _ = sqlx::Connection::close(conn).await;
    match read {
        Ok(_) => Ok(true),
        Err(e) if e.to_string().contains("not a database") => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Removes a copy file and the journal files SQLite may have left beside it.
fn discard(path: &Path) -> Result<()> {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        match std::fs::remove_file(PathBuf::from(p)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
