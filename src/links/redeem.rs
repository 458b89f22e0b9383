//! Redeeming a link: the portal's side, kept here as the reference implementation
//! the tests drive. Unknown, expired, used and revoked links all get the same
//! public message, so a guess learns nothing.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use sqlx::Row;

use crate::domain::{AccountStatus, LinkPurpose, Password};
use crate::error::{Error, Result};
use crate::links::Token;
use crate::store::Store;

/// The one message for every link that cannot be used.
pub const LINK_REFUSED: &str =
    "Ce lien n'est pas valide ou a expiré. Demandez un nouveau lien avec « Mot de passe oublié ? » sur le portail.";

/// argon2id with OWASP's recommended minimum: 19 MiB, 2 passes, 1 lane. The PHC
/// string records them, so raising them later keeps old hashes verifiable.
pub const ARGON2_M_KIB: u32 = 19_456;
pub const ARGON2_T: u32 = 2;
pub const ARGON2_P: u32 = 1;

fn argon2() -> Argon2<'static> {
    let params =
        Params::new(ARGON2_M_KIB, ARGON2_T, ARGON2_P, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// PHC string of the password (CPU-heavy: call off the async runtime).
pub fn hash_password(password: &Password) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| {
            Error::Internal(format!(
                "Calcul de l'empreinte du mot de passe impossible : {e}"
            ))
        })
}

/// Checks a password against a stored PHC string, with the parameters it records.
pub fn verify_password(phc: &str, candidate: &SecretString) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(candidate.expose_secret().as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

#[derive(Debug, Clone, Serialize)]
pub struct Redeemed {
    pub email: String,
    pub purpose: LinkPurpose,
}

fn refused() -> Error {
    Error::invalid(LINK_REFUSED)
}

/// Sets the password through a link: policy and confirmation checked (every
/// failed rule listed), argon2id, then in one transaction the account becomes
/// active, this link used and every other live link of the account revoked.
pub async fn redeem(
    store: &Store,
    token: &str,
    password: SecretString,
    confirmation: SecretString,
) -> Result<Redeemed> {
    let token = Token::parse(token).ok_or_else(refused)?;
    let hash = token.hash();
    let row = sqlx::query(
        "SELECT l.id, l.token_hash, l.purpose, l.expires_at, l.used_at, l.revoked_at, a.id AS account_id, a.email, a.status \
         FROM link_requests l JOIN accounts a ON a.id = l.account_id WHERE l.token_hash = $1",
    )
    .bind(hash.as_str())
    .fetch_optional(store.pool())
    .await?
    .ok_or_else(refused)?;
    let stored: String = row.try_get("token_hash")?;
    let expires_at: Option<i64> = row.try_get("expires_at")?;
    // Validity is judged when the form arrives, not after hashing.
    let checked_at = store.now_ms();
    let live = hash.matches(&stored)
        && row.try_get::<Option<i64>, _>("used_at")?.is_none()
        && row.try_get::<Option<i64>, _>("revoked_at")?.is_none()
        && expires_at.is_some_and(|e| checked_at < e)
        && row.try_get::<String, _>("status")? != AccountStatus::Disabled.code();
    if !live {
        return Err(refused());
    }
    let password = Password::parse_confirmed(password, &confirmation)?;
    let phc = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| Error::Internal(format!("Calcul de l'empreinte interrompu : {e}")))??;

    let link_id: String = row.try_get("id")?;
    let account_id: i64 = row.try_get("account_id")?;
    let email: String = row.try_get("email")?;
    let purpose =
        LinkPurpose::from_code(&row.try_get::<String, _>("purpose")?).unwrap_or(LinkPurpose::Reset);
    let now = store.now_ms();
    let mut tx = store.begin_write().await?;
    let used = sqlx::query(
        // The hash it was looked up by: a worker that replaced the token since
        // (a retry after a lease ran out) killed the link this one came from.
        "UPDATE link_requests SET used_at = $1 WHERE id = $2 AND token_hash = $4 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $3",
    )
    .bind(now)
    .bind(&link_id)
    .bind(checked_at)
    .bind(hash.as_str())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if used != 1 {
        // Another redemption of the same link (or a password change) won the race.
        return Err(refused());
    }
    let (before,): (String,) = sqlx::query_as("SELECT status FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_one(&mut *tx)
        .await?;
    let activated = sqlx::query(
        "UPDATE accounts SET password_hash = $1, password_set_at = $2, status = 'active', updated_at = $2, version = version + 1 \
         WHERE id = $3 AND status <> 'disabled'",
    )
    .bind(&phc)
    .bind(now)
    .bind(account_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if activated != 1 {
        return Err(refused());
    }
    sqlx::query(
        "UPDATE link_requests SET revoked_at = $1 WHERE account_id = $2 AND id <> $3 AND used_at IS NULL AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(account_id)
    .bind(&link_id)
    .execute(&mut *tx)
    .await?;
    let after =
        serde_json::json!({ "status": "active", "link": link_id, "purpose": purpose.code() });
    crate::audit::record(
        &mut tx,
        store,
        "link.redeem",
        &email.to_ascii_lowercase(),
        Some(serde_json::json!({ "status": before })),
        Some(after),
    )
    .await?;
    tx.commit().await?;
    Ok(Redeemed { email, purpose })
}
