//! The offline copy in the window: synced at sign-in on the central database,
//! every `snapshot.interval_minutes` in the background and on « Synchroniser
//! maintenant »; the state for the « Hors connexion » notice. The switch itself
//! (which store answers, writes refused) is the core's `Connectivity`.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use siec_accounts::config::Settings;
use siec_accounts::snapshot::{Connectivity, OfflineCopy, Progress, SyncReport};
use siec_accounts::store::{Backend, Store};
use tauri::ipc::Channel;
use tauri::State;
use tokio::sync::RwLock;

use crate::state::AppState;
use crate::UiResult;

/// How often the background task asks the core whether the central database
/// still answers (the core itself spaces its probes out, with back-off).
const TICK: Duration = Duration::from_secs(2);

struct Running {
    connectivity: Arc<Connectivity>,
    task: tauri::async_runtime::JoinHandle<()>,
}

/// The session's offline side; empty on the embedded base, which is local already.
#[derive(Default)]
pub struct OfflineSession {
    running: RwLock<Option<Running>>,
    /// The sync under way (sign-in or timer), for the progress bar.
    progress: Arc<std::sync::Mutex<Option<Progress>>>,
    /// The last background sync's failure, in French.
    last_error: Arc<std::sync::Mutex<Option<String>>>,
}

impl OfflineSession {
    /// Starts following a central store: a sync now, then the timer.
    pub async fn start(&self, central: &Store, settings: &Settings) {
        self.stop().await;
        if central.backend() != Backend::Postgres {
            return;
        }
        let connectivity = Arc::new(Connectivity::new(
            central.clone(),
            OfflineCopy::from_settings(settings),
        ));
        let every = Duration::from_secs(60 * settings.snapshot_interval_minutes().unwrap_or(5));
        let (conn, progress, last_error) = (
            connectivity.clone(),
            self.progress.clone(),
            self.last_error.clone(),
        );
        let task = tauri::async_runtime::spawn(async move {
            let mut next_sync = tokio::time::Instant::now();
            loop {
                conn.tick().await;
                if tokio::time::Instant::now() >= next_sync && conn.is_online().await {
                    background_sync(&conn, &progress, &last_error).await;
                    next_sync = tokio::time::Instant::now() + every;
                }
                tokio::time::sleep(TICK).await;
            }
        });
        *self.running.write().await = Some(Running { connectivity, task });
    }

    pub async fn stop(&self) {
        if let Some(r) = self.running.write().await.take() {
            r.task.abort();
        }
    }

    pub async fn connectivity(&self) -> Option<Arc<Connectivity>> {
        self.running
            .read()
            .await
            .as_ref()
            .map(|r| r.connectivity.clone())
    }
}

async fn background_sync(
    conn: &Connectivity,
    progress: &std::sync::Mutex<Option<Progress>>,
    last_error: &std::sync::Mutex<Option<String>>,
) {
    let report = conn
        .sync(&|p| {
            if let Ok(mut slot) = progress.lock() {
                *slot = Some(p);
            }
        })
        .await;
    if let Ok(mut slot) = progress.lock() {
        *slot = None;
    }
    let message = report.err().map(|e| e.to_string());
    if let Some(m) = &message {
        tracing::warn!("copie hors connexion non synchronisée : {m}");
    }
    if let Ok(mut slot) = last_error.lock() {
        *slot = message;
    }
}

#[derive(Serialize)]
pub struct OfflineStatus {
    /// False on the embedded base: there is nothing to copy.
    pub available: bool,
    pub online: bool,
    pub copy_synced_at: Option<i64>,
    pub notice: Option<String>,
    pub syncing: Option<Progress>,
    pub last_error: Option<String>,
}

#[tauri::command]
pub async fn offline_status(state: State<'_, AppState>) -> UiResult<OfflineStatus> {
    let Some(conn) = state.offline.connectivity().await else {
        return Ok(OfflineStatus {
            available: false,
            online: true,
            copy_synced_at: None,
            notice: None,
            syncing: None,
            last_error: None,
        });
    };
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    let s = conn.state(now_ms).await;
    Ok(OfflineStatus {
        available: true,
        online: s.online,
        copy_synced_at: s.copy_synced_at,
        notice: s.notice,
        syncing: state.offline.progress.lock().ok().and_then(|p| p.clone()),
        last_error: state.offline.last_error.lock().ok().and_then(|e| e.clone()),
    })
}

/// « Synchroniser maintenant », with its progress.
#[tauri::command]
pub async fn snapshot_sync(
    state: State<'_, AppState>,
    on_progress: Channel<Progress>,
) -> UiResult<SyncReport> {
    let Some(conn) = state.offline.connectivity().await else {
        return Err(siec_accounts::Error::invalid(
            "La copie hors connexion se fait depuis la base centrale : connectez-vous d'abord à PostgreSQL.",
        )
        .into());
    };
    let report = conn
        .sync(&|p| {
            let _ = on_progress.send(p);
        })
        .await?;
    Ok(report)
}
