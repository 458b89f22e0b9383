//! Signing in as an agent against a server that checks passwords: the right
//! password works, a wrong password and an unknown login get the same clear French
//! answer, a disabled login is told so. And TLS: `sslmode=verify-full` is honoured.

#[path = "agents_common/mod.rs"]
mod agents_common;
mod common;

use agents_common::ScramCluster;
use secrecy::SecretString;
use siec_accounts::agents::{self, AgentLogin, NewAgent, SignIn};
use siec_accounts::ErrorKind;

fn request(url: &str, login: &str, password: &str) -> SignIn {
    SignIn {
        url: url.to_string(),
        login: Some(login.to_string()),
        password: Some(SecretString::from(password.to_string())),
        ca_file: None,
    }
}

#[tokio::test]
async fn passwords_are_checked_and_answers_are_clear() {
    let cluster = ScramCluster::start();
    let (db, owner) = cluster.database().await;
    let url = cluster.url("postgres", &db);
    let login = AgentLogin::parse("jeanne.martin").unwrap();
    let password = SecretString::from("Examens-2026@SIEC-agent".to_string());
    agents::create_agent(
        &owner,
        &NewAgent {
            login: login.clone(),
            name: "Jeanne Martin".into(),
            admin: false,
        },
        &password,
    )
    .await
    .unwrap();

    // The verifier computed on the desk is the one the server checks.
    let store = agents::sign_in(&request(&url, "jeanne.martin", "Examens-2026@SIEC-agent"))
        .await
        .unwrap();
    assert_eq!(store.agent(), "jeanne.martin");
    store.close().await;

    let wrong = agents::sign_in(&request(&url, "jeanne.martin", "Examens-2026@SIEC-agenT"))
        .await
        .unwrap_err();
    let unknown = agents::sign_in(&request(
        &url,
        "personne.inconnue",
        "Examens-2026@SIEC-agent",
    ))
    .await
    .unwrap_err();
    assert_eq!(wrong.kind(), ErrorKind::Forbidden);
    assert_eq!(
        wrong.to_string(),
        "Identifiant ou mot de passe de la base de données incorrect."
    );
    // Same words for an unknown login: the server does not say which logins exist.
    assert_eq!(unknown.to_string(), wrong.to_string());
    assert!(!wrong.to_string().contains("SIEC-agen"));

    let missing = agents::sign_in(&SignIn {
        password: None,
        ..request(&url, "jeanne.martin", "")
    })
    .await
    .unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::Forbidden, "{missing}");

    // Disabled by an administrator: told so, with the right password.
    agents::disable_agent(&owner, &login).await.unwrap();
    let disabled = agents::sign_in(&request(&url, "jeanne.martin", "Examens-2026@SIEC-agent"))
        .await
        .unwrap_err();
    assert!(disabled.to_string().contains("désactivé"), "{disabled}");

    // The clear password never reached the server: only its SCRAM verifier did.
    let log = cluster.server_log();
    assert!(!log.contains("Examens-2026@SIEC-agent"), "{log}");
    let (stored,): (String,) =
        sqlx::query_as("SELECT rolpassword FROM pg_authid WHERE rolname = 'jeanne.martin'")
            .fetch_one(owner.pool())
            .await
            .unwrap();
    assert!(stored.starts_with("SCRAM-SHA-256$4096:"), "{stored}");
    owner.close().await;
}

#[tokio::test]
async fn tls_is_required_when_the_url_asks_for_it() {
    // The shared test server offers TLS with a self-signed certificate that no
    // authority vouches for: `require` encrypts, `verify-full` must refuse it.
    let base = url::Url::parse(&common::pg_admin_url()).unwrap();
    let with_mode = |mode: &str| {
        let mut u = base.clone();
        u.query_pairs_mut().append_pair("sslmode", mode);
        u.to_string()
    };
    let sign = |url: String, ca: Option<String>| SignIn {
        url,
        login: None,
        password: None,
        ca_file: ca,
    };

    let plain = siec_accounts::store::Store::connect(&common::pg_admin_url(), Default::default())
        .await
        .unwrap();
    let (tls_on,): (String,) = sqlx::query_as("SELECT current_setting('ssl')")
        .fetch_one(plain.pool())
        .await
        .unwrap();
    plain.close().await;

    let verify = agents::sign_in(&sign(with_mode("verify-full"), None)).await;
    let err = verify.expect_err("verify-full cannot succeed without a trusted certificate");
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(
        err.to_string()
            .contains("La connexion chiffrée (TLS) à la base de données a échoué"),
        "{err}"
    );

    let missing_ca = agents::sign_in(&sign(
        with_mode("verify-full"),
        Some("/nonexistent/ca.pem".into()),
    ))
    .await
    .unwrap_err();
    assert_eq!(missing_ca.kind(), ErrorKind::Invalid);
    assert!(
        missing_ca.to_string().contains("introuvable"),
        "{missing_ca}"
    );

    if tls_on == "on" {
        // `require` encrypts without checking who answers; the server confirms TLS.
        let store = agents::sign_in(&sign(with_mode("require"), None))
            .await
            .unwrap();
        let (ssl,): (bool,) =
            sqlx::query_as("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
                .fetch_one(store.pool())
                .await
                .unwrap();
        assert!(ssl);
        store.close().await;
    }
}
