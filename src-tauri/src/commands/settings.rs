//! Paramètres: the editable settings, written back with `Settings::with` + `save`.

use std::collections::BTreeMap;

use serde::Serialize;
use siec_accounts::config::Setting;
use tauri::State;

use crate::state::AppState;
use crate::UiResult;

/// The keys the Paramètres screen edits (the database is chosen on Connexion).
pub const EDITABLE: &[&str] = &[
    "smtp.host",
    "smtp.port",
    "smtp.user",
    "smtp.tls",
    "portal.url",
    "portal.link_lifetime_minutes",
    "mail.sender",
    "agent.name",
];

#[derive(Serialize)]
pub struct SettingsView {
    pub values: Vec<Setting>,
    pub config_file: String,
    pub data_dir: String,
    /// On PostgreSQL, the link settings of the central database (read-only here:
    /// an administrator changes them with `siec-accounts settings link`).
    pub shared_links: Option<siec_accounts::links::LinkSettings>,
}

async fn view(state: &AppState) -> SettingsView {
    // Before the read lock below: it reads the settings itself.
    let shared_links = shared_links(state).await;
    let s = state.settings.read().await;
    SettingsView {
        values: s
            .settings()
            .filter(|x| EDITABLE.contains(&x.key))
            .cloned()
            .collect(),
        config_file: s.paths.config_file.display().to_string(),
        data_dir: s.paths.data_dir.display().to_string(),
        shared_links,
    }
}

async fn shared_links(state: &AppState) -> Option<siec_accounts::links::LinkSettings> {
    let store = state.store().await.ok()?;
    if store.backend() != siec_accounts::store::Backend::Postgres {
        return None;
    }
    let settings = state.settings.read().await.clone();
    siec_accounts::links::link_settings(&store, &settings)
        .await
        .ok()
}

#[tauri::command]
pub async fn settings_get(state: State<'_, AppState>) -> UiResult<SettingsView> {
    Ok(view(&state).await)
}

/// Validates every value first, then writes the file once: a wrong port leaves the
/// file untouched.
#[tauri::command]
pub async fn settings_save(
    state: State<'_, AppState>,
    values: BTreeMap<String, String>,
) -> UiResult<SettingsView> {
    let mut next = state.settings.read().await.clone();
    for (key, value) in &values {
        if !EDITABLE.contains(&key.as_str()) {
            return Err(crate::UiError::invalid(format!(
                "Le réglage « {key} » ne se modifie pas ici."
            )));
        }
        if next.get(key) != value.trim() {
            next = next.with(key, value.trim())?;
        }
    }
    next.save()?;
    *state.settings.write().await = next;
    // A new relay, sender or lifetime applies to the next mail that leaves.
    state.restart_worker().await;
    Ok(view(&state).await)
}
