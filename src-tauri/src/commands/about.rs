//! À propos: the build, the database and its schema, the licence.

use siec_accounts::about::{self, About, BuildInfo};
use tauri::State;

use crate::state::AppState;
use crate::UiResult;

const BUILD: BuildInfo = BuildInfo {
    commit: env!("SIEC_BUILD_COMMIT"),
    date: env!("SIEC_BUILD_DATE"),
};

#[tauri::command]
pub async fn about(state: State<'_, AppState>) -> UiResult<About> {
    let store = state.store().await.ok();
    Ok(about::about(store.as_ref(), BUILD))
}
