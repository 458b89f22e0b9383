//! A service's password in a file (the mail service under systemd, which hands it
//! over with `LoadCredential=`): accepted only when nobody but its owner can read
//! it, and read whole but small.

use std::io::Read;
use std::path::Path;

use secrecy::SecretString;

use crate::error::{Error, Result};

/// A password file larger than this is not a password file.
const MAX_BYTES: u64 = 4096;

/// The first line of `path`, refused when the group or others may read the file.
pub fn read_private(path: &Path) -> Result<SecretString> {
    let shown = path.display();
    let file = std::fs::File::open(path).map_err(|e| {
        Error::invalid(format!(
            "Fichier de mot de passe « {shown} » illisible : {e}"
        ))
    })?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(Error::invalid(format!(
            "« {shown} » n'est pas un fichier de mot de passe."
        )));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(Error::forbidden(format!(
                "Le fichier de mot de passe « {shown} » est lisible par d'autres que son propriétaire (droits {mode:o}) : \
                 refusé. Faites « chmod 600 {shown} » (ou passez-le par LoadCredential= de systemd)."
            )));
        }
    }
    let mut text = String::new();
    file.take(MAX_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| {
            Error::invalid(format!(
                "Fichier de mot de passe « {shown} » illisible : {e}"
            ))
        })?;
    if text.len() as u64 > MAX_BYTES {
        return Err(Error::invalid(format!(
            "Le fichier de mot de passe « {shown} » est trop grand (plus de {MAX_BYTES} octets)."
        )));
    }
    let line = text
        .lines()
        .next()
        .unwrap_or_default()
        .trim_end_matches('\r');
    if line.is_empty() {
        return Err(Error::invalid(format!(
            "Le fichier de mot de passe « {shown} » est vide."
        )));
    }
    Ok(SecretString::from(line.to_string()))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn only_a_private_file_is_read() {
        let dir = std::env::temp_dir().join(format!("siec-cred-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("pw");
        std::fs::write(&f, "s3cret\n").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o640)).unwrap();
        let e = read_private(&f).unwrap_err();
        assert!(e.to_string().contains("lisible par d'autres"), "{e}");
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(read_private(&f).unwrap().expose_secret(), "s3cret");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
