//! The commands the window calls, one file per screen.

pub mod about;
pub mod accounts;
pub mod dashboard;
pub mod links;
pub mod session;
pub mod settings;
pub mod snapshot;

use serde::Serialize;
use siec_accounts::domain::Uai;

use crate::UiResult;

#[derive(Serialize)]
pub struct UaiChecked {
    pub uai: String,
}

/// Checks a UAI code as typed in a form, for inline validation.
#[tauri::command]
pub fn uai_check(uai: String) -> UiResult<UaiChecked> {
    let uai = Uai::parse(&uai).map_err(siec_accounts::Error::from)?;
    Ok(UaiChecked {
        uai: uai.to_string(),
    })
}
