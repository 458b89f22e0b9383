//! Issue 6, test 4: a wrong UAI key and a malformed address show the core's French
//! messages inline in « Ajouter une adresse », and nothing is written.

mod support;

use support::{AppEnv, Driver, Session};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fenêtre réelle sous Xvfb : lancer scripts/e2e"]
async fn wrong_uai_key_and_malformed_address_are_refused_inline() {
    let _one = support::exclusive().await;
    let env = AppEnv::new("saisie");
    let store = support::open_store(&env.sqlite_url()).await;
    support::add_establishment(&store, "0750655E", "Lycée Louis-le-Grand", "Paris", "Paris").await;
    let audit_before = support::count(&store, "SELECT COUNT(*) FROM audit_log").await;

    let driver = Driver::start(&env);
    let mut s = Session::start(&driver, "saisie").await;
    s.go("#/recherche").await;
    s.click("#open-add").await;
    s.find("#add-email").await;
    s.type_in("#add-email", "jean.dupont@@ac-paris").await;
    s.type_in("#add-uai", "0750655F").await;
    s.click("#add-submit").await;

    let email_msg = s.wait_text("#add-email-error", |t| !t.is_empty()).await;
    assert_eq!(
        email_msg,
        "L'adresse e-mail « jean.dupont@@ac-paris » doit contenir un seul « @ »."
    );
    let uai_msg = s.wait_text("#add-uai-error", |t| !t.is_empty()).await;
    assert_eq!(uai_msg, "La clé du code UAI « 0750655F » est incorrecte : pour 0750655, la lettre clé attendue est « E ».");
    for group in ["#add-email-group", "#add-uai-group"] {
        let el = s.find(group).await;
        let class = s.prop(&el, "className").await;
        assert!(
            class.as_str().unwrap().contains("fr-input-group--error"),
            "{group}: {class}"
        );
    }
    s.shot("deux-erreurs").await;

    // Fix the address only: the UAI message stays, still nothing written.
    s.clear("#add-email").await;
    s.type_in("#add-email", "jean.dupont@ac-paris.fr").await;
    s.click("#add-submit").await;
    s.wait_text("#add-email-error", |t| t.is_empty()).await;
    s.wait_text("#add-uai-error", |t| t.contains("« E »")).await;
    s.shot("uai-seule").await;

    assert_eq!(
        support::count(&store, "SELECT COUNT(*) FROM accounts").await,
        0
    );
    assert_eq!(
        support::count(&store, "SELECT COUNT(*) FROM memberships").await,
        0
    );
    assert_eq!(
        support::count(&store, "SELECT COUNT(*) FROM audit_log").await,
        audit_before
    );

    // With the right key the same dialog adds the address and opens its page.
    s.clear("#add-uai").await;
    s.type_in("#add-uai", "0750655E").await;
    s.click("#add-submit").await;
    s.wait_text("#account-title", |t| t == "jean.dupont@ac-paris.fr")
        .await;
    assert_eq!(
        support::count(&store, "SELECT COUNT(*) FROM accounts").await,
        1
    );
    s.shot("ajoutee").await;
    s.end().await;
}
