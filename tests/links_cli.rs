//! The command line on the embedded default (SQLite file, `.eml` outbox): send a
//! link, read its state, redeem it with the password typed twice on stdin.

#[path = "support/smtp.rs"]
mod smtp;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use siec_accounts::store::{Store, StoreOptions};

fn run(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_siec-accounts"))
        .args(args)
        .env("SIEC_CONFIG", dir.join("comptes-siec.toml"))
        .env("SIEC_DATA_DIR", dir.join("data"))
        .env("SIEC_AGENT_NAME", "agent.cli")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A fresh directory with the app's embedded base, migrated, where `run` finds it.
async fn embedded_base() -> (std::path::PathBuf, std::path::PathBuf, Store) {
    let dir = std::env::temp_dir().join(format!("siec-cli-{}", uuid::Uuid::new_v4().simple()));
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let url = format!("sqlite://{}", data.join("comptes-siec.sqlite").display());
    let store = Store::connect(&url, StoreOptions::default()).await.unwrap();
    store.migrate().await.unwrap();
    (dir, data, store)
}

#[tokio::test]
async fn send_status_and_redeem_from_the_command_line() {
    let (dir, data, store) = embedded_base().await;
    sqlx::query("INSERT INTO establishments (uai, name, search_text, created_at, updated_at) VALUES ('0750655E', 'Lycée', 'lycee', 0, 0)")
        .execute(store.pool())
        .await
        .unwrap();
    for (email, status) in [
        ("cli@ac-paris.fr", "pending"),
        ("autre@ac-paris.fr", "pending"),
        ("off@ac-paris.fr", "disabled"),
    ] {
        sqlx::query("INSERT INTO accounts (email, email_key, status, created_at, updated_at) VALUES ($1, $1, $2, 0, 0)")
            .bind(email)
            .bind(status)
            .execute(store.pool())
            .await
            .unwrap();
    }
    sqlx::query("INSERT INTO memberships (account_id, establishment_id, created_at) SELECT id, 1, 0 FROM accounts")
        .execute(store.pool())
        .await
        .unwrap();
    store.close().await;

    let o = run(&dir, &["link", "send", "cli@ac-paris.fr"], None);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        text(&o).trim(),
        "Lien d'initialisation pour cli@ac-paris.fr : envoyé."
    );
    let mails = smtp::dump(&data.join("outbox"));
    assert_eq!(mails.len(), 1);
    let token = mails[0].token();

    let o = run(&dir, &["link", "status", "cli@ac-paris.fr"], None);
    assert!(
        text(&o).contains("initialisation")
            && text(&o).contains("envoyé")
            && text(&o).contains("agent.cli"),
        "{}",
        text(&o)
    );

    let o = run(&dir, &["link", "redeem", &token], Some("court\ncourt\n"));
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("au moins 12 caractères"), "{}", text(&o));
    let o = run(
        &dir,
        &["link", "redeem", &token],
        Some("Examens-2026@SIEC\nExamens-2026@SIEC\n"),
    );
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        text(&o).trim(),
        "Mot de passe enregistré : le compte cli@ac-paris.fr est actif."
    );
    let o = run(
        &dir,
        &["link", "redeem", &token],
        Some("Examens-2026@SIEC\nExamens-2026@SIEC\n"),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("n'est pas valide ou a expiré"),
        "{}",
        text(&o)
    );

    let o = run(&dir, &["link", "send", "off@ac-paris.fr"], None);
    assert_eq!(o.status.code(), Some(6), "{}", text(&o));
    assert!(text(&o).contains("désactivé"));

    let o = run(&dir, &["link", "send", "--uai", "0750655E"], None);
    assert!(o.status.success(), "{}", text(&o));
    let out = text(&o);
    assert!(
        out.contains("3 lien(s) envoyé(s) sur 3") || out.contains("2 lien(s) envoyé(s) sur 2"),
        "{out}"
    );
    assert!(
        out.contains("ignorée : off@ac-paris.fr — compte désactivé"),
        "{out}"
    );
    let o = run(&dir, &["outbox", "status"], None);
    assert!(text(&o).contains("en échec : 0"), "{}", text(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn send_to_the_addresses_of_an_excel_file_only_once_it_reads_cleanly() {
    let (dir, data, store) = embedded_base().await;
    for email in ["a@ac-lyon.fr", "b@ac-lyon.fr"] {
        sqlx::query("INSERT INTO accounts (email, email_key, status, created_at, updated_at) VALUES ($1, $1, 'pending', 0, 0)")
            .bind(email)
            .execute(store.pool())
            .await
            .unwrap();
    }
    store.close().await;
    // Excel on French Windows: Windows-1252, `;`, `\r\n`, a row of titles.
    let file = dir.join("liste.csv");
    std::fs::write(
        &file,
        b"Nom;Adresse\r\nAnd\xE9;a@ac-lyon.fr\r\nB;b@ac-lyon\r\nB;b@ac-lyon.fr\r\n",
    )
    .unwrap();
    let file = file.display().to_string();

    let o = run(&dir, &["link", "send", "--file", &file], None);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let out = text(&o);
    assert!(
        out.contains(
            "ligne 3 écartée : Le domaine de l'adresse e-mail « b@ac-lyon » est incorrect"
        ),
        "{out}"
    );
    assert!(
        out.contains("1 ligne(s) de « ") && out.contains("rien n'est envoyé"),
        "{out}"
    );
    assert!(
        smtp::dump(&data.join("outbox")).is_empty(),
        "rien n'est envoyé"
    );

    let o = run(
        &dir,
        &["link", "send", "--file", &file, "--skip-bad-rows"],
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("2 lien(s) envoyé(s) sur 2"),
        "{}",
        text(&o)
    );
    let mut to: Vec<String> = smtp::dump(&data.join("outbox"))
        .iter()
        .map(|m| m.to.clone())
        .collect();
    to.sort();
    assert_eq!(to, ["a@ac-lyon.fr", "b@ac-lyon.fr"]);
    let _ = std::fs::remove_dir_all(&dir);
}
