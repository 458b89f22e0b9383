// Declares the app's commands so that capabilities can grant exactly these and nothing else.
fn main() {
    // The pages and the DSFR files copied into ui/vendor are embedded in the binary:
    // a file added there must rebuild the app, not only a file changed.
    println!("cargo:rerun-if-changed=../ui");
    // Without them the app would build and open unstyled: fail here instead.
    println!("cargo:rerun-if-changed=../ui/vendor/dsfr/dsfr.min.css");
    let sheet = std::path::Path::new("../ui/vendor/dsfr/dsfr.min.css");
    let Ok(built) = std::fs::metadata(sheet).and_then(|m| m.modified()) else {
        panic!("ui/vendor/dsfr is missing: run scripts/ui-assets (or scripts/setup) first");
    };
    // The sheet keeps only the DSFR rules the pages name (scripts/ui-assets purges
    // it): pages changed since would lose the styles of any class they added.
    if let Some(page) = newer_page(std::path::Path::new("../ui"), built) {
        panic!(
            "{} changed after the DSFR sheet was prepared: run scripts/ui-assets",
            page.display()
        );
    }
    tauri_build::try_build(
        tauri_build::Attributes::new().app_manifest(
            tauri_build::AppManifest::new().commands(comptes_siec_commands::COMMANDS),
        ),
    )
    .expect("tauri build");
}

/// The first of index.html and ui/js/**/*.js modified after `than`.
fn newer_page(ui: &std::path::Path, than: std::time::SystemTime) -> Option<std::path::PathBuf> {
    let newer = |p: &std::path::Path| {
        std::fs::metadata(p)
            .and_then(|m| m.modified())
            .is_ok_and(|t| t > than)
    };
    let index = ui.join("index.html");
    if newer(&index) {
        return Some(index);
    }
    let mut dirs = vec![ui.join("js")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "js") && newer(&path) {
                return Some(path);
            }
        }
    }
    None
}

mod comptes_siec_commands {
    include!("src/command_list.rs");
}
