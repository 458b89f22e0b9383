// Declares the app's commands so that capabilities can grant exactly these and nothing else.
fn main() {
    // The pages and the DSFR files copied into ui/vendor are embedded in the binary:
    // a file added there must rebuild the app, not only a file changed.
    println!("cargo:rerun-if-changed=../ui");
    // Without them the app would build and open unstyled: fail here instead.
    println!("cargo:rerun-if-changed=../ui/vendor/dsfr/dsfr.min.css");
    if !std::path::Path::new("../ui/vendor/dsfr/dsfr.min.css").exists() {
        panic!("ui/vendor/dsfr is missing: run scripts/ui-assets (or scripts/setup) first");
    }
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
