//! The central schema on both backends: migrations from empty, the one-principal
//! rule enforced by the database itself, the schema-version guard.

mod common;

use common::{Kind, TestDb, BOTH};
use siec_accounts::store::SchemaState;
use siec_accounts::ErrorKind;

#[tokio::test]
async fn migrations_apply_from_empty_on_both_backends() {
    for kind in BOTH {
        let db = TestDb::empty(kind).await;
        assert!(
            matches!(
                db.store.refresh_schema_state().await.unwrap(),
                SchemaState::Behind { database: 0, .. }
            ),
            "{kind:?}"
        );
        let err = db.store.ensure_writable().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unavailable, "{kind:?}");
        let state = db.store.migrate().await.unwrap();
        assert_eq!(
            state,
            SchemaState::Current {
                version: db.store.app_schema_version()
            },
            "{kind:?}"
        );
        // A second run is a no-op.
        db.store.migrate().await.unwrap();
        for table in [
            "establishments",
            "accounts",
            "memberships",
            "link_requests",
            "mail_outbox",
            "audit_log",
        ] {
            let n: (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}"))
                .fetch_one(db.store.pool())
                .await
                .unwrap();
            assert_eq!(n.0, 0, "{kind:?} {table}");
        }
    }
}

#[tokio::test]
async fn database_refuses_a_second_principal() {
    for kind in BOTH {
        let db = TestDb::new(kind).await;
        // The schema's own rules, whoever writes: the superuser (no grant in the way).
        let pool = db.su.pool();
        sqlx::query("INSERT INTO establishments (uai, name, search_text, created_at, updated_at) VALUES ('0750655E', 'Lycée Louis-le-Grand', 'lycee louis le grand', 0, 0)")
            .execute(pool).await.unwrap();
        for (i, email) in ["a@ac-paris.fr", "b@ac-paris.fr"].iter().enumerate() {
            sqlx::query(&format!("INSERT INTO accounts (id, email, email_key, created_at, updated_at) VALUES ({}, '{email}', '{email}', 0, 0)", i + 1))
                .execute(pool).await.unwrap();
        }
        sqlx::query("INSERT INTO memberships (account_id, establishment_id, role, created_at) VALUES (1, 1, 'principal', 0)")
            .execute(pool).await.unwrap();
        let second = sqlx::query("INSERT INTO memberships (account_id, establishment_id, role, created_at) VALUES (2, 1, 'principal', 0)")
            .execute(pool).await;
        let err = siec_accounts::Error::from(second.unwrap_err());
        assert_eq!(err.kind(), ErrorKind::Conflict, "{kind:?}: {err}");
        assert_eq!(
            err.to_string(),
            "Cet établissement a déjà un compte principal."
        );
        // A member is fine.
        sqlx::query("INSERT INTO memberships (account_id, establishment_id, role, created_at) VALUES (2, 1, 'member', 0)")
            .execute(pool).await.unwrap();
    }
}

/// Searches read each membership's copy of its account's address and status: the
/// database keeps it, whoever writes, and puts back a copy written directly.
#[tokio::test]
async fn membership_copies_follow_their_account() {
    for kind in BOTH {
        let db = TestDb::new(kind).await;
        // The schema's own rules, whoever writes: the superuser (no grant in the way).
        let pool = db.su.pool();
        sqlx::query("INSERT INTO establishments (uai, name, search_text, created_at, updated_at) VALUES ('0750655E', 'Lycée Louis-le-Grand', 'lycee louis le grand', 0, 0)")
            .execute(pool).await.unwrap();
        sqlx::query("INSERT INTO accounts (id, email, email_key, created_at, updated_at) VALUES (1, 'a@ac-paris.fr', 'a@ac-paris.fr', 0, 0)")
            .execute(pool).await.unwrap();
        sqlx::query("INSERT INTO memberships (account_id, establishment_id, role, created_at) VALUES (1, 1, 'member', 0)")
            .execute(pool).await.unwrap();
        let copy = || async {
            sqlx::query_as::<_, (String, String, Option<i64>)>(
                "SELECT email_key, status, password_set_at FROM memberships WHERE account_id = 1",
            )
            .fetch_one(pool)
            .await
            .unwrap()
        };
        assert_eq!(
            copy().await,
            ("a@ac-paris.fr".into(), "pending".into(), None),
            "{kind:?}"
        );
        sqlx::query("UPDATE accounts SET status = 'active', password_set_at = 42 WHERE id = 1")
            .execute(pool)
            .await
            .unwrap();
        assert_eq!(
            copy().await,
            ("a@ac-paris.fr".into(), "active".into(), Some(42)),
            "{kind:?}"
        );
        sqlx::query("UPDATE memberships SET email_key = 'z@ac-paris.fr', status = 'disabled' WHERE account_id = 1")
            .execute(pool).await.unwrap();
        assert_eq!(
            copy().await,
            ("a@ac-paris.fr".into(), "active".into(), Some(42)),
            "{kind:?}: put back"
        );
    }
}

/// A newer build's incompatible migration (it raised the oldest writing schema
/// past this build): this one reads, refuses writes, and never runs the migrator.
#[tokio::test]
async fn an_app_too_old_for_the_database_refuses_to_write() {
    for kind in BOTH {
        let db = TestDb::new(kind).await;
        sqlx::query("UPDATE schema_version SET version = 999, min_app_schema = 999")
            .execute(db.su.pool())
            .await
            .unwrap();
        let store = db.reconnect("agent.test").await;
        assert!(matches!(
            store.schema_state(),
            SchemaState::TooOld {
                database: 999,
                min_app: 999,
                ..
            }
        ));
        let err = store.ensure_writable().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Forbidden);
        assert!(err.to_string().contains("trop ancienne"), "{err}");
        let err = store.migrate().await.unwrap_err();
        assert!(err.to_string().contains("schéma 999"), "{err}");
        store.close().await;
    }
}

#[tokio::test]
async fn audit_rows_cannot_be_changed_or_deleted() {
    for kind in BOTH {
        let db = TestDb::new(kind).await;
        // The schema's own rules, whoever writes: the superuser (no grant in the way).
        let pool = db.su.pool();
        sqlx::query(
            "INSERT INTO audit_log (at, agent, action, target) VALUES (1, 'x', 'test', 'cible')",
        )
        .execute(pool)
        .await
        .unwrap();
        for sql in [
            "UPDATE audit_log SET action = 'falsifié'",
            "DELETE FROM audit_log",
        ] {
            let err = siec_accounts::Error::from(sqlx::query(sql).execute(pool).await.unwrap_err());
            assert_eq!(err.kind(), ErrorKind::Forbidden, "{kind:?} {sql}: {err}");
        }
        let (action,): (String,) = sqlx::query_as("SELECT action FROM audit_log")
            .fetch_one(pool)
            .await
            .unwrap();
        assert_eq!(action, "test");
        if kind == Kind::Postgres {
            // The author is the database login, whatever the client wrote.
            let (agent,): (String,) = sqlx::query_as("SELECT agent FROM audit_log")
                .fetch_one(pool)
                .await
                .unwrap();
            assert_eq!(agent, "postgres");
        }
    }
}
