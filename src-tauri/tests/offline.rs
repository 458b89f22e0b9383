//! Offline review in the real window: signed in to a central database (a throwaway
//! PostgreSQL cluster on a private port), the app keeps its copy; the cluster stops,
//! the window says « Hors connexion », disables the write buttons and still finds
//! an address; the cluster starts again and the window is back online by itself.
//! The keyring is a GNOME Keyring started for the test on the run's session bus.

#[path = "../../tests/agents_common/mod.rs"]
mod agents_common;
mod support;

use std::process::{Command, Stdio};

use agents_common::ScramCluster;
use siec_accounts::accounts::{self, EstablishmentInput, NewAccount};
use siec_accounts::agents::{self, AgentLogin, NewAgent};
use siec_accounts::domain::{Email, Uai};
use support::{AppEnv, Driver, Session};

/// Unlocks a GNOME Keyring on the run's session bus, as scripts/test does; it ends
/// with the bus.
fn start_keyring(dir: &std::path::Path) {
    std::fs::create_dir_all(dir).unwrap();
    let status = Command::new("sh")
        .args([
            "-c",
            "echo -n pw | gnome-keyring-daemon --replace --unlock --components=secrets >/dev/null",
        ])
        .env("XDG_DATA_HOME", dir)
        .stdout(Stdio::null())
        .status()
        .expect("gnome-keyring-daemon");
    assert!(status.success());
}

/// Waits up to `secs` for the element's text to satisfy `pred` (the switch takes a
/// few seconds, the way back a probe's back-off).
async fn text_within(s: &Session, css: &str, secs: u64, pred: impl Fn(&str) -> bool) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    let script = format!("return document.querySelector('{css}')?.textContent || ''");
    loop {
        let text = s.exec(&script, vec![]).await;
        let text = text.as_str().unwrap_or_default().to_string();
        if pred(&text) {
            return text;
        }
        if std::time::Instant::now() > deadline {
            s.save_screenshot(&format!("attente-{}", css.trim_start_matches('#')))
                .await;
            panic!("{css} : « {text} » après {secs} s");
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

async fn disabled(s: &Session, css: &str) -> serde_json::Value {
    s.exec(
        &format!("return document.querySelector('{css}')?.disabled ?? null"),
        vec![],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fenêtre réelle sous Xvfb : lancer scripts/e2e"]
async fn the_window_reads_the_copy_while_the_database_is_away() {
    let _one = support::exclusive().await;
    let mut env = AppEnv::new("hors-connexion");
    start_keyring(&env.dir.join("keyring"));
    let cluster = ScramCluster::start();
    let (name, owner) = cluster.database().await;
    let paris = Uai::parse("0750655E").unwrap();
    accounts::add_establishment(
        &owner,
        EstablishmentInput {
            uai: paris.clone(),
            name: "Lycée Louis-le-Grand".into(),
            city: "Paris".into(),
            academy: "Paris".into(),
        },
    )
    .await
    .unwrap();
    accounts::add_account(
        &owner,
        NewAccount {
            email: Email::parse("jeanne.dupont@ac-paris.fr").unwrap(),
            uai: paris,
            principal: true,
            display_name: "Jeanne Dupont".into(),
        },
    )
    .await
    .unwrap();
    let password = agents::generate_password();
    agents::create_agent(
        &owner,
        &NewAgent {
            login: AgentLogin::parse("agent.fenetre").unwrap(),
            name: "Agent fenêtre".into(),
            admin: false,
        },
        &password,
    )
    .await
    .unwrap();
    owner.close().await;
    env.set("SIEC_DATABASE_URL", cluster.url("agent.fenetre", &name));

    let driver = Driver::start(&env);
    let mut s = Session::start(&driver, "hors-connexion").await;
    s.go("#/connexion").await;
    s.wait_for("#pg-password").await;
    use secrecy::ExposeSecret;
    s.type_in("#pg-password", password.expose_secret()).await;
    s.click("#connect-submit").await;
    text_within(&s, "#offline-copy-age", 60, |t| {
        t.starts_with("Copie hors connexion du")
    })
    .await;
    s.shot("copie-faite").await;

    cluster.stop();
    let notice = text_within(&s, "#offline-notice", 60, |t| {
        t.starts_with("Hors connexion : données du ")
    })
    .await;
    assert!(notice.contains("Consultation seulement"), "{notice}");

    s.go("#/recherche").await;
    s.type_in("#search-text", "jeanne").await;
    text_within(&s, "#results-count", 30, |t| t.contains("1 adresse")).await;
    assert_eq!(disabled(&s, "#open-add").await, serde_json::json!(true));
    assert_eq!(disabled(&s, "#offline-sync").await, serde_json::json!(true));
    s.shot("hors-connexion").await;

    cluster.start_again();
    text_within(&s, "#online-again", 90, |t| {
        t.starts_with("Connexion rétablie")
    })
    .await;
    assert_eq!(disabled(&s, "#open-add").await, serde_json::json!(false));
    s.shot("connexion-retablie").await;
    s.end().await;
}
