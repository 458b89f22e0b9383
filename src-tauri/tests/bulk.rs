//! Issue 6, test 3: « Envoi groupé » to the 500 addresses of one establishment.
//! The preview counts them, the agent confirms, the progress bar moves as the
//! app's worker hands the mails to a real SMTP server, and the summary's counts
//! are the ones the server saw.

mod support;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde_json::Value;
use siec_accounts::domain::Uai;
use support::{AppEnv, Driver, Session, SmtpServer};

const ACCOUNTS: u32 = 500;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fenêtre réelle sous Xvfb : lancer scripts/e2e"]
async fn bulk_send_to_500_accounts_shows_progress_and_the_right_summary() {
    let _one = support::exclusive().await;
    let mut env = AppEnv::new("envoi-groupe");
    let smtp = SmtpServer::start("envoi-groupe");
    smtp.configure(&mut env);
    // The relay's pace: 100 messages a second, so 500 take a few seconds to watch.
    env.set("SIEC_MAIL_RATE_PER_SECOND", "100");
    let store = support::open_store(&env.sqlite_url()).await;
    support::generate(&store, 1, ACCOUNTS).await;
    let uai = Uai::from_digits(1_000_000).to_string();

    let driver = Driver::start(&env);
    let mut s = Session::start(&driver, "envoi-groupe").await;
    s.go(&format!("#/etablissement/{uai}")).await;
    s.wait_text("#members-table caption", |t| {
        t == format!("Adresses rattachées ({ACCOUNTS})")
    })
    .await;
    s.click("#establishment-bulk").await;
    s.wait_text("h1", |t| t == "Envoi groupé").await;
    let lead = s.text_of(".fr-text--lead").await;
    assert_eq!(
        lead,
        format!("Sélection : toutes les adresses de l’établissement {uai}.")
    );
    s.click("#bulk-preview-btn").await;
    let preview = s.wait_text("#bulk-preview-counts", |t| !t.is_empty()).await;
    assert_eq!(preview, "500 liens à envoyer, 0 adresse écartée.");
    s.shot("previsualisation").await;
    assert_eq!(smtp.count(), 0, "rien n'est envoyé avant la confirmation");

    s.click("#bulk-send").await;
    let text = s.wait_text("#modal-confirm-text", |t| !t.is_empty()).await;
    assert!(text.starts_with("500 liens vont être envoyés."), "{text}");
    s.shot("confirmation").await;
    s.click("#modal-confirm-ok").await;

    // Sample the bar while it runs.
    let mut values: Vec<i64> = Vec::new();
    let mut labels = HashSet::new();
    let mut mid_shot = false;
    let start = Instant::now();
    loop {
        let v = s
            .exec(
                "const b = document.querySelector('#bulk-progress');
                 const l = document.querySelector('#bulk-progress-label');
                 const done = document.querySelector('#bulk-summary');
                 return { value: b ? b.value : null, max: b ? b.max : null,
                          label: l ? l.textContent : null, done: !!done };",
                vec![],
            )
            .await;
        if let Some(value) = v["value"].as_f64() {
            assert_eq!(v["max"].as_f64(), Some(f64::from(ACCOUNTS)), "{v}");
            values.push(value as i64);
            if let Some(l) = v["label"].as_str() {
                labels.insert(l.replace(['\u{202f}', '\u{a0}'], " "));
            }
            if !mid_shot && (150.0..=400.0).contains(&value) {
                s.shot("progression").await;
                mid_shot = true;
            }
        }
        if v["done"] == Value::Bool(true) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "l'envoi ne se termine pas ; valeurs vues : {values:?}"
        );
        tokio::time::sleep(Duration::from_millis(80)).await;
    }
    let intermediate: HashSet<i64> = values
        .iter()
        .copied()
        .filter(|v| *v > 0 && *v < ACCOUNTS as i64)
        .collect();
    assert!(
        intermediate.len() >= 2,
        "la barre de progression doit avancer par étapes ; valeurs vues : {values:?}"
    );
    assert!(
        values.windows(2).all(|w| w[0] <= w[1]),
        "la barre ne recule jamais : {values:?}"
    );
    assert!(
        labels
            .iter()
            .any(|l| l.contains(" sur 500 envoyés — 0 en échec, 0 écarté")),
        "{labels:?}"
    );

    let counts = s.wait_text("#bulk-summary-counts", |t| !t.is_empty()).await;
    assert_eq!(counts, "500 liens envoyés, 0 en échec, 0 adresse écartée.");
    let title = s.text_of("#bulk-summary .fr-alert__title").await;
    assert_eq!(title, "Envoi terminé");
    assert!(s.try_find("#bulk-retry").await.is_none());
    s.shot("resume").await;

    let mails = smtp
        .wait_for(ACCOUNTS as usize, Duration::from_secs(30))
        .await;
    assert_eq!(mails.len(), ACCOUNTS as usize, "un message par adresse");
    let recipients: HashSet<&str> = mails.iter().map(|m| m.to.as_str()).collect();
    assert_eq!(recipients.len(), ACCOUNTS as usize, "aucun doublon");
    let ids: HashSet<&str> = mails.iter().map(|m| m.message_id.as_str()).collect();
    assert_eq!(ids.len(), ACCOUNTS as usize);
    // Accounts without a password get the initialisation link, the others a reset.
    let init = mails
        .iter()
        .filter(|m| m.subject.contains("Initialisation"))
        .count();
    let active = support::count(
        &store,
        "SELECT COUNT(*) FROM accounts WHERE password_hash IS NOT NULL",
    )
    .await;
    assert_eq!(init as i64, ACCOUNTS as i64 - active);
    let sent = support::count(
        &store,
        "SELECT COUNT(*) FROM mail_outbox WHERE state = 'sent' AND batch_id IS NOT NULL",
    )
    .await;
    assert_eq!(sent, ACCOUNTS as i64);
    s.end().await;
}
