//! The conditions of the per-account route and of the establishments list.

use super::*;

/// `FROM accounts a WHERE …`
pub(super) fn accounts_filter(sql: &mut Sql, q: &SearchQuery, terms: Option<&Terms>) {
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
pub(super) fn account_conditions(sql: &mut Sql, q: &SearchQuery) {
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
pub(super) fn tags_pattern(q: &SearchQuery) -> Option<String> {
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
pub(super) fn account_documents(sql: &mut Sql, t: &Terms) {
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
pub(super) fn establishment_ids(sql: &mut Sql, t: &Terms) {
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
pub(super) fn establishments_filter(sql: &mut Sql, q: &SearchQuery, terms: Option<&Terms>) {
    sql.push(" FROM establishments e WHERE 1 = 1");
    if let Some(t) = terms {
        sql.push(" AND (e.id IN (");
        // Establishments by their own code, name and city: a member's address
        // holding the text says nothing about the establishment.
        establishment_ids(sql, t);
        sql.push("))");
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
