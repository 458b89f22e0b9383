//! The command line for scripts: with `--json`, every failure — refused input, an
//! unknown account, an argument clap refuses — is one JSON object `{"code",
//! "message"}` on standard error; and `link send --no-deliver` queues the links of
//! a whole selection (`--query`, `--uai`, `--file`) without delivering one.

use std::path::Path;
use std::process::{Command, Output};

use siec_accounts::store::{Store, StoreOptions};

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_siec-accounts"))
        .args(args)
        .env("SIEC_CONFIG", dir.join("comptes-siec.toml"))
        .env("SIEC_DATA_DIR", dir.join("data"))
        .env("SIEC_AGENT_NAME", "agent.cli")
        .output()
        .unwrap()
}

async fn embedded_base() -> (std::path::PathBuf, Store) {
    let dir = std::env::temp_dir().join(format!("siec-json-{}", uuid::Uuid::new_v4().simple()));
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let url = format!("sqlite://{}", data.join("comptes-siec.sqlite").display());
    let store = Store::connect(&url, StoreOptions::default()).await.unwrap();
    store.migrate().await.unwrap();
    (dir, store)
}

/// The one JSON object a failure writes on standard error.
fn json_error(o: &Output) -> serde_json::Value {
    assert!(!o.status.success(), "{o:?}");
    assert!(o.stdout.is_empty(), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    let v: serde_json::Value =
        serde_json::from_str(err.trim()).unwrap_or_else(|e| panic!("pas du JSON ({e}) : {err}"));
    assert!(v["code"].is_string(), "{v}");
    assert!(!v["message"].as_str().unwrap_or_default().is_empty(), "{v}");
    v
}

#[tokio::test]
async fn every_failure_is_json_with_json() {
    let (dir, store) = embedded_base().await;
    store.close().await;
    let cases: [(&[&str], &str, &str); 6] = [
        (&["--json", "uai", "check", "0750655A"], "invalid", "« E »"),
        (
            &["--json", "account", "show", "personne@ac-paris.fr"],
            "not_found",
            "personne@ac-paris.fr",
        ),
        (
            &["--json", "commande-inconnue"],
            "invalid",
            "commande-inconnue",
        ),
        (
            &["--json", "search", "--option-inconnue"],
            "invalid",
            "--option-inconnue",
        ),
        (
            &[
                "link", "send", "--uai", "0750655E", "--query", "x", "--json",
            ],
            "invalid",
            "--query",
        ),
        (
            &["--json", "search", "--status", "perdu", "x"],
            "invalid",
            "perdu",
        ),
    ];
    for (args, code, named) in cases {
        let o = run(&dir, args);
        let v = json_error(&o);
        assert_eq!(v["code"], code, "{args:?} : {v}");
        assert!(
            v["message"].as_str().unwrap().contains(named),
            "{args:?} : {v}"
        );
        assert_eq!(
            o.status.code(),
            Some(if code == "invalid" { 2 } else { 3 }),
            "{args:?}"
        );
    }
    // For people, clap's own text stays; help is no failure.
    let o = run(&dir, &["search", "--option-inconnue"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--option-inconnue"));
    assert!(run(&dir, &["--json", "--help"]).status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn no_deliver_queues_a_whole_selection_without_sending() {
    let (dir, store) = embedded_base().await;
    sqlx::query("INSERT INTO establishments (uai, name, search_text, academy, created_at, updated_at) VALUES ('0750655E', 'Lycée', 'lycee', 'Paris', 0, 0)")
        .execute(store.pool())
        .await
        .unwrap();
    for email in ["un@ac-paris.fr", "deux@ac-paris.fr", "trois@ac-paris.fr"] {
        sqlx::query("INSERT INTO accounts (email, email_key, status, created_at, updated_at) VALUES ($1, $1, 'pending', 0, 0)")
            .bind(email)
            .execute(store.pool())
            .await
            .unwrap();
    }
    sqlx::query("INSERT INTO memberships (account_id, establishment_id, created_at) SELECT id, 1, 0 FROM accounts")
        .execute(store.pool())
        .await
        .unwrap();
    let file = dir.join("liste.csv");
    std::fs::write(&file, "adresse\nun@ac-paris.fr\n").unwrap();
    let outbox = dir.join("data").join("outbox");
    let delivered = || {
        std::fs::read_dir(&outbox)
            .map(|d| d.filter_map(|e| e.ok()).count())
            .unwrap_or(0)
    };
    let queued = || async {
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM mail_outbox WHERE state = 'queued'")
                .fetch_one(store.pool())
                .await
                .unwrap();
        n
    };
    let mut expected = 0;
    for (args, n) in [
        (vec!["--query", "ac-paris"], 3),
        (vec!["--uai", "0750655E"], 3),
        (vec!["--file", file.to_str().unwrap()], 1),
    ] {
        let mut all = vec!["--json", "link", "send", "--no-deliver"];
        all.extend(args.iter().copied());
        let o = run(&dir, &all);
        assert!(o.status.success(), "{all:?} : {o:?}");
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["queued"], n, "{all:?} : {v}");
        assert_eq!(v["sent"], 0, "{all:?} : {v}");
        expected += n;
        assert_eq!(queued().await, expected, "{all:?}");
        assert_eq!(delivered(), 0, "{all:?} : rien ne doit partir");
    }
    // Without the flag the selection is delivered.
    let o = run(&dir, &["--json", "link", "send", "--uai", "0750655E"]);
    assert!(o.status.success(), "{o:?}");
    assert!(delivered() > 0);
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}
