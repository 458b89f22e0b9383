//! What the copy holds, table by table: named columns only, so `password_hash`
//! and `token_hash` never leave the central database (an agent's login may not
//! read them anyway), and nothing the read paths need is left behind.

/// How a column is read through the `Any` driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Int,
    Text,
}

#[derive(Debug)]
pub(crate) struct Table {
    pub name: &'static str,
    /// The alias used in the PostgreSQL queries (`FROM name alias`).
    pub alias: &'static str,
    pub columns: &'static [(&'static str, Kind)],
    /// How the copy takes a changed row: upsert on the id, or (memberships)
    /// delete-then-insert, since a principal transfer swaps the role of two rows
    /// and SQLite checks the one-principal index row by row.
    pub apply: Apply,
    /// The scope filter (academies in `$S`), or `None` for tables read whole.
    pub scope_filter: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Apply {
    Upsert,
    Replace,
    /// Append-only (the journal): rows are only ever added.
    Append,
}

use Kind::{Int, Text};

/// The accounts an academy scope keeps: those attached to one of its establishments.
macro_rules! account_in_scope {
    ($col:literal) => {
        concat!(
            "EXISTS (SELECT 1 FROM memberships sm JOIN establishments se ON se.id = sm.establishment_id \
             WHERE sm.account_id = ",
            $col,
            " AND se.academy = ANY($S))"
        )
    };
}

/// In the order they are applied (a row's parents come first).
pub(crate) const TABLES: &[Table] = &[
    Table {
        name: "establishments",
        alias: "e",
        columns: &[
            ("id", Int),
            ("uai", Text),
            ("name", Text),
            ("city", Text),
            ("academy", Text),
            ("search_text", Text),
            ("version", Int),
            ("created_at", Int),
            ("updated_at", Int),
        ],
        apply: Apply::Upsert,
        scope_filter: "e.academy = ANY($S)",
    },
    Table {
        name: "accounts",
        alias: "a",
        columns: &[
            ("id", Int),
            ("email", Text),
            ("email_key", Text),
            ("display_name", Text),
            ("status", Text),
            ("password_set_at", Int),
            ("version", Int),
            ("created_at", Int),
            ("updated_at", Int),
            ("search_text", Text),
            ("search_tags", Text),
            ("principal_of", Int),
        ],
        apply: Apply::Upsert,
        scope_filter: account_in_scope!("a.id"),
    },
    Table {
        name: "memberships",
        alias: "m",
        columns: &[
            ("account_id", Int),
            ("establishment_id", Int),
            ("role", Text),
            ("created_at", Int),
        ],
        apply: Apply::Replace,
        scope_filter:
            "m.establishment_id IN (SELECT se.id FROM establishments se WHERE se.academy = ANY($S))",
    },
    Table {
        name: "link_requests",
        alias: "l",
        columns: &[
            ("id", Text),
            ("account_id", Int),
            ("purpose", Text),
            ("requested_by", Text),
            ("created_at", Int),
            ("expires_at", Int),
            ("used_at", Int),
            ("revoked_at", Int),
        ],
        apply: Apply::Upsert,
        scope_filter: account_in_scope!("l.account_id"),
    },
    Table {
        name: "mail_outbox",
        alias: "o",
        columns: &[
            ("id", Text),
            ("link_request_id", Text),
            ("recipient", Text),
            ("state", Text),
            ("attempts", Int),
            ("next_attempt_at", Int),
            ("locked_until", Int),
            ("last_error", Text),
            ("created_at", Int),
            ("sent_at", Int),
            ("batch_id", Text),
        ],
        apply: Apply::Upsert,
        scope_filter: concat!(
            "o.link_request_id IN (SELECT sl.id FROM link_requests sl WHERE ",
            account_in_scope!("sl.account_id"),
            ")"
        ),
    },
    Table {
        name: "audit_log",
        alias: "j",
        columns: &[
            ("id", Int),
            ("at", Int),
            ("agent", Text),
            ("action", Text),
            ("target", Text),
            ("before", Text),
            ("after", Text),
        ],
        apply: Apply::Append,
        scope_filter: concat!(
            "(j.target IN (SELECT se.uai FROM establishments se WHERE se.academy = ANY($S)) \
             OR j.target IN (SELECT sa.email_key FROM accounts sa WHERE ",
            account_in_scope!("sa.id"),
            "))"
        ),
    },
];

impl Table {
    /// The select list for PostgreSQL: integers widened to bigint, which is what
    /// the `Any` driver reads as i64.
    pub fn select_list(&self) -> String {
        self.columns
            .iter()
            .map(|(c, k)| match k {
                Int => format!("CAST({}.{c} AS BIGINT)", self.alias),
                Text => format!("CAST({}.{c} AS TEXT)", self.alias),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn column_names(&self) -> String {
        self.columns
            .iter()
            .map(|(c, _)| *c)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

pub(crate) fn table(name: &str) -> Option<&'static Table> {
    TABLES.iter().find(|t| t.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_secret_column_is_ever_selected() {
        for t in TABLES {
            for (c, _) in t.columns {
                assert!(!c.contains("hash"), "{}.{c}", t.name);
            }
            assert!(!t.select_list().contains("hash"));
        }
    }
}
