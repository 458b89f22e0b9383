//! Issue 2's smoke test: the app starts under Xvfb, shows its DSFR window, and a
//! command reaches the core (a wrong UAI key gets the core's French message).

mod support;

use support::{AppEnv, Driver, Session};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fenêtre réelle sous Xvfb : lancer scripts/e2e"]
async fn window_opens_and_checks_a_uai_through_the_core() {
    let _one = support::exclusive().await;
    let env = AppEnv::new("smoke");
    let driver = Driver::start(&env);
    let mut s = Session::start(&driver, "smoke").await;

    assert_eq!(s.title().await, "Comptes SIEC");
    let service = s.text_of(".fr-header__service-title").await;
    assert_eq!(service, "Comptes SIEC");
    // French whatever the machine's locale (date fields read jj/mm/aaaa).
    assert_eq!(
        s.exec("return navigator.language", vec![]).await,
        serde_json::json!("fr-FR")
    );

    s.type_in("#uai-check-input", "0750655F").await;
    s.click("#uai-check-submit").await;
    let msg = s.wait_text("#uai-check-message", |t| !t.is_empty()).await;
    assert!(
        msg.contains("incorrecte") && msg.contains("« E »"),
        "message : {msg}"
    );
    let group = s.find("#uai-check-group").await;
    let class = s.prop(&group, "className").await;
    assert!(
        class.as_str().unwrap().contains("fr-input-group--error"),
        "{class}"
    );
    s.shot("uai-cle-fausse").await;

    s.clear("#uai-check-input").await;
    s.type_in("#uai-check-input", "0301674g").await;
    s.click("#uai-check-submit").await;
    let msg = s
        .wait_text("#uai-check-message", |t| t.contains("correct."))
        .await;
    assert_eq!(msg, "Le code 0301674G est correct.");
    s.shot("uai-correct").await;
    s.end().await;
}
