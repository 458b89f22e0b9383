//! End-to-end harness: a virtual X display (Xvfb), `tauri-driver` in front of
//! WebKitWebDriver, and a small W3C WebDriver client over plain HTTP. Each test gets
//! its own data folder, configuration and driver process; sessions run one at a time.

#![allow(dead_code)]

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use std::time::{Duration, Instant};
use tokio::sync::{Mutex, MutexGuard};

use serde_json::{json, Value};

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// One X display for the whole test binary (or the one `SIEC_E2E_DISPLAY` names).
fn display() -> &'static str {
    static DISPLAY: OnceLock<String> = OnceLock::new();
    DISPLAY.get_or_init(|| {
        if let Ok(d) = std::env::var("SIEC_E2E_DISPLAY") {
            return d;
        }
        let n = (90..400)
            .find(|n| !Path::new(&format!("/tmp/.X{n}-lock")).exists())
            .expect("a free X display number");
        let child = Command::new("Xvfb")
            .args([
                format!(":{n}"),
                "-screen".into(),
                "0".into(),
                "1280x800x24".into(),
                "-nolisten".into(),
                "tcp".into(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb (paquet xvfb) doit être installé : lancez scripts/e2e");
        // Xvfb dies with the test binary: it is our child and nobody else uses it.
        std::mem::forget(child);
        let socket = format!("/tmp/.X11-unix/X{n}");
        wait_until(Duration::from_secs(10), || Path::new(&socket).exists());
        format!(":{n}")
    })
}

/// Serialises the tests of one binary: the machine runs one app window at a time.
pub async fn exclusive() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::const_new(());
    LOCK.lock().await
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_until(limit: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < limit, "délai dépassé");
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn app_binary() -> PathBuf {
    // SIEC_E2E_APP: another build of the app (the release build, for measurements).
    std::env::var_os("SIEC_E2E_APP")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_comptes-siec")))
}

pub fn screenshot_dir() -> PathBuf {
    let dir = std::env::var_os("SIEC_E2E_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            // target/e2e-screenshots next to the built binary's target dir.
            let bin = app_binary();
            bin.parent()
                .and_then(|p| p.parent())
                .map(|t| t.join("e2e-screenshots"))
                .unwrap_or_else(|| "e2e-screenshots".into())
        });
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A fresh, private place for one app run: config file, data dir, environment.
pub struct AppEnv {
    pub dir: PathBuf,
    pub vars: Vec<(String, String)>,
}

impl AppEnv {
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("siec-e2e-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let vars = vec![
            (
                "SIEC_CONFIG".into(),
                dir.join("comptes-siec.toml").display().to_string(),
            ),
            (
                "SIEC_DATA_DIR".into(),
                dir.join("data").display().to_string(),
            ),
            ("SIEC_AGENT_NAME".into(), "agent.e2e".into()),
            // WebKit's own storage (the theme chosen in « Affichage », its caches)
            // stays with the test instead of the account running it.
            (
                "XDG_DATA_HOME".into(),
                dir.join("xdg-data").display().to_string(),
            ),
            (
                "XDG_CACHE_HOME".into(),
                dir.join("xdg-cache").display().to_string(),
            ),
        ];
        Self { dir, vars }
    }

    pub fn set(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.vars.retain(|(k, _)| k != key);
        self.vars.push((key.into(), value.into()));
        self
    }

    pub fn sqlite_url(&self) -> String {
        format!(
            "sqlite://{}",
            self.dir.join("data").join("comptes-siec.sqlite").display()
        )
    }
}

/// `tauri-driver` for one test, with the app's environment; killed on drop.
pub struct Driver {
    child: Child,
    pub port: u16,
}

impl Driver {
    pub fn start(env: &AppEnv) -> Self {
        let port = free_port();
        let native = free_port();
        let bin = std::env::var("TAURI_DRIVER").unwrap_or_else(|_| {
            let home = std::env::var("HOME").unwrap_or_default();
            let local = format!("{home}/.cargo/bin/tauri-driver");
            if Path::new(&local).exists() {
                local
            } else {
                "tauri-driver".into()
            }
        });
        let child = Command::new(bin)
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native.to_string(),
            ])
            .env("DISPLAY", display())
            .envs(env.vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            // Its own process group, so that dropping it also ends the
            // WebKitWebDriver and app processes it starts.
            .process_group(0)
            .spawn()
            .expect("tauri-driver introuvable : lancez scripts/e2e (cargo install tauri-driver)");
        wait_until(Duration::from_secs(10), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        Self { child, port }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The driver leads its own process group (see `spawn`): this ends the
        // WebKitWebDriver and app processes it started, and nothing else.
        let pgid = self.child.id() as libc::pid_t;
        if pgid > 1 {
            unsafe {
                libc::killpg(pgid, libc::SIGKILL);
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Session {
    http: reqwest::Client,
    base: String,
    pub name: String,
    shots: u32,
}

#[derive(Clone, Debug)]
pub struct El(pub String);

impl Session {
    pub async fn start(driver: &Driver, name: &str) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .unwrap();
        let base = format!("http://127.0.0.1:{}", driver.port);
        let caps = json!({"capabilities": {"alwaysMatch": {"tauri:options": {"application": app_binary().display().to_string()}}}});
        let r: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = r["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("session WebDriver refusée : {r}"))
            .to_string();
        let s = Self {
            http,
            base: format!("{base}/session/{id}"),
            name: name.into(),
            shots: 0,
        };
        s.wait_for("body[data-ready='true']").await;
        s
    }

    async fn req(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut rq = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            rq = rq.json(&b);
        }
        let v: Value = rq.send().await.unwrap().json().await.unwrap();
        v
    }

    async fn ok(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let v = self.req(method, path, body).await;
        if let Some(err) = v["value"]["error"].as_str() {
            panic!("WebDriver {path} : {err} : {}", v["value"]["message"]);
        }
        v["value"].clone()
    }

    pub async fn title(&self) -> String {
        self.ok(reqwest::Method::GET, "/title", None)
            .await
            .as_str()
            .unwrap_or_default()
            .into()
    }

    pub async fn try_find(&self, css: &str) -> Option<El> {
        let v = self
            .req(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        v["value"][ELEMENT_KEY].as_str().map(|s| El(s.into()))
    }

    pub async fn find(&self, css: &str) -> El {
        self.wait_for(css).await
    }

    pub async fn find_all(&self, css: &str) -> Vec<El> {
        let v = self
            .ok(
                reqwest::Method::POST,
                "/elements",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        v.as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e[ELEMENT_KEY].as_str().map(|s| El(s.into())))
            .collect()
    }

    /// Waits (up to 20 s) for an element to exist and be displayed.
    pub async fn wait_for(&self, css: &str) -> El {
        let start = Instant::now();
        loop {
            if let Some(el) = self.try_find(css).await {
                // A list re-rendering between the two calls makes the node stale: retry.
                let shown = self
                    .req(
                        reqwest::Method::GET,
                        &format!("/element/{}/displayed", el.0),
                        None,
                    )
                    .await;
                if shown["value"].as_bool() == Some(true) {
                    return el;
                }
            }
            if start.elapsed() > Duration::from_secs(20) {
                self.save_screenshot(&format!("echec-attente-{}", sanitize(css)))
                    .await;
                panic!("l'élément {css} n'apparaît pas");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the element's text satisfies `pred`; returns the text.
    pub async fn wait_text(&self, css: &str, pred: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        let mut last = String::new();
        loop {
            if let Some(el) = self.try_find(css).await {
                let v = self
                    .req(
                        reqwest::Method::GET,
                        &format!("/element/{}/text", el.0),
                        None,
                    )
                    .await;
                if let Some(text) = v["value"].as_str() {
                    last = text.replace(['\u{202f}', '\u{a0}'], " ");
                    if pred(&last) {
                        return last;
                    }
                }
            }
            if start.elapsed() > Duration::from_secs(30) {
                self.save_screenshot(&format!("echec-texte-{}", sanitize(css)))
                    .await;
                panic!("le texte de {css} n'est pas celui attendu ; dernier texte : « {last} »");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The element's visible text, with the French number spaces (U+202F, U+00A0)
    /// read as plain spaces.
    pub async fn text(&self, el: &El) -> String {
        let v = self
            .ok(
                reqwest::Method::GET,
                &format!("/element/{}/text", el.0),
                None,
            )
            .await;
        v.as_str()
            .unwrap_or_default()
            .replace(['\u{202f}', '\u{a0}'], " ")
    }

    pub async fn text_of(&self, css: &str) -> String {
        let el = self.find(css).await;
        self.text(&el).await
    }

    pub async fn prop(&self, el: &El, name: &str) -> Value {
        self.ok(
            reqwest::Method::GET,
            &format!("/element/{}/property/{name}", el.0),
            None,
        )
        .await
    }

    pub async fn click(&self, css: &str) {
        let el = self.find(css).await;
        self.click_el(&el).await;
    }

    /// Clicks as a person would: while something still covers the element (a
    /// dialog closing, its backdrop fading), waits and tries again, up to 5 s.
    pub async fn click_el(&self, el: &El) {
        let path = format!("/element/{}/click", el.0);
        let start = Instant::now();
        loop {
            let v = self
                .req(reqwest::Method::POST, &path, Some(json!({})))
                .await;
            match v["value"]["error"].as_str() {
                None => return,
                Some("element click intercepted") if start.elapsed() < Duration::from_secs(5) => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Some(err) => panic!("WebDriver {path} : {err} : {}", v["value"]["message"]),
            }
        }
    }

    pub async fn clear(&self, css: &str) {
        let el = self.find(css).await;
        self.ok(
            reqwest::Method::POST,
            &format!("/element/{}/clear", el.0),
            Some(json!({})),
        )
        .await;
    }

    pub async fn type_in(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        self.ok(
            reqwest::Method::POST,
            &format!("/element/{}/value", el.0),
            Some(json!({"text": text})),
        )
        .await;
    }

    pub async fn exec(&self, script: &str, args: Vec<Value>) -> Value {
        self.ok(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
        .await
    }

    pub async fn go(&self, hash: &str) {
        self.exec("location.hash = arguments[0];", vec![json!(hash)])
            .await;
    }

    /// What the screen shows, read from the X server as a person would see it.
    /// (WebKitWebDriver's own snapshot can wait forever when accelerated
    /// compositing is off, which the app does by default; it is the fallback.)
    pub async fn save_screenshot(&self, label: &str) -> PathBuf {
        use base64::Engine as _;
        let path = screenshot_dir().join(format!("{}-{}.png", self.name, sanitize(label)));
        // Two frames for the last change to be painted.
        tokio::time::sleep(Duration::from_millis(150)).await;
        let grabbed = Command::new("import")
            .args(["-window", "root", "-display", display()])
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if grabbed {
            eprintln!("capture : {}", path.display());
            return path;
        }
        let v = self.req(reqwest::Method::GET, "/screenshot", None).await;
        if let Some(b64) = v["value"].as_str() {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap();
            std::fs::write(&path, bytes).unwrap();
            eprintln!("capture : {}", path.display());
        }
        path
    }

    pub async fn shot(&mut self, label: &str) -> PathBuf {
        // A dialog fades in over 0.3 s (DSFR): the picture is taken once it is there.
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(2) {
            let moving = self
                .exec(
                    "return document.getAnimations().some((a) => a.playState === 'running')",
                    vec![],
                )
                .await;
            if moving != json!(true) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.shots += 1;
        let label = format!("{:02}-{label}", self.shots);
        self.save_screenshot(&label).await
    }

    pub async fn end(self) {
        let _ = self.http.delete(&self.base).send().await;
    }
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The test's own handle on the app's database, migrated (as the app would).
pub async fn open_store(url: &str) -> siec_accounts::store::Store {
    use siec_accounts::store::{Store, StoreOptions};
    let store = Store::connect(
        url,
        StoreOptions {
            agent: Some("agent.e2e".into()),
            ..Default::default()
        },
    )
    .await
    .expect("base de test");
    store.migrate().await.expect("migrations");
    store
}

pub async fn add_establishment(
    store: &siec_accounts::store::Store,
    uai: &str,
    name: &str,
    city: &str,
    academy: &str,
) {
    use siec_accounts::accounts::{self, EstablishmentInput};
    use siec_accounts::domain::Uai;
    accounts::add_establishment(
        store,
        EstablishmentInput {
            uai: Uai::parse(uai).unwrap(),
            name: name.into(),
            city: city.into(),
            academy: academy.into(),
        },
    )
    .await
    .unwrap();
}

pub async fn add_account(
    store: &siec_accounts::store::Store,
    email: &str,
    uai: &str,
    principal: bool,
    name: &str,
) {
    use siec_accounts::accounts::{self, NewAccount};
    use siec_accounts::domain::{Email, Uai};
    accounts::add_account(
        store,
        NewAccount {
            email: Email::parse(email).unwrap(),
            uai: Uai::parse(uai).unwrap(),
            principal,
            display_name: name.into(),
        },
    )
    .await
    .unwrap();
}

const CITIES: &[(&str, &str)] = &[
    ("Paris", "Paris"),
    ("Lyon", "Lyon"),
    ("Marseille", "Aix-Marseille"),
    ("Nîmes", "Montpellier"),
    ("Saint-Étienne", "Lyon"),
    ("Créteil", "Créteil"),
    ("Lille", "Lille"),
    ("Rennes", "Rennes"),
];
const SURNAMES: &[&str] = &[
    "martin", "bernard", "dubois", "thomas", "robert", "richard", "petit", "durand", "leroy",
    "moreau",
];

/// Fills the database the fast way (multi-row inserts in one transaction), with the
/// same columns the services write: `accounts` addresses spread over
/// `establishments` establishments, the first address of each as its principal.
/// Addresses are `prenom.<surname><n>@ac-<academy>.fr`.
pub async fn generate(store: &siec_accounts::store::Store, establishments: u32, accounts: u32) {
    use siec_accounts::domain::{fold_for_search, Uai};
    let mut tx = store.pool().begin().await.unwrap();
    let now = store.now_ms();
    for chunk in (0..establishments).collect::<Vec<_>>().chunks(500) {
        let values: Vec<String> = chunk
            .iter()
            .map(|i| {
                let uai = Uai::from_digits(1_000_000 + i);
                let (city, academy) = CITIES[*i as usize % CITIES.len()];
                let name = format!("Lycée numéro {i}");
                format!(
                    "({}, '{uai}', '{name}', '{}', '{}', '{}', {now}, {now})",
                    i + 1,
                    city.replace('\'', "''"),
                    academy,
                    fold_for_search(&format!("{name} {city}"))
                )
            })
            .collect();
        sqlx::query(&format!(
            "INSERT INTO establishments (id, uai, name, city, academy, search_text, created_at, updated_at) VALUES {}",
            values.join(",")
        ))
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    for chunk in (0..accounts).collect::<Vec<_>>().chunks(500) {
        let rows: Vec<String> = chunk
            .iter()
            .map(|i| {
                let surname = SURNAMES[*i as usize % SURNAMES.len()];
                let academy = CITIES[(*i % establishments) as usize % CITIES.len()]
                    .1
                    .to_lowercase()
                    .replace('é', "e");
                let email = format!("prenom.{surname}{i}@ac-{academy}.fr");
                let status = if i % 3 == 0 { "active" } else { "pending" };
                // The search document, as the services write it: the address, then
                // the establishment's UAI and folded name and city.
                let est = i % establishments;
                let doc = format!(
                    "{} {} {}",
                    fold_for_search(&email),
                    Uai::from_digits(1_000_000 + est).as_str().to_ascii_lowercase(),
                    fold_for_search(&format!(
                        "Lycée numéro {est} {}",
                        CITIES[est as usize % CITIES.len()].0
                    ))
                );
                format!(
                    "({}, '{email}', '{email}', 'Prénom {surname} {i}', '{status}', {now}, {now}, '{}')",
                    i + 1,
                    doc.replace('\'', "''")
                )
            })
            .collect();
        sqlx::query(&format!(
            "INSERT INTO accounts (id, email, email_key, display_name, status, created_at, updated_at, search_text) VALUES {}",
            rows.join(",")
        ))
        .execute(&mut *tx)
        .await
        .unwrap();
        let members: Vec<String> = chunk
            .iter()
            .map(|i| {
                let role = if *i < establishments {
                    "principal"
                } else {
                    "member"
                };
                format!("({}, {}, '{role}', {now})", i + 1, i % establishments + 1)
            })
            .collect();
        sqlx::query(&format!(
            "INSERT INTO memberships (account_id, establishment_id, role, created_at) VALUES {}",
            members.join(",")
        ))
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

pub async fn count(store: &siec_accounts::store::Store, sql: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sql).fetch_one(store.pool()).await.unwrap();
    n
}

impl Session {
    /// Types keys to whatever has the focus (W3C actions), e.g. "/" or "\u{E015}" (↓).
    pub async fn keys(&self, keys: &str) {
        let mut actions = Vec::new();
        for c in keys.chars() {
            actions.push(json!({"type": "keyDown", "value": c.to_string()}));
            actions.push(json!({"type": "keyUp", "value": c.to_string()}));
        }
        self.ok(
            reqwest::Method::POST,
            "/actions",
            Some(json!({"actions": [{"type": "key", "id": "clavier", "actions": actions}]})),
        )
        .await;
        let _ = self.req(reqwest::Method::DELETE, "/actions", None).await;
    }
}

impl Session {
    /// Polls a script until it returns something other than null/false/"" (10 s).
    pub async fn wait_js(&self, script: &str) -> Value {
        let start = Instant::now();
        loop {
            let v = self.exec(script, vec![]).await;
            if !(v.is_null() || v == json!(false) || v == json!("")) {
                return v;
            }
            if start.elapsed() > Duration::from_secs(10) {
                self.save_screenshot("echec-script").await;
                panic!("le script ne donne rien : {script}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The project's test SMTP server (`tests/support/smtp_server.py`, aiosmtpd) on a
/// free port, storing each message in its own Maildir; stopped on drop.
pub struct SmtpServer {
    pub port: u16,
    pub maildir: PathBuf,
    child: Child,
}

/// A message as Python's email package reads it (the fields the tests need).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Received {
    pub message_id: String,
    pub to: String,
    pub subject: String,
    pub plain: Option<String>,
}

impl Received {
    /// The token of the link in the plain-text body.
    pub fn token(&self) -> String {
        let body = self.plain.as_deref().expect("partie texte");
        let marker = "/reset-password/reset/";
        let at = body.find(marker).expect("lien dans le message") + marker.len();
        body[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect()
    }
}

const PYTHON: &str = "/usr/bin/python3";

fn smtp_script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/support/smtp_server.py")
}

impl SmtpServer {
    pub fn start(name: &str) -> Self {
        let port = free_port();
        let maildir =
            std::env::temp_dir().join(format!("siec-e2e-maildir-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&maildir);
        let child = Command::new(PYTHON)
            .arg(smtp_script())
            .args(["serve", "--port", &port.to_string(), "--maildir"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("smtp_server.py (paquet python3-aiosmtpd) : lancez scripts/e2e");
        wait_until(Duration::from_secs(15), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        Self {
            port,
            maildir,
            child,
        }
    }

    /// Points the app of `env` at this server (plain SMTP: it runs on this machine).
    pub fn configure(&self, env: &mut AppEnv) {
        env.set("SIEC_SMTP_HOST", "127.0.0.1")
            .set("SIEC_SMTP_PORT", self.port.to_string())
            .set("SIEC_SMTP_TLS", "none");
    }

    /// How many messages arrived (files in the Maildir's `new`).
    pub fn count(&self) -> usize {
        std::fs::read_dir(self.maildir.join("new"))
            .map(|d| d.count())
            .unwrap_or(0)
    }

    pub fn messages(&self) -> Vec<Received> {
        let out = Command::new(PYTHON)
            .arg(smtp_script())
            .arg("dump")
            .arg(&self.maildir)
            .output()
            .expect("smtp_server.py dump");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("JSON de smtp_server.py dump")
    }

    /// Waits (up to `limit`) until `n` messages have arrived.
    pub async fn wait_for(&self, n: usize, limit: Duration) -> Vec<Received> {
        let start = Instant::now();
        while self.count() < n {
            assert!(
                start.elapsed() < limit,
                "{} message(s) reçu(s) sur {n} attendus",
                self.count()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.messages()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.maildir);
    }
}

impl Session {
    /// Shift+Tab to whatever has the focus: back to the previous field.
    pub async fn shift_tab(&self) {
        let actions = json!([
            {"type": "keyDown", "value": "\u{E008}"},
            {"type": "keyDown", "value": "\u{E004}"},
            {"type": "keyUp", "value": "\u{E004}"},
            {"type": "keyUp", "value": "\u{E008}"},
        ]);
        self.ok(
            reqwest::Method::POST,
            "/actions",
            Some(json!({"actions": [{"type": "key", "id": "clavier", "actions": actions}]})),
        )
        .await;
        let _ = self.req(reqwest::Method::DELETE, "/actions", None).await;
    }
}

impl Session {
    /// Resizes the app's window, as the agent would drag its corner.
    pub async fn set_window_size(&self, width: u32, height: u32) {
        self.ok(
            reqwest::Method::POST,
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        )
        .await;
    }
}
