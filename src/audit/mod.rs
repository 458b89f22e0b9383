//! The audit log: who changed what, when, with the before and after states.
//! Rows are written in the transaction of the change they describe; the database
//! refuses updates and deletes (triggers in the migrations). On PostgreSQL a
//! trigger also replaces the author by the connected login.

use sqlx::AnyConnection;

use crate::error::Result;
use crate::store::Store;

#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub agent: String,
    pub action: String,
    pub target: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct AuditFilter {
    /// An address or a UAI (case-insensitive).
    pub target: Option<String>,
    pub agent: Option<String>,
    /// An action code (`account.attach`…).
    pub action: Option<String>,
    pub since_ms: Option<i64>,
    /// Exclusive upper bound of the period.
    pub until_ms: Option<i64>,
    pub limit: Option<i64>,
    /// Rows to skip, newest first: the journal reads page after page.
    pub offset: Option<i64>,
}

/// Appends one row. `target` is the address key or the UAI the change is about.
pub async fn record(
    conn: &mut AnyConnection,
    store: &Store,
    action: &str,
    target: &str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<()> {
    record_many(conn, store, action, &[(target.to_string(), before, after)]).await
}

/// One row per `(target, before, after)`, all with the same action, in one
/// statement per few hundred rows (a bulk dispatch writes thousands).
pub async fn record_many(
    conn: &mut AnyConnection,
    store: &Store,
    action: &str,
    rows: &[(String, Option<serde_json::Value>, Option<serde_json::Value>)],
) -> Result<()> {
    if store.backend() == crate::store::Backend::Postgres && written_by_database(action) {
        return Ok(());
    }
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        // $1 to $3 are shared: time, agent, action.
        let values: Vec<String> = (0..chunk.len())
            .map(|i| {
                let k = 4 + 3 * i;
                format!("($1, $2, $3, ${k}, ${}, ${})", k + 1, k + 2)
            })
            .collect();
        let sql = format!(
            "INSERT INTO audit_log (at, agent, action, target, before, after) VALUES {}",
            values.join(", ")
        );
        let mut q = sqlx::query(&sql)
            .bind(store.now_ms())
            .bind(store.agent())
            .bind(action);
        for (target, before, after) in chunk {
            q = q
                .bind(target.as_str())
                .bind(before.as_ref().map(|v| v.to_string()))
                .bind(after.as_ref().map(|v| v.to_string()));
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Actions whose audit row PostgreSQL writes itself (triggers and checked
/// functions of migration 0006): an agent's login cannot INSERT into the log, so
/// the wording of a row always matches the change the database saw.
pub const DATABASE_AUDITED: &[&str] = &[
    "establishment.add",
    "establishment.edit",
    "account.add",
    "account.attach",
    "account.detach",
    "account.principal",
    "account.disable",
    "account.enable",
    "account.edit",
    "link.request",
    "link.retry",
    "agent.add",
    "agent.disable",
];

fn written_by_database(action: &str) -> bool {
    DATABASE_AUDITED.contains(&action)
}

/// Rows per multi-row INSERT: well under both backends' limit on bound values.
const ROWS_PER_STATEMENT: usize = 500;

/// Newest first.
pub async fn list(store: &Store, filter: &AuditFilter) -> Result<Vec<AuditEntry>> {
    let mut sql = String::from(
        "SELECT id, at, agent, action, target, before, after FROM audit_log WHERE 1 = 1",
    );
    let mut n = 0;
    let mut next = || {
        n += 1;
        format!("${n}")
    };
    let target = filter
        .target
        .as_ref()
        .map(|t| normalise_target(t))
        .filter(|t| !t.is_empty());
    // A UAI also finds what was done to the addresses attached to it, and the
    // attachments and detachments that name it.
    let uai = target
        .as_deref()
        .and_then(|t| crate::domain::Uai::parse(t).ok());
    if uai.is_some() {
        sql.push_str(&format!(
            " AND (target = {} OR target IN (SELECT m.email_key FROM memberships m JOIN establishments e ON e.id = m.establishment_id WHERE e.uai = {}) \
             OR before LIKE {p} OR after LIKE {p} OR before LIKE {q} OR after LIKE {q})",
            next(),
            next(),
            p = next(),
            q = next()
        ));
    } else if target.is_some() {
        sql.push_str(&format!(" AND target = {}", next()));
    }
    let agent = filter
        .agent
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty());
    if agent.is_some() {
        sql.push_str(&format!(" AND agent = {}", next()));
    }
    let action = filter.action.as_deref().filter(|a| !a.is_empty());
    if action.is_some() {
        sql.push_str(&format!(" AND action = {}", next()));
    }
    if filter.since_ms.is_some() {
        sql.push_str(&format!(" AND at >= {}", next()));
    }
    if filter.until_ms.is_some() {
        sql.push_str(&format!(" AND at < {}", next()));
    }
    sql.push_str(&format!(
        " ORDER BY id DESC LIMIT {} OFFSET {}",
        next(),
        next()
    ));
    let mut q = sqlx::query_as::<
        _,
        (
            i64,
            i64,
            String,
            String,
            String,
            Option<String>,
            Option<String>,
        ),
    >(&sql);
    if let Some(u) = &uai {
        // As the desk writes JSON, and as PostgreSQL's jsonb prints it (a space
        // after the colon) in the rows its triggers write.
        q = q
            .bind(u.as_str().to_string())
            .bind(u.as_str().to_string())
            .bind(format!("%\"uai\":\"{}\"%", u.as_str()))
            .bind(format!("%\"uai\": \"{}\"%", u.as_str()));
    } else if let Some(t) = target {
        q = q.bind(t);
    }
    if let Some(a) = agent {
        q = q.bind(a.to_string());
    }
    if let Some(a) = action {
        q = q.bind(a.to_string());
    }
    if let Some(s) = filter.since_ms {
        q = q.bind(s);
    }
    if let Some(u) = filter.until_ms {
        q = q.bind(u);
    }
    q = q.bind(filter.limit.unwrap_or(200).clamp(1, 10_000));
    q = q.bind(filter.offset.unwrap_or(0).clamp(0, i64::MAX));
    let rows = q.fetch_all(store.pool()).await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, at, agent, action, target, before, after)| AuditEntry {
                id,
                at,
                agent,
                action,
                target,
                before: before.and_then(|s| serde_json::from_str(&s).ok()),
                after: after.and_then(|s| serde_json::from_str(&s).ok()),
            },
        )
        .collect())
}

/// Targets are stored as the address key (lower case) or the UAI (upper case).
pub fn normalise_target(t: &str) -> String {
    let t = t.trim();
    if t.contains('@') {
        t.to_ascii_lowercase()
    } else {
        t.to_ascii_uppercase()
    }
}

/// The action codes the journal can be filtered by, in the order agents meet them.
pub const ACTIONS: &[&str] = &[
    "account.add",
    "account.attach",
    "account.detach",
    "account.edit",
    "account.principal",
    "account.disable",
    "account.enable",
    "link.request",
    "link.retry",
    "link.redeem",
    "establishment.add",
    "establishment.edit",
    "agent.add",
    "agent.disable",
];

/// French wording of an action code, for the CLI and the desktop journal.
pub fn action_label(action: &str) -> &str {
    match action {
        "establishment.add" => "établissement ajouté",
        "establishment.edit" => "établissement modifié",
        "account.add" => "adresse ajoutée",
        "account.attach" => "adresse rattachée",
        "account.detach" => "adresse détachée",
        "account.principal" => "compte principal désigné",
        "account.disable" => "compte désactivé",
        "account.enable" => "compte réactivé",
        "account.edit" => "compte modifié",
        "link.request" => "lien demandé",
        "link.retry" => "envoi groupé relancé",
        "link.revoke" => "lien annulé",
        "link.cancel" => "envoi groupé annulé",
        "settings.link" => "réglages des liens modifiés",
        "link.redeem" => "mot de passe défini",
        "agent.add" => "agent créé",
        "agent.disable" => "agent désactivé",
        other => other,
    }
}
