//! Asking for a link: one account (a caller on the phone) or a selection (an exam
//! session opens). The request, its outbox row and the audit row are written in
//! one transaction; the token is drawn later, by the worker, at delivery time.

use serde::Serialize;
use sqlx::Row;

use crate::domain::{AccountStatus, Email, LinkPurpose, Uai};
use crate::error::{Error, Result};
use crate::store::{Backend, Store};

/// An account as the link code needs it.
#[derive(Debug, Clone)]
pub(crate) struct AccountRow {
    pub id: i64,
    pub email: String,
    pub status: AccountStatus,
    pub has_password: bool,
}

/// On PostgreSQL never `password_hash`, which agents may not read: an account has
/// a password once it is active or was ever initialised (the request function
/// decides the purpose from the hash itself). The embedded base is the desk's own
/// file and reads the hash, as the purpose depends on it.
pub(crate) fn account_columns(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => "a.id, a.email, a.status, CAST(CASE WHEN a.password_set_at IS NULL AND a.status <> 'active' THEN 0 ELSE 1 END AS BIGINT) AS has_password",
        Backend::Sqlite => "a.id, a.email, a.status, CAST(CASE WHEN a.password_hash IS NULL THEN 0 ELSE 1 END AS BIGINT) AS has_password",
    }
}

pub(crate) fn account_from_row(row: &sqlx::any::AnyRow) -> Result<AccountRow> {
    let status: String = row.try_get("status")?;
    Ok(AccountRow {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        status: AccountStatus::from_code(&status)
            .ok_or_else(|| Error::Internal(format!("Statut de compte inconnu : {status}")))?,
        has_password: row.try_get::<i64, _>("has_password")? != 0,
    })
}

pub(crate) async fn find_account<'e, E>(
    executor: E,
    backend: Backend,
    email: &Email,
) -> Result<Option<AccountRow>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = sqlx::query(&format!(
        "SELECT {} FROM accounts a WHERE a.email_key = $1",
        account_columns(backend)
    ))
    .bind(email.key())
    .fetch_optional(executor)
    .await?;
    row.as_ref().map(account_from_row).transpose()
}

/// What was recorded for one link.
#[derive(Debug, Clone, Serialize)]
pub struct LinkRequested {
    pub request_id: String,
    pub outbox_id: String,
    pub email: String,
    pub purpose: LinkPurpose,
}

pub(crate) fn unknown_address(email: &str) -> Error {
    Error::not_found(format!(
        "L'adresse {email} n'est pas dans la base : ajoutez-la avant d'envoyer un lien."
    ))
}

pub(crate) fn disabled_account(email: &str) -> Error {
    Error::forbidden(format!(
        "Le compte {email} est désactivé : aucun lien ne lui est envoyé. Réactivez-le d'abord si nécessaire."
    ))
}

/// Default purpose: initialisation while the account has no password, reset after.
pub(crate) fn default_purpose(account: &AccountRow) -> LinkPurpose {
    if account.has_password {
        LinkPurpose::Reset
    } else {
        LinkPurpose::Init
    }
}

/// Queues one link for one account. Refuses unknown addresses and disabled accounts.
pub async fn request_link(
    store: &Store,
    email: &Email,
    purpose: Option<LinkPurpose>,
) -> Result<LinkRequested> {
    let mut tx = store.begin_write().await?;
    let account = find_account(&mut *tx, store.backend(), email)
        .await?
        .ok_or_else(|| unknown_address(email.as_str()))?;
    if account.status == AccountStatus::Disabled {
        return Err(disabled_account(&account.email));
    }
    let queued = match store.backend() {
        // The database checks the account again, picks the purpose and recipient,
        // and writes the audit row: what an agent's login may do, and no more.
        Backend::Postgres => request_in_database(&mut tx, &[account.id], purpose, None)
            .await?
            .pop()
            .ok_or_else(|| Error::Internal("La demande de lien n'a rien renvoyé.".into()))?,
        Backend::Sqlite => {
            let purpose = purpose.unwrap_or_else(|| default_purpose(&account));
            enqueue(&mut tx, store, &account, purpose, None, store.now_ms()).await?
        }
    };
    tx.commit().await?;
    Ok(queued)
}

/// `siec_request_links` (migration 0006): one statement for up to
/// [`ENQUEUE_MAX`] accounts.
pub(crate) async fn request_in_database(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    account_ids: &[i64],
    purpose: Option<LinkPurpose>,
    batch_id: Option<&str>,
) -> Result<Vec<LinkRequested>> {
    // The Any driver binds no arrays: the ids travel as one list of digits.
    let ids = account_ids
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let rows: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT request_id, outbox_id, email, purpose \
         FROM siec_request_links(CAST(string_to_array($1, ',') AS bigint[]), $2, $3)",
    )
    .bind(ids)
    .bind(purpose.map(|p| p.code()))
    .bind(batch_id)
    .fetch_all(&mut **tx)
    .await?;
    rows.into_iter()
        .map(|(request_id, outbox_id, email, purpose)| {
            Ok(LinkRequested {
                request_id,
                outbox_id,
                email,
                purpose: LinkPurpose::from_code(&purpose)
                    .ok_or_else(|| Error::Internal(format!("Type de lien inconnu : {purpose}")))?,
            })
        })
        .collect()
}

/// Writes the request, its outbox row and the audit row, inside the caller's transaction.
pub(crate) async fn enqueue(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    store: &Store,
    account: &AccountRow,
    purpose: LinkPurpose,
    batch_id: Option<&str>,
    now: i64,
) -> Result<LinkRequested> {
    let mut queued = enqueue_many(tx, store, &[(account, purpose)], batch_id, now).await?;
    Ok(queued.remove(0))
}

/// Most accounts [`enqueue_many`] takes at once: three multi-row statements of
/// this many rows stay well under both backends' limit on bound values.
pub(crate) const ENQUEUE_MAX: usize = 500;

/// [`enqueue`] for up to [`ENQUEUE_MAX`] accounts: the same rows, written with one
/// statement per table instead of three per account.
pub(crate) async fn enqueue_many(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    store: &Store,
    accounts: &[(&AccountRow, LinkPurpose)],
    batch_id: Option<&str>,
    now: i64,
) -> Result<Vec<LinkRequested>> {
    if accounts.len() > ENQUEUE_MAX {
        return Err(Error::Internal(format!(
            "Au plus {ENQUEUE_MAX} comptes par écriture."
        )));
    }
    let queued: Vec<LinkRequested> = accounts
        .iter()
        .map(|(account, purpose)| LinkRequested {
            request_id: uuid::Uuid::new_v4().to_string(),
            outbox_id: uuid::Uuid::new_v4().to_string(),
            email: account.email.clone(),
            purpose: *purpose,
        })
        .collect();
    // Each row's three values follow the statement's two shared ones.
    let values = |row: &dyn Fn(usize) -> String| -> String {
        (0..accounts.len())
            .map(|i| row(3 + 3 * i))
            .collect::<Vec<_>>()
            .join(", ")
    };
    // $1 agent, $2 time.
    let sql = format!(
        "INSERT INTO link_requests (id, account_id, purpose, requested_by, created_at) VALUES {}",
        values(&|k| format!("(${k}, ${}, ${}, $1, $2)", k + 1, k + 2))
    );
    let mut q = sqlx::query(&sql).bind(store.agent()).bind(now);
    for ((account, purpose), r) in accounts.iter().zip(&queued) {
        q = q.bind(&r.request_id).bind(account.id).bind(purpose.code());
    }
    q.execute(&mut **tx).await?;

    // $1 time, $2 bulk dispatch.
    let sql = format!(
        "INSERT INTO mail_outbox (id, link_request_id, recipient, state, attempts, next_attempt_at, created_at, batch_id) VALUES {}",
        values(&|k| format!("(${k}, ${}, ${}, 'queued', 0, $1, $1, $2)", k + 1, k + 2))
    );
    let mut q = sqlx::query(&sql).bind(now).bind(batch_id);
    for r in &queued {
        q = q.bind(&r.outbox_id).bind(&r.request_id).bind(&r.email);
    }
    q.execute(&mut **tx).await?;

    let audit: Vec<_> = queued
        .iter()
        .map(|r| {
            let after = serde_json::json!({
                "request": r.request_id, "purpose": r.purpose.code(), "batch": batch_id
            });
            (r.email.to_ascii_lowercase(), None, Some(after))
        })
        .collect();
    crate::audit::record_many(tx, store, "link.request", &audit).await?;
    Ok(queued)
}

/// The accounts a bulk dispatch goes to.
#[derive(Debug, Clone)]
pub enum Selection {
    Emails(Vec<Email>),
    /// Every account attached to this establishment.
    Uai(Uai),
    /// Every account a search finds (the desktop's « résultat de recherche »).
    Search(crate::search::SearchQuery),
}

/// A selected address and what was found for it.
pub(crate) struct Target {
    pub shown: String,
    pub account: Option<AccountRow>,
}

pub(crate) async fn resolve(store: &Store, selection: &Selection) -> Result<Vec<Target>> {
    match selection {
        Selection::Uai(uai) => {
            let known: Option<(i64,)> =
                sqlx::query_as("SELECT id FROM establishments WHERE uai = $1")
                    .bind(uai.as_str())
                    .fetch_optional(store.pool())
                    .await?;
            if known.is_none() {
                return Err(Error::not_found(format!(
                    "L'établissement {uai} n'est pas dans la base."
                )));
            }
            let rows = sqlx::query(&format!(
                "SELECT {} FROM accounts a JOIN memberships m ON m.account_id = a.id \
                 JOIN establishments e ON e.id = m.establishment_id WHERE e.uai = $1 ORDER BY a.email_key",
                account_columns(store.backend())
            ))
            .bind(uai.as_str())
            .fetch_all(store.pool())
            .await?;
            rows.iter()
                .map(|r| {
                    account_from_row(r).map(|a| Target {
                        shown: a.email.clone(),
                        account: Some(a),
                    })
                })
                .collect()
        }
        Selection::Search(query) => {
            let mut q = query.clone();
            q.kind = crate::search::SearchKind::Accounts;
            q.limit = 500;
            q.offset = 0;
            q.skip_count = true;
            let mut emails = Vec::new();
            loop {
                let page = crate::search::search(store, &q).await?;
                let n = page.rows.len();
                for row in page.rows {
                    if let crate::search::SearchRow::Account { email, .. } = row {
                        emails.push(Email::parse(&email)?);
                    }
                }
                if n < 500 {
                    break;
                }
                q.offset += 500;
            }
            resolve_emails(store, &emails).await
        }
        Selection::Emails(emails) => resolve_emails(store, emails).await,
    }
}

async fn resolve_emails(store: &Store, emails: &[Email]) -> Result<Vec<Target>> {
    {
        {
            let mut seen = std::collections::HashSet::new();
            let unique: Vec<&Email> = emails.iter().filter(|e| seen.insert(e.key())).collect();
            let mut found = std::collections::HashMap::new();
            // Bounded IN lists: SQLite's default limit of bound parameters is 32 766.
            for chunk in unique.chunks(500) {
                let placeholders: Vec<String> =
                    (1..=chunk.len()).map(|i| format!("${i}")).collect();
                let sql = format!(
                    "SELECT {}, a.email_key FROM accounts a WHERE a.email_key IN ({})",
                    account_columns(store.backend()),
                    placeholders.join(", ")
                );
                let mut q = sqlx::query(&sql);
                for e in chunk {
                    q = q.bind(e.key());
                }
                for row in q.fetch_all(store.pool()).await? {
                    let key: String = row.try_get("email_key")?;
                    found.insert(key, account_from_row(&row)?);
                }
            }
            Ok(unique
                .into_iter()
                .map(|e| Target {
                    shown: e.as_str().to_string(),
                    account: found.remove(&e.key()),
                })
                .collect())
        }
    }
}
