//! No green success when the work did not happen: with the SMTP relay down, an
//! « Envoi groupé » that sent nothing says so as a warning with the count waiting
//! and what to do, and the dashboard's mail box turns red.

mod support;

use siec_accounts::domain::Uai;
use support::{AppEnv, Driver, Session};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fenêtre réelle sous Xvfb : lancer scripts/e2e"]
async fn relay_down_gives_a_warning_and_a_red_dashboard() {
    let _one = support::exclusive().await;
    let mut env = AppEnv::new("relais-coupe");
    // A port nobody listens on: the relay refuses every connection.
    let port = support::free_port();
    env.set("SIEC_SMTP_HOST", "127.0.0.1")
        .set("SIEC_SMTP_PORT", port.to_string())
        .set("SIEC_SMTP_TLS", "none");
    let store = support::open_store(&env.sqlite_url()).await;
    support::generate(&store, 1, 5).await;
    let uai = Uai::from_digits(1_000_000).to_string();

    let driver = Driver::start(&env);
    let mut s = Session::start(&driver, "relais-coupe").await;
    s.go(&format!("#/envoi-groupe/etablissement/{uai}")).await;
    s.wait_text("h1", |t| t == "Envoi groupé").await;
    s.click("#bulk-preview-btn").await;
    s.wait_text("#bulk-preview-counts", |t| !t.is_empty()).await;
    s.click("#bulk-send").await;
    s.wait_text("#modal-confirm-text", |t| !t.is_empty()).await;
    s.click("#modal-confirm-ok").await;

    let title = s
        .wait_text("#bulk-summary .fr-alert__title", |t| !t.is_empty())
        .await;
    assert_eq!(title, "Aucun lien n’est parti : 5 en attente du relais");
    let class = s
        .exec(
            "return document.querySelector('#bulk-summary').className",
            vec![],
        )
        .await;
    let class = class.as_str().unwrap();
    assert!(
        class.contains("fr-alert--warning") && !class.contains("success"),
        "{class}"
    );
    let todo = s.text_of("#bulk-summary-todo").await;
    assert!(todo.contains("Paramètres"), "{todo}");
    s.shot("envoi-sans-relais").await;

    s.go("#/tableau-de-bord").await;
    s.wait_for("#outbox-health").await;
    let class = s
        .exec(
            "return document.querySelector('#outbox-health').className",
            vec![],
        )
        .await;
    assert!(
        class.as_str().unwrap().contains("fr-alert--error"),
        "{class}"
    );
    s.shot("tableau-de-bord-relais-en-panne").await;
    s.end().await;
}
