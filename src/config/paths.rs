use std::path::{Path, PathBuf};

use super::{DEFAULT_PORTAL_URL, DEFAULT_SENDER};

/// Where the configuration file and the local data live. `SIEC_CONFIG` and
/// `SIEC_DATA_DIR` move them (tests and portable installs).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Paths {
    pub config_file: PathBuf,
    pub data_dir: PathBuf,
    /// The machine-wide file read first (`machine`), if any.
    pub machine_file: Option<PathBuf>,
}

impl Paths {
    pub fn from_os() -> Self {
        let dirs = directories::ProjectDirs::from("fr", "education.siec", "comptes-siec");
        let config_file = std::env::var_os("SIEC_CONFIG")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                dirs.as_ref()
                    .map(|d| d.config_dir().join("comptes-siec.toml"))
                    .unwrap_or_else(|| PathBuf::from("comptes-siec.toml"))
            });
        let data_dir = std::env::var_os("SIEC_DATA_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                dirs.as_ref()
                    .map(|d| d.data_dir().to_path_buf())
                    .unwrap_or_else(|| PathBuf::from("comptes-siec-data"))
            });
        Self {
            config_file,
            data_dir,
            machine_file: super::machine::machine_file(),
        }
    }

    /// Everything under one folder.
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            config_file: dir.join("comptes-siec.toml"),
            data_dir: dir.join("data"),
            machine_file: None,
        }
    }

    pub fn default_database_url(&self) -> String {
        format!(
            "sqlite://{}",
            self.data_dir.join("comptes-siec.sqlite").display()
        )
    }

    pub(super) fn default_for(&self, key: &str) -> String {
        match key {
            "database.url" => self.default_database_url(),
            "agent.name" => std::env::var("USER")
                .or_else(|_| std::env::var("USERNAME"))
                .unwrap_or_else(|_| "agent".into()),
            "portal.url" => DEFAULT_PORTAL_URL.into(),
            "portal.link_lifetime_minutes" => "60".into(),
            "mail.sender" => DEFAULT_SENDER.into(),
            "mail.outbox_dir" => self.data_dir.join("outbox").display().to_string(),
            "mail.rate_per_second" => "50".into(),
            "smtp.port" => "587".into(),
            "smtp.tls" => "starttls".into(),
            "snapshot.interval_minutes" => "5".into(),
            _ => String::new(),
        }
    }
}
