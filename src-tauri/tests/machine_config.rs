//! The machine-wide configuration in the real window: a key the IT team locks is
//! shown greyed in Paramètres, says who fixed it, and cannot be changed — not by
//! the user's file, not by forcing the field; saving other settings never copies
//! the machine's values into the user's file. Then « À propos » names the build,
//! the database and both schema numbers.

mod support;

use support::{AppEnv, Driver, Session};

async fn value(s: &Session, css: &str) -> serde_json::Value {
    s.exec(
        "const e = document.querySelector(arguments[0]); return [e.value, e.disabled]",
        vec![serde_json::json!(css)],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fenêtre réelle sous Xvfb : lancer scripts/e2e"]
async fn a_locked_key_is_greyed_and_cannot_be_changed() {
    let _one = support::exclusive().await;
    let mut env = AppEnv::new("machine");
    let machine = env.dir.join("machine.toml");
    std::fs::write(
        &machine,
        "locked = [\"smtp.host\"]\n\n[smtp]\nhost = \"relais.siec.education.fr\"\n\n[portal]\nlink_lifetime_minutes = 30\n",
    )
    .unwrap();
    env.set("SIEC_MACHINE_CONFIG", machine.display().to_string());
    let user = env.dir.join("comptes-siec.toml");
    std::fs::write(&user, "[smtp]\nhost = \"mon-relais.example.fr\"\n").unwrap();
    let written = || std::fs::read_to_string(&user).unwrap_or_default();

    let driver = Driver::start(&env);
    let mut s = Session::start(&driver, "machine").await;
    s.go("#/parametres").await;
    s.wait_for("#settings-form").await;
    assert_eq!(
        value(&s, "#set-smtp-host").await,
        serde_json::json!(["relais.siec.education.fr", true])
    );
    let hint = s.text_of("label[for='set-smtp-host'] .fr-hint-text").await;
    assert!(
        hint.ends_with("(fixé par votre service informatique)"),
        "{hint}"
    );
    // Not locked: the machine's value is shown, and the agent may change it.
    assert_eq!(
        value(&s, "#set-portal-link-lifetime-minutes").await,
        serde_json::json!(["30", false])
    );
    let hint = s
        .text_of("label[for='set-portal-link-lifetime-minutes'] .fr-hint-text")
        .await;
    assert!(hint.ends_with("(fichier de la machine)"), "{hint}");
    s.shot("cle-verrouillee").await;

    // Forcing the field open changes nothing: the core refuses the save.
    s.exec(
        "const e = document.querySelector('#set-smtp-host'); e.disabled = false; e.value = 'autre.example.fr';",
        vec![],
    )
    .await;
    s.click("#settings-save").await;
    let msg = s.wait_text("#set-smtp-host-error", |t| !t.is_empty()).await;
    assert!(
        msg.starts_with("Relais SMTP : fixé par votre service informatique (fichier de la machine"),
        "{msg}"
    );
    assert!(!written().contains("autre.example.fr"), "{}", written());
    s.shot("modification-refusee").await;

    // Another setting saves; the user's file gets it and never the machine's values.
    s.go("#/tableau-de-bord").await;
    s.go("#/parametres").await;
    s.wait_for("#settings-form").await;
    s.clear("#set-portal-link-lifetime-minutes").await;
    s.type_in("#set-portal-link-lifetime-minutes", "90").await;
    s.click("#settings-save").await;
    s.wait_text("#alerts", |t| t.contains("Paramètres enregistrés"))
        .await;
    let file = written();
    assert!(file.contains("link_lifetime_minutes = \"90\""), "{file}");
    assert!(!file.contains("relais.siec.education.fr"), "{file}");
    assert_eq!(
        value(&s, "#set-smtp-host").await,
        serde_json::json!(["relais.siec.education.fr", true])
    );

    // À propos.
    s.go("#/a-propos").await;
    s.wait_for("#about-table").await;
    assert_eq!(s.text_of("#about-version").await, env!("CARGO_PKG_VERSION"));
    let app_schema = s.text_of("#about-app-schema").await;
    let n: i64 = app_schema.parse().unwrap();
    assert!(n >= 7, "{app_schema}");
    assert_eq!(s.text_of("#about-db-schema").await, format!("{n} (à jour)"));
    assert_eq!(
        s.text_of("#about-backend").await,
        "SQLite (base locale intégrée)"
    );
    assert!(s
        .text_of("#about-location")
        .await
        .ends_with("comptes-siec.sqlite"));
    assert!(s.text_of("#about-licence").await.starts_with("EUPL-1.2"));
    let build = s.text_of("#about-build").await;
    assert!(
        build.starts_with("commit ") && !build.contains("inconnu"),
        "{build}"
    );
    s.shot("a-propos").await;
    s.end().await;
}
