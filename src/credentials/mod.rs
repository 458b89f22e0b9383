//! Passwords of the agent (database login, SMTP relay) in the operating system's
//! keyring: Secret Service on Linux, Credential Manager on Windows, Keychain on
//! macOS, through the `keyring` crate. Service name `fr.education.siec.comptes`;
//! one entry per database login (keyed by the login) and one per SMTP account
//! (keyed `smtp:<user>@<host>`).
//!
//! There is deliberately no fallback: when no keyring is reachable the caller says
//! so and asks for the password each time; nothing is ever written to a file.
//! The calls block briefly (a D-Bus round trip on Linux); async callers may run
//! them in `spawn_blocking`.

mod file;
mod private_fs;
pub use file::read_private;
pub use private_fs::{private_dir, private_file, write_private};

use secrecy::{ExposeSecret, SecretString};

use crate::error::{Error, Result};

pub const SERVICE: &str = "fr.education.siec.comptes";

/// Which password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// The password of a database login.
    Database { login: String },
    /// The password of an SMTP account on a relay.
    Smtp { user: String, host: String },
}

impl Credential {
    pub fn database(login: &str) -> Result<Self> {
        let login = login.trim();
        if login.is_empty() {
            return Err(Error::invalid(
                "Indiquez l'identifiant de connexion à la base de données.",
            ));
        }
        Ok(Credential::Database {
            login: login.to_string(),
        })
    }

    pub fn smtp(user: &str, host: &str) -> Result<Self> {
        let (user, host) = (user.trim(), host.trim());
        if user.is_empty() || host.is_empty() {
            return Err(Error::invalid(
                "Indiquez le relais SMTP (smtp.host) et l'identifiant SMTP (smtp.user).",
            ));
        }
        Ok(Credential::Smtp {
            user: user.to_string(),
            host: host.to_ascii_lowercase(),
        })
    }

    /// The entry's name in the keyring, under the service.
    pub fn key(&self) -> String {
        match self {
            Credential::Database { login } => login.clone(),
            Credential::Smtp { user, host } => format!("smtp:{user}@{host}"),
        }
    }

    fn describe(&self) -> String {
        match self {
            Credential::Database { login } => {
                format!("le mot de passe de la base pour « {login} »")
            }
            Credential::Smtp { user, host } => {
                format!("le mot de passe SMTP de « {user} » sur {host}")
            }
        }
    }

    fn entry(&self) -> Result<keyring::Entry> {
        keyring::Entry::new(SERVICE, &self.key()).map_err(|e| keyring_error(e, self))
    }
}

/// The message when the system has no usable keyring. Shown to the person as is.
pub const NO_KEYRING: &str = "Aucun trousseau du système n'est disponible (sous Linux : service Secret Service, par exemple GNOME Keyring ou KWallet, avec une session D-Bus). Comptes SIEC n'enregistre jamais de mot de passe dans un fichier : il vous sera demandé à chaque connexion.";

/// The keyring exists but stays locked (its password differs from the session's).
pub const LOCKED_KEYRING: &str = "Le trousseau du système est verrouillé : déverrouillez-le (par exemple en rouvrant votre session) puis réessayez. Sans trousseau, le mot de passe vous sera demandé à chaque connexion.";

fn keyring_error(e: keyring::Error, cred: &Credential) -> Error {
    match e {
        keyring::Error::PlatformFailure(inner) | keyring::Error::NoStorageAccess(inner)
            if inner.to_string().contains("locked") =>
        {
            Error::Unavailable(format!("{LOCKED_KEYRING} (Détail : {inner}.)"))
        }
        keyring::Error::PlatformFailure(inner) | keyring::Error::NoStorageAccess(inner) => {
            tracing::debug!(error = %inner, "keyring unavailable");
            Error::Unavailable(format!("{NO_KEYRING} (Détail : {inner}.)"))
        }
        keyring::Error::BadEncoding(_) => Error::Internal(format!(
            "Le trousseau contient pour {} une valeur illisible : utilisez « Oublier mes identifiants » puis reconnectez-vous.",
            cred.describe()
        )),
        keyring::Error::Ambiguous(_) => Error::Internal(format!(
            "Le trousseau contient plusieurs entrées pour {} : utilisez « Oublier mes identifiants » puis reconnectez-vous.",
            cred.describe()
        )),
        other => Error::Internal(format!("Erreur du trousseau du système pour {} : {other}", cred.describe())),
    }
}

/// Stores (or replaces) a password.
pub fn store(cred: &Credential, secret: &SecretString) -> Result<()> {
    if secret.expose_secret().is_empty() {
        return Err(Error::invalid("Le mot de passe est vide."));
    }
    cred.entry()?
        .set_password(secret.expose_secret())
        .map_err(|e| keyring_error(e, cred))?;
    tracing::debug!(entry = cred.key(), "credential stored in the keyring");
    Ok(())
}

/// Reads a password; `None` when the keyring has no such entry.
pub fn read(cred: &Credential) -> Result<Option<SecretString>> {
    match cred.entry()?.get_password() {
        Ok(p) => Ok(Some(SecretString::from(p))),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(keyring_error(e, cred)),
    }
}

/// Removes a password; `false` when there was none.
pub fn forget(cred: &Credential) -> Result<bool> {
    match cred.entry()?.delete_credential() {
        Ok(()) => {
            tracing::debug!(entry = cred.key(), "credential removed from the keyring");
            Ok(true)
        }
        Err(keyring::Error::NoEntry) => Ok(false),
        Err(e) => Err(keyring_error(e, cred)),
    }
}

/// « Oublier mes identifiants »: removes every listed password; returns how many
/// were there.
pub fn forget_all(creds: &[Credential]) -> Result<usize> {
    let mut removed = 0;
    for c in creds {
        if forget(c)? {
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_documented_shape() {
        assert_eq!(Credential::database("jdupont").unwrap().key(), "jdupont");
        assert_eq!(
            Credential::smtp("siec", "Relais.AC-Paris.fr")
                .unwrap()
                .key(),
            "smtp:siec@relais.ac-paris.fr"
        );
        assert!(Credential::database("  ").is_err());
        assert!(Credential::smtp("", "relais").is_err());
    }
}
