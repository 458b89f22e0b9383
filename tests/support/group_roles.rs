//! Shared by the test support modules: the cluster-wide group roles, made before
//! any migration runs.

use siec_accounts::store::Store;

/// The migrations create the cluster-wide group roles when they are missing; two
/// tests migrating their databases at once on a fresh server would race on that
/// (one sees the role missing, then cannot use it). Creating them first, each
/// statement tolerating a concurrent creator, leaves the migrations nothing to race on.
pub async fn ensure_group_roles(root: &Store) {
    for role in ["siec_agent", "siec_admin", "siec_mailer"] {
        sqlx::query(&format!(
            "DO $$ BEGIN CREATE ROLE {role} NOLOGIN; \
             EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
        ))
        .execute(root.pool())
        .await
        .expect("rôles de groupe");
    }
}
