//! The desktop shell: a thin layer of `#[tauri::command]` functions over the core
//! library. Commands parse what the window sends, call the core, and turn errors
//! into [`error::UiError`]. Everything else lives in `siec_accounts`.

mod commands;
mod error;
mod outbox;
mod state;

use tauri::Manager;

pub use error::{UiError, UiResult};
use state::AppState;

pub fn run() {
    lighten_webkit();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SIEC_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .try_init();
    let (state, config_error) = match AppState::load() {
        Ok(s) => (s, None),
        // A broken configuration file must not stop the app: it opens on the
        // defaults and the Connexion screen shows the file's problem (with its line).
        Err(e) => {
            let defaults =
                siec_accounts::config::Settings::defaults(siec_accounts::config::Paths::from_os());
            (AppState::with_settings(defaults), Some(UiError::from(e)))
        }
    };
    tauri::Builder::default()
        .manage(state)
        .setup(move |app| {
            #[cfg(target_os = "linux")]
            if let Some(window) = app.get_webview_window("main") {
                // One page that never navigates: WebKit's page and resource caches
                // only hold memory.
                let _ = window.with_webview(|webview| {
                    use webkit2gtk::{CacheModel, WebContextExt, WebViewExt};
                    if let Some(context) = webview.inner().context() {
                        context.set_cache_model(CacheModel::DocumentViewer);
                        // The window speaks French whatever the desk's locale: date
                        // fields read jj/mm/aaaa, and the page's language is fr-FR.
                        context.set_preferred_languages(&["fr-FR", "fr"]);
                    }
                });
            }
            let handle = app.handle().clone();
            tauri::async_runtime::block_on(async move {
                let state = handle.state::<AppState>();
                if let Some(e) = config_error {
                    *state.startup_error.write().await = Some(e);
                    return;
                }
                let url = state.settings.read().await.database_url().to_string();
                // The embedded default opens by itself; the central database waits for
                // the agent's login on the Connexion screen.
                if url.starts_with("sqlite") {
                    match state.open_embedded(&url).await {
                        Ok(store) => state.set_store(Some(store)).await,
                        Err(e) => *state.startup_error.write().await = Some(e.into()),
                    }
                }
            });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::uai_check,
            commands::accounts::email_check,
            commands::session::session_status,
            commands::session::connect,
            commands::session::disconnect,
            commands::dashboard::dashboard,
            commands::accounts::search,
            commands::accounts::search_count,
            commands::accounts::establishment_suggest,
            commands::accounts::establishment,
            commands::accounts::account,
            commands::accounts::add_account,
            commands::accounts::attach,
            commands::accounts::detach,
            commands::accounts::edit_account,
            commands::accounts::set_enabled,
            commands::accounts::make_principal,
            commands::accounts::audit_list,
            commands::settings::settings_get,
            commands::settings::settings_save,
            commands::session::forget_credentials,
            commands::links::send_link,
            commands::links::link_history,
            commands::links::bulk_read_list,
            commands::links::bulk_preview,
            commands::links::bulk_send,
            commands::links::bulk_cancel,
            commands::links::test_mail,
            commands::links::mailer_status,
            commands::about::about,
            commands::snapshot::offline_status,
            commands::snapshot::snapshot_sync,
        ])
        .build(tauri::generate_context!())
        .expect("Comptes SIEC n'a pas pu démarrer")
        .run(|handle, event| {
            // What the worker has in hand is recorded before the app leaves.
            if let tauri::RunEvent::Exit = event {
                let handle = handle.clone();
                tauri::async_runtime::block_on(async move {
                    let state = handle.state::<AppState>();
                    state.stop_worker().await;
                });
            }
        });
}

/// The window is a document of forms and a list of a few dozen rows: WebKitGTK's
/// accelerated compositing (a GL context and layer backing stores) costs it about
/// 110 MiB and 250 ms at start for nothing it shows. Software painting instead,
/// unless the environment already decides (`WEBKIT_DISABLE_COMPOSITING_MODE=0`
/// keeps compositing on). It also spares desks whose GL drivers WebKit handles badly.
///
/// Painting in software, the window's own process has no use for GL either, yet
/// GTK (to pick GL visuals) and WebKit (to find the GPU it hands to the page's
/// process) would each load the GL driver in it, and with Mesa that is LLVM:
/// about 30 MiB for nothing. GTK's GL is turned off, and WebKit is told the render
/// node instead of opening a GL display to ask for it.
///
/// The page's scripts are small and event-driven (a keystroke renders a few dozen
/// rows): JavaScriptCore's interpreter runs them as fast as this window needs,
/// and without its JIT compilers the page's process holds 8 MiB less at start and
/// 17 MiB less after a session of searches, with the same keystroke latency
/// (docs/BENCHMARKS.md). Every variable the environment already sets is left as it is.
fn lighten_webkit() {
    #[cfg(target_os = "linux")]
    {
        let default = |name: &str, value: &str| {
            if std::env::var_os(name).is_none() {
                std::env::set_var(name, value);
            }
        };
        default("JSC_useJIT", "0");
        // glibc raises its mmap threshold, and with it the heap's trim threshold,
        // each time a large block is freed; after that, memory freed at the top of
        // the heap stays with the process. Opening the search screen left the page's
        // process 5 MiB of freed heap that way. Fixed at its usual starting value,
        // the threshold keeps the heap trimmed as it empties.
        default("MALLOC_MMAP_THRESHOLD_", "131072");
        default("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
        if std::env::var("WEBKIT_DISABLE_COMPOSITING_MODE").as_deref() != Ok("1") {
            return;
        }
        default("GDK_GL", "disable");
        default("WEBKIT_DISABLE_DMABUF_RENDERER", "1");
        default("WEBKIT_WEB_RENDER_DEVICE_FILE", &render_node());
    }
}

/// The machine's first GPU render node (what WebKit would find through GL), or the
/// name the first one would have: where there is none, WebKit paints in software
/// either way.
#[cfg(target_os = "linux")]
fn render_node() -> String {
    let mut nodes: Vec<String> = std::fs::read_dir("/dev/dri")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().display().to_string())
        .filter(|p| p.starts_with("/dev/dri/renderD"))
        .collect();
    nodes.sort();
    nodes
        .into_iter()
        .next()
        .unwrap_or_else(|| "/dev/dri/renderD128".into())
}
