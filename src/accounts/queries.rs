//! Row lookups shared by the operations, run inside the caller's transaction.

use sqlx::AnyConnection;

use super::{Account, AccountDetail, Establishment, LinkSummary, Membership};
use crate::domain::{fold_for_search, AccountStatus, Email, LinkPurpose, Role, Uai};
use crate::error::{Error, Result};

pub(super) const ACCOUNT_COLUMNS: &str =
    "id, email, display_name, status, version, created_at, updated_at, password_set_at";

type AccountRow = (i64, String, String, String, i64, i64, i64, Option<i64>);

pub(super) fn account_from_row(r: AccountRow) -> (i64, Account) {
    (
        r.0,
        Account {
            email: r.1,
            display_name: r.2,
            status: AccountStatus::from_code(&r.3).unwrap_or(AccountStatus::Pending),
            version: r.4,
            created_at: r.5,
            updated_at: r.6,
            password_set_at: r.7,
        },
    )
}

pub(super) async fn find_account(
    conn: &mut AnyConnection,
    email: &Email,
) -> Result<Option<(i64, Account)>> {
    let row: Option<AccountRow> = sqlx::query_as(&format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE email_key = $1"
    ))
    .bind(email.key())
    .fetch_optional(conn)
    .await?;
    Ok(row.map(account_from_row))
}

pub(super) async fn get_account(conn: &mut AnyConnection, email: &Email) -> Result<(i64, Account)> {
    find_account(conn, email)
        .await?
        .ok_or_else(|| Error::not_found(format!("L'adresse {email} n'existe pas dans la base.")))
}

type EstablishmentRow = (i64, String, String, String, String, i64, i64, i64);

pub(super) async fn find_establishment(
    conn: &mut AnyConnection,
    uai: &Uai,
) -> Result<Option<(i64, Establishment)>> {
    let row: Option<EstablishmentRow> = sqlx::query_as(
        "SELECT id, uai, name, city, academy, version, created_at, updated_at FROM establishments WHERE uai = $1",
    )
    .bind(uai.as_str())
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| {
        (
            r.0,
            Establishment {
                uai: r.1,
                name: r.2,
                city: r.3,
                academy: r.4,
                version: r.5,
                created_at: r.6,
                updated_at: r.7,
            },
        )
    }))
}

pub(super) async fn get_establishment(
    conn: &mut AnyConnection,
    uai: &Uai,
) -> Result<(i64, Establishment)> {
    find_establishment(conn, uai).await?.ok_or_else(|| {
        Error::not_found(format!(
            "Aucun établissement n'a le code UAI {uai} dans la base."
        ))
    })
}

pub(super) async fn memberships(
    conn: &mut AnyConnection,
    account_id: i64,
) -> Result<Vec<Membership>> {
    let rows: Vec<(String, String, String, String, String)> = sqlx::query_as(
        "SELECT e.uai, e.name, e.city, e.academy, m.role FROM memberships m \
         JOIN establishments e ON e.id = m.establishment_id WHERE m.account_id = $1 \
         ORDER BY CASE m.role WHEN 'principal' THEN 0 ELSE 1 END, e.uai",
    )
    .bind(account_id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(uai, name, city, academy, role)| Membership {
            uai,
            name,
            city,
            academy,
            role: Role::from_code(&role).unwrap_or(Role::Member),
        })
        .collect())
}

/// The latest link of an account and what became of it, from the link request and
/// its outbox row.
pub(super) async fn last_link(
    conn: &mut AnyConnection,
    account_id: i64,
    now_ms: i64,
) -> Result<Option<LinkSummary>> {
    type LinkRow = (
        String,
        i64,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<String>,
        Option<String>,
    );
    let row: Option<LinkRow> = sqlx::query_as(
        "SELECT l.purpose, l.created_at, l.expires_at, l.used_at, l.revoked_at, o.state, o.last_error \
         FROM link_requests l LEFT JOIN mail_outbox o ON o.link_request_id = l.id \
         WHERE l.account_id = $1 ORDER BY l.created_at DESC, l.id DESC LIMIT 1",
    )
    .bind(account_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(
        |(purpose, created_at, expires_at, used_at, revoked_at, outbox, error)| {
            let state = link_state(now_ms, expires_at, used_at, revoked_at, outbox.as_deref());
            LinkSummary {
                purpose: LinkPurpose::from_code(&purpose).unwrap_or(LinkPurpose::Init),
                state: state.to_string(),
                created_at,
                expires_at,
                detail: if state == "failed" { error } else { None },
            }
        },
    ))
}

/// One place decides what a link's state is.
pub fn link_state(
    now_ms: i64,
    expires_at: Option<i64>,
    used_at: Option<i64>,
    revoked_at: Option<i64>,
    outbox_state: Option<&str>,
) -> &'static str {
    if used_at.is_some() {
        "used"
    } else if revoked_at.is_some() {
        "revoked"
    } else if outbox_state == Some("failed") {
        "failed"
    } else if matches!(outbox_state, Some("queued") | Some("sending")) {
        "queued"
    } else if expires_at.is_some_and(|e| e <= now_ms) {
        "expired"
    } else {
        "sent"
    }
}

pub(super) async fn detail(
    conn: &mut AnyConnection,
    id: i64,
    account: Account,
    now_ms: i64,
) -> Result<AccountDetail> {
    let memberships = memberships(&mut *conn, id).await?;
    let last_link = last_link(&mut *conn, id, now_ms).await?;
    Ok(AccountDetail {
        account,
        memberships,
        last_link,
    })
}

/// Links that can still set a password: requested, not used, not revoked, not expired.
pub(super) async fn live_link_count(
    conn: &mut AnyConnection,
    account_id: i64,
    now_ms: i64,
) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM link_requests WHERE account_id = $1 AND used_at IS NULL AND revoked_at IS NULL \
         AND (expires_at IS NULL OR expires_at > $2)",
    )
    .bind(account_id)
    .bind(now_ms)
    .fetch_one(conn)
    .await?;
    Ok(n)
}

/// Revokes an account's live links for a change the agent confirmed (a corrected
/// address, its last establishment detached). On PostgreSQL an agent's login may
/// not touch the links itself: each goes through the database's checked
/// function, which also drops its unsent mail and writes the audit row.
pub(super) async fn revoke_account_links(
    conn: &mut AnyConnection,
    backend: crate::store::Backend,
    account_id: i64,
    now_ms: i64,
) -> Result<u64> {
    if backend == crate::store::Backend::Sqlite {
        return revoke_live_links(conn, account_id, now_ms).await;
    }
    let ids: Vec<(String,)> = sqlx::query_as(
        "SELECT id FROM link_requests WHERE account_id = $1 AND used_at IS NULL AND revoked_at IS NULL \
         AND (expires_at IS NULL OR expires_at > $2)",
    )
    .bind(account_id)
    .bind(now_ms)
    .fetch_all(&mut *conn)
    .await?;
    let mut revoked = 0;
    for (id,) in ids {
        let (done,): (bool,) = sqlx::query_as("SELECT siec_revoke_link($1)")
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
        revoked += u64::from(done);
    }
    Ok(revoked)
}

pub(super) async fn revoke_live_links(
    conn: &mut AnyConnection,
    account_id: i64,
    now_ms: i64,
) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE link_requests SET revoked_at = $2 WHERE account_id = $1 AND used_at IS NULL AND revoked_at IS NULL \
         AND (expires_at IS NULL OR expires_at > $2)",
    )
    .bind(account_id)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    // Mails not yet sent for those links are dropped rather than sent dead.
    sqlx::query(
        "UPDATE mail_outbox SET state = 'failed', last_error = 'Lien annulé avant l''envoi.' \
         WHERE state = 'queued' AND link_request_id IN (SELECT id FROM link_requests WHERE account_id = $1 AND revoked_at = $2)",
    )
    .bind(account_id)
    .bind(now_ms)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Rewrites an account's search document: its address, then the UAI, name and city
/// of each establishment it belongs to, all folded like the searched text.
/// Bounds on the search document and the filter tags, which PostgreSQL keeps in
/// one B-tree entry (at most 2 704 bytes) with the address. An address attached to
/// dozens of establishments is still found by each of them: searches on an
/// establishment's name also go through its memberships (see `search`).
const DOC_MAX: usize = 1_200;
const TAGS_MAX: usize = 600;

pub(crate) async fn refresh_search_text(conn: &mut AnyConnection, account_id: i64) -> Result<()> {
    let (email_key,): (String,) = sqlx::query_as("SELECT email_key FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_one(&mut *conn)
        .await?;
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT e.uai, e.search_text FROM memberships m JOIN establishments e ON e.id = m.establishment_id \
         WHERE m.account_id = $1 ORDER BY e.id",
    )
    .bind(account_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut doc = fold_for_search(&email_key);
    for (uai, text) in rows {
        if doc.len() + uai.len() + text.len() + 2 > DOC_MAX {
            break;
        }
        doc.push(' ');
        doc.push_str(&uai.to_ascii_lowercase());
        doc.push(' ');
        doc.push_str(&text);
    }
    sqlx::query("UPDATE accounts SET search_text = $1 WHERE id = $2")
        .bind(doc)
        .bind(account_id)
        .execute(&mut *conn)
        .await?;
    refresh_tags(conn, "id = $1", account_id).await
}

/// Rewrites the filter tags of every account of an establishment: needed when its
/// principal appears or goes (the no-principal flag) or when a role changes there.
pub(crate) async fn refresh_establishment_tags(
    conn: &mut AnyConnection,
    est_id: i64,
) -> Result<()> {
    refresh_tags(
        conn,
        "id IN (SELECT account_id FROM memberships WHERE establishment_id = $1)",
        est_id,
    )
    .await
}

/// Filter tags, one segment per membership: RS academy US role-letter
/// no-principal-flag RS (see migrations/*/0005_search_tags.sql; `search` builds its
/// patterns from the same layout).
async fn refresh_tags(conn: &mut AnyConnection, target: &str, id: i64) -> Result<()> {
    let postgres = conn.backend_name() == "PostgreSQL";
    let (agg_start, agg_end, rs, us, first) = if postgres {
        (
            "string_agg(",
            ", '' ORDER BY e.id)",
            "chr(30)",
            "chr(31)",
            "left(m.role, 1)",
        )
    } else {
        (
            "group_concat(",
            ", '')",
            "char(30)",
            "char(31)",
            "substr(m.role, 1, 1)",
        )
    };
    let sql = format!(
        "UPDATE accounts SET search_tags = substr(coalesce((SELECT {agg_start}{rs} || e.academy || {us} || {first} \
         || CASE WHEN EXISTS (SELECT 1 FROM memberships p WHERE p.establishment_id = m.establishment_id AND p.role = 'principal') THEN '0' ELSE '1' END \
         || {rs}{agg_end} FROM memberships m JOIN establishments e ON e.id = m.establishment_id \
         WHERE m.account_id = accounts.id), ''), 1, {TAGS_MAX}), \
         principal_of = (SELECT COUNT(*) FROM memberships m WHERE m.account_id = accounts.id AND m.role = 'principal') \
         WHERE {target}"
    );
    sqlx::query(&sql).bind(id).execute(conn).await?;
    Ok(())
}
