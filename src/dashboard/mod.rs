//! The figures of the desktop's Tableau de bord: accounts by status, establishments
//! without a principal, what became of the links day by day over the last 30 days
//! (Paris days), and the health of the mail outbox. Read-only.

use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeZone};
use chrono_tz::Europe::Paris;

use crate::error::Result;
use crate::store::Store;

/// How many days the link chart covers, today included.
pub const DAYS: usize = 30;
const HOUR_MS: i64 = 3_600_000;

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct StatusCounts {
    pub pending: u64,
    pub active: u64,
    pub disabled: u64,
    pub total: u64,
}

/// One Paris day of the link chart.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct DayLinks {
    /// `YYYY-MM-DD`, Europe/Paris.
    pub day: String,
    /// Mails handed to the relay (or written to the outbox folder) that day.
    pub sent: u64,
    /// Links redeemed that day.
    pub used: u64,
    /// Links that reached their expiry unused that day.
    pub expired: u64,
    /// Mails given up after their last attempt, counted on the day they were requested.
    pub failed: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct OutboxHealth {
    pub queued: u64,
    pub sending: u64,
    pub failed: u64,
    pub sent_last_24h: u64,
    /// When the oldest mail still waiting was requested: a big age means the worker
    /// or the relay is stuck.
    pub oldest_waiting_at: Option<i64>,
    pub last_error: Option<String>,
    /// The relay refused messages newer than the last one it accepted: it is
    /// failing now, not only in the past.
    pub relay_failing: bool,
}

/// Which counter of a day a query feeds.
type Counter = fn(&mut DayLinks) -> &mut u64;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Dashboard {
    pub accounts: StatusCounts,
    pub establishments: u64,
    pub establishments_without_principal: u64,
    pub days: Vec<DayLinks>,
    pub outbox: OutboxHealth,
    pub generated_at: i64,
}

pub async fn dashboard(store: &Store) -> Result<Dashboard> {
    let now = store.now_ms();
    let pool = store.pool();

    let mut accounts = StatusCounts::default();
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, COUNT(*) FROM accounts GROUP BY status")
            .fetch_all(pool)
            .await?;
    for (status, n) in rows {
        let n = n as u64;
        match status.as_str() {
            "pending" => accounts.pending = n,
            "active" => accounts.active = n,
            "disabled" => accounts.disabled = n,
            _ => {}
        }
        accounts.total += n;
    }

    let (establishments,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM establishments")
        .fetch_one(pool)
        .await?;
    let (without_principal,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM establishments e WHERE NOT EXISTS \
         (SELECT 1 FROM memberships m WHERE m.establishment_id = e.id AND m.role = 'principal')",
    )
    .fetch_one(pool)
    .await?;

    let (first_day, start_ms) = window_start(now);
    let mut days: BTreeMap<NaiveDate, DayLinks> = (0..DAYS as u64)
        .map(|i| {
            let d = first_day + chrono::Days::new(i);
            (
                d,
                DayLinks {
                    day: d.format("%Y-%m-%d").to_string(),
                    ..Default::default()
                },
            )
        })
        .collect();

    // Grouped by hour in SQL (same integer arithmetic on both backends), then folded
    // into Paris days here: Paris midnight always falls on a whole UTC hour.
    let series: [(&str, Counter); 4] = [
        (
            "SELECT sent_at / 3600000, COUNT(*) FROM mail_outbox \
             WHERE state = 'sent' AND sent_at >= $1 AND sent_at <= $2 GROUP BY sent_at / 3600000",
            |d| &mut d.sent,
        ),
        (
            "SELECT used_at / 3600000, COUNT(*) FROM link_requests \
             WHERE used_at >= $1 AND used_at <= $2 GROUP BY used_at / 3600000",
            |d| &mut d.used,
        ),
        (
            "SELECT expires_at / 3600000, COUNT(*) FROM link_requests \
             WHERE used_at IS NULL AND revoked_at IS NULL AND expires_at >= $1 AND expires_at <= $2 \
             GROUP BY expires_at / 3600000",
            |d| &mut d.expired,
        ),
        (
            "SELECT created_at / 3600000, COUNT(*) FROM mail_outbox \
             WHERE state = 'failed' AND created_at >= $1 AND created_at <= $2 GROUP BY created_at / 3600000",
            |d| &mut d.failed,
        ),
    ];
    for (sql, field) in series {
        let rows: Vec<(i64, i64)> = sqlx::query_as(sql)
            .bind(start_ms)
            .bind(now)
            .fetch_all(pool)
            .await?;
        for (hour, n) in rows {
            if let Some(day) = days.get_mut(&paris_day(hour * HOUR_MS)) {
                *field(day) += n as u64;
            }
        }
    }

    let mut outbox = OutboxHealth::default();
    let rows: Vec<(String, i64, Option<i64>)> = sqlx::query_as(
        "SELECT state, COUNT(*), MIN(created_at) FROM mail_outbox \
         WHERE state IN ('queued', 'sending', 'failed') GROUP BY state",
    )
    .fetch_all(pool)
    .await?;
    for (state, n, oldest) in rows {
        match state.as_str() {
            "queued" => outbox.queued = n as u64,
            "sending" => outbox.sending = n as u64,
            "failed" => outbox.failed = n as u64,
            _ => {}
        }
        if state != "failed" {
            outbox.oldest_waiting_at = match (outbox.oldest_waiting_at, oldest) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
    }
    let (sent_24h,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM mail_outbox WHERE state = 'sent' AND sent_at >= $1")
            .bind(now - 24 * HOUR_MS)
            .fetch_one(pool)
            .await?;
    outbox.sent_last_24h = sent_24h as u64;
    outbox.last_error = sqlx::query_as::<_, (String,)>(
        "SELECT last_error FROM mail_outbox WHERE last_error IS NOT NULL AND state <> 'sent' \
         ORDER BY next_attempt_at DESC LIMIT 1",
    )
    .fetch_optional(pool)
    .await?
    .map(|(e,)| e);
    let (failing,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM mail_outbox WHERE last_error IS NOT NULL AND state IN ('queued', 'failed') \
         AND attempts > 0 AND created_at >= COALESCE((SELECT MAX(sent_at) FROM mail_outbox WHERE state = 'sent'), 0)",
    )
    .fetch_one(pool)
    .await?;
    outbox.relay_failing = failing > 0;

    Ok(Dashboard {
        accounts,
        establishments: establishments as u64,
        establishments_without_principal: without_principal as u64,
        days: days.into_values().collect(),
        outbox,
        generated_at: now,
    })
}

fn paris_day(ms: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .with_timezone(&Paris)
        .date_naive()
}

/// First Paris day of the window and its midnight in epoch milliseconds.
fn window_start(now_ms: i64) -> (NaiveDate, i64) {
    let first = paris_day(now_ms) - chrono::Days::new(DAYS as u64 - 1);
    let midnight = Paris
        .from_local_datetime(&first.and_hms_opt(0, 0, 0).expect("midnight"))
        .earliest()
        .map(|d| d.timestamp_millis())
        .unwrap_or(now_ms - DAYS as i64 * 24 * HOUR_MS);
    (first, midnight)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_covers_thirty_paris_days_across_daylight_saving() {
        // 2026-03-29 is the switch to summer time in Paris; 12:00 UTC on 2026-04-10.
        let now = chrono::Utc
            .with_ymd_and_hms(2026, 4, 10, 12, 0, 0)
            .unwrap()
            .timestamp_millis();
        let (first, start) = window_start(now);
        assert_eq!(first, NaiveDate::from_ymd_opt(2026, 3, 12).unwrap());
        // Winter time then: Paris midnight is 23:00 UTC the day before.
        assert_eq!(
            start,
            chrono::Utc
                .with_ymd_and_hms(2026, 3, 11, 23, 0, 0)
                .unwrap()
                .timestamp_millis()
        );
        // 22:30 UTC in summer is already the next day in Paris.
        let late = chrono::Utc
            .with_ymd_and_hms(2026, 4, 9, 22, 30, 0)
            .unwrap()
            .timestamp_millis();
        assert_eq!(
            paris_day(late),
            NaiveDate::from_ymd_opt(2026, 4, 10).unwrap()
        );
    }
}
