//! The window signed in on the central database as a real `siec_agent` login: the
//! agent sends a link from the account page; the desk runs no worker and the page
//! says that no mail service is seen; the mail service (a `siec_mailer` login)
//! mints and delivers it; it is redeemed; the desk's folder never held the token.

mod support;

use std::time::Duration;

use secrecy::SecretString;
use siec_accounts::links;
use siec_accounts::mail::{MailTemplate, SmtpConfig, Transport, TransportConfig};
use siec_accounts::outbox::{CancelToken, Worker, WorkerConfig};
use siec_accounts::store::{Store, StoreOptions};
use support::{AppEnv, Driver, Session, SmtpServer};

const PG: &str = "postgres://postgres@127.0.0.1:5432/postgres";

fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

async fn connect(url: &str) -> Store {
    Store::connect(url, StoreOptions::default()).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fenêtre réelle sous Xvfb : lancer scripts/e2e"]
async fn an_agents_window_requests_and_the_mail_service_delivers() {
    let _one = support::exclusive().await;
    let id = uuid::Uuid::new_v4().simple().to_string();
    let db = format!("siec_e2e_{id}");
    let (agent, mailer) = (
        format!("agent.e{}", &id[..10]),
        format!("mailer.e{}", &id[..10]),
    );
    let root = connect(PG).await;
    sqlx::query(&format!("CREATE DATABASE {db}"))
        .execute(root.pool())
        .await
        .unwrap();
    for (login, group) in [(&agent, "siec_agent"), (&mailer, "siec_mailer")] {
        sqlx::query(&format!("CREATE ROLE \"{login}\" LOGIN IN ROLE {group}"))
            .execute(root.pool())
            .await
            .unwrap();
    }
    let url_of = |login: &str| format!("postgres://{login}@127.0.0.1:5432/{db}");
    let su = connect(&url_of("postgres")).await;
    su.migrate().await.unwrap();
    for sql in [
        "INSERT INTO establishments (uai, name, search_text, created_at, updated_at) VALUES ('0750655E', 'Lycée Louis-le-Grand', 'lycee louis le grand', 0, 0)",
        "INSERT INTO accounts (email, email_key, created_at, updated_at) VALUES ('Ines.Martin@ac-paris.fr', 'ines.martin@ac-paris.fr', 0, 0)",
        "INSERT INTO memberships (account_id, establishment_id, role, created_at) SELECT a.id, e.id, 'member', 0 FROM accounts a, establishments e",
    ] {
        sqlx::query(sql).execute(su.pool()).await.unwrap();
    }

    let mut env = AppEnv::new("agent-desk");
    let smtp = SmtpServer::start("agent-desk");
    smtp.configure(&mut env);
    let driver = Driver::start(&env);
    let mut s = Session::start(&driver, "agent-desk").await;
    s.go("#/connexion").await;
    s.wait_for("#connect-submit").await;
    // DSFR draws its own radio over the hidden input: click it from the page.
    s.exec("document.querySelector('#db-postgres').click()", vec![])
        .await;
    for (field, value) in [
        ("#pg-host", "127.0.0.1"),
        ("#pg-port", "5432"),
        ("#pg-name", db.as_str()),
        ("#pg-login", agent.as_str()),
        ("#pg-password", "inutile-en-confiance"),
    ] {
        s.clear(field).await;
        s.type_in(field, value).await;
    }
    s.click("#connect-submit").await;
    // Connected, the window goes to the dashboard.
    s.wait_for("#stat-pending").await;
    s.shot("connecte-agent").await;

    s.go("#/compte/Ines.Martin@ac-paris.fr").await;
    s.wait_for("#send-link").await;
    s.click("#send-link").await;
    s.wait_text("#alerts", |t| {
        t.contains("a été demandé pour Ines.Martin@ac-paris.fr")
    })
    .await;
    s.shot("lien-demande-agent").await;
    // No worker on the desk: nothing leaves until the mail service runs.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(smtp.count(), 0, "the desk delivered by itself");
    let (requested_by,): (String,) = sqlx::query_as("SELECT requested_by FROM link_requests")
        .fetch_one(su.pool())
        .await
        .unwrap();
    assert_eq!(requested_by, agent);

    // The mail service, as its own login.
    let service = connect(&url_of(&mailer)).await;
    let worker = Worker::new(
        service.clone(),
        Transport::new(&TransportConfig::Smtp(SmtpConfig {
            host: "127.0.0.1".into(),
            port: smtp.port,
            tls: siec_accounts::config::SmtpTls::None,
            user: None,
            password: None,
            timeout: Duration::from_secs(10),
            pool_size: 1,
        }))
        .unwrap(),
        MailTemplate::new(
            siec_accounts::config::DEFAULT_SENDER,
            siec_accounts::config::DEFAULT_PORTAL_URL,
        )
        .unwrap(),
        WorkerConfig::default(),
    );
    let report = worker
        .deliver_due(&CancelToken::new(), &|_| {})
        .await
        .unwrap();
    assert_eq!(report.sent, 1);
    let mails = smtp.messages();
    assert_eq!(mails.len(), 1);
    let token = mails[0].token();
    links::redeem(
        &su,
        &token,
        SecretString::from("Examens-2026@Siec"),
        SecretString::from("Examens-2026@Siec"),
    )
    .await
    .unwrap();

    // Nowhere on the desk: its configuration, data folder and logs.
    for f in files_under(&env.dir) {
        if let Ok(bytes) = std::fs::read(&f) {
            assert!(
                !String::from_utf8_lossy(&bytes).contains(&token),
                "token in {}",
                f.display()
            );
        }
    }
    s.end().await;
    service.close().await;
    su.close().await;
    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
        .execute(root.pool())
        .await;
    for login in [&agent, &mailer] {
        let _ = sqlx::query(&format!("DROP ROLE IF EXISTS \"{login}\""))
            .execute(root.pool())
            .await;
    }
    root.close().await;
}
