//! The copy's settings: `snapshot.academies` (comma-separated; empty: all) and
//! `snapshot.interval_minutes` (default 5).

use crate::config::Settings;
use crate::error::{Error, Result};

use super::Scope;

impl Settings {
    pub fn snapshot_scope(&self) -> Scope {
        Scope::academies(
            self.get("snapshot.academies")
                .split(',')
                .map(str::to_string)
                .collect::<Vec<_>>(),
        )
    }

    pub fn snapshot_interval_minutes(&self) -> Result<u64> {
        let v = self.get("snapshot.interval_minutes");
        match v.trim().parse::<u64>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(Error::invalid(format!(
                "snapshot.interval_minutes : « {v} » doit être un nombre entier de minutes, au moins 1."
            ))),
        }
    }
}
