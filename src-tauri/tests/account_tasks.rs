//! Tasks finished in the window without a dead end: the establishment chosen by
//! the name the caller says (and a name submitted without choosing resolved); an
//! address already in the base attached to a second establishment from
//! « Ajouter une adresse »; a mistyped address corrected from its account page;
//! a second link within the first one's hour warned about before it is sent; the
//! journal filtered by a UAI finding the addresses attached to it.

mod support;

use siec_accounts::accounts;
use siec_accounts::domain::{Email, Uai};
use support::{AppEnv, Driver, Session};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fenêtre réelle sous Xvfb : lancer scripts/e2e"]
async fn attach_correct_choose_by_name_and_warn_before_a_second_link() {
    let _one = support::exclusive().await;
    let env = AppEnv::new("taches-compte");
    let store = support::open_store(&env.sqlite_url()).await;
    support::add_establishment(&store, "0750655E", "Lycée Louis-le-Grand", "Paris", "Paris").await;
    support::add_establishment(
        &store,
        "0301674G",
        "Lycée Albert-Camus",
        "Nîmes",
        "Montpellier",
    )
    .await;
    let other = Uai::from_digits(690_123).to_string();
    support::add_establishment(
        &store,
        &other,
        "École élémentaire Louis le Grandin",
        "Lyon",
        "Lyon",
    )
    .await;
    support::add_account(&store, "prof@ac-paris.fr", "0750655E", false, "Paul Prof").await;

    let driver = Driver::start(&env);
    let mut s = Session::start(&driver, "taches-compte").await;
    s.go("#/recherche").await;
    s.wait_for("#open-add").await;

    // By name: the suggestion list shows the lycée first, with its city.
    s.click("#open-add").await;
    s.wait_js("return document.activeElement && document.activeElement.id === 'add-email'")
        .await;
    s.type_in("#add-email", "nouvelle@ac-paris.fr").await;
    s.type_in("#add-uai", "louis le grand").await;
    let first = s
        .wait_js("const o = document.querySelector('#add-uai-list [role=option]'); return o && o.textContent")
        .await;
    assert_eq!(first, "0750655E — Lycée Louis-le-Grand, Paris");
    let listed = s.find_all("#add-uai-list [role=option]").await.len();
    assert_eq!(listed, 2);
    s.shot("suggestions-par-nom").await;
    // Submitted without choosing: the name is resolved, never « doit comporter 7 chiffres ».
    s.click("#add-submit").await;
    s.wait_text("#account-title", |t| t == "nouvelle@ac-paris.fr")
        .await;
    let memberships = s.text_of("#memberships-table").await;
    assert!(memberships.contains("0750655E"), "{memberships}");

    // An address already in the base: open it, or attach it to the other school.
    s.go("#/recherche").await;
    s.wait_for("#open-add").await;
    s.click("#open-add").await;
    s.wait_js("return document.activeElement && document.activeElement.id === 'add-email'")
        .await;
    s.type_in("#add-email", "prof@ac-paris.fr").await;
    s.type_in("#add-uai", "0301674G").await;
    s.click("#add-submit").await;
    let exists = s.wait_text("#add-exists", |t| !t.is_empty()).await;
    assert!(
        exists.contains("L’adresse prof@ac-paris.fr existe déjà"),
        "{exists}"
    );
    let offer = s.text_of("#add-attach").await;
    assert_eq!(offer, "Rattacher à 0301674G");
    s.shot("adresse-existante").await;
    s.click("#add-attach").await;
    s.wait_text("#account-title", |t| t == "prof@ac-paris.fr")
        .await;
    let memberships = s
        .wait_text("#memberships-table", |t| t.contains("0301674G"))
        .await;
    assert!(memberships.contains("0750655E"), "{memberships}");
    let detail = accounts::account(&store, &Email::parse("prof@ac-paris.fr").unwrap())
        .await
        .unwrap();
    assert_eq!(detail.memberships.len(), 2);

    // A mistyped address corrected from its page.
    s.click("#open-edit").await;
    s.wait_for("#edit-email").await;
    s.clear("#edit-email").await;
    s.type_in("#edit-email", "paul.prof@ac-paris.fr").await;
    s.shot("correction").await;
    s.click("#edit-submit").await;
    s.wait_text("#account-title", |t| t == "paul.prof@ac-paris.fr")
        .await;
    assert!(
        accounts::account(&store, &Email::parse("prof@ac-paris.fr").unwrap())
            .await
            .is_err()
    );
    let corrected = accounts::account(&store, &Email::parse("paul.prof@ac-paris.fr").unwrap())
        .await
        .unwrap();
    assert_eq!(corrected.memberships.len(), 2);
    let audited = support::count(
        &store,
        "SELECT COUNT(*) FROM audit_log WHERE action = 'account.edit' AND agent = 'agent.e2e'",
    )
    .await;
    assert_eq!(audited, 1);

    // A link leaves; asking for another within its hour is warned about first.
    s.click("#send-link").await;
    s.wait_text("#links-table tbody tr[data-state='sent']", |t| {
        !t.is_empty()
    })
    .await;
    s.click("#send-link").await;
    let warning = s.wait_text("#modal-confirm-text", |t| !t.is_empty()).await;
    assert!(
        warning.starts_with("Un lien valable jusqu’à ")
            && warning.contains("en envoyer un nouveau annule le premier"),
        "{warning}"
    );
    s.shot("second-lien-averti").await;
    // Échap cancels: still one link.
    s.keys("\u{E00C}").await;
    s.wait_js("return !document.querySelector('#modal-confirm').open")
        .await;
    let links = support::count(&store, "SELECT COUNT(*) FROM link_requests").await;
    assert_eq!(links, 1);

    // The journal filtered by the second school's UAI finds what was done to the
    // address attached to it, and nothing of the first school's other address.
    s.go("#/journal").await;
    s.wait_for("#journal-target").await;
    s.type_in("#journal-target", "0301674G").await;
    s.type_in("#journal-target", "\u{E007}").await;
    let journal = s
        .wait_text("#journal-results", |t| {
            t.contains("adresse rattachée") && !t.contains("nouvelle@ac-paris.fr")
        })
        .await;
    assert!(journal.contains("paul.prof@ac-paris.fr"), "{journal}");
    assert!(journal.contains("lien demandé"), "{journal}");
    s.shot("journal-par-uai").await;
    s.end().await;
}
