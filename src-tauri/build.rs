// Declares the app's commands so that capabilities can grant exactly these and nothing else.
fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new().app_manifest(
            tauri_build::AppManifest::new().commands(comptes_siec_commands::COMMANDS),
        ),
    )
    .expect("tauri build");
}

mod comptes_siec_commands {
    include!("src/command_list.rs");
}
