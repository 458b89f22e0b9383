//! Search as you type, over e-mail (substring), UAI (prefix), establishment name and
//! city (accent- and case-insensitive), with filters, sort, pagination and a total.
//! Called on every keystroke by the desktop app: each query is one indexed
//! statement for the rows plus one capped count.

mod sql;

use crate::domain::{fold_for_search, AccountStatus, Role};
use crate::error::Result;
use crate::store::{Backend, Store};
use sql::Sql;

/// Past this many matches the total is shown as « plus de 1 000 »: counting further
/// costs time on every keystroke and tells the agent nothing more.
pub const COUNT_CAP: i64 = 1_000;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchKind {
    #[default]
    Accounts,
    Establishments,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortKey {
    #[default]
    Email,
    Status,
    Created,
    Uai,
    Name,
    City,
    Academy,
}

#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default)]
pub struct SearchQuery {
    pub text: String,
    pub kind: SearchKind,
    pub status: Option<AccountStatus>,
    pub academy: Option<String>,
    pub role: Option<Role>,
    pub without_principal: bool,
    pub never_initialised: bool,
    pub sort: SortKey,
    pub descending: bool,
    pub offset: u64,
    pub limit: u64,
    /// Skip the count (pages after the first need only rows).
    pub skip_count: bool,
}

impl Default for SearchQuery {
    fn default() -> Self {
        Self {
            text: String::new(),
            kind: SearchKind::Accounts,
            status: None,
            academy: None,
            role: None,
            without_principal: false,
            never_initialised: false,
            sort: SortKey::default(),
            descending: false,
            offset: 0,
            limit: 50,
            skip_count: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub enum SearchRow {
    Account {
        email: String,
        display_name: String,
        status: AccountStatus,
        /// The first establishment, principal roles first; `None` when unattached.
        role: Option<Role>,
        uai: Option<String>,
        establishment_name: Option<String>,
        city: Option<String>,
        academy: Option<String>,
        establishments: i64,
    },
    Establishment {
        uai: String,
        name: String,
        city: String,
        academy: String,
        accounts: i64,
        principal: Option<String>,
    },
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct SearchPage {
    pub rows: Vec<SearchRow>,
    pub total: u64,
    /// False when the count stopped at `COUNT_CAP`.
    pub total_exact: bool,
}

/// What the typed text can match.
struct Terms {
    /// Lower-cased, for e-mail addresses.
    email: String,
    /// Folded, for names and cities.
    folded: String,
    /// Upper-cased, for UAI prefixes.
    uai: Option<String>,
    backend: Backend,
}

impl Terms {
    fn parse(text: &str, backend: Backend) -> Option<Self> {
        let t = text.trim();
        if t.is_empty() {
            return None;
        }
        let upper = t.to_ascii_uppercase();
        let looks_like_uai = upper.len() <= 8
            && upper.chars().next().is_some_and(|c| c.is_ascii_digit())
            && upper.chars().all(|c| c.is_ascii_alphanumeric());
        Some(Self {
            email: t.to_lowercase(),
            folded: fold_for_search(t),
            uai: looks_like_uai.then_some(upper),
            backend,
        })
    }

    /// Trigram indexes need three characters; shorter input matches prefixes only,
    /// which a B-tree answers at once.
    fn short(&self) -> bool {
        self.email.chars().count() < 3
    }
}

fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// The two statements a query runs: the page of rows, and the capped count.
struct Plan {
    rows: Sql,
    count: Sql,
    limit: i64,
    offset: i64,
}

fn plan(q: &SearchQuery, backend: Backend) -> Plan {
    let limit = q.limit.clamp(1, 500) as i64;
    let offset = q.offset.min(10_000_000) as i64;
    let terms = Terms::parse(&q.text, backend);
    let filter: fn(&mut Sql, &SearchQuery, Option<&Terms>) = match q.kind {
        SearchKind::Accounts => accounts_filter,
        SearchKind::Establishments => establishments_filter,
    };
    let dir = if q.descending { "DESC" } else { "ASC" };
    let mut rows = Sql::default();
    match q.kind {
        SearchKind::Accounts => {
            let order = match q.sort {
                SortKey::Status => "a.status",
                SortKey::Created => "a.created_at",
                _ => "a.email_key",
            };
            // The page's accounts first, then their first establishment (principal
            // roles first) for display only.
            rows.push(
                "SELECT a.email, a.display_name, a.status, f.role, e.uai, e.name, e.city, e.academy, \
                 (SELECT COUNT(*) FROM memberships c WHERE c.account_id = a.id) AS n \
                 FROM (SELECT a.id",
            );
            filter(&mut rows, q, terms.as_ref());
            rows.push(&format!(
                " ORDER BY {order} {dir}, a.email_key {dir} LIMIT {limit} OFFSET {offset}) page \
                 JOIN accounts a ON a.id = page.id \
                 LEFT JOIN memberships f ON f.account_id = a.id AND f.establishment_id = (SELECT m1.establishment_id FROM memberships m1 \
                   WHERE m1.account_id = a.id ORDER BY CASE m1.role WHEN 'principal' THEN 0 ELSE 1 END, m1.establishment_id LIMIT 1) \
                 LEFT JOIN establishments e ON e.id = f.establishment_id \
                 ORDER BY {order} {dir}, a.email_key {dir}"
            ));
        }
        SearchKind::Establishments => {
            let order = match q.sort {
                SortKey::Name => "e.search_text",
                SortKey::City => "e.city",
                SortKey::Academy => "e.academy",
                _ => "e.uai",
            };
            rows.push(
                "SELECT e.uai, e.name, e.city, e.academy, \
                 (SELECT COUNT(*) FROM memberships c WHERE c.establishment_id = e.id) AS n, \
                 (SELECT a.email FROM memberships p JOIN accounts a ON a.id = p.account_id \
                   WHERE p.establishment_id = e.id AND p.role = 'principal') AS principal",
            );
            filter(&mut rows, q, terms.as_ref());
            rows.push(&format!(
                " ORDER BY {order} {dir}, e.uai {dir} LIMIT {limit} OFFSET {offset}"
            ));
        }
    }
    let mut count = Sql::default();
    count.push("SELECT COUNT(*) FROM (SELECT 1");
    filter(&mut count, q, terms.as_ref());
    count.push(&format!(" LIMIT {}) capped", COUNT_CAP + 1));
    Plan {
        rows,
        count,
        limit,
        offset,
    }
}

/// The statements `search` runs for a query, with the values written in, so the
/// benchmark can time the same SQL outside the application.
pub fn statements(q: &SearchQuery, backend: Backend) -> (String, String) {
    let p = plan(q, backend);
    (p.rows.inline(), p.count.inline())
}

pub async fn search(store: &Store, q: &SearchQuery) -> Result<SearchPage> {
    let Plan {
        rows,
        count,
        limit,
        offset,
    } = plan(q, store.backend());
    let rows = match q.kind {
        SearchKind::Accounts => rows.fetch_accounts(store).await?,
        SearchKind::Establishments => rows.fetch_establishments(store).await?,
    };
    let (total, total_exact) = if q.skip_count {
        (0, false)
    } else if (rows.len() as i64) < limit && (offset == 0 || !rows.is_empty()) {
        // The last page tells the total for free.
        ((offset + rows.len() as i64) as u64, true)
    } else {
        let n = count.fetch_count(store).await?;
        (n.min(COUNT_CAP) as u64, n <= COUNT_CAP)
    };
    Ok(SearchPage {
        rows,
        total,
        total_exact,
    })
}

/// `FROM accounts a WHERE …`
fn accounts_filter(sql: &mut Sql, q: &SearchQuery, terms: Option<&Terms>) {
    sql.push(" FROM accounts a WHERE 1 = 1");
    if let Some(t) = terms {
        if t.short() {
            // One or two characters: an address prefix, read in order from the B-tree.
            sql.push(" AND a.email_key LIKE ");
            sql.push_arg(format!("{}%", like_escape(&t.email)));
            sql.push(" ESCAPE '\\'");
        } else {
            sql.push(" AND ");
            account_documents(sql, t);
        }
    }
    if let Some(s) = q.status {
        sql.push(" AND a.status = ");
        sql.push_arg(s.code().to_string());
    }
    if q.never_initialised {
        sql.push(" AND a.password_set_at IS NULL");
    }
    let academy = q
        .academy
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty());
    if academy.is_some() || q.role.is_some() || q.without_principal {
        sql.push(" AND EXISTS (SELECT 1 FROM memberships m JOIN establishments e ON e.id = m.establishment_id WHERE m.account_id = a.id");
        if let Some(academy) = academy {
            sql.push(" AND e.academy = ");
            sql.push_arg(academy.to_string());
        }
        if let Some(role) = q.role {
            sql.push(" AND m.role = ");
            sql.push_arg(role.code().to_string());
        }
        if q.without_principal {
            sql.push(" AND NOT EXISTS (SELECT 1 FROM memberships p WHERE p.establishment_id = m.establishment_id AND p.role = 'principal')");
        }
        sql.push(")");
    }
}

/// Accounts whose search document (address, UAI, name and city of each of their
/// establishments) contains the folded text: one trigram index on PostgreSQL, the
/// FTS5 trigram table on SQLite.
fn account_documents(sql: &mut Sql, t: &Terms) {
    let literal = !t.folded.contains(['%', '_', '\\']);
    if t.backend == Backend::Sqlite && literal {
        // FTS5 serves LIKE from its index only without an ESCAPE clause.
        sql.push("a.id IN (SELECT rowid FROM accounts_fts WHERE search_text LIKE ");
        sql.push_arg(format!("%{}%", t.folded));
        sql.push(")");
    } else {
        sql.push("a.search_text LIKE ");
        sql.push_arg(format!("%{}%", like_escape(&t.folded)));
        sql.push(" ESCAPE '\\'");
    }
}

/// `SELECT id FROM establishments WHERE …` for the typed text.
fn establishment_ids(sql: &mut Sql, t: &Terms) {
    sql.push("SELECT e2.id FROM establishments e2 WHERE ");
    // One or two letters say little about a name: they match UAI prefixes only.
    if !t.short() {
        sql.push("e2.search_text LIKE ");
        sql.push_arg(format!("%{}%", like_escape(&t.folded)));
        sql.push(" ESCAPE '\\' OR ");
    }
    match &t.uai {
        Some(u) => {
            sql.push("e2.uai LIKE ");
            sql.push_arg(format!("{}%", like_escape(u)));
            sql.push(" ESCAPE '\\'");
        }
        None => sql.push("1 = 0"),
    }
}

/// `FROM establishments e WHERE …`
fn establishments_filter(sql: &mut Sql, q: &SearchQuery, terms: Option<&Terms>) {
    sql.push(" FROM establishments e WHERE 1 = 1");
    if let Some(t) = terms {
        sql.push(" AND (e.id IN (");
        establishment_ids(sql, t);
        sql.push(")");
        if !t.short() {
            sql.push(" OR e.id IN (SELECT m.establishment_id FROM memberships m JOIN accounts a ON a.id = m.account_id WHERE ");
            account_documents(sql, t);
            sql.push(")");
        }
        sql.push(")");
    }
    if let Some(academy) = q
        .academy
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
    {
        sql.push(" AND e.academy = ");
        sql.push_arg(academy.to_string());
    }
    if q.without_principal {
        sql.push(" AND NOT EXISTS (SELECT 1 FROM memberships p WHERE p.establishment_id = e.id AND p.role = 'principal')");
    }
}
