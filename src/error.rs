//! The core's one error type. Every variant carries the French message an agent
//! reads; `kind()` gives a stable code for scripts, the desktop app and exit codes.

use crate::domain::{EmailError, PasswordError, UaiError};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    Invalid,
    NotFound,
    Conflict,
    Forbidden,
    Unavailable,
    Internal,
}

impl ErrorKind {
    /// Process exit code of the CLI for this kind of failure.
    pub fn exit_code(self) -> i32 {
        match self {
            ErrorKind::Internal => 1,
            ErrorKind::Invalid => 2,
            ErrorKind::NotFound => 3,
            ErrorKind::Conflict => 4,
            ErrorKind::Unavailable => 5,
            ErrorKind::Forbidden => 6,
        }
    }
}

impl Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Invalid(_) => ErrorKind::Invalid,
            Error::NotFound(_) => ErrorKind::NotFound,
            Error::Conflict(_) => ErrorKind::Conflict,
            Error::Forbidden(_) => ErrorKind::Forbidden,
            Error::Unavailable(_) => ErrorKind::Unavailable,
            Error::Internal(_) => ErrorKind::Internal,
        }
    }

    pub fn invalid(msg: impl Into<String>) -> Self {
        Error::Invalid(msg.into())
    }
    pub fn not_found(msg: impl Into<String>) -> Self {
        Error::NotFound(msg.into())
    }
    pub fn conflict(msg: impl Into<String>) -> Self {
        Error::Conflict(msg.into())
    }
    pub fn forbidden(msg: impl Into<String>) -> Self {
        Error::Forbidden(msg.into())
    }
}

impl From<EmailError> for Error {
    fn from(e: EmailError) -> Self {
        Error::Invalid(e.to_string())
    }
}
impl From<UaiError> for Error {
    fn from(e: UaiError) -> Self {
        Error::Invalid(e.to_string())
    }
}
impl From<PasswordError> for Error {
    fn from(e: PasswordError) -> Self {
        Error::Invalid(e.to_string())
    }
}

/// Database failures, translated once: constraint names become sentences.
impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        use sqlx::Error as E;
        match &e {
            E::Database(db) => {
                let code = db.code().map(|c| c.to_string()).unwrap_or_default();
                let msg = db.message().to_string();
                let constraint = db.constraint().unwrap_or_default().to_string();
                let hay = format!("{constraint} {msg}");
                if hay.contains("memberships_one_principal") || hay.contains("memberships.establishment_id") && hay.contains("UNIQUE") {
                    return Error::Conflict("Cet établissement a déjà un compte principal.".into());
                }
                if hay.contains("accounts_email_key") || hay.contains("accounts.email_key") {
                    return Error::Conflict("Cette adresse existe déjà.".into());
                }
                if hay.contains("establishments_uai_key") || hay.contains("establishments.uai") {
                    return Error::Conflict("Cet établissement (UAI) existe déjà.".into());
                }
                if hay.contains("memberships_pkey") || hay.contains("memberships.account_id") {
                    return Error::Conflict("Cette adresse est déjà rattachée à cet établissement.".into());
                }
                if msg.contains("journal d'audit") {
                    return Error::Forbidden(msg);
                }
                // 42501: insufficient_privilege; 28P01/28000: authentication.
                // SIE02, SIE03, P0002: the checked functions' own French messages.
                match code.as_str() {
                    "SIE02" => Error::Invalid(msg),
                    "SIE03" => Error::Forbidden(msg),
                    "P0002" => Error::NotFound(msg),
                    "42501" => Error::Forbidden(format!(
                        "Votre compte de base de données n'a pas le droit de faire cette opération ({msg})."
                    )),
                    "28P01" => Error::Forbidden("Identifiant ou mot de passe de la base de données incorrect.".into()),
                    "28000" => Error::Forbidden(format!("Connexion refusée par la base de données : {msg}")),
                    "3D000" => Error::Unavailable(format!("La base de données demandée n'existe pas : {msg}")),
                    "40001" | "40P01" => Error::Conflict(
                        "Une autre modification concurrente a eu lieu ; réessayez.".into(),
                    ),
                    "5" | "6" | "517" | "261" => Error::Conflict(
                        "La base locale est occupée par une autre opération ; réessayez.".into(),
                    ),
                    _ => Error::Internal(format!("Erreur de la base de données : {msg}")),
                }
            }
            E::Io(_) | E::PoolTimedOut | E::PoolClosed | E::Tls(_) | E::Protocol(_) => {
                Error::Unavailable(format!(
                    "La base de données est injoignable ({e}). Vérifiez la connexion réseau et réessayez."
                ))
            }
            E::RowNotFound => Error::NotFound("Élément introuvable.".into()),
            E::Configuration(_) => Error::Invalid(format!("Adresse de base de données incorrecte : {e}")),
            _ => Error::Internal(format!("Erreur de la base de données : {e}")),
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Internal(format!("Erreur d'entrée/sortie : {e}"))
    }
}
