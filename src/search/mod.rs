//! Search as you type, over e-mail (substring), UAI (prefix), establishment name and
//! city (accent- and case-insensitive), with filters, sort, pagination and a total.
//! Called on every keystroke by the desktop app. A query takes the route its breadth
//! calls for (see docs/BENCHMARKS.md): a walk in address order for broad ones
//! (`walk`), the matching establishments' members (`members`), or the per-account
//! index (`filters`); each reads a bounded number of rows.

mod filters;
mod members;
mod sql;
mod suggest;
mod terms;
mod walk;

use crate::domain::{fold_for_search, AccountStatus, Email, Role, Uai};
use crate::error::Result;
use crate::store::{Backend, Store};
use filters::*;
use members::*;
use sql::Sql;
use terms::*;
use walk::*;

pub use suggest::{choose_establishment, suggest_establishments, EstablishmentChoice};

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
    /// False when the count was skipped (`skip_count`) and the page does not tell it.
    pub counted: bool,
}

#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct SearchTotal {
    pub total: u64,
    /// False when the count stopped at `COUNT_CAP`.
    pub total_exact: bool,
}

/// The two statements a query runs: the page of rows, and the capped count.
struct Plan {
    rows: Sql,
    count: Sql,
    limit: i64,
    offset: i64,
}

fn plan(q: &SearchQuery, backend: Backend) -> Plan {
    let (limit, offset) = page_bounds(q);
    let terms = Terms::parse(&q.text, backend);
    let filter: fn(&mut Sql, &SearchQuery, Option<&Terms>) = match q.kind {
        SearchKind::Accounts => accounts_filter,
        SearchKind::Establishments => establishments_filter,
    };
    let dir = if q.descending { "DESC" } else { "ASC" };
    let mut rows = Sql::default();
    match q.kind {
        SearchKind::Accounts => {
            let mut page = Sql::default();
            let text_index = terms.as_ref().is_some_and(|t| !t.short());
            if text_index && backend == Backend::Postgres {
                // Matches first (trigram index), then their order: left to itself the
                // planner may walk the address index hoping to meet 50 matches early,
                // which for a rare text means most of the base.
                page.push("SELECT a.id FROM (SELECT a.id, a.email_key, a.status, a.created_at");
                filter(&mut page, q, terms.as_ref());
                page.push(" OFFSET 0) a");
            } else {
                page.push("SELECT a.id");
                filter(&mut page, q, terms.as_ref());
            }
            page.push(" ORDER BY ");
            exact_first(&mut page, q);
            page.push(&format!(
                "{} {dir}, a.email_key {dir} LIMIT {limit} OFFSET {offset}",
                account_order(q)
            ));
            rows = account_rows(page, q);
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
            rows.push(" ORDER BY ");
            exact_first(&mut rows, q);
            rows.push(&format!(
                "{order} {dir}, e.uai {dir} LIMIT {limit} OFFSET {offset}"
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

/// The row the text names whole — an address among accounts, a UAI among
/// establishments — as the column holding it and its value there.
pub fn exact_target(q: &SearchQuery) -> Option<(&'static str, String)> {
    match q.kind {
        SearchKind::Accounts => Email::parse(&q.text).ok().map(|e| ("a.email_key", e.key())),
        SearchKind::Establishments => Uai::parse(&q.text)
            .ok()
            .map(|u| ("e.uai", u.as_str().to_string())),
    }
}

/// The first term of an ORDER BY: the row the text names whole comes first,
/// whatever the sort, so that Entrée opens the person typed and no neighbour.
fn exact_first(sql: &mut Sql, q: &SearchQuery) {
    if let Some((column, value)) = exact_target(q) {
        sql.push(&format!("CASE WHEN {column} = "));
        sql.push_arg(value);
        sql.push(" THEN 0 ELSE 1 END, ");
    }
}

fn account_order(q: &SearchQuery) -> &'static str {
    match q.sort {
        SortKey::Status => "a.status",
        SortKey::Created => "a.created_at",
        _ => "a.email_key",
    }
}

/// The displayed columns of the accounts `page` selects (a statement returning
/// their ids): the page's accounts first, then their first establishment
/// (principal roles first) for display only.
fn account_rows(page: Sql, q: &SearchQuery) -> Sql {
    account_rows_with(page, q, "")
}

/// `account_rows` with `extra` columns after the displayed ones.
fn account_rows_with(page: Sql, q: &SearchQuery, extra: &str) -> Sql {
    let dir = if q.descending { "DESC" } else { "ASC" };
    let order = account_order(q);
    let mut rows = Sql::default();
    rows.push(&format!(
        "SELECT a.email, a.display_name, a.status, f.role, e.uai, e.name, e.city, e.academy, \
         (SELECT COUNT(*) FROM memberships c WHERE c.account_id = a.id) AS n{extra} \
         FROM ("
    ));
    rows.append(page);
    rows.push(
        ") page \
         JOIN accounts a ON a.id = page.id \
         LEFT JOIN memberships f ON f.account_id = a.id AND f.establishment_id = (SELECT m1.establishment_id FROM memberships m1 \
           WHERE m1.account_id = a.id ORDER BY CASE m1.role WHEN 'principal' THEN 0 ELSE 1 END, m1.establishment_id LIMIT 1) \
         LEFT JOIN establishments e ON e.id = f.establishment_id \
         ORDER BY ",
    );
    if q.kind == SearchKind::Accounts {
        exact_first(&mut rows, q);
    }
    rows.push(&format!("{order} {dir}, a.email_key {dir}"));
    rows
}

fn page_bounds(q: &SearchQuery) -> (i64, i64) {
    (
        q.limit.clamp(1, 500) as i64,
        q.offset.min(10_000_000) as i64,
    )
}

/// The statements `search` runs for a query, with the values written in, so the
/// benchmark can time the same SQL outside the application.
pub async fn statements(store: &Store, q: &SearchQuery) -> Result<Vec<String>> {
    let mut trace = Vec::new();
    run(store, q, Some(&mut trace)).await?;
    Ok(trace)
}

pub async fn search(store: &Store, q: &SearchQuery) -> Result<SearchPage> {
    crate::text::check_search_text(&q.text)?;
    run(store, q, None).await
}

/// The total alone (capped at `COUNT_CAP`), for a window that showed the rows of a
/// `skip_count` search first and fills in the count when it arrives.
pub async fn count(store: &Store, q: &SearchQuery) -> Result<SearchTotal> {
    crate::text::check_search_text(&q.text)?;
    let q = SearchQuery {
        offset: 0,
        limit: 1,
        skip_count: false,
        ..q.clone()
    };
    let page = run(store, &q, None).await?;
    Ok(SearchTotal {
        total: page.total,
        total_exact: page.total_exact,
    })
}

async fn run(
    store: &Store,
    q: &SearchQuery,
    mut trace: Option<&mut Vec<String>>,
) -> Result<SearchPage> {
    let mut traced = |sql: &Sql| {
        if let Some(t) = trace.as_deref_mut() {
            t.push(sql.inline());
        }
    };
    let backend = store.backend();
    let Plan {
        rows,
        count,
        limit,
        offset,
    } = plan(q, backend);
    let members = membership_plan(q, backend);
    if let Some(walk) = walk_plan(q, backend) {
        // One statement: the walk, the page's rows from it, and how many matches the
        // walk met (in all, and in addresses).
        let dir = if q.descending { "DESC" } else { "ASC" };
        let mut walked = Sql::default();
        walked.push("WITH w AS (");
        walked.append(walk);
        walked.push(") ");
        let mut page = Sql::default();
        page.push(&format!(
            "SELECT id FROM w ORDER BY email_key {dir} LIMIT {limit} OFFSET {offset}"
        ));
        walked.append(account_rows_with(
            page,
            q,
            ", (SELECT COUNT(*) FROM w) AS walked, (SELECT COALESCE(SUM(hit), 0) FROM w) AS hits",
        ));
        traced(&walked);
        let (rows, met) = walked.fetch_accounts_and_walk(store).await?;
        if rows.len() as i64 == limit {
            let (matches, in_addresses) = met;
            // Reading addresses until `PART_CAP` match would take about this many rows.
            let scan = PART_CAP * WALK_WINDOW / in_addresses.max(1);
            let broad = scan
                <= match backend {
                    Backend::Postgres => 50_000,
                    Backend::Sqlite => 200_000,
                };
            let (total, total_exact) = if matches > COUNT_CAP {
                (COUNT_CAP as u64, false)
            } else if q.skip_count {
                (0, false)
            } else if let Some(m) = &members {
                membership_total(store, m, broad, &mut traced).await?
            } else {
                traced(&count);
                let n = count.fetch_count(store).await?;
                (n.min(COUNT_CAP) as u64, n <= COUNT_CAP)
            };
            return Ok(SearchPage {
                rows,
                total,
                total_exact,
                counted: matches > COUNT_CAP || !q.skip_count,
            });
        }
    }
    let rows_sql = members.as_ref().map_or(&rows, |m| &m.rows);
    traced(rows_sql);
    let rows = match q.kind {
        SearchKind::Accounts => rows_sql.fetch_accounts(store).await?,
        SearchKind::Establishments => rows_sql.fetch_establishments(store).await?,
    };
    let last_page = (rows.len() as i64) < limit && (offset == 0 || !rows.is_empty());
    let (total, total_exact) = if last_page {
        // The last page tells the total for free.
        ((offset + rows.len() as i64) as u64, true)
    } else if q.skip_count {
        (0, false)
    } else if let Some(m) = &members {
        membership_total(store, m, false, &mut traced).await?
    } else {
        traced(&count);
        let n = count.fetch_count(store).await?;
        (n.min(COUNT_CAP) as u64, n <= COUNT_CAP)
    };
    Ok(SearchPage {
        rows,
        total,
        total_exact,
        counted: last_page || !q.skip_count,
    })
}
