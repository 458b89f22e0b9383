use siec_accounts::config::Settings;
use siec_accounts::Error;

/// Prints for people (French text) or for scripts (`--json`).
pub struct Output {
    json: bool,
}

impl Output {
    pub fn new(json: bool) -> Self {
        Self { json }
    }

    pub fn is_json(&self) -> bool {
        self.json
    }

    /// One result: `text` for people, `value` for scripts.
    pub fn line(&self, text: &str, value: &serde_json::Value) {
        if self.json {
            println!("{value}");
        } else {
            println!("{text}");
        }
    }

    /// A result: `text` for people, the serialised value for scripts.
    pub fn value(&self, text: &str, value: &impl serde::Serialize) {
        if self.json {
            self.json(value);
        } else {
            println!("{text}");
        }
    }

    pub fn json(&self, value: &impl serde::Serialize) {
        println!(
            "{}",
            serde_json::to_string_pretty(value).unwrap_or_default()
        );
    }

    pub fn error(&self, e: &Error) {
        if self.json {
            eprintln!(
                "{}",
                serde_json::json!({ "code": e.kind(), "message": e.to_string() })
            );
        } else {
            eprintln!("Erreur : {e}");
        }
    }

    pub fn config(&self, s: &Settings) {
        if self.json {
            let rows: Vec<_> = s.settings().collect();
            self.json(&serde_json::json!({ "config_file": s.paths.config_file, "data_dir": s.paths.data_dir, "settings": rows }));
            return;
        }
        println!(
            "Fichier de configuration : {}",
            s.paths.config_file.display()
        );
        println!("Dossier des données : {}", s.paths.data_dir.display());
        for setting in s.settings() {
            let value = if setting.value.is_empty() {
                "(vide)".to_string()
            } else if setting.key == "database.url" {
                siec_accounts::store::address::redact(&setting.value)
            } else {
                siec_accounts::text::neutralise(&setting.value)
            };
            let locked = if setting.locked { " ; verrouillé" } else { "" };
            println!(
                "{:<30} = {:<45} ({}{locked})",
                setting.key, value, setting.source
            );
        }
    }
}
