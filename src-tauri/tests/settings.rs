//! Paramètres: the agent points the app at the SMTP relay and sends the test
//! message, which arrives at the real SMTP server; a refused value is shown under
//! its field, by its label, and nothing is written; the saved values are read back
//! from the file at the next start.

mod support;

use std::time::Duration;

use support::{AppEnv, Driver, Session, SmtpServer};

const LIFETIME: &str = "#set-portal-link-lifetime-minutes";

async fn replace(s: &Session, css: &str, text: &str) {
    s.clear(css).await;
    s.type_in(css, text).await;
}

async fn value(s: &Session, css: &str) -> String {
    let v = s
        .exec(
            "return document.querySelector(arguments[0]).value",
            vec![serde_json::json!(css)],
        )
        .await;
    v.as_str().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fenêtre réelle sous Xvfb : lancer scripts/e2e"]
async fn the_relay_is_set_in_parametres_and_the_test_message_arrives() {
    let _one = support::exclusive().await;
    let env = AppEnv::new("parametres");
    let smtp = SmtpServer::start("parametres");
    let config = env.dir.join("comptes-siec.toml");
    let written = || std::fs::read_to_string(&config).unwrap_or_default();

    {
        let driver = Driver::start(&env);
        let mut s = Session::start(&driver, "parametres").await;
        s.go("#/parametres").await;
        s.wait_for("#settings-form").await;
        // The encryption is chosen from a list, STARTTLS by default.
        assert_eq!(value(&s, "#set-smtp-tls").await, "starttls");
        let choices = s
            .exec(
                "return [...document.querySelectorAll('#set-smtp-tls option')].map(o => o.value)",
                vec![],
            )
            .await;
        assert_eq!(choices, serde_json::json!(["starttls", "tls", "none"]));

        replace(&s, "#set-smtp-host", "127.0.0.1").await;
        replace(&s, "#set-smtp-port", &smtp.port.to_string()).await;
        s.click("#set-smtp-tls option[value='none']").await;
        assert_eq!(value(&s, "#set-smtp-tls").await, "none");

        // A lifetime of 0 minutes is refused under its field, and nothing is written.
        replace(&s, LIFETIME, "0").await;
        s.click("#settings-save").await;
        let msg = s
            .wait_text("#set-portal-link-lifetime-minutes-error", |t| !t.is_empty())
            .await;
        assert_eq!(
            msg,
            "Durée de validité des liens (minutes) : « 0 » doit être un nombre entier positif (saisie dans Paramètres)."
        );
        let alert = s.text_of("#alerts").await;
        assert!(
            alert.contains(
                "Paramètres non enregistrés : corrigez « Durée de validité des liens (minutes) »."
            ),
            "{alert}"
        );
        assert!(!written().contains("127.0.0.1"), "{}", written());
        s.shot("valeur-refusee").await;

        // Corrected, everything is saved at once and the error goes.
        replace(&s, LIFETIME, "90").await;
        s.click("#settings-save").await;
        s.wait_text("#alerts", |t| t.contains("Paramètres enregistrés"))
            .await;
        assert!(s
            .try_find("#set-portal-link-lifetime-minutes-error")
            .await
            .is_none());
        // Each changed field now says where its value comes from.
        let hint = s.text_of("label[for='set-smtp-host'] .fr-hint-text").await;
        assert!(hint.ends_with("(modifié ici)"), "{hint}");
        let hint = s
            .text_of("label[for='set-mail-sender'] .fr-hint-text")
            .await;
        assert_eq!(hint, "(valeur par défaut)");
        let file = written();
        for line in [
            "host = \"127.0.0.1\"",
            &format!("port = \"{}\"", smtp.port),
            "tls = \"none\"",
            "link_lifetime_minutes = \"90\"",
        ] {
            assert!(file.contains(line), "{line} absent de :\n{file}");
        }

        // The test message goes through the relay just set.
        s.type_in("#test-mail-to", "agent.essai@ac-test.fr").await;
        s.click("#test-mail-form button[type='submit']").await;
        let done = s.wait_text("#test-mail-result", |t| !t.is_empty()).await;
        assert_eq!(
            done,
            format!(
                "Message d'essai remis au relais 127.0.0.1:{} pour agent.essai@ac-test.fr.",
                smtp.port
            )
        );
        let mails = smtp.wait_for(1, Duration::from_secs(30)).await;
        assert_eq!(mails.len(), 1);
        assert!(
            mails[0].to.contains("agent.essai@ac-test.fr"),
            "{}",
            mails[0].to
        );
        assert_eq!(mails[0].subject, "Comptes SIEC - message d'essai");
        s.shot("message-essai").await;
        s.end().await;
    }

    // At the next start the screen shows what the file holds, and says so.
    let driver = Driver::start(&env);
    let mut s = Session::start(&driver, "parametres-relance").await;
    s.go("#/parametres").await;
    s.wait_for("#settings-form").await;
    assert_eq!(value(&s, "#set-smtp-host").await, "127.0.0.1");
    assert_eq!(value(&s, "#set-smtp-tls").await, "none");
    assert_eq!(value(&s, LIFETIME).await, "90");
    let hint = s.text_of("label[for='set-smtp-host'] .fr-hint-text").await;
    assert!(hint.ends_with("(fichier de configuration)"), "{hint}");
    s.shot("relance").await;
    s.end().await;
}
