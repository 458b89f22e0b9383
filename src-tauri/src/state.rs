//! What the window's commands share: the effective settings and the open store.

use siec_accounts::config::{Paths, Settings};
use siec_accounts::store::{Store, StoreOptions};
use siec_accounts::Error;
use tokio::sync::{watch, RwLock};

use crate::{UiError, UiResult};

pub struct AppState {
    pub settings: RwLock<Settings>,
    store: RwLock<Option<Store>>,
    /// Why the embedded default could not open at start, shown on the Connexion screen.
    pub startup_error: RwLock<Option<UiError>>,
    /// The newest search the window asked for: older ones are dropped mid-query.
    pub search_seq: watch::Sender<u64>,
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
        }
    }

    pub async fn store(&self) -> UiResult<Store> {
        self.store.read().await.clone().ok_or_else(|| UiError {
            code: siec_accounts::ErrorKind::Unavailable,
            message:
                "Aucune base de données n'est ouverte : connectez-vous depuis l'écran Connexion."
                    .into(),
        })
    }

    pub async fn set_store(&self, store: Option<Store>) {
        let old = std::mem::replace(&mut *self.store.write().await, store);
        if let Some(old) = old {
            old.close().await;
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
        store.migrate().await?;
        Ok(store)
    }
}
