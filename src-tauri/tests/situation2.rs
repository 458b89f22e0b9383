//! Issue 6, test 1 (the guide's « 2ème situation »): a caller's address is not in
//! the base; the agent's search finds nothing and offers « Ajouter cette adresse »
//! prefilled; the address is added to the caller's establishment and its page shows
//! it « en attente », rattachée, with the audit row. The agent sends the
//! initialisation link from the account page; the app's outbox worker delivers it
//! to a real SMTP server; the link in the mail is redeemed through the core (as the
//! portal would) and the account page, still open, turns « actif ».

mod support;

use std::time::Duration;

use secrecy::SecretString;
use siec_accounts::accounts;
use siec_accounts::domain::{AccountStatus, Email};
use siec_accounts::links;
use support::{AppEnv, Driver, Session, SmtpServer};

const ENTER: &str = "\u{E007}";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fenêtre réelle sous Xvfb : lancer scripts/e2e"]
async fn unknown_address_is_added_from_an_empty_search() {
    let _one = support::exclusive().await;
    let mut env = AppEnv::new("situation2");
    let smtp = SmtpServer::start("situation2");
    smtp.configure(&mut env);
    let store = support::open_store(&env.sqlite_url()).await;
    support::add_establishment(
        &store,
        "0301674G",
        "Lycée Albert-Camus",
        "Nîmes",
        "Montpellier",
    )
    .await;
    support::add_account(
        &store,
        "ce.0301674G@ac-montpellier.fr",
        "0301674G",
        true,
        "Secrétariat",
    )
    .await;

    let driver = Driver::start(&env);
    let mut s = Session::start(&driver, "situation2").await;
    // Keyboard only, as an agent on the phone works: « / » to the search, Entrée on
    // an address the base does not hold opens « Ajouter », Tab between fields,
    // arrows and Entrée in the establishment suggestions, Entrée to add.
    s.keys("/").await;
    s.wait_js("return document.activeElement && document.activeElement.id === 'search-text'")
        .await;
    s.keys("Basics5@Mail.fr").await;
    s.wait_text("#results-count", |t| t == "Aucun résultat.")
        .await;
    let offer = s.text_of("#results-empty").await;
    assert!(
        offer.contains("Aucun résultat pour « Basics5@Mail.fr »"),
        "{offer}"
    );
    s.shot("aucun-resultat").await;
    s.keys(ENTER).await;
    s.wait_js("return document.activeElement && document.activeElement.id === 'add-uai'")
        .await;
    let prefilled = s
        .exec("return document.querySelector('#add-email').value", vec![])
        .await;
    assert_eq!(prefilled, "Basics5@Mail.fr");
    // The establishment chosen by name, as the caller says it.
    s.keys("albert camus").await;
    let suggestion = s
        .wait_js("const o = document.querySelector('#add-uai-list [role=option]'); return o && o.textContent")
        .await;
    assert_eq!(suggestion, "0301674G — Lycée Albert-Camus, Nîmes");
    s.shot("suggestions").await;
    s.keys(ENTER).await;
    let chosen = s
        .wait_js("const v = document.querySelector('#add-uai').value; return v.startsWith('0301674G') && v")
        .await;
    assert_eq!(chosen, "0301674G — Lycée Albert-Camus");
    // Shift+Tab back to the name (the field order is address, name, establishment).
    s.shift_tab().await;
    s.wait_js("return document.activeElement && document.activeElement.id === 'add-name'")
        .await;
    s.keys("Basile Ics").await;
    s.shot("dialogue").await;
    s.keys(ENTER).await;

    s.wait_text("#account-title", |t| t == "Basics5@Mail.fr")
        .await;
    let status = s.text_of("#account-status").await;
    assert_eq!(status.to_lowercase(), "en attente");
    let memberships = s.text_of("#memberships-table").await;
    assert!(
        memberships.contains("0301674G") && memberships.contains("Lycée Albert-Camus"),
        "{memberships}"
    );
    s.shot("compte-en-attente").await;

    let detail = accounts::account(&store, &Email::parse("basics5@mail.fr").unwrap())
        .await
        .unwrap();
    assert_eq!(detail.account.email, "Basics5@Mail.fr");
    assert_eq!(detail.account.status, AccountStatus::Pending);
    assert_eq!(detail.memberships.len(), 1);
    assert_eq!(detail.memberships[0].uai, "0301674G");
    let audit = support::count(&store, "SELECT COUNT(*) FROM audit_log WHERE action = 'account.add' AND target = 'basics5@mail.fr' AND agent = 'agent.e2e'").await;
    assert_eq!(audit, 1);

    // « Envoyer le lien d'initialisation »: queued, then sent by the worker.
    // Focus is on the next step, with the notice that says so.
    let notice = s.text_of("#alerts").await;
    assert!(
        notice.contains("L’adresse Basics5@Mail.fr est ajoutée"),
        "{notice}"
    );
    let focused = s
        .wait_js("return document.activeElement && document.activeElement.id")
        .await;
    assert_eq!(focused, "send-link");
    let button = s.text_of("#send-link").await;
    assert_eq!(button, "Envoyer le lien d’initialisation");
    s.keys(ENTER).await;
    s.wait_text("#alerts", |t| {
        t.contains("Le lien d’initialisation a été demandé pour Basics5@Mail.fr.")
    })
    .await;
    s.shot("lien-demande").await;
    let row = s
        .wait_text("#links-table tbody tr[data-state='sent']", |t| {
            t.contains("initialisation") && t.to_lowercase().contains("envoyé")
        })
        .await;
    assert!(!row.contains("réinitialisation"), "{row}");
    s.exec(
        "document.querySelector('#links-table').scrollIntoView()",
        vec![],
    )
    .await;
    s.shot("lien-envoye").await;
    // The account's journal tells what was asked, not the request's internal id.
    let asked = s
        .wait_text("tr[data-action='link.request']", |t| !t.is_empty())
        .await;
    assert!(asked.contains("objet : initialisation"), "{asked}");
    assert!(
        !asked.contains("demande :") && !asked.contains("envoi groupé"),
        "{asked}"
    );

    let mails = smtp.wait_for(1, Duration::from_secs(30)).await;
    assert_eq!(mails.len(), 1, "un seul message");
    let mail = &mails[0];
    assert!(mail.to.contains("Basics5@Mail.fr"), "{}", mail.to);
    assert_eq!(
        mail.subject,
        "Portail d'authentification - Initialisation de mot de passe"
    );
    let token = mail.token();
    assert_eq!(token.len(), 40, "{token}");

    // The portal's side: the caller sets a password through the link.
    let pw = || SecretString::from("Examens-2026@SIEC".to_string());
    let redeemed = links::redeem(&store, &token, pw(), pw()).await.unwrap();
    assert_eq!(redeemed.email, "Basics5@Mail.fr");

    // The page left open follows: « actif », the link « utilisé ».
    s.wait_text("#account-status", |t| t.to_lowercase() == "actif")
        .await;
    s.wait_text("#links-table tbody tr[data-state='used']", |t| {
        t.contains("utilisé")
    })
    .await;
    s.exec(
        "document.querySelector('#links-table').scrollIntoView()",
        vec![],
    )
    .await;
    s.shot("lien-utilise").await;
    s.exec("window.scrollTo(0, 0)", vec![]).await;
    s.shot("compte-actif").await;
    let again = links::redeem(&store, &token, pw(), pw()).await.unwrap_err();
    assert_eq!(again.to_string(), links::LINK_REFUSED);

    // Back in the search, the address is found now.
    s.go("#/recherche").await;
    s.wait_text("#results-count", |t| t == "1 adresse").await;
    s.end().await;
}
