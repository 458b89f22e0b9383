//! An agent's desk on the central database sends a link from end to end: the
//! command line signed in as a `siec_agent` login asks through the checked function,
//! `siec-accounts mailer` running as a `siec_mailer` login mints the token and
//! delivers to the test relay, the person redeems it. The desk never holds the
//! clear token: not in its data folder, nor in what it printed.

mod common;
#[path = "support/smtp.rs"]
mod smtp;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{Kind, TestDb};
use siec_accounts::links;
use siec_accounts::outbox;
use smtp::SmtpServer;

const GOOD: &str = "Examens-2026@Siec";

fn cli(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_siec-accounts"));
    c.args(args)
        .env("SIEC_CONFIG", dir.join("comptes-siec.toml"))
        .env("SIEC_DATA_DIR", dir.join("data"))
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
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

fn login_url(db: &TestDb, login: &str) -> String {
    let mut u = url::Url::parse(&db.su_url).unwrap();
    u.set_username(login).unwrap();
    u.to_string()
}

#[cfg(unix)]
fn private_file(path: &Path, content: &str, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, content).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[cfg(unix)]
#[tokio::test]
async fn an_agents_desk_sends_a_link_that_only_the_mail_service_mints() {
    let db = TestDb::new(Kind::Postgres).await;
    let server = SmtpServer::start();
    sqlx::query("INSERT INTO establishments (uai, name, search_text, created_at, updated_at) VALUES ('0750655E', 'Lycée', 'lycee', 0, 0)")
        .execute(db.su.pool())
        .await
        .unwrap();
    let root = std::env::temp_dir().join(format!("siec-desk-{}", uuid::Uuid::new_v4().simple()));
    let desk = root.join("desk");
    let service = root.join("service");
    std::fs::create_dir_all(&desk).unwrap();
    std::fs::create_dir_all(&service).unwrap();

    // The desk: an agent's login, adding the address then sending the link.
    let agent_url = login_url(&db, &db.logins.agent);
    let mut printed = String::new();
    for args in [
        vec![
            "account",
            "add",
            "Camille.Durand@ac-paris.fr",
            "--uai",
            "0750655E",
        ],
        vec!["link", "send", "Camille.Durand@ac-paris.fr"],
        vec!["link", "status", "Camille.Durand@ac-paris.fr"],
    ] {
        let mut all = args.clone();
        all.extend(["--database-url", agent_url.as_str()]);
        let out = cli(&desk, &all).output().unwrap();
        printed.push_str(&text(&out));
        assert!(out.status.success(), "{all:?}: {}", text(&out));
    }
    assert!(
        printed.contains("en file") || printed.contains("en attente"),
        "{printed}"
    );
    assert!(server.messages().is_empty(), "the desk sent nothing itself");

    // The mail service refuses a password file others may read.
    let loose = service.join("loose");
    private_file(&loose, "mot-de-passe\n", 0o644);
    let mailer_url = login_url(&db, &db.logins.mailer);
    let port = format!("smtp.port={}", server.port);
    let common_args: [&str; 8] = [
        "--database-url",
        mailer_url.as_str(),
        "--set",
        "smtp.host=127.0.0.1",
        "--set",
        port.as_str(),
        "--set",
        "smtp.tls=none",
    ];
    let mut args = vec!["mailer", "--password-file", loose.to_str().unwrap()];
    args.extend(common_args);
    let out = cli(&service, &args).output().unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out).contains("lisible par d'autres que son propriétaire"),
        "{}",
        text(&out)
    );

    // Then runs, as a siec_mailer login, until SIGTERM.
    let pw = service.join("db-password");
    private_file(&pw, "mot-de-passe\n", 0o600);
    let mut args = vec![
        "mailer",
        "--password-file",
        pw.to_str().unwrap(),
        "--idle-seconds",
        "1",
    ];
    args.extend(common_args);
    let child = cli(&service, &args).spawn().unwrap();
    let started = Instant::now();
    while server.messages().is_empty() && started.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("Service d'envoi arrêté"),
        "{}",
        text(&out)
    );
    let mails = server.messages();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, "Camille.Durand@ac-paris.fr");
    let token = mails[0].token();

    // The heartbeat is the mail service's login; no service is missed now.
    let (who,): (String,) = sqlx::query_as("SELECT login FROM mailer_heartbeat")
        .fetch_one(db.store.pool())
        .await
        .unwrap();
    assert_eq!(who, db.logins.mailer);
    assert!(outbox::mailer_absence(&db.store).await.unwrap().is_none());

    // The person redeems it (the portal's side).
    let done = links::redeem(
        &db.su,
        &token,
        GOOD.to_string().into(),
        GOOD.to_string().into(),
    )
    .await
    .unwrap();
    assert_eq!(done.email, "Camille.Durand@ac-paris.fr");
    let out = cli(
        &desk,
        &[
            "link",
            "status",
            "Camille.Durand@ac-paris.fr",
            "--database-url",
            &agent_url,
        ],
    )
    .output()
    .unwrap();
    printed.push_str(&text(&out));
    assert!(text(&out).contains("utilisé"), "{}", text(&out));

    // Nowhere on the desk: its folder, and everything it printed.
    assert!(!printed.contains(&token));
    for f in files_under(&desk) {
        let bytes = std::fs::read(&f).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(&token),
            "token in {}",
            f.display()
        );
    }
    let _ = std::fs::remove_dir_all(&root);
    db.store.close().await;
}

#[tokio::test]
async fn waiting_links_without_a_mail_service_are_said() {
    let db = TestDb::new(Kind::Postgres).await;
    // Nothing waits: nothing to say.
    assert!(outbox::mailer_absence(&db.store).await.unwrap().is_none());
    for sql in [
        "INSERT INTO accounts (email, email_key, created_at, updated_at) VALUES ('a@ac-paris.fr', 'a@ac-paris.fr', 0, 0)",
        "INSERT INTO link_requests (id, account_id, purpose, requested_by, created_at) SELECT 'l1', id, 'init', 'x', 0 FROM accounts",
        "INSERT INTO mail_outbox (id, link_request_id, recipient, next_attempt_at, created_at) VALUES ('o1', 'l1', 'a@ac-paris.fr', 0, siec_now_ms() - 600000)",
    ] {
        sqlx::query(sql).execute(db.su.pool()).await.unwrap();
    }
    let absent = outbox::mailer_absence(&db.store).await.unwrap().unwrap();
    assert_eq!(absent.waiting, 1);
    assert!(
        absent.message.contains("n'a encore été vu"),
        "{}",
        absent.message
    );
    // Seen ten minutes ago: the time it was last seen.
    sqlx::query("INSERT INTO mailer_heartbeat (instance, login, started_at, seen_at) VALUES ('h', 'm', 0, siec_now_ms() - 600000)")
        .execute(db.su.pool())
        .await
        .unwrap();
    let absent = outbox::mailer_absence(&db.store).await.unwrap().unwrap();
    assert!(
        absent
            .message
            .starts_with("Aucun service d'envoi actif depuis "),
        "{}",
        absent.message
    );
    assert!(
        absent.message.ends_with(" : les liens attendent"),
        "{}",
        absent.message
    );
    // Alive again: silent.
    outbox::heartbeat(&db.mailer, "h", 0).await.unwrap();
    assert!(outbox::mailer_absence(&db.store).await.unwrap().is_none());
    // Never on the embedded base, where the desk delivers itself.
    let local = TestDb::new(Kind::Sqlite).await;
    assert!(outbox::mailer_absence(&local.store)
        .await
        .unwrap()
        .is_none());
    db.store.close().await;
}
