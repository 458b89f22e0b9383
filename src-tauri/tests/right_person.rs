//! The right person every time: a whole address typed while an academy filter is
//! set finds that account alone, and Entrée opens it; a whole address that is also
//! part of a longer one is listed first and opened; a piece of address matching
//! several accounts, none of them exactly, opens nothing.

mod support;

use serde_json::json;
use siec_accounts::domain::Uai;
use support::{AppEnv, Driver, Session};

const ENTER: &str = "\u{E007}";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fenêtre réelle sous Xvfb : lancer scripts/e2e"]
async fn address_with_filter_and_exact_match_open_the_right_account() {
    let _one = support::exclusive().await;
    let env = AppEnv::new("bonne-personne");
    let store = support::open_store(&env.sqlite_url()).await;
    let strasbourg = Uai::from_digits(670001).to_string();
    let lyon = Uai::from_digits(690001).to_string();
    support::add_establishment(
        &store,
        &strasbourg,
        "Lycée Kléber",
        "Strasbourg",
        "Strasbourg",
    )
    .await;
    support::add_establishment(&store, &lyon, "Lycée du Parc", "Lyon", "Lyon").await;
    // Strangers in the filtered academy, sorted before the caller's address.
    for i in 0..30 {
        support::add_account(
            &store,
            &format!("agathe.arnaud{i}@ac-strasbourg.fr"),
            &strasbourg,
            false,
            "",
        )
        .await;
    }
    support::add_account(
        &store,
        "amelie.dupont1639@ac-strasbourg.fr",
        &strasbourg,
        false,
        "Amélie Dupont",
    )
    .await;
    support::add_account(&store, "ax.martin@ac-lyon.fr", &lyon, false, "").await;
    support::add_account(&store, "x.martin@ac-lyon.fr", &lyon, false, "Xavier Martin").await;

    let driver = Driver::start(&env);
    let mut s = Session::start(&driver, "bonne-personne").await;
    s.go("#/recherche").await;
    s.type_in("#filter-academy", "Strasbourg").await;
    s.wait_text("#results-count", |t| t == "31 adresses").await;
    s.type_in("#search-text", "amelie.dupont1639@ac-strasbourg.fr")
        .await;
    s.wait_text("#results-count", |t| t == "1 adresse").await;
    s.shot("adresse-et-filtre").await;
    s.type_in("#search-text", ENTER).await;
    s.wait_text("#account-title", |t| {
        t == "amelie.dupont1639@ac-strasbourg.fr"
    })
    .await;

    // The whole address first, although « ax.martin » sorts before it.
    s.go("#/recherche").await;
    s.clear("#filter-academy").await;
    s.type_in("#filter-academy", " ").await;
    s.clear("#search-text").await;
    s.type_in("#search-text", "x.martin@ac-lyon.fr").await;
    s.wait_text("#results-count", |t| t == "2 adresses").await;
    let first = s
        .wait_js("const r = document.querySelector('#results .siec-vlist__row[data-index=\"0\"]'); return r && r.textContent")
        .await;
    assert!(
        first.as_str().unwrap().starts_with("x.martin@ac-lyon.fr"),
        "{first}"
    );
    s.shot("correspondance-exacte-en-tete").await;
    s.type_in("#search-text", ENTER).await;
    s.wait_text("#account-title", |t| t == "x.martin@ac-lyon.fr")
        .await;

    // Two rows, neither exactly what was typed: Entrée opens nothing and says why.
    s.go("#/recherche").await;
    s.clear("#search-text").await;
    s.type_in("#search-text", "martin@ac-lyon").await;
    s.wait_text("#results-count", |t| t == "2 adresses").await;
    s.type_in("#search-text", ENTER).await;
    let hint = s.wait_text("#enter-hint", |t| !t.is_empty()).await;
    assert!(hint.contains("Aucun résultat n’est exactement"), "{hint}");
    let view = s
        .exec(
            "return document.querySelector('#view > div').dataset.view",
            vec![],
        )
        .await;
    assert_eq!(view, json!("recherche"));
    s.shot("plusieurs-sans-exact").await;
    s.end().await;
}
