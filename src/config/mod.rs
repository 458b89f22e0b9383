//! Layered configuration: built-in defaults, then the machine's file (`machine`,
//! whose locked keys nothing below overrides), then the TOML file in the OS config
//! directory, then `SIEC_…` environment variables, then `--set key=value` flags.
//! `siec-accounts config show` prints every value with where it came from.
//! No password ever lives here: they are in the OS keyring.

mod machine;
mod paths;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use machine::machine_file;
pub use paths::Paths;

use crate::error::{Error, Result};

pub const DEFAULT_PORTAL_URL: &str = "https://auth.siec.education.fr";
pub const DEFAULT_SENDER: &str = "SIEC - Maison des examens <ne-pas-repondre@siec.education.fr>";

/// Every key the configuration knows, as `section.key`, with its help text.
pub const KEYS: &[(&str, &str)] = &[
    (
        "database.url",
        "adresse de la base (postgres://… ou sqlite://…), sans mot de passe",
    ),
    (
        "database.ca_file",
        "certificat de l'autorité (PostgreSQL en TLS)",
    ),
    (
        "agent.name",
        "nom de l'agent inscrit au journal (base locale)",
    ),
    ("portal.url", "adresse du portail d'authentification"),
    (
        "portal.link_lifetime_minutes",
        "durée de validité des liens, en minutes",
    ),
    ("mail.sender", "expéditeur des messages"),
    (
        "mail.outbox_dir",
        "dossier des messages .eml quand aucun relais SMTP n'est configuré",
    ),
    (
        "mail.rate_per_second",
        "débit maximal d'envoi vers le relais",
    ),
    (
        "smtp.host",
        "relais SMTP (vide : messages écrits dans un dossier)",
    ),
    ("smtp.port", "port du relais SMTP"),
    (
        "smtp.user",
        "identifiant SMTP (le mot de passe est dans le trousseau)",
    ),
    (
        "smtp.tls",
        "starttls, tls ou none (none : seulement pour localhost)",
    ),
    (
        "snapshot.academies",
        "académies gardées dans la copie hors connexion, séparées par des virgules (vide : toutes)",
    ),
    (
        "snapshot.interval_minutes",
        "intervalle de synchronisation de la copie hors connexion, en minutes",
    ),
];

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum Source {
    Default,
    /// The machine-wide file the IT team ships.
    Machine(PathBuf),
    File(PathBuf),
    Env(String),
    Flag,
    /// Changed on the desktop's Paramètres screen (not yet read back from the file).
    Edited,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Default => f.write_str("valeur par défaut"),
            Source::Machine(p) => write!(f, "fichier de la machine ({})", p.display()),
            Source::File(p) => write!(f, "fichier {}", p.display()),
            Source::Env(v) => write!(f, "variable d'environnement {v}"),
            Source::Flag => f.write_str("option de la ligne de commande"),
            Source::Edited => f.write_str("saisie dans Paramètres"),
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Setting {
    pub key: &'static str,
    pub value: String,
    pub source: Source,
    /// Fixed by the machine's file: nothing else may change it.
    pub locked: bool,
}

/// The effective configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    values: BTreeMap<&'static str, Setting>,
    pub paths: Paths,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    Starttls,
    Tls,
    None,
}

impl Settings {
    /// Loads defaults, the file, the environment and the flags, in that order.
    pub fn load(paths: Paths, flags: &[(String, String)]) -> Result<Self> {
        let env: Vec<(String, String)> = std::env::vars().collect();
        Self::load_from(paths, &env, flags)
    }

    /// The built-in defaults alone: what the window opens on when a configuration
    /// file (the user's or the machine's) is broken, to show what is wrong with it.
    pub fn defaults(paths: Paths) -> Self {
        let values = KEYS
            .iter()
            .map(|(key, _)| {
                (
                    *key,
                    Setting {
                        key,
                        value: paths.default_for(key),
                        source: Source::Default,
                        locked: false,
                    },
                )
            })
            .collect();
        Self { values, paths }
    }

    pub fn load_from(
        paths: Paths,
        env: &[(String, String)],
        flags: &[(String, String)],
    ) -> Result<Self> {
        let mut values = BTreeMap::new();
        for (key, _) in KEYS {
            values.insert(
                *key,
                Setting {
                    key,
                    value: paths.default_for(key),
                    source: Source::Default,
                    locked: false,
                },
            );
        }
        if let Some(file) = &paths.machine_file {
            let machine = machine::read(file)?;
            for (key, value) in machine.values {
                if let Some(setting) = values.get_mut(key.as_str()) {
                    setting.value = value;
                    setting.source = Source::Machine(file.clone());
                }
            }
            for key in machine.locked {
                if let Some(setting) = values.get_mut(key.as_str()) {
                    setting.locked = true;
                }
            }
        }
        if paths.config_file.exists() {
            let text = std::fs::read_to_string(&paths.config_file).map_err(|e| {
                Error::invalid(format!(
                    "Impossible de lire le fichier de configuration {} : {e}",
                    paths.config_file.display()
                ))
            })?;
            for (key, value) in parse_file(&paths.config_file, &text)? {
                let setting = values.get_mut(key.as_str()).expect("checked by parse_file");
                if setting.locked {
                    tracing::warn!("{key} : fixé par le fichier de la machine, la valeur du fichier de l'utilisateur est ignorée");
                    continue;
                }
                setting.value = value;
                setting.source = Source::File(paths.config_file.clone());
            }
        }
        for (key, _) in KEYS {
            let var = env_var_name(key);
            if let Some((_, v)) = env.iter().find(|(k, _)| *k == var) {
                let setting = values.get_mut(key).expect("known key");
                if setting.locked {
                    tracing::warn!("{var} ignorée : {key} est fixé par le fichier de la machine");
                    continue;
                }
                setting.value = v.clone();
                setting.source = Source::Env(var);
            }
        }
        for (key, value) in flags {
            let setting = values
                .get_mut(key.as_str())
                .ok_or_else(|| unknown_key(key))?;
            if let (true, Some(file)) = (setting.locked, &paths.machine_file) {
                return Err(machine::locked_error(key, file));
            }
            setting.value = value.clone();
            setting.source = Source::Flag;
        }
        let settings = Self { values, paths };
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<()> {
        let url = self.get("database.url");
        // `user:password@` or `?password=`: refused, whatever the source.
        if crate::store::address::secure(url).is_err() {
            return Err(Error::invalid(format!(
                "L'adresse de la base ({}) contient un mot de passe : retirez-le, il est demandé à la connexion et conservé dans le trousseau du système.",
                self.values["database.url"].source
            )));
        }
        self.link_lifetime_minutes()?;
        self.rate_per_second()?;
        self.smtp_port()?;
        self.smtp_tls()?;
        self.snapshot_interval_minutes()?;
        url::Url::parse(self.portal_url()).map_err(|e| {
            Error::invalid(format!(
                "Adresse du portail « {} » incorrecte : {e}",
                self.portal_url()
            ))
        })?;
        Ok(())
    }

    pub fn get(&self, key: &str) -> &str {
        &self.values[key].value
    }

    pub fn settings(&self) -> impl Iterator<Item = &Setting> {
        self.values.values()
    }

    pub fn database_url(&self) -> &str {
        self.get("database.url")
    }
    pub fn agent_name(&self) -> &str {
        self.get("agent.name")
    }
    pub fn portal_url(&self) -> &str {
        self.get("portal.url").trim_end_matches('/')
    }
    pub fn sender(&self) -> &str {
        self.get("mail.sender")
    }
    pub fn outbox_dir(&self) -> PathBuf {
        PathBuf::from(self.get("mail.outbox_dir"))
    }
    pub fn smtp_host(&self) -> Option<&str> {
        Some(self.get("smtp.host").trim()).filter(|h| !h.is_empty())
    }
    pub fn smtp_user(&self) -> Option<&str> {
        Some(self.get("smtp.user").trim()).filter(|h| !h.is_empty())
    }
    pub fn database_ca_file(&self) -> Option<&str> {
        Some(self.get("database.ca_file").trim()).filter(|h| !h.is_empty())
    }

    /// Bounded to 5 minutes – 24 hours (a huge value would overflow the expiry).
    pub fn link_lifetime_minutes(&self) -> Result<i64> {
        let n = positive(self, "portal.link_lifetime_minutes")?;
        crate::links::check_lifetime(n).map_err(|e| {
            Error::invalid(format!(
                "portal.link_lifetime_minutes ({}) : {e}",
                self.values["portal.link_lifetime_minutes"].source
            ))
        })
    }
    pub fn rate_per_second(&self) -> Result<i64> {
        positive(self, "mail.rate_per_second")
    }
    pub fn smtp_port(&self) -> Result<u16> {
        let v = self.get("smtp.port");
        v.trim().parse().map_err(|_| {
            Error::invalid(format!(
                "smtp.port : « {v} » n'est pas un numéro de port ({}).",
                self.values["smtp.port"].source
            ))
        })
    }
    pub fn smtp_tls(&self) -> Result<SmtpTls> {
        match self.get("smtp.tls").trim().to_ascii_lowercase().as_str() {
            "starttls" => Ok(SmtpTls::Starttls),
            "tls" => Ok(SmtpTls::Tls),
            "none" => Ok(SmtpTls::None),
            other => Err(Error::invalid(format!(
                "smtp.tls : « {other} » inconnu ; valeurs possibles : starttls, tls, none ({}).",
                self.values["smtp.tls"].source
            ))),
        }
    }

    /// The same settings with one value replaced (the desktop's Paramètres screen).
    pub fn with(&self, key: &str, value: &str) -> Result<Self> {
        let mut next = self.clone();
        let setting = next.values.get_mut(key).ok_or_else(|| unknown_key(key))?;
        if let (true, Some(file)) = (setting.locked, &self.paths.machine_file) {
            return Err(machine::locked_error(key, file));
        }
        setting.value = value.to_string();
        setting.source = Source::Edited;
        next.validate()?;
        Ok(next)
    }

    /// Writes the values that differ from the defaults back to the file.
    pub fn save(&self) -> Result<()> {
        let mut doc = toml::Table::new();
        for s in self.values.values() {
            // The machine's values belong to its file, not the user's.
            if s.value == self.paths.default_for(s.key)
                || s.locked
                || matches!(s.source, Source::Machine(_))
            {
                continue;
            }
            let (section, key) = s.key.split_once('.').expect("section.key");
            let table = doc
                .entry(section)
                .or_insert_with(|| toml::Value::Table(Default::default()))
                .as_table_mut()
                .expect("table");
            table.insert(key.to_string(), toml::Value::String(s.value.clone()));
        }
        if let Some(dir) = self.paths.config_file.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(
            &self.paths.config_file,
            toml::to_string(&doc).unwrap_or_default(),
        )?;
        Ok(())
    }
}

fn positive(s: &Settings, key: &str) -> Result<i64> {
    let v = s.get(key);
    match v.trim().parse::<i64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(Error::invalid(format!(
            "{key} : « {v} » doit être un nombre entier positif ({}).",
            s.values[key].source
        ))),
    }
}

fn unknown_key(key: &str) -> Error {
    Error::invalid(format!(
        "Clé de configuration « {key} » inconnue. Clés possibles : {}.",
        KEYS.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
    ))
}

/// `database.url` → `SIEC_DATABASE_URL`.
pub fn env_var_name(key: &str) -> String {
    format!("SIEC_{}", key.replace('.', "_").to_ascii_uppercase())
}

/// Reads `[section] key = value` pairs; any syntax error or unknown key names its line.
fn parse_file(path: &Path, text: &str) -> Result<Vec<(String, String)>> {
    read_tables(path, text, parse_toml(path, text)?)
}

fn parse_toml(path: &Path, text: &str) -> Result<toml::Table> {
    let line_of = |offset: usize| text[..offset.min(text.len())].lines().count().max(1);
    toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_of(s.start + 1)).unwrap_or(1);
        Error::invalid(format!(
            "Fichier de configuration {} incorrect, ligne {line} : {}",
            path.display(),
            e.message()
        ))
    })
}

fn read_tables(path: &Path, text: &str, doc: toml::Table) -> Result<Vec<(String, String)>> {
    let find_line = |needle: &str| {
        text.lines()
            .position(|l| l.trim_start().starts_with(needle))
            .map(|i| i + 1)
            .unwrap_or(1)
    };
    let mut out = Vec::new();
    for (section, value) in doc {
        let Some(table) = value.as_table() else {
            return Err(Error::invalid(format!(
                "Fichier de configuration {} incorrect, ligne {} : « {section} » doit être une section [{section}].",
                path.display(),
                find_line(&section)
            )));
        };
        for (key, v) in table {
            let full = format!("{section}.{key}");
            if !KEYS.iter().any(|(k, _)| *k == full) {
                return Err(Error::invalid(format!(
                    "Fichier de configuration {} incorrect, ligne {} : clé « {full} » inconnue.",
                    path.display(),
                    find_line(key)
                )));
            }
            let value = match v {
                toml::Value::String(s) => s.clone(),
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                other => {
                    return Err(Error::invalid(format!(
                        "Fichier de configuration {} incorrect, ligne {} : valeur de « {full} » non reconnue ({other}).",
                        path.display(),
                        find_line(key)
                    )))
                }
            };
            out.push((full, value));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(dir: &Path) -> Paths {
        Paths::in_dir(dir)
    }

    #[test]
    fn defaults_file_env_flag_in_order() {
        let dir = tempdir();
        let p = paths(&dir);
        std::fs::write(
            &p.config_file,
            "[portal]\nurl = \"https://file.example.fr\"\nlink_lifetime_minutes = 30\n",
        )
        .unwrap();
        let env = vec![(
            "SIEC_PORTAL_LINK_LIFETIME_MINUTES".to_string(),
            "45".to_string(),
        )];
        let flags = vec![("smtp.host".to_string(), "relais.ac-paris.fr".to_string())];
        let s = Settings::load_from(p.clone(), &env, &flags).unwrap();
        assert_eq!(s.portal_url(), "https://file.example.fr");
        assert_eq!(s.link_lifetime_minutes().unwrap(), 45);
        assert_eq!(s.smtp_host(), Some("relais.ac-paris.fr"));
        assert_eq!(s.sender(), DEFAULT_SENDER);
        assert!(s.database_url().starts_with("sqlite://"));
        let src: BTreeMap<_, _> = s.settings().map(|x| (x.key, x.source.clone())).collect();
        assert_eq!(src["portal.url"], Source::File(p.config_file.clone()));
        assert_eq!(
            src["portal.link_lifetime_minutes"],
            Source::Env("SIEC_PORTAL_LINK_LIFETIME_MINUTES".into())
        );
        assert_eq!(src["smtp.host"], Source::Flag);
        assert_eq!(src["mail.sender"], Source::Default);
    }

    #[test]
    fn malformed_file_names_the_line() {
        let dir = tempdir();
        let p = paths(&dir);
        std::fs::write(
            &p.config_file,
            "[portal]\nurl = \"https://ok.fr\"\nlink_lifetime_minutes = = 3\n",
        )
        .unwrap();
        let e = Settings::load_from(p, &[], &[]).unwrap_err().to_string();
        assert!(e.contains("ligne 3"), "{e}");
    }

    #[test]
    fn unknown_key_names_the_line() {
        let dir = tempdir();
        let p = paths(&dir);
        std::fs::write(&p.config_file, "[smtp]\nhost = \"x\"\npasword = \"oops\"\n").unwrap();
        let e = Settings::load_from(p, &[], &[]).unwrap_err().to_string();
        assert!(e.contains("ligne 3") && e.contains("smtp.pasword"), "{e}");
    }

    #[test]
    fn password_in_database_url_is_refused() {
        let dir = tempdir();
        let env = vec![(
            "SIEC_DATABASE_URL".to_string(),
            "postgres://agent:secret@db/siec".to_string(),
        )];
        let e = Settings::load_from(paths(&dir), &env, &[])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("contient un mot de passe") && !e.contains("secret"),
            "{e}"
        );
    }

    #[test]
    fn save_round_trips_non_default_values() {
        let dir = tempdir();
        let s = Settings::load_from(paths(&dir), &[], &[]).unwrap();
        let s = s.with("smtp.host", "relais.fr").unwrap();
        s.save().unwrap();
        let again = Settings::load_from(paths(&dir), &[], &[]).unwrap();
        assert_eq!(again.smtp_host(), Some("relais.fr"));
    }

    #[test]
    fn a_refused_edit_names_the_screen_it_came_from() {
        let dir = tempdir();
        let s = Settings::load_from(paths(&dir), &[], &[]).unwrap();
        let e = s
            .with("portal.link_lifetime_minutes", "0")
            .expect_err("0 minute refused")
            .to_string();
        assert_eq!(
            e,
            "portal.link_lifetime_minutes : « 0 » doit être un nombre entier positif (saisie dans Paramètres)."
        );
    }

    fn tempdir() -> PathBuf {
        let d = std::env::temp_dir().join(format!("siec-config-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}
