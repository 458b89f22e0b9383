//! Agents' own database logins (PostgreSQL only): creating, listing and disabling
//! them, and signing in as one. The database is the guard: the group roles
//! `siec_agent` and `siec_admin` (migration `0003_roles.sql`) carry every right,
//! and agent management goes through the `siec_create_agent` / `siec_disable_agent`
//! functions that only `siec_admin` may call. What an agent may not do is refused
//! by PostgreSQL itself, whatever the client sends.

mod login;
mod scram;
mod sign_in;

pub use login::{AgentLogin, AgentLoginError};
pub use scram::scram_sha256_verifier;
pub use sign_in::{sign_in, SignIn};

use rand::Rng;
use secrecy::{ExposeSecret, SecretString};

use crate::domain::Password;
use crate::error::{Error, Result};
use crate::store::{Backend, Store};

/// Length of a generated agent password.
pub const GENERATED_PASSWORD_LENGTH: usize = 24;

/// Letters, digits and the portal's special characters: a generated password also
/// meets the portal's policy, and survives copy-paste and shells without quoting trouble.
const PASSWORD_ALPHABET: &[u8] =
    b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789@%*+-_!";

/// A fresh agent password: 24 characters drawn from the operating system's CSPRNG.
pub fn generate_password() -> SecretString {
    let mut rng = rand::rngs::OsRng;
    loop {
        let candidate: String = (0..GENERATED_PASSWORD_LENGTH)
            .map(|_| PASSWORD_ALPHABET[rng.gen_range(0..PASSWORD_ALPHABET.len())] as char)
            .collect();
        // A draw missing one class is rare; draw again rather than bias the alphabet.
        if let Ok(p) = Password::parse(SecretString::from(candidate)) {
            return SecretString::from(p.expose().to_string());
        }
    }
}

/// Checks a password chosen by a person for an agent login: the portal's policy,
/// and ASCII only, so that the SCRAM verifier computed here is exactly the one
/// PostgreSQL computes at sign-in (it normalises non-ASCII passwords with SASLprep).
pub fn check_agent_password(candidate: &SecretString) -> Result<()> {
    Password::parse(candidate.clone())?;
    if !candidate
        .expose_secret()
        .chars()
        .all(|c| c.is_ascii_graphic())
    {
        return Err(Error::invalid(
            "Le mot de passe d'un agent ne peut contenir que des lettres sans accent, des chiffres et des symboles (pas d'espace).",
        ));
    }
    Ok(())
}

/// A login as `agent list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AgentInfo {
    pub login: String,
    pub name: String,
    pub admin: bool,
    /// False once disabled (the role can no longer log in).
    pub active: bool,
}

/// What `agent add` needs.
#[derive(Debug, Clone)]
pub struct NewAgent {
    pub login: AgentLogin,
    pub name: String,
    pub admin: bool,
}

fn require_postgres(store: &Store) -> Result<()> {
    match store.backend() {
        Backend::Postgres => Ok(()),
        Backend::Sqlite => Err(Error::invalid(
            "Les comptes d'agents n'existent que sur la base centrale PostgreSQL ; la base locale n'a qu'un utilisateur.",
        )),
    }
}

/// Creates an agent login in `siec_agent` (or `siec_admin`). Only an administrator's
/// connection may do it: the database refuses anyone else. Only the SCRAM verifier
/// of the password leaves this process.
pub async fn create_agent(store: &Store, agent: &NewAgent, password: &SecretString) -> Result<()> {
    require_postgres(store)?;
    check_agent_password(password)?;
    let name = agent.name.trim();
    if name.is_empty() {
        return Err(Error::invalid(
            "Indiquez le nom de l'agent (--name « Prénom Nom »).",
        ));
    }
    let verifier = scram_sha256_verifier(password);
    let mut tx = store.begin_write().await?;
    sqlx::query(
        "SELECT CAST(1 AS INTEGER) FROM (SELECT siec_create_agent($1, $2, $3, $4)) AS done",
    )
    .bind(agent.login.as_str())
    .bind(verifier)
    .bind(name)
    .bind(agent.admin)
    .execute(&mut *tx)
    .await
    .map_err(|e| management_error(e, &agent.login))?;
    // The function writes the audit row itself (migration 0006).
    tx.commit().await?;
    tracing::info!(
        login = agent.login.as_str(),
        admin = agent.admin,
        "agent login created"
    );
    Ok(())
}

/// Disables an agent login (it can no longer connect). Administrators only; nobody
/// disables themself.
pub async fn disable_agent(store: &Store, login: &AgentLogin) -> Result<()> {
    require_postgres(store)?;
    let mut tx = store.begin_write().await?;
    sqlx::query("SELECT CAST(1 AS INTEGER) FROM (SELECT siec_disable_agent($1)) AS done")
        .bind(login.as_str())
        .execute(&mut *tx)
        .await
        .map_err(|e| management_error(e, login))?;
    // The function writes the audit row itself (migration 0006).
    tx.commit().await?;
    tracing::info!(login = login.as_str(), "agent login disabled");
    Ok(())
}

/// Every agent login of the cluster (members of `siec_agent`, administrators included).
pub async fn list_agents(store: &Store) -> Result<Vec<AgentInfo>> {
    require_postgres(store)?;
    let rows: Vec<(String, String, bool, bool)> = sqlx::query_as(
        "SELECT CAST(r.rolname AS TEXT), COALESCE(shobj_description(r.oid, 'pg_authid'), ''), \
                pg_has_role(r.oid, 'siec_admin', 'MEMBER'), r.rolcanlogin \
         FROM pg_roles r \
         WHERE NOT r.rolsuper AND r.rolname NOT IN ('siec_agent', 'siec_admin') \
           AND pg_has_role(r.oid, 'siec_agent', 'MEMBER') \
         ORDER BY r.rolname",
    )
    .fetch_all(store.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(login, name, admin, active)| AgentInfo {
            login,
            name,
            admin,
            active,
        })
        .collect())
}

/// Messages of the management functions, for the person at the desk.
fn management_error(e: sqlx::Error, login: &AgentLogin) -> Error {
    if let sqlx::Error::Database(db) = &e {
        match db.code().as_deref() {
            Some("42501") => {
                return Error::forbidden(
                    "Seul un administrateur (groupe siec_admin) peut créer ou désactiver des comptes d'agents.",
                )
            }
            Some("42710") => return Error::conflict(format!("L'agent « {login} » existe déjà.")),
            Some("42704") => return Error::not_found(format!("Aucun agent « {login} ».")),
            Some("22023") => return Error::invalid(db.message().to_string()),
            _ => {}
        }
    }
    Error::from(e)
}
