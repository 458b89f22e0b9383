// Declares the app's commands so that capabilities can grant exactly these and nothing else.
fn main() {
    // The pages and the DSFR files copied into ui/vendor are embedded in the binary:
    // a file added there must rebuild the app, not only a file changed.
    println!("cargo:rerun-if-changed=../ui");
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
