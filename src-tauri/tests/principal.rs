//! Issue 6, test 2: transferring the principal role asks for a confirmation naming
//! the old and the new principal; the establishment page then shows the new one,
//! and offers to send a new principal without password its initialisation link.

mod support;

use siec_accounts::accounts;
use siec_accounts::domain::{Role, Uai};
use support::{AppEnv, Driver, Session};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fenêtre réelle sous Xvfb : lancer scripts/e2e"]
async fn principal_transfer_with_confirmation() {
    let _one = support::exclusive().await;
    let env = AppEnv::new("principal");
    let store = support::open_store(&env.sqlite_url()).await;
    support::add_establishment(&store, "0750655E", "Lycée Louis-le-Grand", "Paris", "Paris").await;
    support::add_account(
        &store,
        "proviseur@ac-paris.fr",
        "0750655E",
        true,
        "Proviseur",
    )
    .await;
    support::add_account(
        &store,
        "Claire.Martin@ac-paris.fr",
        "0750655E",
        false,
        "Claire Martin",
    )
    .await;

    let driver = Driver::start(&env);
    let mut s = Session::start(&driver, "principal").await;
    s.go("#/etablissement/0750655E").await;
    assert_eq!(s.text_of("#principal-email").await, "proviseur@ac-paris.fr");
    s.shot("avant").await;

    // First time: the agent reads the confirmation and cancels; nothing changes.
    s.click("tr[data-email='Claire.Martin@ac-paris.fr'] button[data-action='make-principal']")
        .await;
    let text = s.wait_text("#modal-confirm-text", |t| !t.is_empty()).await;
    assert!(
        text.contains("Claire.Martin@ac-paris.fr") && text.contains("proviseur@ac-paris.fr"),
        "{text}"
    );
    s.shot("confirmation").await;
    s.click("#modal-confirm .fr-modal__footer button.fr-btn--secondary")
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let uai = Uai::parse("0750655E").unwrap();
    let detail = accounts::establishment(&store, &uai).await.unwrap();
    assert_eq!(detail.members[0].email, "proviseur@ac-paris.fr");
    assert_eq!(detail.members[0].role, Role::Principal);

    // Second time: confirmed.
    s.click("tr[data-email='Claire.Martin@ac-paris.fr'] button[data-action='make-principal']")
        .await;
    s.wait_text("#modal-confirm-text", |t| t.contains("Claire.Martin"))
        .await;
    s.click("#modal-confirm-ok").await;
    s.wait_text("#principal-email", |t| t == "Claire.Martin@ac-paris.fr")
        .await;
    let alert = s.text_of("#alerts").await;
    assert!(alert.contains("Claire.Martin@ac-paris.fr est maintenant le compte principal (à la place de proviseur@ac-paris.fr)"), "{alert}");
    let old_row_role = s
        .text_of("tr[data-email='proviseur@ac-paris.fr'] td:nth-child(3)")
        .await;
    assert_eq!(old_row_role, "membre");
    // The new principal has never set a password and has no link on its way: the
    // window offers to send it its initialisation link. Échap declines.
    let offer = s
        .wait_text("#modal-confirm-text", |t| {
            t.contains("lien d’initialisation")
        })
        .await;
    assert!(
        offer.starts_with("Claire.Martin@ac-paris.fr n’a pas encore de mot de passe"),
        "{offer}"
    );
    s.shot("offre-lien-initialisation").await;
    s.keys("\u{E00C}").await;
    s.wait_js("return !document.querySelector('#modal-confirm').open")
        .await;
    assert_eq!(
        support::count(&store, "SELECT COUNT(*) FROM link_requests").await,
        0
    );
    s.shot("apres").await;

    let detail = accounts::establishment(&store, &uai).await.unwrap();
    let roles: Vec<_> = detail
        .members
        .iter()
        .map(|m| (m.email.as_str(), m.role))
        .collect();
    assert_eq!(
        roles,
        vec![
            ("Claire.Martin@ac-paris.fr", Role::Principal),
            ("proviseur@ac-paris.fr", Role::Member)
        ]
    );
    // The audit names the agent of the app's configuration.
    s.go("#/journal").await;
    let journal = s
        .wait_text("#journal-results", |t| {
            t.contains("compte principal désigné")
        })
        .await;
    assert!(journal.contains("agent.e2e"), "{journal}");
    // Fields in French, values as the other screens show them.
    for shown in [
        "compte principal : proviseur@ac-paris.fr",
        "compte principal : Claire.Martin@ac-paris.fr",
        "nom affiché : Claire Martin",
        "rôle : membre",
        "académie : Paris",
    ] {
        assert!(journal.contains(shown), "« {shown} » absent : {journal}");
    }
    for raw in ["display_name", "created_at", "version", "academy"] {
        assert!(!journal.contains(raw), "« {raw} » affiché : {journal}");
    }
    s.shot("journal").await;
    s.end().await;
}
