//! 10,000 links end to end against the local aiosmtpd, beside the floor: the same
//! number of messages blasted by a minimal raw SMTP client to the same server.
//! Also the argon2id hashing time with the chosen parameters.
//!
//!     cargo bench --bench links_10k -- [--count N] [--backend postgres|sqlite] [--concurrency C]
//!
//! Needs PostgreSQL on 127.0.0.1:5432 (user postgres) for the default backend and
//! Debian's python3-aiosmtpd. Prints a Markdown table for docs/BENCHMARKS.md.

#[path = "../tests/support/smtp.rs"]
mod smtp;

use std::time::{Duration, Instant};

use secrecy::SecretString;
use siec_accounts::config::{SmtpTls, DEFAULT_PORTAL_URL, DEFAULT_SENDER};
use siec_accounts::domain::{fold_for_search, LinkPurpose, Password, Uai};
use siec_accounts::links::{self, Selection};
use siec_accounts::mail::{LinkMail, MailTemplate, SmtpConfig, Transport, TransportConfig};
use siec_accounts::outbox::{CancelToken, Worker, WorkerConfig};
use siec_accounts::store::{Store, StoreOptions};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn count_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir.join("new"))
        .map(|d| d.count())
        .unwrap_or(0)
}

async fn wait_for_files(dir: &std::path::Path, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while count_files(dir) < n && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // `cargo test --all-targets` runs this without `--bench`: a short pass that only
    // shows the benchmark still works.
    let measuring = std::env::args().any(|a| a == "--bench");
    let default_count = if measuring { 10_000 } else { 50 };
    let count: usize = arg("--count")
        .map(|s| s.parse().unwrap())
        .unwrap_or(default_count);
    let backend = arg("--backend").unwrap_or_else(|| "postgres".into());
    let concurrency: u32 = arg("--concurrency")
        .map(|s| s.parse().unwrap())
        .unwrap_or(4);

    // --- argon2id
    let pw = Password::parse(SecretString::from("Examens-2026@SIEC".to_string())).unwrap();
    let rounds = 10;
    let t = Instant::now();
    for _ in 0..rounds {
        links::hash_password(&pw).unwrap();
    }
    let argon_ms = t.elapsed().as_secs_f64() * 1000.0 / rounds as f64;

    // --- raw floor: the same number of link-sized messages, no database, no tokens.
    // Measured before and after the end-to-end run, against the mean of the two:
    // on a shared machine the load drifts, and one floor alone skews the ratio.
    let template = MailTemplate::new(DEFAULT_SENDER, DEFAULT_PORTAL_URL).unwrap();
    let sample = template
        .build(&LinkMail {
            outbox_id: "00000000-0000-0000-0000-000000000000",
            recipient: "agent00001@ac-bench.fr",
            purpose: LinkPurpose::Reset,
            url: &template.link_url("VmuBQ7epOgsaacQ5tanduNV61YtdvHZL77M7Yt1H"),
            lifetime_minutes: 60,
            date_ms: 1_800_000_000_000,
        })
        .unwrap()
        .formatted();
    let floor_before_s = floor(count, concurrency, &sample).await;

    // --- our SMTP client alone: the same messages through `Transport` (pool, lettre),
    // built beforehand, no database.
    let transport_s = {
        let server = smtp::SmtpServer::start();
        let transport = smtp_transport(server.port, concurrency);
        let messages: Vec<_> = (0..count)
            .map(|i| {
                let id = format!("00000000-0000-0000-0000-{i:012}");
                let m = template
                    .build(&LinkMail {
                        outbox_id: &id,
                        recipient: &format!("agent{i:05}@ac-bench.fr"),
                        purpose: LinkPurpose::Reset,
                        url: &template.link_url("VmuBQ7epOgsaacQ5tanduNV61YtdvHZL77M7Yt1H"),
                        lifetime_minutes: 60,
                        date_ms: 1_800_000_000_000,
                    })
                    .unwrap();
                (id, m)
            })
            .collect();
        let queue = std::sync::Arc::new(std::sync::Mutex::new(messages));
        let t = Instant::now();
        let tasks: Vec<_> = (0..concurrency)
            .map(|_| {
                let (queue, transport) = (queue.clone(), transport.clone());
                tokio::spawn(async move {
                    loop {
                        let next = queue.lock().unwrap().pop();
                        let Some((id, m)) = next else { break };
                        transport.send(&id, m).await.unwrap();
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        let s = t.elapsed().as_secs_f64();
        wait_for_files(&server.maildir, count).await;
        assert_eq!(
            count_files(&server.maildir),
            count,
            "transport: every message stored"
        );
        s
    };

    // --- end to end: accounts in the database, bulk request, worker, SMTP
    let (url, cleanup) = database(&backend).await;
    let store = Store::connect(
        &url,
        StoreOptions {
            agent: Some("bench".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    store.migrate().await.unwrap();
    seed(&store, count).await;
    let server = smtp::SmtpServer::start();
    let worker = Worker::new(
        store.clone(),
        smtp_transport(server.port, concurrency),
        template,
        WorkerConfig {
            rate_per_second: 1_000_000,
            concurrency: concurrency as usize,
            ..WorkerConfig::default()
        },
    );
    // The first report after the initial one comes with the first recorded batch:
    // everything before it is the request itself (rows and links enqueued).
    let first_batch = std::sync::Mutex::new(None::<Instant>);
    let reports = std::sync::atomic::AtomicUsize::new(0);
    let t = Instant::now();
    let summary = links::send_bulk(
        &worker,
        &Selection::Uai(Uai::parse("0750655E").unwrap()),
        None,
        &|_| {
            if reports.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 1 {
                *first_batch.lock().unwrap() = Some(Instant::now());
            }
        },
        &CancelToken::new(),
    )
    .await
    .unwrap();
    let e2e_s = t.elapsed().as_secs_f64();
    let enqueue_s = first_batch
        .lock()
        .unwrap()
        .map_or(0.0, |i| i.duration_since(t).as_secs_f64());
    assert_eq!(summary.sent as usize, count, "{summary:?}");
    wait_for_files(&server.maildir, count).await;
    assert_eq!(
        count_files(&server.maildir),
        count,
        "end to end: every message stored once"
    );
    store.close().await;
    cleanup.await;
    let floor_after_s = floor(count, concurrency, &sample).await;
    let floor_s = (floor_before_s + floor_after_s) / 2.0;

    let floor_rate = count as f64 / floor_s;
    let e2e_rate = count as f64 / e2e_s;
    let transport_rate = count as f64 / transport_s;
    println!();
    println!(
        "| mesure ({count} messages, {concurrency} connexions, base {backend}) | durée | débit |"
    );
    println!("|---|---|---|");
    println!("| plancher : client SMTP brut, même serveur (moyenne avant/après : {floor_before_s:.2} s / {floor_after_s:.2} s) | {floor_s:.2} s | {floor_rate:.0} messages/s |");
    println!("| client SMTP de l'application seul (pool, lettre), messages déjà construits, sans base | {transport_s:.2} s | {transport_rate:.0} messages/s ({:.0} % du plancher) |", 100.0 * transport_rate / floor_rate);
    println!("| bout en bout : demande groupée, jetons, file, SMTP | {e2e_s:.2} s | {e2e_rate:.0} messages/s ({:.0} % du plancher) |", 100.0 * e2e_rate / floor_rate);
    println!("| dont la demande groupée jusqu'au premier lot envoyé | {enqueue_s:.2} s | — |");
    println!("| argon2id m=19456 KiB, t=2, p=1 (moyenne de {rounds}) | {argon_ms:.1} ms | — |");
}

fn smtp_transport(port: u16, pool_size: u32) -> Transport {
    Transport::new(&TransportConfig::Smtp(SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        tls: SmtpTls::None,
        user: None,
        password: None,
        timeout: Duration::from_secs(30),
        pool_size,
    }))
    .unwrap()
}

/// The raw floor once: `count` messages over `concurrency` connections to a fresh
/// server; returns the seconds taken.
async fn floor(count: usize, concurrency: u32, sample: &[u8]) -> f64 {
    let floor_server = smtp::SmtpServer::start();
    let t = Instant::now();
    let per_conn = count.div_ceil(concurrency as usize);
    let mut tasks = Vec::new();
    for c in 0..concurrency as usize {
        let n = per_conn.min(count.saturating_sub(c * per_conn));
        let bytes = sample.to_vec();
        let port = floor_server.port;
        tasks.push(tokio::spawn(
            async move { raw_blast(port, n, &bytes).await },
        ));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let floor_s = t.elapsed().as_secs_f64();
    wait_for_files(&floor_server.maildir, count).await;
    assert_eq!(
        count_files(&floor_server.maildir),
        count,
        "raw floor: every message stored"
    );
    floor_s
}

/// A minimal SMTP client: EHLO once, then MAIL/RCPT/DATA per message on one
/// connection; TCP_NODELAY and the body with its final dot in one write.
async fn raw_blast(port: u16, n: usize, message: &[u8]) {
    let stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let mut body = message.to_vec();
    body.extend_from_slice(b"\r\n.\r\n");
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    async fn reply(r: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> String {
        // Multi-line replies have a '-' after the code on every line but the last.
        loop {
            let mut line = String::new();
            r.read_line(&mut line).await.unwrap();
            if line.as_bytes().get(3) != Some(&b'-') {
                return line;
            }
        }
    }
    reply(&mut r).await;
    w.write_all(b"EHLO bench\r\n").await.unwrap();
    reply(&mut r).await;
    for i in 0..n {
        w.write_all(b"MAIL FROM:<ne-pas-repondre@siec.education.fr>\r\n")
            .await
            .unwrap();
        assert!(reply(&mut r).await.starts_with("250"));
        w.write_all(format!("RCPT TO:<agent{i:05}@ac-bench.fr>\r\n").as_bytes())
            .await
            .unwrap();
        assert!(reply(&mut r).await.starts_with("250"));
        w.write_all(b"DATA\r\n").await.unwrap();
        assert!(reply(&mut r).await.starts_with("354"));
        w.write_all(&body).await.unwrap();
        assert!(reply(&mut r).await.starts_with("250"));
    }
    w.write_all(b"QUIT\r\n").await.unwrap();
}

async fn database(
    backend: &str,
) -> (
    String,
    std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>,
) {
    if backend == "sqlite" {
        let dir =
            std::env::temp_dir().join(format!("siec-bench-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}", dir.join("bench.sqlite").display());
        return (
            url,
            Box::pin(async move {
                let _ = std::fs::remove_dir_all(dir);
            }),
        );
    }
    let admin_url = std::env::var("SIEC_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let name = format!("siec_bench_{}", uuid::Uuid::new_v4().simple());
    let admin = Store::connect(&admin_url, StoreOptions::default())
        .await
        .unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(admin.pool())
        .await
        .unwrap();
    let mut url = url::Url::parse(&admin_url).unwrap();
    url.set_path(&name);
    let cleanup = Box::pin(async move {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(admin.pool())
            .await;
        admin.close().await;
    });
    (url.to_string(), cleanup)
}

/// One establishment with `count` pending accounts attached.
async fn seed(store: &Store, count: usize) {
    let pool = store.pool();
    sqlx::query("INSERT INTO establishments (uai, name, search_text, created_at, updated_at) VALUES ('0750655E', 'Lycée Louis-le-Grand', $1, 0, 0)")
        .bind(fold_for_search("Lycée Louis-le-Grand"))
        .execute(pool)
        .await
        .unwrap();
    for chunk in (0..count).collect::<Vec<_>>().chunks(500) {
        let values: Vec<String> = chunk
            .iter()
            .map(|i| {
                format!("('agent{i:05}@ac-bench.fr', 'agent{i:05}@ac-bench.fr', 'pending', 0, 0)")
            })
            .collect();
        sqlx::query(&format!(
            "INSERT INTO accounts (email, email_key, status, created_at, updated_at) VALUES {}",
            values.join(", ")
        ))
        .execute(pool)
        .await
        .unwrap();
    }
    sqlx::query(
        "INSERT INTO memberships (account_id, establishment_id, role, created_at) \
         SELECT a.id, e.id, 'member', 0 FROM accounts a, establishments e",
    )
    .execute(pool)
    .await
    .unwrap();
}
