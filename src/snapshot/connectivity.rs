//! Online or offline: which store the app reads from. While the central database
//! answers, everything goes to it. When it stops answering (refused, timeout, name
//! resolution, TLS), reads go to the offline copy and every write is refused with
//! « Hors connexion : … rien n'a été enregistré » — nothing is queued to be
//! replayed later behind the agent's back. The central database is probed with
//! back-off, and the app is back online as soon as it answers.

use std::future::Future;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use super::{OfflineCopy, OpenCopy, Progress, SyncReport};
use crate::error::{Error, ErrorKind, Result};
use crate::store::Store;

/// How long a probe waits for the central database.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// While online, how often `tick` checks that the central database still answers.
const ONLINE_PROBE_EVERY: Duration = Duration::from_secs(5);
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

pub const NO_COPY: &str = "Hors connexion : la base centrale ne répond pas et aucune copie hors connexion n'est disponible sur ce poste. Rien n'a été enregistré.";

/// What the window shows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OfflineState {
    pub online: bool,
    /// When the copy was last synced (ms since the epoch), if there is one.
    pub copy_synced_at: Option<i64>,
    /// The notice to show while offline, in French.
    pub notice: Option<String>,
}

struct Inner {
    online: bool,
    copy: Option<OpenCopy>,
    /// When the copy was last synced, as known while online (the copy itself is
    /// opened only offline); `None` until read once.
    synced_at: Option<Option<i64>>,
    next_probe: Instant,
    backoff: Duration,
}

pub struct Connectivity {
    central: Store,
    copy: OfflineCopy,
    inner: Mutex<Inner>,
    /// One sync at a time (sign-in, timer, button).
    syncing: Mutex<()>,
}

impl Connectivity {
    pub fn new(central: Store, copy: OfflineCopy) -> Self {
        Self {
            central,
            copy,
            inner: Mutex::new(Inner {
                online: true,
                copy: None,
                synced_at: None,
                next_probe: Instant::now() + ONLINE_PROBE_EVERY,
                backoff: FIRST_BACKOFF,
            }),
            syncing: Mutex::new(()),
        }
    }

    pub fn central(&self) -> &Store {
        &self.central
    }
    pub fn offline_copy(&self) -> &OfflineCopy {
        &self.copy
    }

    pub async fn is_online(&self) -> bool {
        self.inner.lock().await.online
    }

    /// The store to use now: the central one, or the copy (read-only) while offline.
    pub async fn store(&self) -> Result<Store> {
        let mut inner = self.inner.lock().await;
        if inner.online {
            return Ok(self.central.clone());
        }
        if inner.copy.is_none() {
            inner.copy = self.copy.open().await.unwrap_or(None);
        }
        match &inner.copy {
            Some(c) => Ok(c.store.clone()),
            None => Err(Error::Unavailable(NO_COPY.into())),
        }
    }

    /// Runs one action on the right store. An action that finds the central
    /// database gone switches the app offline and runs once more on the copy, where
    /// a read answers and a write is refused.
    pub async fn run<T, F, Fut>(&self, action: F) -> Result<T>
    where
        F: Fn(Store) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        self.tick().await;
        let store = self.store().await?;
        let was_online = !store.is_read_only();
        match action(store).await {
            Err(e) if was_online && e.kind() == ErrorKind::Unavailable => {
                if probe(&self.central).await {
                    return Err(e);
                }
                self.go_offline().await;
                action(self.store().await?).await
            }
            other => other,
        }
    }

    /// Probes the central database when due; `Some(online)` when the state changed.
    pub async fn tick(&self) -> Option<bool> {
        let (online, due) = {
            let inner = self.inner.lock().await;
            (inner.online, Instant::now() >= inner.next_probe)
        };
        if !due {
            return None;
        }
        let answers = probe(&self.central).await;
        let mut inner = self.inner.lock().await;
        match (online, answers) {
            (true, true) => {
                inner.next_probe = Instant::now() + ONLINE_PROBE_EVERY;
                None
            }
            (true, false) => {
                drop(inner);
                self.go_offline().await;
                Some(false)
            }
            (false, true) => {
                tracing::info!("central database answers again: back online");
                inner.online = true;
                inner.backoff = FIRST_BACKOFF;
                inner.next_probe = Instant::now() + ONLINE_PROBE_EVERY;
                // The central store's schema state may have been read while it was
                // gone; read it again before anything writes.
                drop(inner);
                let _ = self.central.refresh_schema_state().await;
                Some(true)
            }
            (false, false) => {
                inner.next_probe = Instant::now() + inner.backoff;
                inner.backoff = (inner.backoff * 2).min(MAX_BACKOFF);
                None
            }
        }
    }

    async fn go_offline(&self) {
        let mut inner = self.inner.lock().await;
        if inner.online {
            tracing::info!("central database does not answer: offline, reading the copy");
        }
        inner.online = false;
        inner.next_probe = Instant::now() + inner.backoff;
        if inner.copy.is_none() {
            inner.copy = self.copy.open().await.unwrap_or(None);
        }
    }

    /// The state for the window's notice, as of `now_ms`.
    pub async fn state(&self, now_ms: i64) -> OfflineState {
        let mut inner = self.inner.lock().await;
        if inner.copy.is_none() && !inner.online {
            inner.copy = self.copy.open().await.unwrap_or(None);
        }
        if inner.synced_at.is_none() && inner.copy.is_none() {
            let meta = self.copy.open().await.unwrap_or(None);
            inner.synced_at = Some(meta.as_ref().map(|c| c.meta.synced_at));
            if let Some(c) = meta {
                c.store.close().await;
            }
        }
        let synced = match &inner.copy {
            Some(c) => Some(c.meta.synced_at),
            None => inner.synced_at.flatten(),
        };
        let notice = (!inner.online).then(|| match synced {
            Some(at) => offline_notice(at, now_ms),
            None => NO_COPY.to_string(),
        });
        OfflineState {
            online: inner.online,
            copy_synced_at: synced,
            notice,
        }
    }

    /// Syncs the copy from the central database (sign-in, timer, « Synchroniser
    /// maintenant »). Offline, it says so and changes nothing.
    pub async fn sync(&self, progress: &(dyn Fn(Progress) + Send + Sync)) -> Result<SyncReport> {
        let _one = self.syncing.lock().await;
        if !self.is_online().await {
            return Err(Error::Unavailable(
                "Hors connexion : la copie ne peut pas être synchronisée tant que la base centrale ne répond pas.".into(),
            ));
        }
        // The copy being read may be replaced by the sync: close it first.
        if let Some(c) = self.inner.lock().await.copy.take() {
            c.store.close().await;
        }
        let result = self.copy.sync(&self.central, progress).await;
        if let Ok(report) = &result {
            self.inner.lock().await.synced_at = Some(Some(report.synced_at));
        }
        if let Err(e) = &result {
            if e.kind() == ErrorKind::Unavailable && !probe(&self.central).await {
                self.go_offline().await;
            }
        }
        result
    }
}

async fn probe(central: &Store) -> bool {
    matches!(
        tokio::time::timeout(
            PROBE_TIMEOUT,
            sqlx::query("SELECT 1").execute(central.pool())
        )
        .await,
        Ok(Ok(_))
    )
}

/// « Hors connexion : données du 1er décembre à 14 h 05 (il y a 12 min) », in
/// Paris time.
pub fn offline_notice(synced_at_ms: i64, now_ms: i64) -> String {
    use chrono::{Datelike, TimeZone, Timelike};
    const MONTHS: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    let Some(at) = chrono::Utc
        .timestamp_millis_opt(synced_at_ms)
        .single()
        .map(|t| t.with_timezone(&chrono_tz::Europe::Paris))
    else {
        return "Hors connexion : données de la copie locale.".into();
    };
    let day = match at.day() {
        1 => "1er".to_string(),
        d => d.to_string(),
    };
    let month = MONTHS[at.month0() as usize % 12];
    let minutes = ((now_ms - synced_at_ms).max(0) / 60_000) as u64;
    let ago = match minutes {
        0 => "à l’instant".to_string(),
        m if m < 60 => format!("il y a {m}\u{a0}min"),
        m if m < 48 * 60 => format!("il y a {}\u{a0}h", m / 60),
        m => format!("il y a {}\u{a0}jours", m / (24 * 60)),
    };
    format!(
        "Hors connexion : données du {day}\u{a0}{month} à {}\u{a0}h\u{a0}{:02} ({ago})",
        at.hour(),
        at.minute()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_notice_reads_as_french() {
        // 1 December 2026, 13:05 UTC = 14:05 in Paris.
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-01T13:05:00Z")
            .unwrap()
            .timestamp_millis();
        assert_eq!(
            offline_notice(at, at + 12 * 60_000),
            "Hors connexion : données du 1er\u{a0}décembre à 14\u{a0}h\u{a0}05 (il y a 12\u{a0}min)"
        );
        assert!(offline_notice(at, at + 3 * 3_600_000).ends_with("(il y a 3\u{a0}h)"));
    }
}
