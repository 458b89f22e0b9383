//! The background outbox worker: once a database is open, queued links leave
//! without anyone pressing a button. One core `Worker` per open store; a bulk
//! dispatch takes the same delivery lock, so the two never race for the rows of
//! one batch (the bulk's progress counts only the rows it delivered itself).

use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use siec_accounts::config::Settings;
use siec_accounts::credentials::{self, Credential};
use siec_accounts::outbox::{CancelToken, Worker};
use siec_accounts::store::Store;
use tokio::sync::{Mutex, Notify};

use crate::UiResult;

/// How long the worker waits between two looks at the queue when nothing wakes it.
const IDLE: Duration = Duration::from_secs(5);

pub struct Background {
    cancel: CancelToken,
    wake: Arc<Notify>,
    task: tauri::async_runtime::JoinHandle<()>,
}

impl Background {
    /// Starts delivering for `store`. A worker that cannot be built (a plain-text
    /// relay that is not local, say) is reported in the log and leaves the queue
    /// as it is: the links stay queued until the settings are fixed.
    pub fn start(worker: Worker, delivery: Arc<Mutex<()>>) -> Self {
        let cancel = CancelToken::new();
        let wake = Arc::new(Notify::new());
        let task = tauri::async_runtime::spawn(run(worker, delivery, cancel.clone(), wake.clone()));
        Self { cancel, wake, task }
    }

    /// Delivers now rather than at the next round (a link was just asked for).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Stops between two messages; what is in flight finishes and is recorded.
    pub async fn stop(self) {
        self.cancel.cancel();
        self.wake.notify_one();
        if tokio::time::timeout(Duration::from_secs(40), self.task)
            .await
            .is_err()
        {
            tracing::warn!("le service d'envoi ne s'est pas arrêté à temps");
        }
    }
}

async fn run(worker: Worker, delivery: Arc<Mutex<()>>, cancel: CancelToken, wake: Arc<Notify>) {
    while !cancel.is_cancelled() {
        {
            let _turn = delivery.lock().await;
            if let Err(e) = worker.deliver_due(&cancel, &|_| {}).await {
                tracing::warn!("envoi des messages : {e}");
            }
        }
        if cancel.is_cancelled() {
            break;
        }
        let _ = tokio::time::timeout(IDLE, wake.notified()).await;
    }
}

/// A core worker for `store` from the current settings; the relay's password,
/// when a login is configured, comes from the OS keyring.
pub async fn worker(store: Store, settings: &Settings) -> UiResult<Worker> {
    let password = smtp_password(settings).await?;
    Ok(Worker::from_settings(store, settings, password)?)
}

/// The relay's password from the OS keyring, when a relay login is configured.
pub async fn smtp_password(settings: &Settings) -> UiResult<Option<SecretString>> {
    match (settings.smtp_user(), settings.smtp_host()) {
        (Some(user), Some(host)) => {
            let cred = Credential::smtp(user, host)?;
            crate::commands::session::blocking(move || credentials::read(&cred)).await
        }
        _ => Ok(None),
    }
}
