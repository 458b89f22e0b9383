//! The machine-wide configuration the IT team ships beside the package (not in it:
//! a conffile of our own package would be replaced on upgrade):
//! `/etc/comptes-siec/comptes-siec.toml` on Linux,
//! `%ProgramData%\SIEC\Comptes SIEC\comptes-siec.toml` on Windows. Read before the
//! user's file; the keys it lists in `locked` cannot be changed by the user's file,
//! the environment, `--set` or the Paramètres screen.
//!
//! ```toml
//! locked = ["database.url", "smtp.host"]
//!
//! [database]
//! url = "postgres://bdd.siec.education.fr/siec?sslmode=verify-full"
//! [smtp]
//! host = "relais.siec.education.fr"
//! ```
//!
//! Tests point at another file with `SIEC_MACHINE_CONFIG`, honoured by debug
//! builds only: in the packaged app the machine file is always the system's, so a
//! locked key cannot be escaped by an environment variable. (The locks organise a
//! fleet; they are not a security boundary: what an agent may do is decided by the
//! database.)

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The machine file this build reads, if the platform has one.
pub fn machine_file() -> Option<PathBuf> {
    #[cfg(debug_assertions)]
    if let Some(p) = std::env::var_os("SIEC_MACHINE_CONFIG") {
        return Some(PathBuf::from(p));
    }
    system_machine_file()
}

#[cfg(windows)]
fn system_machine_file() -> Option<PathBuf> {
    let base = std::env::var_os("ProgramData")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(r"C:\ProgramData"));
    Some(
        base.join("SIEC")
            .join("Comptes SIEC")
            .join("comptes-siec.toml"),
    )
}

#[cfg(not(windows))]
fn system_machine_file() -> Option<PathBuf> {
    Some(PathBuf::from("/etc/comptes-siec/comptes-siec.toml"))
}

/// What the machine file sets, and which keys it locks.
#[derive(Debug, Default)]
pub(super) struct MachineConfig {
    pub values: Vec<(String, String)>,
    pub locked: Vec<String>,
}

/// Reads the machine file; none is an empty configuration. A malformed file is an
/// error naming its line, as for the user's file: the IT team must hear of it.
pub(super) fn read(path: &Path) -> Result<MachineConfig> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(MachineConfig::default()),
        Err(e) => {
            return Err(Error::invalid(format!(
                "Impossible de lire le fichier de configuration de la machine {} : {e}",
                path.display()
            )))
        }
    };
    let mut doc = super::parse_toml(path, &text)?;
    let locked = match doc.remove("locked") {
        None => Vec::new(),
        Some(toml::Value::Array(items)) => {
            let mut keys = Vec::new();
            for item in items {
                let key = item.as_str().map(str::to_string).ok_or_else(|| {
                    Error::invalid(format!(
                        "Fichier de configuration de la machine {} incorrect : « locked » est une liste de clés entre guillemets.",
                        path.display()
                    ))
                })?;
                if !super::KEYS.iter().any(|(k, _)| *k == key) {
                    return Err(Error::invalid(format!(
                        "Fichier de configuration de la machine {} incorrect : clé verrouillée « {key} » inconnue.",
                        path.display()
                    )));
                }
                keys.push(key);
            }
            keys
        }
        Some(_) => {
            return Err(Error::invalid(format!(
                "Fichier de configuration de la machine {} incorrect : « locked » est une liste de clés, par exemple locked = [\"database.url\"].",
                path.display()
            )))
        }
    };
    let values = super::read_tables(path, &text, doc)?;
    Ok(MachineConfig { values, locked })
}

/// The refusal of a change to a locked key, in the words the Paramètres screen shows.
pub(super) fn locked_error(key: &str, path: &Path) -> Error {
    Error::Forbidden(format!(
        "{key} : fixé par votre service informatique (fichier de la machine {}) : cette valeur ne peut pas être modifiée ici.",
        path.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::super::{Paths, Settings, Source};
    use std::path::PathBuf;

    fn dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!("siec-machine-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn paths_with_machine(d: &std::path::Path, machine: &str) -> Paths {
        let mut p = Paths::in_dir(d);
        let file = d.join("machine.toml");
        std::fs::write(&file, machine).unwrap();
        p.machine_file = Some(file);
        p
    }

    #[test]
    fn machine_values_come_first_and_locked_keys_stay() {
        let d = dir();
        let p = paths_with_machine(
            &d,
            "locked = [\"smtp.host\"]\n[smtp]\nhost = \"relais.siec.fr\"\nport = 25\n",
        );
        std::fs::write(
            &p.config_file,
            "[smtp]\nhost = \"mon-relais.fr\"\nport = 2525\n",
        )
        .unwrap();
        let env = vec![("SIEC_SMTP_HOST".to_string(), "autre.fr".to_string())];
        let s = Settings::load_from(p.clone(), &env, &[]).unwrap();
        let machine = p.machine_file.clone().unwrap();
        assert_eq!(s.smtp_host(), Some("relais.siec.fr"));
        // Not locked: the user's file wins over the machine's.
        assert_eq!(s.smtp_port().unwrap(), 2525);
        let host = s.settings().find(|x| x.key == "smtp.host").unwrap();
        assert_eq!(host.source, Source::Machine(machine.clone()));
        assert!(host.locked);
        assert_eq!(
            host.source.to_string(),
            format!("fichier de la machine ({})", machine.display())
        );
        let e = s.with("smtp.host", "x.fr").unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Forbidden);
        assert!(
            e.to_string()
                .starts_with("smtp.host : fixé par votre service informatique"),
            "{e}"
        );
        let flag = vec![("smtp.host".to_string(), "y.fr".to_string())];
        let e = Settings::load_from(p.clone(), &[], &flag).unwrap_err();
        assert!(
            e.to_string()
                .contains("fixé par votre service informatique"),
            "{e}"
        );
        // Saving the user's settings never copies the machine's values.
        s.with("smtp.port", "587").unwrap().save().unwrap();
        let written = std::fs::read_to_string(&p.config_file).unwrap();
        assert!(!written.contains("relais.siec.fr"), "{written}");
    }

    #[test]
    fn a_bad_machine_file_is_named() {
        let d = dir();
        let p = paths_with_machine(&d, "locked = [\"smtp.hots\"]\n");
        let e = Settings::load_from(p, &[], &[]).unwrap_err().to_string();
        assert!(e.contains("clé verrouillée « smtp.hots » inconnue"), "{e}");
        let p = paths_with_machine(&d, "[smtp]\nhots = \"x\"\n");
        let e = Settings::load_from(p, &[], &[]).unwrap_err().to_string();
        assert!(e.contains("ligne 2") && e.contains("smtp.hots"), "{e}");
    }

    #[test]
    fn no_machine_file_changes_nothing() {
        let d = dir();
        let mut p = Paths::in_dir(&d);
        p.machine_file = Some(d.join("absent.toml"));
        let s = Settings::load_from(p, &[], &[]).unwrap();
        assert!(s
            .settings()
            .all(|x| !x.locked && x.source == Source::Default));
    }
}
