//! « Affichage »: the DSFR's display settings, on the app's own dialog code. The
//! agent's theme applies at once, the dialog closes with Échap, and the choice is
//! still there at the next start.

mod support;

use serde_json::json;
use support::{AppEnv, Driver, Session};

const THEME: &str = "return document.documentElement.dataset.frTheme || ''";
const OPEN: &str = "return document.querySelector('#fr-theme-modal').open";
const BACKGROUND: &str = "return getComputedStyle(document.body).backgroundColor";

/// The DSFR draws its own radio buttons: the inputs are there but not displayed.
fn checked(scheme: &str) -> String {
    format!("return document.querySelector('#fr-radios-theme-{scheme}').checked")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fenêtre réelle sous Xvfb : lancer scripts/e2e"]
async fn the_dark_theme_applies_at_once_and_is_kept_at_the_next_start() {
    let _one = support::exclusive().await;
    let env = AppEnv::new("affichage");
    let driver = Driver::start(&env);
    let mut s = Session::start(&driver, "affichage").await;

    assert_eq!(s.exec(THEME, vec![]).await, json!("light"));
    let light_background = s.exec(BACKGROUND, vec![]).await;
    assert_eq!(s.exec(OPEN, vec![]).await, json!(false));

    s.click("button[aria-controls='fr-theme-modal']").await;
    s.wait_js(OPEN).await;
    assert_eq!(s.exec(&checked("system"), vec![]).await, json!(true));

    s.click("label[for='fr-radios-theme-dark']").await;
    s.wait_js("return document.documentElement.dataset.frTheme === 'dark'")
        .await;
    let dark_background = s.exec(BACKGROUND, vec![]).await;
    assert_ne!(
        dark_background, light_background,
        "le fond de la page n'a pas changé"
    );
    s.shot("theme-sombre").await;

    // Échap closes the dialog, and the page behind is usable again.
    s.keys("\u{E00C}").await;
    s.wait_js("return !document.querySelector('#fr-theme-modal').open")
        .await;
    let class = s
        .exec(
            "return document.querySelector('#fr-theme-modal').className",
            vec![],
        )
        .await;
    assert!(
        !class.as_str().unwrap().contains("fr-modal--opened"),
        "{class}"
    );
    s.click("a[data-nav='recherche']").await;
    s.wait_for("#search-text").await;
    s.end().await;
    drop(driver);

    let driver = Driver::start(&env);
    let mut s = Session::start(&driver, "affichage-relance").await;
    assert_eq!(s.exec(THEME, vec![]).await, json!("dark"));
    assert_eq!(s.exec(BACKGROUND, vec![]).await, dark_background);
    s.click("button[aria-controls='fr-theme-modal']").await;
    s.wait_js(OPEN).await;
    assert_eq!(s.exec(&checked("dark"), vec![]).await, json!(true));
    assert_eq!(s.exec(&checked("system"), vec![]).await, json!(false));
    s.shot("theme-garde").await;
    s.end().await;
}
