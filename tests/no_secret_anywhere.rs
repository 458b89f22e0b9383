//! The main flows run with distinctive passwords (database login, SMTP account,
//! a new agent's login): signing in from the command line with the passwords kept
//! in the real keyring, adding an agent, writing to the central and the local
//! database, a failed sign-in, with every log at debug level captured to a file.
//! Then none of the passwords may appear in the configuration file, the log, any
//! file of the data folder (SQLite, WAL), the process environment or the
//! command line's output. Needs a D-Bus session with an unlocked keyring (see
//! tests/credentials_keyring.rs).

#[path = "agents_common/mod.rs"]
mod agents_common;

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use agents_common::ScramCluster;
use secrecy::{ExposeSecret, SecretString};
use siec_accounts::agents::{self, AgentLogin, NewAgent, SignIn};
use siec_accounts::config::{Paths, Settings};
use siec_accounts::credentials::{self, Credential};
use siec_accounts::store::{Store, StoreOptions};

#[derive(Clone)]
struct LogFile(Arc<Mutex<std::fs::File>>);

impl std::io::Write for LogFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.lock().unwrap().flush()
    }
}

fn cli(dir: &std::path::Path, args: &[&str], stdin: &str) -> (bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_siec-accounts"))
        .args(args)
        .env("SIEC_CONFIG", dir.join("comptes-siec.toml"))
        .env("SIEC_DATA_DIR", dir.join("data"))
        .env("RUST_LOG", "trace")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn no_password_is_written_anywhere() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "This test stores passwords in the real Secret Service: run it inside dbus-run-session with an unlocked gnome-keyring-daemon (see tests/credentials_keyring.rs)."
    );
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let db_secret = format!("Base-{}-Zq9!", &tag[..12]);
    let smtp_secret = format!("Smtp-{}-Kx7!", &tag[12..24]);
    let agent_secret = format!("Agent-{}-Wy5!", &tag[20..32]);
    let secrets = [
        db_secret.as_str(),
        smtp_secret.as_str(),
        agent_secret.as_str(),
    ];

    let dir = std::env::temp_dir().join(format!("siec-nosecret-{tag}"));
    std::fs::create_dir_all(&dir).unwrap();
    let log_path = dir.join("debug.log");
    let log = LogFile(Arc::new(Mutex::new(
        std::fs::File::create(&log_path).unwrap(),
    )));
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("trace"))
        .with_writer(move || log.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    // A server that checks passwords, with an administrator login.
    let cluster = ScramCluster::start();
    let (db_name, owner) = cluster.database().await;
    let admin = AgentLogin::parse(&format!("adm.{}", &tag[..8])).unwrap();
    agents::create_agent(
        &owner,
        &NewAgent {
            login: admin.clone(),
            name: "Ada Admin".into(),
            admin: true,
        },
        &SecretString::from(db_secret.clone()),
    )
    .await
    .unwrap();

    // The configuration: central database (no login yet) and an SMTP relay.
    let paths = Paths::in_dir(&dir);
    let flags = vec![
        (
            "database.url".to_string(),
            format!("postgres://127.0.0.1:{}/{db_name}", cluster.port),
        ),
        ("smtp.host".to_string(), "relais.ac-test.fr".to_string()),
        ("smtp.user".to_string(), "siec.envoi".to_string()),
    ];
    Settings::load_from(paths.clone(), &[], &flags)
        .unwrap()
        .save()
        .unwrap();

    // Sign in from the command line: connection test, then both passwords to the keyring.
    let (ok, login_out) = cli(
        &dir,
        &["login", admin.as_str(), "--password-stdin", "--smtp"],
        &format!("{db_secret}\n{smtp_secret}\n"),
    );
    assert!(ok, "{login_out}");
    assert!(
        login_out.contains("enregistré(s) dans le trousseau"),
        "{login_out}"
    );
    let settings = Settings::load_from(paths.clone(), &[], &[]).unwrap();
    assert!(
        settings.database_url().contains(admin.as_str()),
        "the login is remembered: {}",
        settings.database_url()
    );
    let stored = credentials::read(&Credential::database(admin.as_str()).unwrap())
        .unwrap()
        .expect("stored");
    assert_eq!(stored.expose_secret(), db_secret);
    let stored_smtp =
        credentials::read(&Credential::smtp("siec.envoi", "relais.ac-test.fr").unwrap())
            .unwrap()
            .expect("stored");
    assert_eq!(stored_smtp.expose_secret(), smtp_secret);

    // The command line reads the administrator's password from the keyring to add an agent.
    let agent = AgentLogin::parse(&format!("agt.{}", &tag[..8])).unwrap();
    let (ok, add_out) = cli(
        &dir,
        &[
            "agent",
            "add",
            agent.as_str(),
            "--name",
            "Alice Agent",
            "--password-stdin",
        ],
        &format!("{agent_secret}\n"),
    );
    assert!(ok, "{add_out}");
    let (ok, list_out) = cli(&dir, &["agent", "list"], "");
    assert!(ok && list_out.contains(agent.as_str()), "{list_out}");

    // In the library: sign in with the keyring's password, write as the new agent.
    let request = SignIn {
        url: settings.database_url().to_string(),
        login: None,
        password: Some(stored),
        ca_file: None,
    };
    tracing::debug!(?request, "signing in");
    let admin_store = agents::sign_in(&request).await.unwrap();
    assert_eq!(admin_store.agent(), admin.as_str());
    let agent_store = agents::sign_in(&SignIn {
        login: Some(agent.to_string()),
        password: Some(SecretString::from(agent_secret.clone())),
        ..request.clone()
    })
    .await
    .unwrap();
    sqlx::query("INSERT INTO accounts (email, email_key, created_at, updated_at) VALUES ('a@ac-test.fr', 'a@ac-test.fr', 1, 1)")
        .execute(agent_store.pool())
        .await
        .unwrap();
    // (Its audit row is the database's own, written by a trigger.)
    let wrong = agents::sign_in(&SignIn {
        password: Some(SecretString::from(format!("{agent_secret}x"))),
        ..request.clone()
    })
    .await
    .unwrap_err();
    tracing::warn!(error = %wrong, "sign-in refused");
    assert!(!wrong.to_string().contains(&agent_secret));
    tracing::debug!(?admin_store, "connected");
    agent_store.close().await;
    admin_store.close().await;

    // The embedded database in the data folder, written too.
    let local = Store::connect(
        &paths.default_database_url(),
        StoreOptions {
            agent: Some(admin.to_string()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    local.migrate().await.unwrap();
    sqlx::query("INSERT INTO accounts (email, email_key, created_at, updated_at) VALUES ('b@ac-test.fr', 'b@ac-test.fr', 1, 1)")
        .execute(local.pool())
        .await
        .unwrap();
    local.close().await;

    // « Oublier mes identifiants » removes both passwords.
    let (ok, logout_out) = cli(&dir, &["logout"], "");
    assert!(
        ok && logout_out.contains("2 mot(s) de passe retiré(s)"),
        "{logout_out}"
    );
    assert!(
        credentials::read(&Credential::database(admin.as_str()).unwrap())
            .unwrap()
            .is_none()
    );
    owner.close().await;

    // Now look everywhere.
    drop(_guard);
    let log_text = std::fs::read(&log_path).unwrap();
    assert!(
        contains(&log_text, "signed in") && log_text.len() > 1000,
        "the log captured the flows"
    );
    let mut places: Vec<(String, Vec<u8>)> = vec![
        (
            "configuration".into(),
            std::fs::read(&paths.config_file).unwrap(),
        ),
        ("journal".into(), log_text),
        (
            "environnement".into(),
            std::env::vars()
                .map(|(k, v)| format!("{k}={v}\n"))
                .collect::<String>()
                .into_bytes(),
        ),
        (
            "/proc/self/environ".into(),
            std::fs::read("/proc/self/environ").unwrap_or_default(),
        ),
        (
            "sorties de la ligne de commande".into(),
            format!("{login_out}{add_out}{list_out}{logout_out}").into_bytes(),
        ),
        ("message d'erreur".into(), wrong.to_string().into_bytes()),
        // Only SCRAM verifiers and proofs travel: the server never saw a password.
        (
            "journal du serveur PostgreSQL".into(),
            cluster.server_log().into_bytes(),
        ),
    ];
    let data_files = files_under(&paths.data_dir);
    assert!(
        data_files
            .iter()
            .any(|p| p.to_string_lossy().ends_with(".sqlite")),
        "{data_files:?}"
    );
    for f in data_files {
        places.push((f.display().to_string(), std::fs::read(&f).unwrap()));
    }
    for (place, bytes) in &places {
        for secret in secrets {
            assert!(!contains(bytes, secret), "a password was found in {place}");
        }
    }
    drop(cluster);
    let _ = std::fs::remove_dir_all(&dir);
}
