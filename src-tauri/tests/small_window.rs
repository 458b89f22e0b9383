//! At the app's minimum window (960×600) the header collapses to the DSFR's
//! « Menu » button, the menu opens with the screens and « Affichage », and the
//! search screen fits the width without scrolling sideways.

mod support;

use serde_json::json;
use support::{AppEnv, Driver, Session};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fenêtre réelle sous Xvfb : lancer scripts/e2e"]
async fn minimum_window_collapses_the_header_to_the_menu_button() {
    let _one = support::exclusive().await;
    let env = AppEnv::new("petite-fenetre");
    let driver = Driver::start(&env);
    let mut s = Session::start(&driver, "petite-fenetre").await;
    s.set_window_size(960, 600).await;
    s.wait_js("return window.innerWidth <= 960").await;
    s.go("#/recherche").await;
    s.wait_for("#search-text").await;
    let visible = |css: &str| {
        format!("const e = document.querySelector('{css}'); return !!e && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden'")
    };
    assert_eq!(s.exec(&visible("#button-menu"), vec![]).await, json!(true));
    assert_eq!(
        s.exec(&visible("#menu-principal"), vec![]).await,
        json!(false)
    );
    let overflow = s
        .exec(
            "return document.documentElement.scrollWidth - window.innerWidth",
            vec![],
        )
        .await;
    assert!(overflow.as_i64().unwrap() <= 0, "{overflow}");
    s.shot("960x600-menu-ferme").await;

    // The DSFR's menu button shows an icon and hides its text, which WebKit's
    // WebDriver then counts as not displayed: pressed through the page instead.
    s.exec("document.querySelector('#button-menu').click()", vec![])
        .await;
    s.wait_js(&visible("#menu-principal")).await;
    assert_eq!(s.exec(&visible("#menu-theme"), vec![]).await, json!(true));
    s.shot("960x600-menu-ouvert").await;
    // A screen chosen in the menu closes it.
    s.click("#menu-principal a[data-nav='journal']").await;
    s.wait_text("h1", |t| t == "Journal").await;
    assert_eq!(
        s.exec(&visible("#menu-principal"), vec![]).await,
        json!(false)
    );
    s.end().await;
}
