//! Schema compatibility between the database and this build, for rolling upgrades.
//!
//! The database records two numbers in `schema_version`: `version`, the newest
//! migration applied, and (from migration 0007 on) `min_app_schema`, the oldest
//! application schema that may still write to it. Each migration declares, in a
//! `-- Compatibility:` line at its top, whether apps of the previous schema keep
//! working (`additive`: the record is left alone) or not (`requires app schema K`:
//! the migration sets `min_app_schema = K`). The tests below hold every migration
//! to that declaration; docs/UPGRADES.md explains the expand-then-contract rule it
//! serves.
//!
//! Migrations on PostgreSQL run only when someone who owns the schema asks
//! (`siec-accounts migrate`): an agent's desk never runs sqlx's migrator there. A
//! desk one compatible migration behind the database keeps working; one below
//! `min_app_schema` opens read-only and says an update is needed.

use sqlx::AnyPool;

use crate::error::{Error, Result};

/// How the schema in the database compares with what this build knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SchemaState {
    /// Not yet migrated (or partly): an administrator's `migrate` brings it up to date.
    Behind {
        database: i64,
        app: i64,
    },
    Current {
        version: i64,
    },
    /// A newer app migrated this database, with changes this build still works with.
    Ahead {
        database: i64,
        app: i64,
        min_app: i64,
    },
    /// A newer app migrated this database past what this build may write: read-only.
    TooOld {
        database: i64,
        app: i64,
        min_app: i64,
    },
}

impl SchemaState {
    /// Where this build stands against a database at `database` whose oldest
    /// writing app schema is `min_app`.
    pub fn classify(database: i64, min_app: i64, app: i64) -> Self {
        use std::cmp::Ordering;
        match database.cmp(&app) {
            Ordering::Less => Self::Behind { database, app },
            Ordering::Equal => Self::Current { version: app },
            Ordering::Greater if app >= min_app => Self::Ahead {
                database,
                app,
                min_app,
            },
            Ordering::Greater => Self::TooOld {
                database,
                app,
                min_app,
            },
        }
    }

    /// Whether this build may write: `None` if so, else the French reason.
    pub fn write_refusal(&self) -> Option<Error> {
        match *self {
            Self::Current { .. } | Self::Ahead { .. } => None,
            Self::TooOld {
                database,
                app,
                min_app,
            } => Some(too_old(database, app, min_app)),
            Self::Behind { database, app } => Some(behind(database, app)),
        }
    }
}

fn too_old(database: i64, app: i64, min_app: i64) -> Error {
    Error::Forbidden(format!(
        "Cette version de Comptes SIEC est trop ancienne pour la base : installez la mise à jour (schéma de cette application : {app} ; schéma de la base : {database}, qui demande au moins le schéma {min_app}). En attendant, la consultation reste possible mais aucune modification n’est enregistrée."
    ))
}

/// What an agent reads when the database was not migrated for this build.
pub fn behind(database: i64, app: i64) -> Error {
    Error::Unavailable(format!(
        "La base n’est pas à jour (schéma {database}, cette version de Comptes SIEC attend le schéma {app}) : demandez à un administrateur de lancer « siec-accounts migrate »."
    ))
}

/// Refusal of `migrate` on a database that a newer build already migrated: sqlx's
/// migrator would stop on « previously applied but is missing », and nothing here
/// may undo a newer build's steps.
pub fn newer_than_app(database: i64, app: i64) -> Error {
    Error::Forbidden(format!(
        "La base est au schéma {database}, plus récent que celui de cette version de Comptes SIEC ({app}) : rien à faire ici. Mettez la base à jour avec la dernière version de siec-accounts."
    ))
}

/// `version` and `min_app_schema`; a database from before migration 0007 has no
/// compatibility record, so every newer schema counts as incompatible.
pub(super) async fn read_record(pool: &AnyPool) -> Result<(i64, i64)> {
    let row: std::result::Result<(i32,), sqlx::Error> =
        sqlx::query_as("SELECT CAST(version AS INTEGER) FROM schema_version")
            .fetch_one(pool)
            .await;
    let database: i64 = match row {
        Ok((v,)) => v.into(),
        Err(sqlx::Error::Database(e)) if super::is_missing_table(e.message()) => return Ok((0, 0)),
        Err(e) => return Err(e.into()),
    };
    let min: std::result::Result<(i32,), sqlx::Error> =
        sqlx::query_as("SELECT CAST(min_app_schema AS INTEGER) FROM schema_version")
            .fetch_one(pool)
            .await;
    match min {
        Ok((m,)) => Ok((database, m.into())),
        Err(sqlx::Error::Database(e))
            if super::is_missing_table(e.message()) || e.message().contains("no such column") =>
        {
            Ok((database, database))
        }
        Err(e) => Err(e.into()),
    }
}

/// On PostgreSQL, only the owner of the schema (or a superuser) may migrate: agents
/// and `siec_admin` hold grants on tables, not the right to change them. Asked
/// first, so an agent who types `migrate` reads why rather than a permission error
/// from the middle of sqlx's bookkeeping.
pub(super) async fn ensure_may_migrate_postgres(pool: &AnyPool) -> Result<()> {
    let (allowed, login): (bool, String) = sqlx::query_as(
        "SELECT coalesce((SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = session_user), false)
                OR CASE WHEN to_regclass('schema_version') IS NULL
                        THEN has_schema_privilege(current_schema(), 'CREATE')
                        ELSE pg_has_role(session_user,
                                         (SELECT c.relowner FROM pg_class c WHERE c.oid = to_regclass('schema_version')),
                                         'MEMBER')
                   END,
                CAST(session_user AS TEXT)",
    )
    .fetch_one(pool)
    .await?;
    if allowed {
        Ok(())
    } else {
        Err(Error::Forbidden(format!(
            "L’identifiant « {login} » ne peut pas mettre à jour le schéma : seul le propriétaire de la base (l’identifiant d’administration qui l’a créée) lance « siec-accounts migrate »."
        )))
    }
}

/// One migration's `-- Compatibility:` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Declaration {
    Additive,
    RequiresAppSchema(i64),
}

/// Reads the declaration at the top of a migration's SQL; `None` if it has none
/// or several.
pub fn declaration(sql: &str) -> Option<Declaration> {
    let mut found = None;
    for line in sql.lines() {
        let Some(rest) = line.trim().strip_prefix("-- Compatibility:") else {
            continue;
        };
        let rest = rest.trim();
        let parsed = if rest == "additive" {
            Declaration::Additive
        } else {
            Declaration::RequiresAppSchema(
                rest.strip_prefix("requires app schema ")?
                    .trim()
                    .parse()
                    .ok()?,
            )
        };
        if found.replace(parsed).is_some() {
            return None;
        }
    }
    found
}

/// The schema this build writes (the same on both backends: a test holds them
/// together).
pub fn app_schema() -> i64 {
    super::POSTGRES_MIGRATIONS
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap_or(0)
}

/// The first migration that carries a compatibility record.
pub const FIRST_DECLARED: i64 = 7;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_covers_each_case() {
        assert_eq!(
            SchemaState::classify(7, 6, 8),
            SchemaState::Behind {
                database: 7,
                app: 8
            }
        );
        assert_eq!(
            SchemaState::classify(8, 6, 8),
            SchemaState::Current { version: 8 }
        );
        assert_eq!(
            SchemaState::classify(9, 8, 8),
            SchemaState::Ahead {
                database: 9,
                app: 8,
                min_app: 8
            }
        );
        assert_eq!(
            SchemaState::classify(9, 9, 8),
            SchemaState::TooOld {
                database: 9,
                app: 8,
                min_app: 9
            }
        );
        assert!(SchemaState::classify(9, 8, 8).write_refusal().is_none());
        let refusal = SchemaState::classify(9, 9, 8)
            .write_refusal()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            refusal.starts_with(
                "Cette version de Comptes SIEC est trop ancienne pour la base : installez la mise à jour"
            ) && refusal.contains("schéma de la base : 9"),
            "{refusal}"
        );
    }

    #[test]
    fn declarations_parse() {
        assert_eq!(
            declaration("-- x\n-- Compatibility: additive\nALTER TABLE t ADD c int;"),
            Some(Declaration::Additive)
        );
        assert_eq!(
            declaration("-- Compatibility: requires app schema 12\n"),
            Some(Declaration::RequiresAppSchema(12))
        );
        assert_eq!(declaration("ALTER TABLE t ADD c int;"), None);
        assert_eq!(
            declaration("-- Compatibility: additive\n-- Compatibility: additive\n"),
            None
        );
        assert_eq!(declaration("-- Compatibility: maybe\n"), None);
    }

    /// `min_app_schema = K` in the SQL (outside comments).
    fn sets_min_app(sql: &str) -> Vec<i64> {
        let code: String = sql
            .lines()
            .map(|l| l.split("--").next().unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n");
        code.match_indices("min_app_schema =")
            .filter_map(|(i, m)| {
                code[i + m.len()..]
                    .trim_start()
                    .split(|c: char| !c.is_ascii_digit())
                    .next()
                    .and_then(|n| n.parse().ok())
            })
            .collect()
    }

    /// Every migration from 0007 on declares its compatibility, does what it
    /// declares, and says the same on both backends.
    #[test]
    fn every_migration_keeps_its_declaration() {
        let postgres = &super::super::POSTGRES_MIGRATIONS;
        let sqlite = &super::super::SQLITE_MIGRATIONS;
        let pg: Vec<_> = postgres
            .iter()
            .filter(|m| !m.migration_type.is_down_migration())
            .collect();
        let lite: Vec<_> = sqlite
            .iter()
            .filter(|m| !m.migration_type.is_down_migration())
            .collect();
        assert_eq!(
            pg.iter().map(|m| m.version).collect::<Vec<_>>(),
            lite.iter().map(|m| m.version).collect::<Vec<_>>(),
            "the two backends have the same migrations"
        );
        assert!(pg.iter().any(|m| m.version == FIRST_DECLARED));
        for (p, s) in pg.iter().zip(&lite) {
            if p.version < FIRST_DECLARED {
                assert!(sets_min_app(&p.sql).is_empty(), "{}", p.version);
                continue;
            }
            let declared = declaration(&p.sql);
            assert_eq!(
                declared,
                declaration(&s.sql),
                "migration {} declares the same on both backends",
                p.version
            );
            for m in [p, s] {
                let sets = sets_min_app(&m.sql);
                match declared {
                    Some(Declaration::Additive) => {
                        assert!(
                            sets.is_empty(),
                            "additive {} leaves min_app_schema",
                            m.version
                        )
                    }
                    Some(Declaration::RequiresAppSchema(k)) => {
                        assert!(
                            k <= m.version,
                            "{}: an app of schema {k} cannot exist yet",
                            m.version
                        );
                        assert_eq!(
                            sets,
                            vec![k],
                            "migration {} sets min_app_schema = {k}",
                            m.version
                        );
                    }
                    None => panic!(
                        "migration {} has no « -- Compatibility: » line (see src/store/compat.rs)",
                        m.version
                    ),
                }
            }
        }
    }

    #[test]
    fn min_app_is_read_from_the_sql() {
        assert_eq!(
            sets_min_app(
                "UPDATE schema_version SET version = 9, min_app_schema = 8; -- min_app_schema = 3"
            ),
            vec![8]
        );
        assert!(
            sets_min_app("-- min_app_schema = 3\nUPDATE schema_version SET version = 9;")
                .is_empty()
        );
    }
}
