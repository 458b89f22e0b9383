//! The desktop shell: a thin layer of `#[tauri::command]` functions over the core
//! library. Commands parse what the window sends, call the core, and turn errors
//! into [`error::UiError`]. Everything else lives in `siec_accounts`.

mod commands;
mod error;

pub use error::{UiError, UiResult};

pub fn run() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SIEC_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .try_init();
    tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![commands::uai_check])
        .run(tauri::generate_context!())
        .expect("Comptes SIEC n'a pas pu démarrer");
}
