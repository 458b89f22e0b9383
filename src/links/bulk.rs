//! Bulk dispatch: thousands of links when an exam session opens. Disabled and
//! unknown addresses are skipped (and reported), the requests are queued in
//! batches, then the worker delivers them at the relay's pace. Progress goes to a
//! callback the command line (progress bar) and the desktop app (channel) share.

use std::sync::Mutex;

use serde::Serialize;

use crate::domain::{AccountStatus, LinkPurpose};
use crate::error::{Error, ErrorKind, Result};
use crate::links::history::{batch_links, LinkState};
use crate::links::request::{
    default_purpose, enqueue_many, request_in_database, resolve, Selection, ENQUEUE_MAX,
};
use crate::outbox::{CancelToken, Delivered, Worker};
use crate::store::{Backend, Store};

/// Where a bulk dispatch stands. `total` counts the links to send (skipped
/// addresses apart); `done` those sent or failed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BulkProgress {
    pub done: u64,
    pub total: u64,
    pub failed: u64,
    pub skipped: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct AddressIssue {
    pub email: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct BulkSummary {
    pub batch_id: String,
    pub total: u64,
    pub sent: u64,
    /// Still waiting (relay unreachable): the worker sends them later by itself.
    pub queued: u64,
    pub failed: Vec<AddressIssue>,
    pub skipped: Vec<AddressIssue>,
    pub cancelled: bool,
}

/// Sends a link to every account of the selection, then delivers them.
/// `purpose: None` picks initialisation or reset per account.
///
/// `worker` delivers as the requests are committed (the embedded base, where the
/// desk is its own mail service). Without one (an agent on PostgreSQL), the
/// requests are queued for `siec-accounts mailer` and the progress follows what
/// it records, as long as a mail service is alive.
pub async fn send_bulk(
    store: &Store,
    worker: Option<&Worker>,
    selection: &Selection,
    purpose: Option<LinkPurpose>,
    progress: &(dyn Fn(BulkProgress) + Sync),
    cancel: &CancelToken,
) -> Result<BulkSummary> {
    dispatch(store, worker, true, selection, purpose, progress, cancel).await
}

/// Records a link request for every account of the selection and delivers none,
/// nor waits for them: they leave with the next delivery run (the desk's worker,
/// `outbox run`, or the mail service on PostgreSQL).
pub async fn queue_bulk(
    store: &Store,
    selection: &Selection,
    purpose: Option<LinkPurpose>,
) -> Result<BulkSummary> {
    dispatch(
        store,
        None,
        false,
        selection,
        purpose,
        &|_| {},
        &CancelToken::new(),
    )
    .await
}

/// `follow_delivery`: without a worker, follow what the mail service records
/// until the batch has left (or no mail service is alive).
async fn dispatch(
    store: &Store,
    worker: Option<&Worker>,
    follow_delivery: bool,
    selection: &Selection,
    purpose: Option<LinkPurpose>,
    progress: &(dyn Fn(BulkProgress) + Sync),
    cancel: &CancelToken,
) -> Result<BulkSummary> {
    let targets = resolve(store, selection).await?;
    let mut skipped = Vec::new();
    let mut accounts = Vec::new();
    for t in targets {
        match t.account {
            None => skipped.push(AddressIssue {
                email: t.shown,
                reason: "adresse absente de la base".into(),
            }),
            Some(a) if a.status == AccountStatus::Disabled => skipped.push(AddressIssue {
                email: a.email.clone(),
                reason: "compte désactivé".into(),
            }),
            Some(a) => accounts.push(a),
        }
    }
    let batch_id = uuid::Uuid::new_v4().to_string();
    let mut state = BulkProgress {
        total: accounts.len() as u64,
        skipped: skipped.len() as u64,
        ..Default::default()
    };
    progress(state);

    // Progress comes from the worker's own reports (rows of this batch only):
    // no database round trip while the lanes hold connections.
    let counted = Mutex::new(state);
    let on_batch = |rows: &[(Option<&str>, Delivered)]| {
        let mut p = match counted.lock() {
            Ok(p) => p,
            Err(poisoned) => poisoned.into_inner(),
        };
        for (b, d) in rows {
            if *b != Some(batch_id.as_str()) {
                continue;
            }
            match d {
                Delivered::Sent => p.done += 1,
                Delivered::Failed => {
                    p.done += 1;
                    p.failed += 1;
                }
                Delivered::Retried => {}
            }
        }
        progress(*p);
    };
    // Delivery starts with the first committed chunk instead of waiting for the
    // whole selection: passes follow one another until one that began after the
    // last chunk was committed (so it saw every request) comes back empty-handed.
    let enqueued = std::sync::atomic::AtomicBool::new(false);
    let enqueue_all = async {
        let result = async {
            for chunk in accounts.chunks(ENQUEUE_MAX) {
                if cancel.is_cancelled() {
                    break;
                }
                let now = store.now_ms();
                let mut tx = store.begin_write().await?;
                match store.backend() {
                    Backend::Postgres => {
                        let ids: Vec<i64> = chunk.iter().map(|a| a.id).collect();
                        request_in_database(&mut tx, &ids, purpose, Some(&batch_id)).await?;
                    }
                    Backend::Sqlite => {
                        let requests: Vec<_> = chunk
                            .iter()
                            .map(|a| (a, purpose.unwrap_or_else(|| default_purpose(a))))
                            .collect();
                        enqueue_many(&mut tx, store, &requests, Some(&batch_id), now).await?;
                    }
                }
                tx.commit().await?;
            }
            Ok::<_, crate::error::Error>(())
        }
        .await;
        enqueued.store(true, std::sync::atomic::Ordering::SeqCst);
        result
    };
    let deliver_all = async {
        let Some(worker) = worker else {
            if !follow_delivery {
                return Ok(());
            }
            return follow(store, &batch_id, &enqueued, state, progress, cancel).await;
        };
        loop {
            let last_pass = enqueued.load(std::sync::atomic::Ordering::SeqCst);
            worker.deliver_due(cancel, &on_batch).await?;
            if last_pass || cancel.is_cancelled() {
                return Ok::<_, crate::error::Error>(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    };
    let (enqueued_result, delivered) = tokio::join!(enqueue_all, deliver_all);
    enqueued_result?;
    delivered?;
    if cancel.is_cancelled() {
        withdraw(store, &batch_id).await?;
    }
    let summary = summary(store, &batch_id, skipped, cancel.is_cancelled()).await?;
    state.done = summary.sent + summary.failed.len() as u64;
    state.failed = summary.failed.len() as u64;
    progress(state);
    Ok(summary)
}

/// How often a desk without a worker looks at what the mail service recorded.
const FOLLOW_EVERY: std::time::Duration = std::time::Duration::from_millis(300);

/// Progress of a batch delivered by the mail service: read from the outbox until
/// nothing of it waits, the agent cancels, or no mail service is alive (the links
/// then stay queued and the summary says so).
async fn follow(
    store: &Store,
    batch_id: &str,
    enqueued: &std::sync::atomic::AtomicBool,
    mut state: BulkProgress,
    progress: &(dyn Fn(BulkProgress) + Sync),
    cancel: &CancelToken,
) -> Result<()> {
    loop {
        tokio::time::sleep(FOLLOW_EVERY).await;
        let all_queued = enqueued.load(std::sync::atomic::Ordering::SeqCst);
        let c = crate::outbox::counts(store, Some(batch_id)).await?;
        state.done = c.sent + c.failed;
        state.failed = c.failed;
        progress(state);
        if cancel.is_cancelled() || (all_queued && c.queued + c.sending == 0) {
            return Ok(());
        }
        if all_queued && crate::outbox::mailer_absence(store).await?.is_some() {
            return Ok(());
        }
    }
}

/// Cancelling stops what has not left yet; those links can be sent again with `retry_failed`.
async fn withdraw(store: &Store, batch_id: &str) -> Result<u64> {
    if store.backend() == Backend::Postgres {
        let (n,): (i64,) = sqlx::query_as("SELECT siec_cancel_batch($1)")
            .bind(batch_id)
            .fetch_one(store.pool())
            .await?;
        return Ok(n.max(0) as u64);
    }
    let mut tx = store.begin_write().await?;
    let n = sqlx::query(
        "UPDATE mail_outbox SET state = 'failed', last_error = 'Envoi annulé par l''agent.' WHERE batch_id = $1 AND state = 'queued'",
    )
    .bind(batch_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(n)
}

async fn summary(
    store: &Store,
    batch_id: &str,
    skipped: Vec<AddressIssue>,
    cancelled: bool,
) -> Result<BulkSummary> {
    let links = batch_links(store, batch_id).await?;
    let mut s = BulkSummary {
        batch_id: batch_id.to_string(),
        total: links.len() as u64,
        sent: 0,
        queued: 0,
        failed: Vec::new(),
        skipped,
        cancelled,
    };
    for l in links {
        match l.state {
            LinkState::Failed => s.failed.push(AddressIssue {
                email: l.email,
                reason: l.reason.unwrap_or_default(),
            }),
            LinkState::Queued => s.queued += 1,
            _ => s.sent += 1,
        }
    }
    Ok(s)
}

/// Puts the failed links of a bulk dispatch back in the queue (fresh attempts),
/// except those whose account was disabled or whose password was set since.
/// Returns how many will be sent again.
pub async fn retry_failed(store: &Store, batch_id: &str) -> Result<u64> {
    if store.backend() == Backend::Postgres {
        let (n,): (i64,) = sqlx::query_as("SELECT siec_retry_batch($1)")
            .bind(batch_id)
            .fetch_one(store.pool())
            .await
            .map_err(|e| match Error::from(e) {
                e if e.kind() == ErrorKind::NotFound => unknown_batch(batch_id),
                e => e,
            })?;
        return Ok(n.max(0) as u64);
    }
    let now = store.now_ms();
    let mut tx = store.begin_write().await?;
    let (known,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM mail_outbox WHERE batch_id = $1")
        .bind(batch_id)
        .fetch_one(&mut *tx)
        .await?;
    if known == 0 {
        return Err(unknown_batch(batch_id));
    }
    let n = sqlx::query(
        "UPDATE mail_outbox SET state = 'queued', attempts = 0, next_attempt_at = $1, last_error = NULL, locked_until = NULL \
         WHERE batch_id = $2 AND state = 'failed' AND link_request_id IN ( \
             SELECT l.id FROM link_requests l JOIN accounts a ON a.id = l.account_id \
             WHERE l.used_at IS NULL AND l.revoked_at IS NULL AND a.status <> 'disabled')",
    )
    .bind(now)
    .bind(batch_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    crate::audit::record(
        &mut tx,
        store,
        "link.retry",
        &format!("envoi groupé {batch_id}"),
        None,
        Some(serde_json::json!({ "requeued": n })),
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

fn unknown_batch(batch_id: &str) -> Error {
    Error::not_found(format!(
        "Aucun envoi groupé « {} » : vérifiez l'identifiant donné à la fin de l'envoi.",
        crate::text::quote_input(batch_id)
    ))
}
