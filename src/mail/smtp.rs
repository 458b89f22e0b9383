//! SMTP delivery over sockets we open ourselves, with a small connection pool.
//!
//! `lettre` speaks SMTP; we only own the TCP connection. Its own connector opens
//! sockets without `TCP_NODELAY`, and it writes the message body and the final
//! `\r\n.\r\n` in two writes: Nagle's algorithm holds the second segment until the
//! first is acknowledged, and the relay delays that acknowledgement (40 ms on
//! Linux), so every message on a connection waited ~40 ms. Here each connection is
//! a `tokio` `TcpStream` with `set_nodelay(true)`, handed to
//! [`AsyncSmtpConnection::connect_with_transport`] for every mode:
//!
//! - plain (relay on this machine only, checked by the caller): as is;
//! - STARTTLS: `lettre`'s own `starttls` upgrades that same socket after EHLO,
//!   refusing to go on if the relay does not offer it;
//! - implicit TLS: `lettre`'s TLS stream (same certificate checks as its own
//!   connector: the system's roots, the relay's host name) is built over our
//!   socket, then handed over like a plain stream (see [`ImplicitTls`]).
//!
//! Under `lettre`, the socket (or the TLS stream) is wrapped in [`Coalescing`]: what
//! `lettre` writes leaves when it waits for the reply, so a message's body and its
//! end marker reach the relay in one segment instead of two.
//!
//! The pool opens at most `pool_size` connections, reuses idle ones, drops broken
//! ones, and closes (QUIT) those left idle longer than the idle timeout.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use lettre::address::Envelope;
#[allow(deprecated)]
use lettre::transport::smtp::client::AsyncNetworkStream;
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, TlsParameters};
use lettre::transport::smtp::{
    authentication::{Credentials, DEFAULT_MECHANISMS},
    extension::ClientId,
};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::coalesce::Coalescing;
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

/// How the connection is secured.
#[derive(Clone)]
pub(crate) enum Security {
    /// Clear text: only for a relay on this machine (the caller checks).
    Plain,
    /// STARTTLS, required: no delivery if the relay does not offer it.
    Starttls(TlsParameters),
    /// TLS from the first byte (SMTPS, usually port 465).
    Implicit(TlsParameters),
}

pub(crate) struct PoolSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub credentials: Option<Credentials>,
    /// Bounds the TCP connect, the opening exchange (greeting, EHLO, TLS, AUTH) and
    /// each message's exchange (MAIL, RCPT, DATA, body).
    pub timeout: Duration,
    /// Connections open at most, in use or idle.
    pub pool_size: u32,
    /// Idle connections older than this are closed.
    pub idle_timeout: Duration,
}

/// Why an SMTP exchange failed.
#[derive(Debug)]
pub(crate) enum SmtpError {
    /// What `lettre` reported: a reply code from the relay, a broken connection,
    /// a TLS failure…
    Smtp(lettre::transport::smtp::Error),
    /// The TCP connection could not be opened.
    Connect(std::io::Error),
    /// No answer within the timeout; `what` names the step.
    Timeout { what: &'static str },
}

impl From<lettre::transport::smtp::Error> for SmtpError {
    fn from(e: lettre::transport::smtp::Error) -> Self {
        SmtpError::Smtp(e)
    }
}

/// A cloneable handle on one pool of SMTP connections.
#[derive(Clone)]
pub struct SmtpTransport {
    pool: Arc<Pool>,
}

struct Pool {
    settings: PoolSettings,
    hello: ClientId,
    /// One permit per connection that may be open: a delivery holds one from
    /// before it takes or opens a connection until it has given it back.
    slots: Semaphore,
    idle: Mutex<Vec<Idle>>,
    reaper_started: AtomicBool,
}

struct Idle {
    conn: AsyncSmtpConnection,
    since: Instant,
}

/// A connection taken from the pool, and whether it had served before.
struct Taken {
    conn: AsyncSmtpConnection,
    reused: bool,
}

impl SmtpTransport {
    pub(crate) fn new(settings: PoolSettings) -> Self {
        let slots = settings.pool_size.max(1) as usize;
        SmtpTransport {
            pool: Arc::new(Pool {
                settings,
                hello: ClientId::default(),
                slots: Semaphore::new(slots),
                idle: Mutex::new(Vec::new()),
                reaper_started: AtomicBool::new(false),
            }),
        }
    }

    /// Sends one message (already formatted) to the envelope's recipients.
    pub(crate) async fn send(&self, envelope: &Envelope, email: &[u8]) -> Result<(), SmtpError> {
        let pool = &self.pool;
        let _slot = pool
            .slots
            .acquire()
            .await
            .expect("the semaphore is never closed");
        let taken = pool.take().await?;
        match pool.send_on(taken.conn, envelope, email).await {
            Ok(()) => Ok(()),
            // A reused connection can have died while idle (relay restarted, idle
            // timeout on its side): the first command then fails with no reply
            // code, or 421. Once more on a fresh connection, as the outbox would do
            // later anyway for a transient failure (the same rare case as there: a
            // connection lost after the relay stored the message but before its
            // reply came). Refusals with a reply code are the relay's answer about
            // this message and are not retried here.
            Err(SmtpError::Smtp(e)) if taken.reused && may_be_stale(&e) => {
                tracing::debug!("connexion SMTP réutilisée hors d'usage ({e}), nouvelle connexion");
                let conn = pool.open().await?;
                pool.send_on(conn, envelope, email).await
            }
            Err(e) => Err(e),
        }
    }

    /// Checks that the relay answers: a connection (new or idle) and a NOOP.
    pub(crate) async fn test_connection(&self) -> Result<(), SmtpError> {
        let pool = &self.pool;
        let _slot = pool
            .slots
            .acquire()
            .await
            .expect("the semaphore is never closed");
        let mut taken = pool.take().await?;
        if !taken.reused {
            // Just opened: the greeting and EHLO were answered.
            pool.park(taken.conn);
            return Ok(());
        }
        if within(pool.settings.timeout, taken.conn.test_connected())
            .await
            .unwrap_or(false)
        {
            pool.park(taken.conn);
            return Ok(());
        }
        taken.conn.abort().await;
        let conn = pool.open().await?;
        pool.park(conn);
        Ok(())
    }

    /// Connections open and idle now (for the tests).
    #[cfg(test)]
    fn idle_count(&self) -> usize {
        self.pool.idle.lock().unwrap().len()
    }
}

fn may_be_stale(e: &lettre::transport::smtp::Error) -> bool {
    match e.status() {
        None => !e.is_client() && !e.is_tls(),
        Some(code) => code.to_string() == "421",
    }
}

async fn within<T>(limit: Duration, f: impl std::future::Future<Output = T>) -> Option<T> {
    tokio::time::timeout(limit, f).await.ok()
}

impl Pool {
    /// An idle connection if there is a young enough one, else a new one.
    async fn take(self: &Arc<Self>) -> Result<Taken, SmtpError> {
        let now = Instant::now();
        let (found, expired) = {
            let mut idle = self.idle.lock().unwrap();
            let expired = take_expired(&mut idle, now, self.settings.idle_timeout);
            (idle.pop(), expired)
        };
        close_all(expired, self.settings.timeout).await;
        match found {
            Some(i) => Ok(Taken {
                conn: i.conn,
                reused: true,
            }),
            None => Ok(Taken {
                conn: self.open().await?,
                reused: false,
            }),
        }
    }

    /// One message on one connection; the connection goes back to the pool if it
    /// is still sound.
    async fn send_on(
        self: &Arc<Self>,
        mut conn: AsyncSmtpConnection,
        envelope: &Envelope,
        email: &[u8],
    ) -> Result<(), SmtpError> {
        match within(self.settings.timeout, conn.send(envelope, email)).await {
            Some(Ok(_)) => {
                self.park(conn);
                Ok(())
            }
            Some(Err(e)) => {
                // `lettre` closes the connection itself after a failed command
                // (QUIT, then marks it broken); a sound one is kept.
                if !conn.has_broken() {
                    self.park(conn);
                }
                Err(e.into())
            }
            // Where the exchange stopped is unknown: the connection is dropped.
            None => Err(SmtpError::Timeout {
                what: "pendant l'envoi du message",
            }),
        }
    }

    fn park(self: &Arc<Self>, conn: AsyncSmtpConnection) {
        if conn.has_broken() {
            return;
        }
        self.idle.lock().unwrap().push(Idle {
            conn,
            since: Instant::now(),
        });
        self.start_reaper();
    }

    /// Opens, secures and authenticates a new connection.
    async fn open(&self) -> Result<AsyncSmtpConnection, SmtpError> {
        let s = &self.settings;
        let tcp =
            match tokio::time::timeout(s.timeout, TcpStream::connect((s.host.as_str(), s.port)))
                .await
            {
                Ok(Ok(tcp)) => tcp,
                Ok(Err(e)) => return Err(SmtpError::Connect(e)),
                Err(_) => {
                    return Err(SmtpError::Timeout {
                        what: "à la connexion",
                    })
                }
            };
        tcp.set_nodelay(true).map_err(SmtpError::Connect)?;
        let setup = async {
            let stream: Box<dyn AsyncTokioStream> = match &s.security {
                Security::Implicit(tls) => Box::new(Coalescing::new(
                    ImplicitTls::handshake(tcp, tls.clone()).await?,
                )),
                Security::Plain | Security::Starttls(_) => Box::new(Coalescing::new(tcp)),
            };
            let mut conn = AsyncSmtpConnection::connect_with_transport(stream, &self.hello).await?;
            if let Security::Starttls(tls) = &s.security {
                // Fails (and nothing is sent) if the relay does not offer STARTTLS.
                conn.starttls(tls.clone(), &self.hello).await?;
            }
            if let Some(credentials) = &s.credentials {
                conn.auth(DEFAULT_MECHANISMS, credentials).await?;
            }
            Ok::<_, lettre::transport::smtp::Error>(conn)
        };
        match within(s.timeout, setup).await {
            Some(Ok(conn)) => Ok(conn),
            Some(Err(e)) => Err(SmtpError::Smtp(e)),
            None => Err(SmtpError::Timeout {
                what: "à l'ouverture de la session",
            }),
        }
    }

    /// Closes idle connections past the idle timeout, every half of it, for as
    /// long as the pool exists. Started with the first parked connection (so
    /// inside the runtime).
    fn start_reaper(self: &Arc<Self>) {
        if self.reaper_started.swap(true, Ordering::AcqRel) {
            return;
        }
        let period = (self.settings.idle_timeout / 2).max(Duration::from_millis(10));
        let weak: Weak<Pool> = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(period).await;
                let Some(pool) = weak.upgrade() else { return };
                let expired = {
                    let mut idle = pool.idle.lock().unwrap();
                    take_expired(&mut idle, Instant::now(), pool.settings.idle_timeout)
                };
                let limit = pool.settings.timeout;
                drop(pool);
                close_all(expired, limit).await;
            }
        });
    }
}

fn take_expired(
    idle: &mut Vec<Idle>,
    now: Instant,
    max_idle: Duration,
) -> Vec<AsyncSmtpConnection> {
    let (old, young): (Vec<Idle>, Vec<Idle>) = std::mem::take(idle)
        .into_iter()
        .partition(|i| now.duration_since(i.since) > max_idle);
    *idle = young;
    old.into_iter().map(|i| i.conn).collect()
}

async fn quit(mut conn: AsyncSmtpConnection) {
    conn.abort().await;
}

async fn close_all(conns: Vec<AsyncSmtpConnection>, limit: Duration) {
    for conn in conns {
        let _ = within(limit, quit(conn)).await;
    }
}

/// Implicit TLS over our own socket. `lettre` reads the relay's greeting as soon
/// as it is handed a stream, so the handshake must come first; it is `lettre`'s
/// own TLS stream (`AsyncNetworkStream::upgrade_tls`, the same configuration and
/// certificate checks as its connector). That type is public but deprecated in
/// 0.11 ("not meant to be made public"): if a later `lettre` removes it, this is
/// the place to build the TLS stream with `tokio-rustls` directly.
#[allow(deprecated)]
#[derive(Debug)]
struct ImplicitTls(AsyncNetworkStream);

#[allow(deprecated)]
impl ImplicitTls {
    async fn handshake(
        tcp: TcpStream,
        tls: TlsParameters,
    ) -> Result<Self, lettre::transport::smtp::Error> {
        let mut stream = AsyncNetworkStream::use_existing_tokio1(Box::new(tcp));
        stream.upgrade_tls(tls).await?;
        Ok(ImplicitTls(stream))
    }
}

impl AsyncRead for ImplicitTls {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let unfilled = buf.initialize_unfilled();
        match futures::io::AsyncRead::poll_read(Pin::new(&mut self.0), cx, unfilled) {
            Poll::Ready(Ok(n)) => {
                buf.advance(n);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncWrite for ImplicitTls {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        futures::io::AsyncWrite::poll_write(Pin::new(&mut self.0), cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        futures::io::AsyncWrite::poll_flush(Pin::new(&mut self.0), cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        futures::io::AsyncWrite::poll_close(Pin::new(&mut self.0), cx)
    }
}

impl AsyncTokioStream for ImplicitTls {
    fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.0.peer_addr()
    }
}

impl<S: AsyncTokioStream> AsyncTokioStream for Coalescing<S> {
    fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.get_ref().peer_addr()
    }
}

#[cfg(test)]
#[path = "../../tests/support/smtp.rs"]
mod test_server;

#[cfg(test)]
mod tests {
    use super::test_server::{SmtpServer, TestCertificates, TlsMode};
    use super::*;
    use lettre::transport::smtp::client::Certificate;
    use lettre::Message;

    fn settings(port: u16, security: Security, pool_size: u32) -> PoolSettings {
        PoolSettings {
            host: "localhost".into(),
            port,
            security,
            credentials: None,
            timeout: Duration::from_secs(10),
            pool_size,
            idle_timeout: Duration::from_secs(60),
        }
    }

    fn trusting(certs: &TestCertificates) -> TlsParameters {
        TlsParameters::builder("localhost".into())
            .add_root_certificate(Certificate::from_pem(&certs.ca_pem()).unwrap())
            .build()
            .unwrap()
    }

    fn message(n: usize) -> (Envelope, Vec<u8>) {
        let m = Message::builder()
            .from("ne-pas-repondre@siec.education.fr".parse().unwrap())
            .to(format!("agent{n:02}@ac-test.fr").parse().unwrap())
            .subject(format!("Message {n}"))
            .body(String::from("Bonjour."))
            .unwrap();
        (m.envelope().clone(), m.formatted())
    }

    async fn send(t: &SmtpTransport, n: usize) -> Result<(), SmtpError> {
        let (envelope, bytes) = message(n);
        t.send(&envelope, &bytes).await
    }

    #[tokio::test]
    async fn starttls_upgrades_our_socket_before_mail() {
        let certs = TestCertificates::new();
        // The server refuses MAIL before STARTTLS: delivery proves the upgrade.
        let server = SmtpServer::start_tls(TlsMode::Starttls, &certs);
        let t = SmtpTransport::new(settings(
            server.port,
            Security::Starttls(trusting(&certs)),
            2,
        ));
        for n in 0..3 {
            send(&t, n).await.unwrap();
        }
        assert_eq!(server.messages().len(), 3);
        assert_eq!(
            t.idle_count(),
            1,
            "one connection served the three messages"
        );
    }

    #[tokio::test]
    async fn starttls_required_and_not_offered_sends_nothing() {
        let server = SmtpServer::start();
        let certs = TestCertificates::new();
        let t = SmtpTransport::new(settings(
            server.port,
            Security::Starttls(trusting(&certs)),
            2,
        ));
        let err = send(&t, 0).await.unwrap_err();
        assert!(
            matches!(&err, SmtpError::Smtp(e) if e.to_string().contains("STARTTLS")),
            "{err:?}"
        );
        assert!(server.messages().is_empty());
        assert_eq!(t.idle_count(), 0);
        let _ = std::fs::remove_dir_all(&certs.dir);
    }

    #[tokio::test]
    async fn implicit_tls_delivers_and_checks_the_certificate() {
        let certs = TestCertificates::new();
        let server = SmtpServer::start_tls(TlsMode::Implicit, &certs);
        let t = SmtpTransport::new(settings(
            server.port,
            Security::Implicit(trusting(&certs)),
            2,
        ));
        send(&t, 0).await.unwrap();
        send(&t, 1).await.unwrap();
        assert_eq!(server.messages().len(), 2);
        assert_eq!(t.idle_count(), 1);

        // The system's roots do not know the test authority: no session, no mail.
        let untrusted = TlsParameters::new("localhost".into()).unwrap();
        let t = SmtpTransport::new(settings(server.port, Security::Implicit(untrusted), 2));
        let err = send(&t, 2).await.unwrap_err();
        assert!(matches!(err, SmtpError::Smtp(_)), "{err:?}");
        assert_eq!(server.messages().len(), 2);
    }

    #[tokio::test]
    async fn no_more_connections_than_the_pool_size() {
        let server = SmtpServer::start();
        let t = SmtpTransport::new(settings(server.port, Security::Plain, 2));
        let sends = (0..8).map(|n| {
            let t = t.clone();
            tokio::spawn(async move { send(&t, n).await })
        });
        for s in sends.collect::<Vec<_>>() {
            s.await.unwrap().unwrap();
        }
        assert_eq!(server.messages().len(), 8);
        // Eight messages at once, two connections opened, both kept for reuse.
        assert_eq!(t.idle_count(), 2);
    }

    #[tokio::test]
    async fn idle_connections_are_closed_after_the_idle_timeout() {
        let server = SmtpServer::start();
        let mut s = settings(server.port, Security::Plain, 2);
        s.idle_timeout = Duration::from_millis(200);
        let t = SmtpTransport::new(s);
        send(&t, 0).await.unwrap();
        assert_eq!(t.idle_count(), 1);
        tokio::time::sleep(Duration::from_millis(700)).await;
        assert_eq!(t.idle_count(), 0);
        send(&t, 1).await.unwrap();
        assert_eq!(server.messages().len(), 2);
    }

    #[tokio::test]
    async fn a_relay_that_never_answers_times_out() {
        // Accepted by the kernel (backlog), never served: no greeting comes.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut s = settings(port, Security::Plain, 1);
        s.host = "127.0.0.1".into();
        s.timeout = Duration::from_millis(300);
        let t = SmtpTransport::new(s);
        let started = Instant::now();
        let err = send(&t, 0).await.unwrap_err();
        assert!(matches!(err, SmtpError::Timeout { .. }), "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
        drop(listener);
    }
}
