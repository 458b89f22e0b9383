//! What the window's commands share: the effective settings and the open store.

use siec_accounts::config::{Paths, Settings};
use siec_accounts::outbox::CancelToken;
use siec_accounts::store::{Store, StoreOptions};
use siec_accounts::Error;
use std::sync::Arc;
use tokio::sync::{watch, Mutex, RwLock};

use crate::outbox::{self, Background};

use crate::{UiError, UiResult};

pub struct AppState {
    pub settings: RwLock<Settings>,
    store: RwLock<Option<Store>>,
    /// Why the embedded default could not open at start, shown on the Connexion screen.
    pub startup_error: RwLock<Option<UiError>>,
    /// The newest search the window asked for: older ones are dropped mid-query.
    pub search_seq: watch::Sender<u64>,
    /// The outbox worker of the open store.
    background: Mutex<Option<Background>>,
    /// Held by whoever delivers: the background worker or a bulk dispatch.
    pub delivery: Arc<Mutex<()>>,
    /// The bulk dispatch under way, for « Annuler l'envoi ».
    pub bulk: std::sync::Mutex<Option<CancelToken>>,
    /// The offline copy of the central database, and the switch to it.
    pub offline: crate::commands::snapshot::OfflineSession,
}

impl AppState {
    pub fn load() -> Result<Self, Error> {
        let settings = Settings::load(Paths::from_os(), &[])?;
        Ok(Self::with_settings(settings))
    }

    pub fn with_settings(settings: Settings) -> Self {
        Self {
            settings: RwLock::new(settings),
            store: RwLock::new(None),
            startup_error: RwLock::new(None),
            search_seq: watch::channel(0).0,
            background: Mutex::new(None),
            delivery: Arc::new(Mutex::new(())),
            bulk: std::sync::Mutex::new(None),
            offline: Default::default(),
        }
    }

    pub async fn store(&self) -> UiResult<Store> {
        // While the central database does not answer, the offline copy does
        // (read-only: every write is refused with « Hors connexion : … »).
        if let Some(conn) = self.offline.connectivity().await {
            return Ok(conn.store().await?);
        }
        self.store.read().await.clone().ok_or_else(|| UiError {
            code: siec_accounts::ErrorKind::Unavailable,
            message:
                "Aucune base de données n'est ouverte : connectez-vous depuis l'écran Connexion."
                    .into(),
        })
    }

    /// Opens or closes the session: the outbox worker of the old store stops
    /// (between two messages) before it closes, and one starts for the new store.
    pub async fn set_store(&self, store: Option<Store>) {
        self.stop_worker().await;
        self.offline.stop().await;
        let old = std::mem::replace(&mut *self.store.write().await, store.clone());
        if let Some(old) = old {
            old.close().await;
        }
        if let Some(store) = store {
            let settings = self.settings.read().await.clone();
            self.offline.start(&store, &settings).await;
            self.start_worker(store).await;
        }
    }

    /// (Re)starts the background worker, after a connection or new settings. A
    /// read-only session (an app too old for the database) sends nothing.
    pub async fn restart_worker(&self) {
        self.stop_worker().await;
        if let Ok(store) = self.store().await {
            self.start_worker(store).await;
        }
    }

    /// Only on the embedded base: on PostgreSQL tokens are minted and mails sent
    /// by the mail service (`siec-accounts mailer`), never by a desk.
    async fn start_worker(&self, store: Store) {
        if store.ensure_writable().is_err()
            || store.backend() == siec_accounts::store::Backend::Postgres
        {
            return;
        }
        let settings = self.settings.read().await.clone();
        match outbox::worker(store, &settings).await {
            Ok(worker) => {
                *self.background.lock().await =
                    Some(Background::start(worker, self.delivery.clone()));
            }
            Err(e) => tracing::warn!("service d'envoi non démarré : {}", e.message),
        }
    }

    pub async fn stop_worker(&self) {
        let running = self.background.lock().await.take();
        if let Some(b) = running {
            b.stop().await;
        }
    }

    /// Asks the background worker to look at the queue now.
    pub async fn wake_worker(&self) {
        if let Some(b) = self.background.lock().await.as_ref() {
            b.wake();
        }
    }

    /// Opens the configured local SQLite database, migrating it: the embedded default
    /// works with no server and no question asked.
    pub async fn open_embedded(&self, url: &str) -> Result<Store, Error> {
        let agent = self.settings.read().await.agent_name().to_string();
        let store = Store::connect(
            url,
            StoreOptions {
                agent: Some(agent),
                ..Default::default()
            },
        )
        .await?;
        store.migrate_embedded().await?;
        Ok(store)
    }
}
