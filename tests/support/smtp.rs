//! A real SMTP server per test: `tests/support/smtp_server.py` (aiosmtpd) on a free
//! port, storing each message in a Maildir. Kill it to simulate an outage,
//! start it again on the same port.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const PYTHON: &str = "/usr/bin/python3";

pub fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_server.py")
}

pub struct SmtpServer {
    pub port: u16,
    pub maildir: PathBuf,
    auth: Option<String>,
    tls: Option<(TlsMode, TestCertificates)>,
    child: Option<Child>,
}

/// How a TLS test server secures its sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// STARTTLS offered and required before MAIL.
    Starttls,
    /// TLS from the first byte.
    Implicit,
}

/// A throwaway certificate authority and a certificate for `localhost` signed by
/// it (PEM files, made with the `openssl` command).
#[derive(Debug, Clone)]
pub struct TestCertificates {
    pub dir: PathBuf,
}

impl TestCertificates {
    pub fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("siec-tls-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let openssl = |args: &[&str]| {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(&dir)
                .output()
                .expect("openssl");
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ];
        openssl(
            &[
                &["req", "-x509"][..],
                &ec,
                &[
                    "-keyout",
                    "ca.key",
                    "-out",
                    "ca.pem",
                    "-days",
                    "2",
                    "-subj",
                    "/CN=Autorite de test",
                ],
            ]
            .concat(),
        );
        openssl(
            &[
                &["req"][..],
                &ec,
                &[
                    "-keyout",
                    "localhost.key",
                    "-out",
                    "localhost.csr",
                    "-subj",
                    "/CN=localhost",
                ],
            ]
            .concat(),
        );
        std::fs::write(
            dir.join("ext"),
            "subjectAltName=DNS:localhost\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        openssl(&[
            "x509",
            "-req",
            "-in",
            "localhost.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "localhost.pem",
            "-days",
            "2",
            "-extfile",
            "ext",
        ]);
        Self { dir }
    }

    /// The authority's certificate, to trust.
    pub fn ca_pem(&self) -> Vec<u8> {
        std::fs::read(self.dir.join("ca.pem")).unwrap()
    }
}

impl Default for TestCertificates {
    fn default() -> Self {
        Self::new()
    }
}

/// A message as Python's email package reads it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Received {
    pub message_id: String,
    pub from: String,
    pub to: String,
    pub subject: String,
    pub date: String,
    pub auto_submitted: String,
    pub content_type: String,
    pub plain: Option<String>,
    pub plain_charset: Option<String>,
    pub html: Option<String>,
    pub raw: String,
}

impl Received {
    /// The token of the link in the plain-text body.
    pub fn token(&self) -> String {
        let body = self.plain.as_deref().expect("plain text part");
        let at = body
            .find("/reset-password/reset/")
            .expect("link in the body")
            + "/reset-password/reset/".len();
        body[at..at + 40].to_string()
    }
}

impl SmtpServer {
    pub fn start() -> Self {
        Self::start_with(None, None)
    }

    pub fn start_with_auth(user: &str, password: &str) -> Self {
        Self::start_with(Some(format!("{user}:{password}")), None)
    }

    /// A server that requires TLS, with a certificate for `localhost` signed by
    /// `certificates`' authority.
    pub fn start_tls(mode: TlsMode, certificates: &TestCertificates) -> Self {
        Self::start_with(None, Some((mode, certificates.clone())))
    }

    fn start_with(auth: Option<String>, tls: Option<(TlsMode, TestCertificates)>) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let maildir =
            std::env::temp_dir().join(format!("siec-maildir-{}", uuid::Uuid::new_v4().simple()));
        let mut s = Self {
            port,
            maildir,
            auth,
            tls,
            child: None,
        };
        s.restart();
        s
    }

    /// Starts (again) on the same port and Maildir.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "already running");
        let mut cmd = Command::new(PYTHON);
        cmd.arg(script())
            .args(["serve", "--port", &self.port.to_string(), "--maildir"])
            .arg(&self.maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(a) = &self.auth {
            cmd.args(["--auth", a]);
        }
        if let Some((mode, certs)) = &self.tls {
            let mode = match mode {
                TlsMode::Starttls => "starttls",
                TlsMode::Implicit => "implicit",
            };
            cmd.args(["--tls-mode", mode, "--tls-cert"])
                .arg(certs.dir.join("localhost.pem"))
                .arg("--tls-key")
                .arg(certs.dir.join("localhost.key"));
        }
        self.child = Some(cmd.spawn().expect("start smtp_server.py"));
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "the SMTP server did not start on port {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Outage: the process dies, the port refuses connections.
    /// CPU time the server process has used so far (user + system), in seconds.
    pub fn cpu_seconds(&self) -> f64 {
        self.child
            .as_ref()
            .map_or(0.0, |c| cpu_seconds_of(&c.id().to_string()))
    }

    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn messages(&self) -> Vec<Received> {
        dump(&self.maildir)
    }
}

/// Parses the messages of a Maildir or of a folder of `.eml` files.
/// CPU time a process has used so far (user + system), in seconds; `"self"` for
/// this one.
pub fn cpu_seconds_of(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // After the command name (in parentheses) come the state, then 10 fields,
    // then utime and stime in clock ticks (100 per second on Linux).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(11) + tick(12)) / 100.0
}

pub fn dump(dir: &std::path::Path) -> Vec<Received> {
    if !dir.exists() {
        return Vec::new();
    }
    let out = Command::new(PYTHON)
        .arg(script())
        .arg("dump")
        .arg(dir)
        .output()
        .expect("dump");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON from dump")
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.maildir);
        if let Some((_, certs)) = &self.tls {
            let _ = std::fs::remove_dir_all(&certs.dir);
        }
    }
}
