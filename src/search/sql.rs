//! A statement built piece by piece with numbered `$n` placeholders, which both
//! PostgreSQL and SQLite accept (sqlx's own builder writes `?` for `Any`).

use super::SearchRow;
use crate::domain::{AccountStatus, Role};
use crate::error::Result;
use crate::store::Store;

/// Rewrites each `$n` placeholder of `text` with `f(n)`, in one pass.
fn map_placeholders(text: &str, f: impl Fn(usize) -> String) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '$' {
            let start = i + 1;
            let mut end = start;
            while let Some(&(j, d)) = chars.peek() {
                if !d.is_ascii_digit() {
                    break;
                }
                end = j + 1;
                chars.next();
            }
            if end > start {
                out.push_str(&f(text[start..end].parse().expect("digits")));
                continue;
            }
        }
        out.push(c);
    }
    out
}

#[derive(Debug, Clone, Default)]
pub(super) struct Sql {
    text: String,
    args: Vec<String>,
}

impl Sql {
    pub fn push(&mut self, s: &str) {
        self.text.push_str(s);
    }

    /// Appends another statement, renumbering its placeholders after ours.
    pub fn append(&mut self, other: Sql) {
        let shift = self.args.len();
        self.text.push_str(&map_placeholders(&other.text, |n| {
            format!("${}", n + shift)
        }));
        self.args.extend(other.args);
    }

    pub fn push_arg(&mut self, value: String) {
        self.args.push(value);
        self.text.push_str(&format!("${}", self.args.len()));
    }

    /// The statement with its values written in as SQL literals.
    pub fn inline(&self) -> String {
        map_placeholders(&self.text, |n| {
            format!("'{}'", self.args[n - 1].replace('\'', "''"))
        })
    }

    fn query(&self) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments<'_>> {
        let mut q = sqlx::query(&self.text);
        for a in &self.args {
            q = q.bind(a.as_str());
        }
        q
    }

    pub async fn fetch_count(&self, store: &Store) -> Result<i64> {
        use sqlx::Row;
        let row = self.query().fetch_one(store.pool()).await?;
        Ok(row.try_get::<i64, _>(0)?)
    }

    pub async fn fetch_triple(&self, store: &Store) -> Result<(i64, i64, i64)> {
        use sqlx::Row;
        let row = self.query().fetch_one(store.pool()).await?;
        Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?))
    }

    pub async fn fetch_accounts(&self, store: &Store) -> Result<Vec<SearchRow>> {
        let rows = self.query().fetch_all(store.pool()).await?;
        rows.iter().map(account_row).collect()
    }

    /// Account rows followed by two columns, the same on every row (read from the
    /// first; zeros when there is no row).
    pub async fn fetch_accounts_and_walk(
        &self,
        store: &Store,
    ) -> Result<(Vec<SearchRow>, (i64, i64))> {
        use sqlx::Row;
        let rows = self.query().fetch_all(store.pool()).await?;
        let met = match rows.first() {
            Some(r) => (r.try_get::<i64, _>(9)?, r.try_get::<i64, _>(10)?),
            None => (0, 0),
        };
        Ok((rows.iter().map(account_row).collect::<Result<_>>()?, met))
    }

    pub async fn fetch_establishments(&self, store: &Store) -> Result<Vec<SearchRow>> {
        use sqlx::Row;
        let rows = self.query().fetch_all(store.pool()).await?;
        rows.iter()
            .map(|r| {
                Ok(SearchRow::Establishment {
                    uai: r.try_get(0)?,
                    name: r.try_get(1)?,
                    city: r.try_get(2)?,
                    academy: r.try_get(3)?,
                    accounts: r.try_get(4)?,
                    principal: r.try_get(5)?,
                })
            })
            .collect()
    }
}

/// One row of `account_rows`: the displayed columns of an account.
fn account_row(r: &sqlx::any::AnyRow) -> Result<SearchRow> {
    use sqlx::Row;
    Ok(SearchRow::Account {
        email: r.try_get(0)?,
        display_name: r.try_get(1)?,
        status: AccountStatus::from_code(&r.try_get::<String, _>(2)?)
            .unwrap_or(AccountStatus::Pending),
        role: r
            .try_get::<Option<String>, _>(3)?
            .and_then(|s| Role::from_code(&s)),
        uai: r.try_get(4)?,
        establishment_name: r.try_get(5)?,
        city: r.try_get(6)?,
        academy: r.try_get(7)?,
        establishments: r.try_get(8)?,
    })
}
