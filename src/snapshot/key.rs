//! The copy's SQLCipher key: 256 random bits, made when a copy is first built and
//! kept only in the operating system's keyring, under the app's service, in an
//! entry named after the copy's file. Without a keyring there is no copy: a key
//! written beside the file would protect nothing.

use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};

use crate::credentials::SERVICE;
use crate::error::{Error, Result};

/// Shown when the system has no keyring (or a locked one).
pub const NO_KEYRING_FOR_COPY: &str = "Aucun trousseau du système n'est disponible : la copie hors connexion n'est pas conservée, car sa clé de chiffrement ne peut être gardée qu'à cet endroit. La consultation hors connexion est impossible sur ce poste tant qu'un trousseau (Secret Service, par exemple GNOME Keyring ou KWallet) n'est pas disponible.";

pub(crate) struct CopyKey {
    entry_name: String,
}

impl CopyKey {
    pub(crate) fn for_file(path: &std::path::Path) -> Self {
        Self {
            entry_name: format!("copie-hors-ligne:{}", path.display()),
        }
    }

    fn entry(&self) -> Result<keyring::Entry> {
        keyring::Entry::new(SERVICE, &self.entry_name).map_err(unavailable)
    }

    /// The stored key, if any.
    pub(crate) fn read(&self) -> Result<Option<SecretString>> {
        match self.entry()?.get_password() {
            Ok(k) => Ok(Some(SecretString::from(k))),
            Err(keyring::Error::NoEntry) => Ok(None),
            // A value that is not ours (edited by hand, another backend's format)
            // cannot open the copy: treated as no key, so the copy is rebuilt.
            Err(keyring::Error::BadEncoding(_)) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    /// A new random key, stored before it is used, replacing any previous one.
    pub(crate) fn create(&self) -> Result<SecretString> {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let key = SecretString::from(hex::encode(bytes));
        bytes.fill(0);
        self.entry()?
            .set_password(key.expose_secret())
            .map_err(unavailable)?;
        Ok(key)
    }

    pub(crate) fn forget(&self) -> Result<()> {
        match self.entry()?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }
}

fn unavailable(e: keyring::Error) -> Error {
    tracing::debug!(error = %e, "keyring unavailable for the offline copy");
    Error::Unavailable(format!("{NO_KEYRING_FOR_COPY} (Détail : {e}.)"))
}
