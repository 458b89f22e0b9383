//! Passwords in the real Secret Service (GNOME Keyring over D-Bus), through the
//! app's own code. Run inside a D-Bus session with an unlocked keyring:
//!   dbus-run-session -- sh -c 'echo -n pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null; cargo test --test credentials_keyring'

use std::process::Command;

use secrecy::{ExposeSecret, SecretString};
use siec_accounts::credentials::{self, Credential};

pub fn require_session() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "These tests use the real Secret Service and need a D-Bus session with an unlocked keyring. Run them as: \
         dbus-run-session -- sh -c 'echo -n pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null; cargo test --test credentials_keyring'"
    );
}

fn unique() -> String {
    format!("t{}", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

#[test]
fn store_read_replace_and_forget_a_database_and_an_smtp_password() {
    require_session();
    let login = unique();
    let db = Credential::database(&login).unwrap();
    let smtp = Credential::smtp(&login, "relais.ac-test.fr").unwrap();
    assert_eq!(
        credentials::read(&db)
            .unwrap()
            .map(|s| s.expose_secret().to_string()),
        None
    );

    credentials::store(&db, &SecretString::from("Premier-Mot2passe!".to_string())).unwrap();
    credentials::store(&smtp, &SecretString::from("Smtp-Mot2passe!".to_string())).unwrap();
    assert_eq!(
        credentials::read(&db).unwrap().unwrap().expose_secret(),
        "Premier-Mot2passe!"
    );
    assert_eq!(
        credentials::read(&smtp).unwrap().unwrap().expose_secret(),
        "Smtp-Mot2passe!"
    );

    // Storing again replaces; the two entries stay apart.
    credentials::store(&db, &SecretString::from("Second-Mot2passe!".to_string())).unwrap();
    assert_eq!(
        credentials::read(&db).unwrap().unwrap().expose_secret(),
        "Second-Mot2passe!"
    );
    assert_eq!(
        credentials::read(&smtp).unwrap().unwrap().expose_secret(),
        "Smtp-Mot2passe!"
    );

    assert!(credentials::forget(&db).unwrap());
    assert!(credentials::read(&db).unwrap().is_none());
    assert!(!credentials::forget(&db).unwrap(), "nothing left to forget");
    assert_eq!(credentials::forget_all(&[db, smtp.clone()]).unwrap(), 1);
    assert!(credentials::read(&smtp).unwrap().is_none());
}

#[test]
fn forgetting_from_the_command_line_removes_what_the_library_stored() {
    require_session();
    // Another process reading the same entries proves they live in the system
    // keyring, not in this process.
    let login = unique();
    let db = Credential::database(&login).unwrap();
    let smtp = Credential::smtp("siec.envoi", "relais.ac-test.fr").unwrap();
    credentials::store(&db, &SecretString::from("Base-Mot2passe!".to_string())).unwrap();
    credentials::store(&smtp, &SecretString::from("Smtp-Mot2passe!".to_string())).unwrap();
    let dir = std::env::temp_dir().join(unique());
    std::fs::create_dir_all(&dir).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_siec-accounts"))
        .arg("logout")
        .env("SIEC_CONFIG", dir.join("comptes-siec.toml"))
        .env("SIEC_DATA_DIR", dir.join("data"))
        .env(
            "SIEC_DATABASE_URL",
            format!("postgres://{login}@127.0.0.1:5432/siec"),
        )
        .env("SIEC_SMTP_HOST", "relais.ac-test.fr")
        .env("SIEC_SMTP_USER", "siec.envoi")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("2 mot(s) de passe retiré(s)"), "{stdout}");
    assert!(credentials::read(&db).unwrap().is_none());
    assert!(credentials::read(&smtp).unwrap().is_none());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn without_a_keyring_the_app_says_so_and_keeps_nothing() {
    require_session();
    let dir = std::env::temp_dir().join(unique());
    std::fs::create_dir_all(&dir).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_siec-accounts"))
        .arg("logout")
        .env("SIEC_CONFIG", dir.join("comptes-siec.toml"))
        .env("SIEC_DATA_DIR", dir.join("data"))
        .env(
            "SIEC_DATABASE_URL",
            "postgres://jdupont@127.0.0.1:5432/siec",
        )
        // A session bus that does not exist: what a headless server looks like.
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            format!("unix:path={}", dir.join("no-bus").display()),
        )
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert!(
        stderr.contains("Aucun trousseau du système n'est disponible"),
        "{stderr}"
    );
    assert!(stderr.contains("demandé à chaque connexion"), "{stderr}");
    // No fallback file appeared.
    let files: Vec<_> = walk(&dir);
    assert!(files.is_empty(), "{files:?}");
    let _ = std::fs::remove_dir_all(dir);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}
