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
    /// False when the count was skipped (`skip_count`) and the page does not tell it.
    pub counted: bool,
}

#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct SearchTotal {
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

    /// Whether addresses holding the text match too. Not for three characters of a
    /// UAI: three digits are the start of a department's codes, and as a piece of
    /// an address they would match thousands of numbered addresses.
    fn searches_addresses(&self) -> bool {
        self.uai.as_ref().map_or(true, |u| u.len() >= 4)
    }

    /// Digits, `@` or `.` mean a UAI or a piece of an address: few accounts match,
    /// and the trigram index finds them directly.
    fn looks_narrow(&self) -> bool {
        self.uai.is_some()
            || self
                .email
                .contains(|c: char| c.is_ascii_digit() || c == '@' || c == '.')
    }
}

/// The smallest string above every string that starts with `prefix`, in byte order
/// (PostgreSQL's "C" collation, SQLite's BINARY): `prefix <= x < successor(prefix)`
/// is a prefix test any B-tree answers.
fn successor(prefix: &str) -> String {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        if let Some(next) = char::from_u32(last as u32 + 1) {
            chars.push(next);
            return chars.into_iter().collect();
        }
    }
    String::from(char::MAX)
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
            page.push(&format!(
                " ORDER BY {} {dir}, a.email_key {dir} LIMIT {limit} OFFSET {offset}",
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
    let dir = if q.descending { "DESC" } else { "ASC" };
    let order = account_order(q);
    let mut rows = Sql::default();
    rows.push(
        "SELECT a.email, a.display_name, a.status, f.role, e.uai, e.name, e.city, e.academy, \
         (SELECT COUNT(*) FROM memberships c WHERE c.account_id = a.id) AS n \
         FROM (",
    );
    rows.append(page);
    rows.push(&format!(
        ") page \
         JOIN accounts a ON a.id = page.id \
         LEFT JOIN memberships f ON f.account_id = a.id AND f.establishment_id = (SELECT m1.establishment_id FROM memberships m1 \
           WHERE m1.account_id = a.id ORDER BY CASE m1.role WHEN 'principal' THEN 0 ELSE 1 END, m1.establishment_id LIMIT 1) \
         LEFT JOIN establishments e ON e.id = f.establishment_id \
         ORDER BY {order} {dir}, a.email_key {dir}"
    ));
    rows
}

/// How many accounts a walk in address order reads at most before giving way to
/// the indexes. Broad searches (a common name, a city, a filter) fill their page
/// and their capped count well within it; narrow ones fail it quickly and are
/// answered by the trigram index, whose cost grows with the number of matches.
const WALK_WINDOW: i64 = 10_000;

/// A walk through accounts in address order, testing each row (search document,
/// status, filter tags) and stopping as soon as the page and the capped count are
/// known. `None` when the indexes answer at once anyway: short prefixes, text that
/// looks like an address or a UAI (few matches), the plain list, other sort orders.
fn walk_plan(q: &SearchQuery, backend: Backend) -> Option<Sql> {
    if q.kind != SearchKind::Accounts || q.sort != SortKey::Email {
        return None;
    }
    // Principals' addresses share one pattern (ce.<uai>@…) and sit together in
    // address order: their own partial index serves them instead.
    if q.role == Some(Role::Principal) {
        return None;
    }
    let terms = Terms::parse(&q.text, backend);
    if let Some(t) = &terms {
        if t.short() || t.looks_narrow() {
            return None;
        }
    } else if q.status.is_none() && !q.never_initialised && tags_pattern(q).is_none() {
        return None;
    }
    let dir = if q.descending { "DESC" } else { "ASC" };
    let (limit, offset) = page_bounds(q);
    let need = if q.skip_count {
        offset + limit
    } else {
        (offset + limit).max(COUNT_CAP + 1)
    };
    let mut walk = Sql::default();
    // Second column: whether the address itself holds the text, which tells how
    // common the text is among addresses (see `membership_total`).
    walk.push("SELECT a.id, ");
    match &terms {
        Some(t) => {
            walk.push("CASE WHEN a.email_key LIKE ");
            walk.push_arg(format!("%{}%", like_escape(&t.email)));
            walk.push(" ESCAPE '\\' THEN 1 ELSE 0 END");
        }
        None => walk.push("0"),
    }
    walk.push(&format!(
        " FROM (SELECT id, email_key, status, password_set_at, principal_of, search_text, search_tags \
         FROM accounts ORDER BY email_key {dir} LIMIT {WALK_WINDOW}) a WHERE 1 = 1"
    ));
    if let Some(t) = &terms {
        walk.push(" AND a.search_text LIKE ");
        walk.push_arg(format!("%{}%", like_escape(&t.folded)));
        walk.push(" ESCAPE '\\'");
    }
    account_conditions(&mut walk, q);
    walk.push(&format!(" ORDER BY a.email_key {dir} LIMIT {need}"));
    Some(walk)
}

/// Statements for accounts reached through their establishments.
struct MembershipPlan {
    rows: Sql,
    /// Distinct accounts among the first rows of each part, and how many rows each
    /// part gave: the capped total without reading every match.
    capped: Sql,
    /// The members part alone, when addresses are searched too: often enough on its
    /// own to pass the cap, sparing the addresses' part.
    capped_members: Option<Sql>,
    /// The same, for a text a walk found in many addresses: reading addresses until
    /// enough match then beats collecting every match from the trigram index.
    capped_broad: Sql,
    /// The exact total, when the capped one cannot tell.
    full: Sql,
}

/// Rows each part of a capped count reads at most: past `COUNT_CAP` distinct
/// accounts the answer is « plus de 1 000 » whatever the duplicates.
const PART_CAP: i64 = COUNT_CAP + 100;

/// Accounts reached through their establishments: the members of the
/// establishments whose name or city holds the text (a few hundred establishments
/// out of tens of thousands, found by the establishments' trigram index) or that
/// meet the academy and "without principal" filters, plus, for text, the accounts
/// whose address holds it. Each membership carries its account's address and
/// status, so this reads one index whatever the size of the base. `None` when
/// nothing at the establishment level narrows the search.
fn membership_plan(q: &SearchQuery, backend: Backend) -> Option<MembershipPlan> {
    if q.kind != SearchKind::Accounts || q.sort != SortKey::Email {
        return None;
    }
    let terms = Terms::parse(&q.text, backend)
        .filter(|t| !t.short() && (t.uai.is_some() || !t.looks_narrow()));
    let academy = q
        .academy
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty());
    if terms.is_none() && academy.is_none() && !q.without_principal {
        return None;
    }
    let members = |sql: &mut Sql, distinct: &str| {
        if let Some(t) = &terms {
            // The text names one establishment, the filters may hold through another
            // (as the per-account document and tags read them): the filters are then
            // tested on the account's tags.
            sql.push(&format!(
                "SELECT {distinct}m.account_id AS id, m.email_key FROM establishments e \
                 JOIN memberships m ON m.establishment_id = e.id"
            ));
            if tags_pattern(q).is_some() {
                sql.push(" JOIN accounts a ON a.id = m.account_id");
            }
            sql.push(" WHERE ");
            match &t.uai {
                Some(uai) => {
                    sql.push("e.uai >= ");
                    sql.push_arg(uai.clone());
                    sql.push(" AND e.uai < ");
                    sql.push_arg(successor(uai));
                }
                None => text_match(
                    sql,
                    backend,
                    "e.id",
                    "establishments_fts",
                    "e.search_text",
                    &t.folded,
                ),
            }
            if let Some(s) = q.status {
                sql.push(" AND m.status = ");
                sql.push_arg(s.code().to_string());
            }
            if q.never_initialised {
                sql.push(" AND m.password_set_at IS NULL");
            }
            if let Some(pattern) = tags_pattern(q) {
                sql.push(" AND a.search_tags LIKE ");
                sql.push_arg(pattern);
                sql.push(" ESCAPE '\\'");
            }
            return;
        }
        sql.push(&format!(
            "SELECT {distinct}m.account_id AS id, m.email_key FROM establishments e \
             JOIN memberships m ON m.establishment_id = e.id WHERE 1 = 1"
        ));
        if let Some(a) = academy {
            sql.push(" AND e.academy = ");
            sql.push_arg(a.to_string());
        }
        if q.without_principal {
            sql.push(" AND NOT EXISTS (SELECT 1 FROM memberships p WHERE p.establishment_id = e.id AND p.role = 'principal')");
        }
        if let Some(role) = q.role {
            sql.push(" AND m.role = ");
            sql.push_arg(role.code().to_string());
        }
        if let Some(s) = q.status {
            sql.push(" AND m.status = ");
            sql.push_arg(s.code().to_string());
        }
        if q.never_initialised {
            sql.push(" AND m.password_set_at IS NULL");
        }
    };
    // `broad`: the text is known to match many addresses (a walk met it often), so
    // reading addresses until enough match beats collecting every match from the
    // trigram index first.
    let addresses = |sql: &mut Sql, broad: bool| {
        let t = terms.as_ref().expect("text");
        sql.push("SELECT a.id, a.email_key FROM accounts a WHERE ");
        if broad {
            // `|| ''` keeps PostgreSQL off the trigram index for this condition.
            let column = match backend {
                Backend::Postgres => "(a.email_key || '')",
                Backend::Sqlite => "a.email_key",
            };
            sql.push(&format!("{column} LIKE "));
            sql.push_arg(format!("%{}%", like_escape(&t.email)));
            sql.push(" ESCAPE '\\'");
        } else {
            text_match(
                sql,
                backend,
                "a.id",
                "accounts_email_fts",
                "a.email_key",
                &t.email,
            );
        }
        account_conditions(sql, q);
    };
    let with_addresses = terms.as_ref().is_some_and(Terms::searches_addresses);
    let all = |sql: &mut Sql| {
        if with_addresses {
            members(sql, "");
            sql.push(" UNION ");
            addresses(sql, false);
        } else {
            members(sql, "DISTINCT ");
        }
    };
    let dir = if q.descending { "DESC" } else { "ASC" };
    let (limit, offset) = page_bounds(q);
    let mut page = Sql::default();
    page.push("SELECT c.id FROM (");
    all(&mut page);
    page.push(&format!(
        ") c ORDER BY c.email_key {dir} LIMIT {limit} OFFSET {offset}"
    ));
    let capped = |broad: bool, with_addresses: bool| {
        let mut capped = Sql::default();
        capped.push("SELECT COUNT(DISTINCT c.id), COUNT(CASE WHEN c.part = 1 THEN 1 END), COUNT(CASE WHEN c.part = 2 THEN 1 END) FROM (SELECT 1 AS part, p1.id FROM (");
        members(&mut capped, "");
        capped.push(&format!(" LIMIT {PART_CAP}) p1"));
        if with_addresses {
            capped.push(" UNION ALL SELECT 2 AS part, p2.id FROM (");
            addresses(&mut capped, broad);
            capped.push(&format!(" LIMIT {PART_CAP}) p2"));
        }
        capped.push(") c");
        capped
    };
    let mut full = Sql::default();
    full.push("SELECT COUNT(*) FROM (");
    all(&mut full);
    full.push(") c");
    Some(MembershipPlan {
        rows: account_rows(page, q),
        capped_members: with_addresses.then(|| capped(false, false)),
        capped: capped(false, with_addresses),
        capped_broad: capped(true, with_addresses),
        full,
    })
}

/// `column` holds `text`: through the FTS5 trigram table `fts` on SQLite (which
/// serves LIKE from its index only for a literal pattern without ESCAPE), through
/// the column's trigram index on PostgreSQL.
fn text_match(sql: &mut Sql, backend: Backend, id: &str, fts: &str, column: &str, text: &str) {
    let literal = !text.contains(['%', '_', '\\']);
    if backend == Backend::Sqlite && literal {
        let fts_column = column.rsplit('.').next().unwrap_or(column);
        sql.push(&format!(
            "{id} IN (SELECT rowid FROM {fts} WHERE {fts_column} LIKE "
        ));
        sql.push_arg(format!("%{text}%"));
        sql.push(")");
    } else {
        sql.push(&format!("{column} LIKE "));
        sql.push_arg(format!("%{}%", like_escape(text)));
        sql.push(" ESCAPE '\\'");
    }
}

/// The total from a membership plan: capped counts first, the full count only in
/// the unlikely case where duplicates hide whether the cap is passed.
async fn membership_total(
    store: &Store,
    plan: &MembershipPlan,
    broad: bool,
    traced: &mut impl FnMut(&Sql),
) -> Result<(u64, bool)> {
    if let Some(members) = &plan.capped_members {
        traced(members);
        if members.fetch_triple(store).await?.0 > COUNT_CAP {
            return Ok((COUNT_CAP as u64, false));
        }
    }
    let capped = if broad {
        &plan.capped_broad
    } else {
        &plan.capped
    };
    traced(capped);
    let (distinct, first, second) = capped.fetch_triple(store).await?;
    if distinct > COUNT_CAP {
        return Ok((COUNT_CAP as u64, false));
    }
    if first < PART_CAP && second < PART_CAP {
        return Ok((distinct as u64, true));
    }
    traced(&plan.full);
    let n = plan.full.fetch_count(store).await?;
    Ok((n.min(COUNT_CAP) as u64, n <= COUNT_CAP))
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
    run(store, q, None).await
}

/// The total alone (capped at `COUNT_CAP`), for a window that showed the rows of a
/// `skip_count` search first and fills in the count when it arrives.
pub async fn count(store: &Store, q: &SearchQuery) -> Result<SearchTotal> {
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
        traced(&walk);
        let found = walk.fetch_pairs(store).await?;
        let ids: Vec<i64> = found.iter().map(|&(id, _)| id).collect();
        let in_addresses = found.iter().filter(|&&(_, hit)| hit == 1).count() as i64;
        // Reading addresses until `PART_CAP` match would take about this many rows.
        let scan = PART_CAP * WALK_WINDOW / in_addresses.max(1);
        let broad = scan
            <= match backend {
                Backend::Postgres => 50_000,
                Backend::Sqlite => 200_000,
            };
        if ids.len() as i64 >= offset + limit {
            let page_ids = &ids[offset as usize..(offset + limit) as usize];
            let mut page = Sql::default();
            page.push(&format!(
                "SELECT id FROM accounts WHERE id IN ({})",
                page_ids
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            ));
            let rows_sql = account_rows(page, q);
            traced(&rows_sql);
            let rows = rows_sql.fetch_accounts(store).await?;
            let (total, total_exact) = if q.skip_count {
                (0, false)
            } else if ids.len() as i64 > COUNT_CAP {
                (COUNT_CAP as u64, false)
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
                counted: !q.skip_count,
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

/// `FROM accounts a WHERE …`
fn accounts_filter(sql: &mut Sql, q: &SearchQuery, terms: Option<&Terms>) {
    sql.push(" FROM accounts a WHERE 1 = 1");
    if let Some(t) = terms {
        if t.short() {
            // One or two characters: an address prefix, read in order from the B-tree.
            sql.push(" AND a.email_key >= ");
            sql.push_arg(t.email.clone());
            sql.push(" AND a.email_key < ");
            sql.push_arg(successor(&t.email));
        } else if let Some(uai) = &t.uai {
            // A UAI's beginning: the members of the establishments whose code starts
            // so, and the addresses that hold it (principals' ce.<uai>@…).
            sql.push(" AND (a.id IN (SELECT m.account_id FROM establishments e JOIN memberships m ON m.establishment_id = e.id WHERE e.uai >= ");
            sql.push_arg(uai.clone());
            sql.push(" AND e.uai < ");
            sql.push_arg(successor(uai));
            sql.push(")");
            if t.searches_addresses() {
                sql.push(" OR ");
                text_match(
                    sql,
                    t.backend,
                    "a.id",
                    "accounts_email_fts",
                    "a.email_key",
                    &t.email,
                );
            }
            sql.push(")");
        } else {
            sql.push(" AND ");
            account_documents(sql, t);
        }
    }
    account_conditions(sql, q);
}

/// Conditions on the account row alone: status, initialisation, filter tags.
fn account_conditions(sql: &mut Sql, q: &SearchQuery) {
    if let Some(s) = q.status {
        sql.push(" AND a.status = ");
        sql.push_arg(s.code().to_string());
    }
    if q.never_initialised {
        sql.push(" AND a.password_set_at IS NULL");
    }
    if q.role == Some(Role::Principal) {
        // Implied by the tags below; written out so the principals' partial index applies.
        sql.push(" AND a.principal_of > 0");
    }
    if let Some(pattern) = tags_pattern(q) {
        sql.push(" AND a.search_tags LIKE ");
        sql.push_arg(pattern);
        sql.push(" ESCAPE '\\'");
    }
}

/// The LIKE pattern over `accounts.search_tags` (one segment per membership:
/// RS academy US role-letter no-principal-flag RS) for the academy, role and
/// "without principal" filters, which must hold for one same establishment.
fn tags_pattern(q: &SearchQuery) -> Option<String> {
    let academy = q
        .academy
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty());
    if academy.is_none() && q.role.is_none() && !q.without_principal {
        return None;
    }
    let role = match q.role {
        Some(Role::Principal) => "p",
        Some(Role::Member) => "m",
        None => "_",
    };
    let no_principal = if q.without_principal { "1" } else { "_" };
    Some(match academy {
        Some(a) => format!("%\u{1e}{}\u{1f}{role}{no_principal}\u{1e}%", like_escape(a)),
        None => format!("%\u{1f}{role}{no_principal}\u{1e}%"),
    })
}

/// Accounts whose search document (address, UAI, name and city of each of their
/// establishments) contains the folded text: one trigram index on PostgreSQL, the
/// FTS5 trigram table on SQLite.
fn account_documents(sql: &mut Sql, t: &Terms) {
    text_match(
        sql,
        t.backend,
        "a.id",
        "accounts_fts",
        "a.search_text",
        &t.folded,
    );
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
