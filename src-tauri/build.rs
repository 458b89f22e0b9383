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
    stamp_build();
    tauri_build::try_build(
        tauri_build::Attributes::new().app_manifest(
            tauri_build::AppManifest::new().commands(comptes_siec_commands::COMMANDS),
        ),
    )
    .expect("tauri build");
}

/// The commit the app is built from and its date, for « À propos ». Reruns when
/// the checked-out commit moves (not on every commit of other branches).
fn stamp_build() {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let commit = std::env::var("SIEC_BUILD_COMMIT")
        .ok()
        .or_else(|| git(&["rev-parse", "--short=12", "HEAD"]))
        .unwrap_or_else(|| "inconnu".into());
    let date = git(&["log", "-1", "--format=%cs"]).unwrap_or_else(|| "inconnue".into());
    println!("cargo:rustc-env=SIEC_BUILD_COMMIT={commit}");
    println!("cargo:rustc-env=SIEC_BUILD_DATE={date}");
    println!("cargo:rerun-if-env-changed=SIEC_BUILD_COMMIT");
    if let Some(dir) = git(&["rev-parse", "--absolute-git-dir"]) {
        println!("cargo:rerun-if-changed={dir}/HEAD");
    }
    if let (Some(common), Some(branch)) = (
        git(&["rev-parse", "--git-common-dir"]),
        git(&["symbolic-ref", "-q", "HEAD"]),
    ) {
        let refs = std::path::Path::new(&common).join(&branch);
        if refs.exists() {
            println!("cargo:rerun-if-changed={}", refs.display());
        }
        // A path that does not exist would rerun this script on every build.
        let packed = std::path::Path::new(&common).join("packed-refs");
        if packed.exists() {
            println!("cargo:rerun-if-changed={}", packed.display());
        }
    }
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
