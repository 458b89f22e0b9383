use siec_accounts::dashboard::Dashboard;
use tauri::State;

use crate::state::AppState;
use crate::UiResult;

#[tauri::command]
pub async fn dashboard(state: State<'_, AppState>) -> UiResult<Dashboard> {
    let store = state.store().await?;
    Ok(siec_accounts::dashboard::dashboard(&store).await?)
}
