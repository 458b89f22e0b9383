//! Accounts reached through their establishments, and the capped total.

use super::*;

/// Statements for accounts reached through their establishments.
pub(super) struct MembershipPlan {
    pub(super) rows: Sql,
    /// Distinct accounts among the first rows of each part, and how many rows each
    /// part gave: the capped total without reading every match.
    pub(super) capped: Sql,
    /// The members part alone, when addresses are searched too: often enough on its
    /// own to pass the cap, sparing the addresses' part.
    pub(super) capped_members: Option<Sql>,
    /// The same, for a text a walk found in many addresses: reading addresses until
    /// enough match then beats collecting every match from the trigram index.
    pub(super) capped_broad: Sql,
    /// The exact total, when the capped one cannot tell.
    pub(super) full: Sql,
}

/// Rows each part of a capped count reads at most: past `COUNT_CAP` distinct
/// accounts the answer is « plus de 1 000 » whatever the duplicates.
pub(super) const PART_CAP: i64 = COUNT_CAP + 100;

/// Accounts reached through their establishments: the members of the
/// establishments whose name or city holds the text (a few hundred establishments
/// out of tens of thousands, found by the establishments' trigram index) or that
/// meet the academy and "without principal" filters, plus, for text, the accounts
/// whose address holds it. Each membership carries its account's address and
/// status, so this reads one index whatever the size of the base. `None` when
/// nothing at the establishment level narrows the search.
pub(super) fn membership_plan(q: &SearchQuery, backend: Backend) -> Option<MembershipPlan> {
    if q.kind != SearchKind::Accounts || q.sort != SortKey::Email {
        return None;
    }
    let terms = Terms::parse(&q.text, backend);
    // Text this route cannot read (a prefix, a piece of an address) goes to the
    // per-account index, which tests it with the filters; never dropped for them.
    if terms
        .as_ref()
        .is_some_and(|t| t.short() || (t.uai.is_none() && t.looks_narrow()))
    {
        return None;
    }
    let academy = q
        .academy
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty());
    if terms.is_none() && academy.is_none() && !q.without_principal {
        return None;
    }
    let members = |sql: &mut Sql, distinct: &str| {
        sql.push(&format!(
            "SELECT {distinct}m.account_id AS id, m.email_key FROM establishments e \
             JOIN memberships m ON m.establishment_id = e.id"
        ));
        // With text, the text names one establishment and the filters may hold
        // through another (as the per-account document and tags read them): the
        // filters are then tested on the account's tags.
        let tags = terms.as_ref().and(tags_pattern(q));
        if tags.is_some() {
            sql.push(" JOIN accounts a ON a.id = m.account_id");
        }
        sql.push(" WHERE ");
        match terms.as_ref().map(|t| (t, &t.uai)) {
            Some((_, Some(uai))) => {
                sql.push("e.uai >= ");
                sql.push_arg(uai.clone());
                sql.push(" AND e.uai < ");
                sql.push_arg(successor(uai));
            }
            Some((t, None)) => text_match(
                sql,
                backend,
                "e.id",
                "establishments_fts",
                "e.search_text",
                &t.folded,
            ),
            None => {
                sql.push("1 = 1");
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
            }
        }
        if let Some(s) = q.status {
            sql.push(" AND m.status = ");
            sql.push_arg(s.code().to_string());
        }
        if q.never_initialised {
            sql.push(" AND m.password_set_at IS NULL");
        }
        if let Some(pattern) = tags {
            sql.push(" AND a.search_tags LIKE ");
            sql.push_arg(pattern);
            sql.push(" ESCAPE '\\'");
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

/// The total from a membership plan: capped counts first, the full count only in
/// the unlikely case where duplicates hide whether the cap is passed.
pub(super) async fn membership_total(
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
