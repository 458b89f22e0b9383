//! End-to-end harness: a virtual X display (Xvfb), `tauri-driver` in front of
//! WebKitWebDriver, and a small W3C WebDriver client over plain HTTP. Each test gets
//! its own data folder, configuration and driver process; sessions run one at a time.

#![allow(dead_code)]

use std::net::TcpListener;
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
    PathBuf::from(env!("CARGO_BIN_EXE_comptes-siec"))
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
                let shown = self
                    .ok(
                        reqwest::Method::GET,
                        &format!("/element/{}/displayed", el.0),
                        None,
                    )
                    .await;
                if shown.as_bool().unwrap_or(true) {
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
                last = self.text(&el).await;
                if pred(&last) {
                    return last;
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

    pub async fn text(&self, el: &El) -> String {
        self.ok(
            reqwest::Method::GET,
            &format!("/element/{}/text", el.0),
            None,
        )
        .await
        .as_str()
        .unwrap_or_default()
        .into()
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

    pub async fn click_el(&self, el: &El) {
        self.ok(
            reqwest::Method::POST,
            &format!("/element/{}/click", el.0),
            Some(json!({})),
        )
        .await;
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

    pub async fn save_screenshot(&self, label: &str) -> PathBuf {
        use base64::Engine as _;
        let v = self.req(reqwest::Method::GET, "/screenshot", None).await;
        let path = screenshot_dir().join(format!("{}-{}.png", self.name, sanitize(label)));
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
