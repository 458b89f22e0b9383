//! « À propos »: which build runs, against which database and schema — what an
//! agent reads out to the IT team when something is wrong.

use serde::Serialize;

use crate::store::{compat, Backend, SchemaState, Store};

/// Where the binary came from, stamped by the front end's build script (the core
/// library has none: it is built the same way for every front end).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct BuildInfo {
    pub commit: &'static str,
    pub date: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct About {
    pub version: &'static str,
    pub commit: &'static str,
    pub build_date: &'static str,
    pub licence: &'static str,
    /// The schema this build writes.
    pub app_schema: i64,
    /// The database open now, if any.
    pub database: Option<DatabaseAbout>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DatabaseAbout {
    pub backend: Backend,
    /// `host:port/name` on PostgreSQL, the file on SQLite; never a password.
    pub location: String,
    pub schema: i64,
    pub state: SchemaState,
}

pub fn about(store: Option<&Store>, build: BuildInfo) -> About {
    About {
        version: env!("CARGO_PKG_VERSION"),
        commit: build.commit,
        build_date: build.date,
        licence: env!("CARGO_PKG_LICENSE"),
        app_schema: compat::app_schema(),
        database: store.map(|s| {
            let state = s.schema_state();
            let schema = match state {
                SchemaState::Behind { database, .. }
                | SchemaState::Ahead { database, .. }
                | SchemaState::TooOld { database, .. } => database,
                SchemaState::Current { version } => version,
            };
            DatabaseAbout {
                backend: s.backend(),
                location: location(s.url_for_display()),
                schema,
                state,
            }
        }),
    }
}

fn location(url: &str) -> String {
    let Ok(parsed) = url::Url::parse(url) else {
        return String::new();
    };
    if parsed.scheme() == "sqlite" {
        return url
            .trim_start_matches("sqlite://")
            .split('?')
            .next()
            .unwrap_or_default()
            .to_string();
    }
    let host = parsed.host_str().unwrap_or_default();
    match parsed.port() {
        Some(port) => format!("{host}:{port}{}", parsed.path()),
        None => format!("{host}{}", parsed.path()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_shows_host_and_base_never_the_login() {
        assert_eq!(
            location("postgres://agent.dupont@bdd.siec.fr:5433/siec?sslmode=verify-full"),
            "bdd.siec.fr:5433/siec"
        );
        assert_eq!(
            location("sqlite:///home/a/.local/share/comptes-siec/comptes-siec.sqlite?mode=rwc"),
            "/home/a/.local/share/comptes-siec/comptes-siec.sqlite"
        );
    }

    #[test]
    fn without_a_database_the_build_is_still_described() {
        let a = about(
            None,
            BuildInfo {
                commit: "abc1234",
                date: "2026-12-01",
            },
        );
        assert_eq!(a.licence, "EUPL-1.2");
        assert_eq!(a.version, env!("CARGO_PKG_VERSION"));
        assert!(a.app_schema >= compat::FIRST_DECLARED);
        assert!(a.database.is_none());
    }
}
