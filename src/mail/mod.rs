//! Building and delivering mail. Two transports, chosen from the settings:
//! SMTP (STARTTLS, implicit TLS, or plain for a relay on this machine; AUTH; a
//! connection pool of our own over `TCP_NODELAY` sockets, the protocol spoken by
//! `lettre`; timeouts: see `smtp.rs`), and the embedded default that writes each
//! message as a `.eml` file into the outbox folder of the data directory.

mod coalesce;
mod message;
mod smtp;

use std::path::PathBuf;
use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::TlsParameters;
use lettre::Message;
use secrecy::{ExposeSecret, SecretString};

pub use message::{lifetime_text, subject, LinkMail, MailTemplate};
pub use smtp::SmtpTransport;
use smtp::{PoolSettings, Security, SmtpError};

use crate::config::{Settings, SmtpTls};
use crate::error::{Error, Result};

/// Default number of pooled SMTP connections (and of concurrent deliveries).
pub const DEFAULT_POOL_SIZE: u32 = 4;
/// Timeout towards the relay: TCP connect, opening of the session (greeting,
/// EHLO, TLS, AUTH), and each message's exchange.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Pooled connections left idle longer than this are closed.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Where the mail goes.
#[derive(Clone)]
pub enum TransportConfig {
    /// `.eml` files, one per outbox row, named after it.
    Files {
        dir: PathBuf,
    },
    Smtp(SmtpConfig),
}

#[derive(Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub user: Option<String>,
    pub password: Option<SecretString>,
    pub timeout: Duration,
    pub pool_size: u32,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "[caché]"))
            .finish()
    }
}

impl TransportConfig {
    /// From the settings; the SMTP password comes from the caller (the OS keyring),
    /// never from the configuration or the environment.
    pub fn from_settings(settings: &Settings, smtp_password: Option<SecretString>) -> Result<Self> {
        match settings.smtp_host() {
            None => Ok(TransportConfig::Files {
                dir: settings.outbox_dir(),
            }),
            Some(host) => Ok(TransportConfig::Smtp(SmtpConfig {
                host: host.to_string(),
                port: settings.smtp_port()?,
                tls: settings.smtp_tls()?,
                user: settings.smtp_user().map(str::to_string),
                password: smtp_password,
                timeout: DEFAULT_TIMEOUT,
                pool_size: DEFAULT_POOL_SIZE,
            })),
        }
    }

    /// How many deliveries may run at once with this transport.
    pub fn concurrency(&self) -> usize {
        match self {
            TransportConfig::Files { .. } => 1,
            TransportConfig::Smtp(c) => c.pool_size.max(1) as usize,
        }
    }
}

/// Why a delivery did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendFailure {
    /// The relay refused for good (5xx, bad address): retrying is pointless.
    Permanent(String),
    /// Outage, timeout, 4xx: try again later.
    Transient(String),
}

impl SendFailure {
    pub fn reason(&self) -> &str {
        match self {
            SendFailure::Permanent(r) | SendFailure::Transient(r) => r,
        }
    }
}

/// A ready transport.
#[derive(Clone)]
pub enum Transport {
    Files(PathBuf),
    Smtp(SmtpTransport),
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Transport::Files(d) => write!(f, "Transport::Files({})", d.display()),
            Transport::Smtp(_) => f.write_str("Transport::Smtp"),
        }
    }
}

fn is_local(host: &str) -> bool {
    matches!(host, "localhost" | "127.0.0.1" | "::1" | "[::1]") || host.starts_with("127.")
}

impl Transport {
    pub fn new(config: &TransportConfig) -> Result<Self> {
        match config {
            TransportConfig::Files { dir } => {
                // The messages carry live tokens: the folder is its owner's only.
                crate::credentials::private_dir(dir).map_err(|e| {
                    Error::Unavailable(format!(
                        "Dossier des messages {} inaccessible : {e}",
                        dir.display()
                    ))
                })?;
                Ok(Transport::Files(dir.clone()))
            }
            TransportConfig::Smtp(c) => {
                let tls_params = || {
                    TlsParameters::new(c.host.clone()).map_err(|e| {
                        Error::invalid(format!(
                            "Paramètres TLS du relais {} incorrects : {e}",
                            c.host
                        ))
                    })
                };
                let security = match c.tls {
                    SmtpTls::Starttls => Security::Starttls(tls_params()?),
                    SmtpTls::Tls => Security::Implicit(tls_params()?),
                    SmtpTls::None if is_local(&c.host) => Security::Plain,
                    SmtpTls::None => {
                        return Err(Error::invalid(format!(
                            "smtp.tls = none n'est permis que pour un relais sur ce poste (localhost) ; le relais {} demande starttls ou tls.",
                            c.host
                        )))
                    }
                };
                let credentials = match (&c.user, &c.password) {
                    (Some(user), Some(pw)) => Some(Credentials::new(
                        user.clone(),
                        pw.expose_secret().to_string(),
                    )),
                    (Some(user), None) => {
                        return Err(Error::invalid(format!(
                            "Le mot de passe SMTP de « {user} » est introuvable dans le trousseau du système."
                        )))
                    }
                    _ => None,
                };
                Ok(Transport::Smtp(SmtpTransport::new(PoolSettings {
                    host: c.host.clone(),
                    port: c.port,
                    security,
                    credentials,
                    timeout: c.timeout,
                    pool_size: c.pool_size.max(1),
                    idle_timeout: IDLE_TIMEOUT,
                })))
            }
        }
    }

    /// Delivers one message. The file transport names the file after the
    /// Message-ID, so delivering the same outbox row twice leaves one file.
    pub async fn send(
        &self,
        file_stem: &str,
        message: Message,
    ) -> std::result::Result<(), SendFailure> {
        match self {
            Transport::Files(dir) => {
                let bytes = message.formatted();
                let final_path = dir.join(format!("{file_stem}.eml"));
                let tmp = dir.join(format!(".{file_stem}.eml.tmp"));
                let write = async {
                    crate::credentials::write_private(&tmp, &bytes).await?;
                    tokio::fs::rename(&tmp, &final_path).await
                };
                write.await.map_err(|e| {
                    SendFailure::Transient(format!(
                        "Écriture du message dans {} impossible : {e}",
                        dir.display()
                    ))
                })
            }
            Transport::Smtp(smtp) => smtp
                .send(message.envelope(), &message.formatted())
                .await
                .map_err(classify),
        }
    }

    /// Checks that the relay answers (used by « outbox run » before a long run).
    pub async fn test_connection(&self) -> Result<()> {
        match self {
            Transport::Files(_) => Ok(()),
            Transport::Smtp(smtp) => smtp
                .test_connection()
                .await
                .map_err(|e| Error::Unavailable(classify(e).reason().to_string())),
        }
    }
}

/// Turns an SMTP failure into what the outbox needs: permanent or not, and the
/// relay's own words.
fn classify(e: SmtpError) -> SendFailure {
    use std::error::Error as _;
    let e = match e {
        SmtpError::Smtp(e) => e,
        SmtpError::Connect(e) => {
            return SendFailure::Transient(format!("Relais SMTP injoignable : {e}"))
        }
        SmtpError::Timeout { what } => {
            return SendFailure::Transient(format!(
                "Le relais SMTP ne répond pas (délai dépassé {what})."
            ))
        }
    };
    let detail = e.source().map(|s| s.to_string()).unwrap_or_default();
    if let Some(code) = e.status() {
        let reason = format!("{code} {detail}").trim().to_string();
        if e.is_permanent() {
            return SendFailure::Permanent(format!("Refus définitif du relais : {reason}"));
        }
        return SendFailure::Transient(format!("Refus temporaire du relais : {reason}"));
    }
    if e.is_timeout() {
        return SendFailure::Transient(format!(
            "Le relais SMTP ne répond pas (délai dépassé) : {detail}"
        ));
    }
    SendFailure::Transient(format!("Relais SMTP injoignable : {e}"))
}
