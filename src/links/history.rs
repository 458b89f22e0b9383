//! What became of each link: per request and per account.

use serde::Serialize;
use sqlx::Row;

use crate::domain::{Email, LinkPurpose};
use crate::error::Result;
use crate::store::Store;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkState {
    Queued,
    Sent,
    Failed,
    Used,
    Expired,
    /// Superseded: the password was set through another link.
    Revoked,
}

impl LinkState {
    pub fn code(self) -> &'static str {
        match self {
            LinkState::Queued => "queued",
            LinkState::Sent => "sent",
            LinkState::Failed => "failed",
            LinkState::Used => "used",
            LinkState::Expired => "expired",
            LinkState::Revoked => "revoked",
        }
    }
    /// The French word agents read.
    pub fn label(self) -> &'static str {
        match self {
            LinkState::Queued => "en attente d'envoi",
            LinkState::Sent => "envoyé",
            LinkState::Failed => "échec de l'envoi",
            LinkState::Used => "utilisé",
            LinkState::Expired => "expiré",
            LinkState::Revoked => "annulé",
        }
    }
}

impl std::fmt::Display for LinkState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// One link request as an agent sees it. Times are epoch milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct LinkView {
    pub id: String,
    pub outbox_id: Option<String>,
    pub email: String,
    pub purpose: LinkPurpose,
    pub state: LinkState,
    pub state_label: &'static str,
    /// The relay's words for a failure, or the last transient error of a queued link.
    pub reason: Option<String>,
    pub requested_by: String,
    pub requested_at: i64,
    pub sent_at: Option<i64>,
    pub expires_at: Option<i64>,
    pub used_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub attempts: i64,
    pub next_attempt_at: Option<i64>,
    pub batch_id: Option<String>,
}

const VIEW_SQL: &str = "SELECT l.id, o.id AS outbox_id, a.email, l.purpose, l.requested_by, l.created_at, l.expires_at, l.used_at, \
       l.revoked_at, o.state, CAST(COALESCE(o.attempts, 0) AS BIGINT) AS attempts, o.last_error, o.sent_at, \
       o.next_attempt_at, o.batch_id \
     FROM link_requests l JOIN accounts a ON a.id = l.account_id LEFT JOIN mail_outbox o ON o.link_request_id = l.id";

fn view(row: &sqlx::any::AnyRow, now: i64) -> Result<LinkView> {
    let outbox_state: Option<String> = row.try_get("state")?;
    let used_at: Option<i64> = row.try_get("used_at")?;
    let revoked_at: Option<i64> = row.try_get("revoked_at")?;
    let expires_at: Option<i64> = row.try_get("expires_at")?;
    let last_error: Option<String> = row.try_get("last_error")?;
    let state = match (used_at, outbox_state.as_deref(), revoked_at) {
        (Some(_), _, _) => LinkState::Used,
        (None, Some("failed"), _) => LinkState::Failed,
        (None, _, Some(_)) => LinkState::Revoked,
        (None, Some("sent"), None) if expires_at.is_some_and(|e| e <= now) => LinkState::Expired,
        (None, Some("sent"), None) => LinkState::Sent,
        _ => LinkState::Queued,
    };
    let reason = match state {
        LinkState::Failed | LinkState::Queued => last_error,
        _ => None,
    };
    Ok(LinkView {
        id: row.try_get("id")?,
        outbox_id: row.try_get("outbox_id")?,
        email: row.try_get("email")?,
        purpose: LinkPurpose::from_code(&row.try_get::<String, _>("purpose")?)
            .unwrap_or(LinkPurpose::Reset),
        state,
        state_label: state.label(),
        reason,
        requested_by: row.try_get("requested_by")?,
        requested_at: row.try_get("created_at")?,
        sent_at: row.try_get("sent_at")?,
        expires_at,
        used_at,
        revoked_at,
        attempts: row.try_get("attempts")?,
        next_attempt_at: if state == LinkState::Queued {
            row.try_get("next_attempt_at")?
        } else {
            None
        },
        batch_id: row.try_get("batch_id")?,
    })
}

/// Every link of an account, newest first.
pub async fn history(store: &Store, email: &Email) -> Result<Vec<LinkView>> {
    let rows = sqlx::query(&format!(
        "{VIEW_SQL} WHERE a.email_key = $1 ORDER BY l.created_at DESC, l.id DESC"
    ))
    .bind(email.key())
    .fetch_all(store.pool())
    .await?;
    let now = store.now_ms();
    rows.iter().map(|r| view(r, now)).collect()
}

/// The account's most recent link, for the account card.
pub async fn last_link(store: &Store, email: &Email) -> Result<Option<LinkView>> {
    Ok(history(store, email).await?.into_iter().next())
}

/// One request by its id.
pub async fn link(store: &Store, request_id: &str) -> Result<Option<LinkView>> {
    let row = sqlx::query(&format!("{VIEW_SQL} WHERE l.id = $1"))
        .bind(request_id)
        .fetch_optional(store.pool())
        .await?;
    row.map(|r| view(&r, store.now_ms())).transpose()
}

/// The links of a bulk dispatch, in address order.
pub async fn batch_links(store: &Store, batch_id: &str) -> Result<Vec<LinkView>> {
    let rows = sqlx::query(&format!(
        "{VIEW_SQL} WHERE o.batch_id = $1 ORDER BY a.email_key"
    ))
    .bind(batch_id)
    .fetch_all(store.pool())
    .await?;
    let now = store.now_ms();
    rows.iter().map(|r| view(r, now)).collect()
}
