//! The walk in address order, for broad searches.

use super::*;

/// How many accounts a walk in address order reads at most before giving way to
/// the indexes. Broad searches (a common name, a city, a filter) fill their page
/// and their capped count well within it; narrow ones fail it quickly and are
/// answered by the trigram index, whose cost grows with the number of matches.
pub(super) const WALK_WINDOW: i64 = 10_000;

/// A walk through accounts in address order, testing each row (search document,
/// status, filter tags) and stopping as soon as the page and the capped count are
/// known. `None` when the indexes answer at once anyway: short prefixes, text that
/// looks like an address or a UAI (few matches), the plain list, other sort orders.
pub(super) fn walk_plan(q: &SearchQuery, backend: Backend) -> Option<Sql> {
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
    // A first page reads on to the cap even when its count is not asked for: for a
    // broad search the walk then tells « plus de 1 000 » at no extra cost, sparing
    // the window its separate count. Later pages stop at their last row.
    let need = if q.skip_count && offset > 0 {
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
        " AS hit, a.email_key FROM (SELECT id, email_key, status, password_set_at, principal_of, search_text, search_tags \
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
