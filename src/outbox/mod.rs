//! The outbox worker: drains `mail_outbox`, one lease at a time, with retries and
//! exponential back-off.
//!
//! The token of a link is drawn here, at delivery time, and only its SHA-256 is
//! committed (with `expires_at`) *before* the mail leaves; the clear token exists
//! only in memory and in the mail. A row whose worker died stays `sending` until its
//! lease ends, then is claimed again: a new token replaces the hash (any copy of the
//! earlier mail dies with it) and the mail keeps the same Message-ID. So a request
//! is never lost and yields at most one working link; the one case that can put two
//! copies in a mailbox is a crash between the relay's « 250 » and the commit of
//! `sent`, and then both copies carry the same Message-ID and only the second link works.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use sqlx::Row;

use crate::config::Settings;
use crate::domain::{AccountStatus, LinkPurpose};
use crate::error::{Error, Result};
use crate::links::Token;
use crate::mail::{LinkMail, MailTemplate, SendFailure, Transport, TransportConfig};
use crate::store::{Backend, Store};

mod mailer;
pub use mailer::{heartbeat, mailer_absence, run_service, MailerAbsence, HEARTBEAT_STALE_MS};

/// Called after each recorded batch with `(batch id, outcome)` per row.
pub type OnBatch<'a> = dyn Fn(&[(Option<&str>, Delivered)]) + Sync + 'a;

/// Stops a long delivery or bulk dispatch between two messages.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub lifetime_minutes: i64,
    /// Messages per second towards the relay, all connections together.
    pub rate_per_second: i64,
    /// Deliveries in flight at once (one per pooled SMTP connection). Twice as
    /// many lanes claim, send and record batches: while one lane is in the
    /// database, another uses the connection (the SMTP pool itself never opens
    /// more than its size).
    pub concurrency: usize,
    /// Rows claimed per lease.
    pub batch_size: i64,
    /// How long a claimed row belongs to this worker. Must outlast a batch:
    /// a batch stops at the first relay outage, so its worst case is one timeout
    /// per message actually refused slowly.
    pub lease_ms: i64,
    pub max_attempts: i64,
    /// First retry delay; doubles each attempt up to `max_backoff_ms`.
    pub base_backoff_ms: i64,
    pub max_backoff_ms: i64,
}

/// Lanes per delivery slot (see [`WorkerConfig::concurrency`]).
const LANES_PER_CONNECTION: usize = 2;

impl WorkerConfig {
    pub fn from_settings(settings: &Settings, transport: &TransportConfig) -> Result<Self> {
        Ok(Self {
            lifetime_minutes: settings.link_lifetime_minutes()?,
            rate_per_second: settings.rate_per_second()?,
            concurrency: transport.concurrency(),
            ..Self::default()
        })
    }

    /// Delay before attempt `attempts + 1`.
    pub fn backoff_ms(&self, attempts: i64) -> i64 {
        let exp = (attempts - 1).clamp(0, 30) as u32;
        self.base_backoff_ms
            .saturating_mul(1i64 << exp)
            .min(self.max_backoff_ms)
    }
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            lifetime_minutes: 60,
            rate_per_second: 50,
            concurrency: 1,
            batch_size: 25,
            lease_ms: 10 * 60_000,
            max_attempts: 16,
            base_backoff_ms: 30_000,
            max_backoff_ms: 30 * 60_000,
        }
    }
}

/// What one run of the worker did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct DeliveryReport {
    pub sent: u64,
    pub failed: u64,
    /// Transient failures put back in the queue for later.
    pub retried: u64,
}

#[derive(Default)]
struct Counters {
    sent: AtomicU64,
    failed: AtomicU64,
    retried: AtomicU64,
}

/// Paces sends across all connections.
struct RateLimiter {
    interval: Duration,
    next: tokio::sync::Mutex<tokio::time::Instant>,
}

impl RateLimiter {
    fn new(per_second: i64) -> Self {
        let interval = Duration::from_secs_f64(1.0 / per_second.max(1) as f64);
        Self {
            interval,
            next: tokio::sync::Mutex::new(tokio::time::Instant::now()),
        }
    }
    async fn wait(&self) {
        let slot = {
            let mut next = self.next.lock().await;
            let now = tokio::time::Instant::now();
            let slot = (*next).max(now);
            *next = slot + self.interval;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

/// What became of one row in a batch, for progress reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivered {
    Sent,
    Failed,
    /// Back in the queue for a later attempt.
    Retried,
}

struct Claimed {
    outbox_id: String,
    batch_id: Option<String>,
    link_id: String,
    recipient: String,
    purpose: LinkPurpose,
    attempts: i64,
    /// Why it must not be sent (account disabled, link dead), if so.
    withdrawn: Option<String>,
}

/// What a mail looks like for one pass of the worker: on PostgreSQL read from
/// `link_settings` at the start of each pass, so an administrator's change
/// applies to the next mail without restarting the mail service.
struct Shape {
    template: MailTemplate,
    lifetime_minutes: i64,
}

enum Outcome {
    Sent,
    Failed(String),
    Retry(String),
}

pub struct Worker {
    store: Store,
    transport: Transport,
    template: MailTemplate,
    config: WorkerConfig,
    limiter: RateLimiter,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("transport", &self.transport)
            .field("config", &self.config)
            .finish()
    }
}

impl Worker {
    /// From the settings; `smtp_password` comes from the OS keyring.
    pub fn from_settings(
        store: Store,
        settings: &Settings,
        smtp_password: Option<secrecy::SecretString>,
    ) -> Result<Self> {
        let transport_config = TransportConfig::from_settings(settings, smtp_password)?;
        let config = WorkerConfig::from_settings(settings, &transport_config)?;
        let template = MailTemplate::new(settings.sender(), settings.portal_url())?;
        Ok(Self::new(
            store,
            Transport::new(&transport_config)?,
            template,
            config,
        ))
    }

    pub fn new(
        store: Store,
        transport: Transport,
        template: MailTemplate,
        config: WorkerConfig,
    ) -> Self {
        let limiter = RateLimiter::new(config.rate_per_second);
        Self {
            store,
            transport,
            template,
            config,
            limiter,
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }
    pub fn config(&self) -> &WorkerConfig {
        &self.config
    }
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// Delivers every row that is due, until none is left (rows put back for a
    /// later retry are not due). `on_batch` gets each recorded batch: the bulk
    /// dispatch it belongs to (if any) and what became of it.
    pub async fn deliver_due(
        &self,
        cancel: &CancelToken,
        on_batch: &OnBatch<'_>,
    ) -> Result<DeliveryReport> {
        self.store.ensure_writable()?;
        let shape = self.shape().await?;
        let counters = Counters::default();
        let lanes = (0..self.config.concurrency.max(1) * LANES_PER_CONNECTION)
            .map(|_| self.lane(&shape, cancel, on_batch, &counters));
        let results = join_all(lanes).await;
        let report = DeliveryReport {
            sent: counters.sent.load(Ordering::SeqCst),
            failed: counters.failed.load(Ordering::SeqCst),
            retried: counters.retried.load(Ordering::SeqCst),
        };
        for r in results {
            r?;
        }
        Ok(report)
    }

    /// The desktop app's background loop: deliver what is due, then wait a little.
    pub async fn run(&self, cancel: &CancelToken, idle: Duration) {
        while !cancel.is_cancelled() {
            if let Err(e) = self.deliver_due(cancel, &|_| {}).await {
                tracing::warn!("envoi des messages : {e}");
            }
            let until = tokio::time::Instant::now() + idle;
            while !cancel.is_cancelled() && tokio::time::Instant::now() < until {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }

    async fn shape(&self) -> Result<Shape> {
        match self.store.backend() {
            Backend::Postgres => {
                let shared = crate::links::settings::shared(&self.store).await?;
                Ok(Shape {
                    template: MailTemplate::new(&shared.sender, &shared.portal_url)?,
                    lifetime_minutes: crate::links::check_lifetime(shared.lifetime_minutes)?,
                })
            }
            Backend::Sqlite => Ok(Shape {
                template: self.template.clone(),
                lifetime_minutes: crate::links::check_lifetime(self.config.lifetime_minutes)?,
            }),
        }
    }

    async fn lane(
        &self,
        shape: &Shape,
        cancel: &CancelToken,
        on_batch: &OnBatch<'_>,
        counters: &Counters,
    ) -> Result<()> {
        while !cancel.is_cancelled() {
            let batch = self.claim(shape.lifetime_minutes).await?;
            if batch.is_empty() {
                return Ok(());
            }
            let mut outcomes = Vec::with_capacity(batch.len());
            let mut outage: Option<String> = None;
            for (item, token) in batch {
                let outcome = match (&item.withdrawn, token, &outage) {
                    (Some(reason), _, _) => Outcome::Failed(reason.clone()),
                    (None, _, Some(reason)) => Outcome::Retry(reason.clone()),
                    (None, Some(token), None) => match self.send(shape, &item, &token).await {
                        Ok(()) => Outcome::Sent,
                        Err(SendFailure::Permanent(r)) => Outcome::Failed(r),
                        Err(SendFailure::Transient(r)) => {
                            // The relay is down or busy: the rest of this batch
                            // would only wait for the same timeout.
                            outage = Some(r.clone());
                            Outcome::Retry(r)
                        }
                    },
                    (None, None, None) => Outcome::Failed("Lien introuvable.".into()),
                };
                outcomes.push((item, outcome));
            }
            self.record(&outcomes, counters).await?;
            let report: Vec<(Option<&str>, Delivered)> = outcomes
                .iter()
                .map(|(item, o)| {
                    let d = match o {
                        Outcome::Sent => Delivered::Sent,
                        Outcome::Retry(_) if item.attempts < self.config.max_attempts => {
                            Delivered::Retried
                        }
                        Outcome::Failed(_) | Outcome::Retry(_) => Delivered::Failed,
                    };
                    (item.batch_id.as_deref(), d)
                })
                .collect();
            on_batch(&report);
        }
        Ok(())
    }

    /// Takes a lease on due rows and, in the same transaction, gives each live
    /// link a fresh token (hash and expiry committed before any mail leaves).
    async fn claim(&self, lifetime_minutes: i64) -> Result<Vec<(Claimed, Option<Token>)>> {
        let now = self.store.now_ms();
        // Checked: a lifetime from elsewhere must not overflow into a panic (or a
        // link that never expires).
        let expires_at = lifetime_minutes
            .checked_mul(60_000)
            .and_then(|ms| now.checked_add(ms))
            .ok_or_else(|| {
                Error::invalid(format!(
                    "Durée de validité des liens « {lifetime_minutes} » refusée : elle doit être comprise entre 5 minutes et 24 heures."
                ))
            })?;
        let lock = match self.store.backend() {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let mut tx = self.store.begin_write().await?;
        let sql = format!(
            "UPDATE mail_outbox SET state = 'sending', locked_until = $1, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM mail_outbox \
                          WHERE (state = 'queued' AND next_attempt_at <= $2) OR (state = 'sending' AND locked_until <= $2) \
                          ORDER BY next_attempt_at, id LIMIT $3{lock}) \
             RETURNING id"
        );
        let ids: Vec<(String,)> = sqlx::query_as(&sql)
            .bind(now + self.config.lease_ms)
            .bind(now)
            .bind(self.config.batch_size)
            .fetch_all(&mut *tx)
            .await?;
        if ids.is_empty() {
            tx.commit().await?;
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT o.id, o.batch_id, o.recipient, CAST(o.attempts AS BIGINT) AS attempts, l.id AS link_id, l.purpose, \
                    l.used_at, l.revoked_at, a.status \
             FROM mail_outbox o JOIN link_requests l ON l.id = o.link_request_id JOIN accounts a ON a.id = l.account_id \
             WHERE o.id IN ({}) ORDER BY o.next_attempt_at, o.id",
            placeholders.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for (id,) in &ids {
            q = q.bind(id);
        }
        let rows = q.fetch_all(&mut *tx).await?;
        let mut claimed = Vec::with_capacity(rows.len());
        for row in rows {
            let status: String = row.try_get("status")?;
            let purpose: String = row.try_get("purpose")?;
            let withdrawn = if status == AccountStatus::Disabled.code() {
                Some("Envoi annulé : le compte a été désactivé entre-temps.".to_string())
            } else if row.try_get::<Option<i64>, _>("used_at")?.is_some()
                || row.try_get::<Option<i64>, _>("revoked_at")?.is_some()
            {
                Some("Envoi annulé : le mot de passe a été défini entre-temps.".to_string())
            } else {
                None
            };
            let item = Claimed {
                outbox_id: row.try_get("id")?,
                batch_id: row.try_get("batch_id")?,
                link_id: row.try_get("link_id")?,
                recipient: row.try_get("recipient")?,
                purpose: LinkPurpose::from_code(&purpose).unwrap_or(LinkPurpose::Reset),
                attempts: row.try_get("attempts")?,
                withdrawn,
            };
            let token = item.withdrawn.is_none().then(Token::generate);
            claimed.push((item, token));
        }
        // Every fresh token's hash and expiry in one statement (one round trip per
        // batch, not per row).
        let fresh: Vec<(&str, String)> = claimed
            .iter()
            .filter_map(|(item, token)| {
                token
                    .as_ref()
                    .map(|t| (item.link_id.as_str(), t.hash().as_str().to_string()))
            })
            .collect();
        if !fresh.is_empty() {
            let n = fresh.len();
            let cases: Vec<String> = (0..n)
                .map(|i| format!("WHEN ${} THEN ${}", 2 * i + 1, 2 * i + 2))
                .collect();
            let ids: Vec<String> = (0..n).map(|i| format!("${}", 2 * n + 2 + i)).collect();
            let sql = format!(
                "UPDATE link_requests SET token_hash = CASE id {} END, expires_at = ${} WHERE id IN ({})",
                cases.join(" "),
                2 * n + 1,
                ids.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for (link_id, hash) in &fresh {
                q = q.bind(*link_id).bind(hash.as_str());
            }
            q = q.bind(expires_at);
            for (link_id, _) in &fresh {
                q = q.bind(*link_id);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(claimed)
    }

    async fn send(
        &self,
        shape: &Shape,
        item: &Claimed,
        token: &Token,
    ) -> std::result::Result<(), SendFailure> {
        let url = shape.template.link_url(token.expose());
        let message = shape
            .template
            .build(&LinkMail {
                outbox_id: &item.outbox_id,
                recipient: &item.recipient,
                purpose: item.purpose,
                url: &url,
                lifetime_minutes: shape.lifetime_minutes,
                date_ms: self.store.now_ms(),
            })
            .map_err(|e| SendFailure::Permanent(e.to_string()))?;
        self.limiter.wait().await;
        self.transport.send(&item.outbox_id, message).await
    }

    async fn record(&self, outcomes: &[(Claimed, Outcome)], counters: &Counters) -> Result<()> {
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        // The sent rows in one statement; the others carry a reason each.
        let sent: Vec<&str> = outcomes
            .iter()
            .filter(|(_, o)| matches!(o, Outcome::Sent))
            .map(|(item, _)| item.outbox_id.as_str())
            .collect();
        if !sent.is_empty() {
            let placeholders: Vec<String> =
                (0..sent.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "UPDATE mail_outbox SET state = 'sent', sent_at = $1, locked_until = NULL, last_error = NULL WHERE id IN ({})",
                placeholders.join(", ")
            );
            let mut q = sqlx::query(&sql).bind(now);
            for id in &sent {
                q = q.bind(*id);
            }
            q.execute(&mut *tx).await?;
            counters.sent.fetch_add(sent.len() as u64, Ordering::SeqCst);
        }
        for (item, outcome) in outcomes {
            match outcome {
                Outcome::Sent => {}
                Outcome::Retry(reason) if item.attempts < self.config.max_attempts => {
                    sqlx::query(
                        "UPDATE mail_outbox SET state = 'queued', next_attempt_at = $1, locked_until = NULL, last_error = $2 WHERE id = $3",
                    )
                    .bind(now + self.config.backoff_ms(item.attempts))
                    .bind(reason)
                    .bind(&item.outbox_id)
                    .execute(&mut *tx)
                    .await?;
                    counters.retried.fetch_add(1, Ordering::SeqCst);
                }
                Outcome::Failed(_) | Outcome::Retry(_) => {
                    let reason = match outcome {
                        Outcome::Retry(r) => {
                            format!("Abandon après {} tentatives : {r}", item.attempts)
                        }
                        Outcome::Failed(r) => r.clone(),
                        Outcome::Sent => continue,
                    };
                    sqlx::query("UPDATE mail_outbox SET state = 'failed', locked_until = NULL, last_error = $1 WHERE id = $2")
                        .bind(reason)
                        .bind(&item.outbox_id)
                        .execute(&mut *tx)
                        .await?;
                    counters.failed.fetch_add(1, Ordering::SeqCst);
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Makes every queued row due now (« outbox run » delivers without waiting for
/// the back-off). Returns how many rows were brought forward.
pub async fn bring_forward(store: &Store) -> Result<u64> {
    if store.backend() == Backend::Postgres {
        let (n,): (i64,) = sqlx::query_as("SELECT siec_bring_forward()")
            .fetch_one(store.pool())
            .await?;
        return Ok(n.max(0) as u64);
    }
    let now = store.now_ms();
    let mut tx = store.begin_write().await?;
    let n = sqlx::query("UPDATE mail_outbox SET next_attempt_at = $1 WHERE state = 'queued' AND next_attempt_at > $1")
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
    Ok(n)
}

/// Rows by state, for « outbox run » and the desktop status bar.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct OutboxCounts {
    pub queued: u64,
    pub sending: u64,
    pub sent: u64,
    pub failed: u64,
}

pub async fn counts(store: &Store, batch_id: Option<&str>) -> Result<OutboxCounts> {
    let rows: Vec<(String, i64)> = match batch_id {
        Some(b) => {
            sqlx::query_as(
                "SELECT state, COUNT(*) FROM mail_outbox WHERE batch_id = $1 GROUP BY state",
            )
            .bind(b)
            .fetch_all(store.pool())
            .await?
        }
        None => {
            sqlx::query_as("SELECT state, COUNT(*) FROM mail_outbox GROUP BY state")
                .fetch_all(store.pool())
                .await?
        }
    };
    let mut c = OutboxCounts::default();
    for (state, n) in rows {
        let n = n as u64;
        match state.as_str() {
            "queued" => c.queued = n,
            "sending" => c.sending = n,
            "sent" => c.sent = n,
            "failed" => c.failed = n,
            other => return Err(Error::Internal(format!("État d'envoi inconnu : {other}"))),
        }
    }
    Ok(c)
}
