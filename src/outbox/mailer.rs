//! The mail service (`siec-accounts mailer`): on PostgreSQL, the only place where
//! tokens are minted and mails leave. It runs as a `siec_mailer` login, records a
//! heartbeat the desks read, and stops between two messages when asked. Several
//! instances share the queue safely: each claims rows under a lease
//! (`FOR UPDATE SKIP LOCKED`), so a row is in one instance's hands at a time.

use std::time::Duration;

use serde::Serialize;

use super::{CancelToken, Worker};
use crate::error::Result;
use crate::store::{Backend, Store};

/// A mail service not seen for this long is taken as gone.
pub const HEARTBEAT_STALE_MS: i64 = 3 * 60_000;

/// Queued links older than this, with no mail service alive, are « waiting ».
const WAITING_AFTER_MS: i64 = 60_000;

/// Says the mail service instance `instance` is alive; returns the database's time.
pub async fn heartbeat(store: &Store, instance: &str, started_at: i64) -> Result<i64> {
    let (at,): (i64,) = sqlx::query_as("SELECT siec_mailer_heartbeat($1, $2)")
        .bind(instance)
        .bind(started_at)
        .fetch_one(store.pool())
        .await?;
    Ok(at)
}

/// Links wait and no mail service has been seen lately.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MailerAbsence {
    /// When a mail service was last seen, if ever.
    pub last_seen_at: Option<i64>,
    pub waiting: u64,
    /// « Aucun service d'envoi actif depuis 14 h 02 : les liens attendent »
    pub message: String,
}

/// `Some` when, on PostgreSQL, links have been waiting a while and no mail service
/// has been seen for [`HEARTBEAT_STALE_MS`]. Always `None` on the embedded base,
/// where the desk delivers itself.
pub async fn mailer_absence(store: &Store) -> Result<Option<MailerAbsence>> {
    if store.backend() != Backend::Postgres {
        return Ok(None);
    }
    let (now, last_seen, waiting): (i64, Option<i64>, i64) = sqlx::query_as(
        "SELECT siec_now_ms(), (SELECT MAX(seen_at) FROM mailer_heartbeat), \
                (SELECT COUNT(*) FROM mail_outbox WHERE state = 'queued' AND created_at <= siec_now_ms() - $1)",
    )
    .bind(WAITING_AFTER_MS)
    .fetch_one(store.pool())
    .await?;
    let alive = last_seen.is_some_and(|at| now - at < HEARTBEAT_STALE_MS);
    if alive || waiting == 0 {
        return Ok(None);
    }
    let message = match last_seen {
        Some(at) => format!(
            "Aucun service d'envoi actif depuis {} : les liens attendent",
            since_label(at, now)
        ),
        None => "Aucun service d'envoi n'a encore été vu sur cette base : les liens attendent"
            .to_string(),
    };
    Ok(Some(MailerAbsence {
        last_seen_at: last_seen,
        waiting: waiting.max(0) as u64,
        message,
    }))
}

/// « 14 h 02 » today, « le 28/11 à 14 h 02 » another day (Paris time).
fn since_label(at: i64, now: i64) -> String {
    use chrono::TimeZone;
    let paris = chrono_tz::Europe::Paris;
    let (Some(at), Some(now)) = (
        paris.timestamp_millis_opt(at).single(),
        paris.timestamp_millis_opt(now).single(),
    ) else {
        return String::from("longtemps");
    };
    let time = at.format("%H\u{a0}h\u{a0}%M").to_string();
    if at.date_naive() == now.date_naive() {
        time
    } else {
        format!("le {} à {time}", at.format("%d/%m"))
    }
}

/// The service loop: heartbeat, deliver what is due, wait; until `cancel`. The
/// message in hand when asked to stop is finished and recorded first.
pub async fn run_service(
    worker: &Worker,
    instance: &str,
    cancel: &CancelToken,
    idle: Duration,
) -> Result<()> {
    let started_at = worker.store().now_ms();
    while !cancel.is_cancelled() {
        if let Err(e) = heartbeat(worker.store(), instance, started_at).await {
            tracing::warn!("battement du service d'envoi : {e}");
        }
        match worker.deliver_due(cancel, &|_| {}).await {
            Ok(r) if r.sent + r.failed + r.retried > 0 => tracing::info!(
                sent = r.sent,
                failed = r.failed,
                retried = r.retried,
                "messages remis"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!("envoi des messages : {e}"),
        }
        let until = tokio::time::Instant::now() + idle;
        while !cancel.is_cancelled() && tokio::time::Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_sighting_reads_like_a_clock() {
        // 2026-12-01 13:02 UTC = 14 h 02 in Paris.
        let at = 1_796_130_120_000;
        assert_eq!(since_label(at, at + 10 * 60_000), "14\u{a0}h\u{a0}02");
        assert_eq!(
            since_label(at, at + 2 * 86_400_000),
            "le 01/12 à 14\u{a0}h\u{a0}02"
        );
    }
}
