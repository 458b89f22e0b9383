//! What the typed text can match, and how a column is tested for it on each backend.

use super::*;

/// What the typed text can match.
pub(super) struct Terms {
    /// Lower-cased, for e-mail addresses.
    pub(super) email: String,
    /// Folded, for names and cities.
    pub(super) folded: String,
    /// Upper-cased, for UAI prefixes.
    pub(super) uai: Option<String>,
    pub(super) backend: Backend,
}

impl Terms {
    pub(super) fn parse(text: &str, backend: Backend) -> Option<Self> {
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
    pub(super) fn short(&self) -> bool {
        self.email.chars().count() < 3
    }

    /// Whether addresses holding the text match too. Not for three characters of a
    /// UAI: three digits are the start of a department's codes, and as a piece of
    /// an address they would match thousands of numbered addresses.
    pub(super) fn searches_addresses(&self) -> bool {
        self.uai.as_ref().map_or(true, |u| u.len() >= 4)
    }

    /// Digits, `@` or `.` mean a UAI or a piece of an address: few accounts match,
    /// and the trigram index finds them directly.
    pub(super) fn looks_narrow(&self) -> bool {
        self.uai.is_some()
            || self
                .email
                .contains(|c: char| c.is_ascii_digit() || c == '@' || c == '.')
    }
}

/// The smallest string above every string that starts with `prefix`, in byte order
/// (PostgreSQL's "C" collation, SQLite's BINARY): `prefix <= x < successor(prefix)`
/// is a prefix test any B-tree answers.
pub(super) fn successor(prefix: &str) -> String {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        if let Some(next) = char::from_u32(last as u32 + 1) {
            chars.push(next);
            return chars.into_iter().collect();
        }
    }
    String::from(char::MAX)
}

pub(super) fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// `column` holds `text`: through the FTS5 trigram table `fts` on SQLite (which
/// serves LIKE from its index only for a literal pattern without ESCAPE), through
/// the column's trigram index on PostgreSQL.
pub(super) fn text_match(
    sql: &mut Sql,
    backend: Backend,
    id: &str,
    fts: &str,
    column: &str,
    text: &str,
) {
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
