//! 10,000 links end to end against the local aiosmtpd, beside the floor: the same
//! number of messages blasted by a minimal raw SMTP client to the same server.
//! Also the argon2id hashing time with the chosen parameters.
//!
//!     cargo bench --bench links_10k -- [--count N] [--backend postgres|sqlite] [--concurrency C] [--rounds R]
//!
//! Each of the R rounds (3 by default) runs the floor, the app's SMTP client alone,
//! end to end, and the floor again; the ratio reported is the median of the rounds'.
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

/// One measured phase: how long it took, and the CPU seconds the relay and this
/// process (the client: raw, the app's SMTP client, or the whole app) used.
struct Phase {
    seconds: f64,
    relay_cpu: f64,
    client_cpu: f64,
}

/// One end-to-end run, and where the time went.
struct EndToEnd {
    phase: Phase,
    select_s: f64,
    first_batch_s: f64,
    tail_s: f64,
}

/// One round: the floor before and after (the machine's speed drifts, so each
/// round compares with the mean of the floors around it), the app's SMTP client
/// alone, and end to end.
struct Round {
    floor_before: Phase,
    floor_after: Phase,
    transport: Phase,
    e2e: EndToEnd,
}

impl Round {
    fn floor_s(&self) -> f64 {
        (self.floor_before.seconds + self.floor_after.seconds) / 2.0
    }
    fn floor_relay_cpu(&self) -> f64 {
        (self.floor_before.relay_cpu + self.floor_after.relay_cpu) / 2.0
    }
    fn floor_client_cpu(&self) -> f64 {
        (self.floor_before.client_cpu + self.floor_after.client_cpu) / 2.0
    }
    /// End-to-end throughput as a share of the floor's.
    fn e2e_ratio(&self) -> f64 {
        self.floor_s() / self.e2e.phase.seconds
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
    let rounds: usize = arg("--rounds")
        .map(|s| s.parse().unwrap())
        .unwrap_or(if measuring { 3 } else { 1 });

    // --- argon2id
    let pw = Password::parse(SecretString::from("Examens-2026@SIEC".to_string())).unwrap();
    let hashes = 10;
    let t = Instant::now();
    for _ in 0..hashes {
        links::hash_password(&pw).unwrap();
    }
    let argon_ms = t.elapsed().as_secs_f64() * 1000.0 / hashes as f64;

    let template = MailTemplate::new(DEFAULT_SENDER, DEFAULT_PORTAL_URL).unwrap();
    let mut results = Vec::new();
    for _ in 0..rounds {
        let floor_before = floor(count, concurrency, &template).await;
        let transport = transport_alone(count, concurrency, &template).await;
        let e2e = end_to_end(&backend, count, concurrency, &template).await;
        let floor_after = floor(count, concurrency, &template).await;
        results.push(Round {
            floor_before,
            floor_after,
            transport,
            e2e,
        });
    }

    // The relay's CPU per message tells a relay kept busy by a slow client from
    // one that works harder for the same messages.
    let per_msg = |cpu: f64| 1e6 * cpu / count as f64;
    let rate = |s: f64| count as f64 / s;
    println!();
    println!(
        "| tour ({count} messages, {concurrency} connexions, base {backend}) | plancher : client SMTP brut (avant / après) | client SMTP de l'application seul | bout en bout : demande groupée, jetons, file, SMTP |"
    );
    println!("|---|---|---|---|");
    // Per message: relay CPU, then this process's CPU (the client's).
    let cpus = |relay: f64, client: f64| {
        format!(
            "relais {:.0} µs, client {:.0} µs par message",
            per_msg(relay),
            per_msg(client)
        )
    };
    for (i, r) in results.iter().enumerate() {
        println!(
            "| {} | {:.0} / {:.0} messages/s ; {} | {:.0} messages/s ({:.0} %) ; {} | {:.0} messages/s (**{:.0} %**) ; {} |",
            i + 1,
            rate(r.floor_before.seconds),
            rate(r.floor_after.seconds),
            cpus(r.floor_relay_cpu(), r.floor_client_cpu()),
            rate(r.transport.seconds),
            100.0 * r.floor_s() / r.transport.seconds,
            cpus(r.transport.relay_cpu, r.transport.client_cpu),
            rate(r.e2e.phase.seconds),
            100.0 * r.e2e_ratio(),
            cpus(r.e2e.phase.relay_cpu, r.e2e.phase.client_cpu),
        );
    }
    let mut ratios: Vec<f64> = results.iter().map(Round::e2e_ratio).collect();
    ratios.sort_by(f64::total_cmp);
    println!();
    println!(
        "Bout en bout : médiane {:.0} % du plancher (tours : {}).",
        100.0 * ratios[ratios.len() / 2],
        ratios
            .iter()
            .map(|r| format!("{:.0} %", 100.0 * r))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for (i, r) in results.iter().enumerate() {
        println!(
            "Tour {} : sélection des comptes {:.2} s, premier lot enregistré à {:.2} s, bilan après le dernier lot {:.2} s.",
            i + 1,
            r.e2e.select_s,
            r.e2e.first_batch_s,
            r.e2e.tail_s
        );
    }
    println!(
        "argon2id m=19456 KiB, t=2, p=1 : {argon_ms:.1} ms par empreinte (moyenne de {hashes})."
    );
}

fn sample_mail(template: &MailTemplate, i: usize) -> (String, lettre::Message) {
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
}

/// The app's SMTP client alone: `count` messages through `Transport` (pool,
/// lettre), built beforehand, no database. Seconds and relay CPU seconds.
async fn transport_alone(count: usize, concurrency: u32, template: &MailTemplate) -> Phase {
    let server = smtp::SmtpServer::start();
    let transport = smtp_transport(server.port, concurrency);
    let messages: Vec<_> = (0..count).map(|i| sample_mail(template, i)).collect();
    let queue = std::sync::Arc::new(std::sync::Mutex::new(messages));
    let cpu = smtp::cpu_seconds_of("self");
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
    let seconds = t.elapsed().as_secs_f64();
    let client_cpu = smtp::cpu_seconds_of("self") - cpu;
    wait_for_files(&server.maildir, count).await;
    assert_eq!(
        count_files(&server.maildir),
        count,
        "transport: every message stored"
    );
    Phase {
        seconds,
        relay_cpu: server.cpu_seconds(),
        client_cpu,
    }
}

/// Accounts in a fresh database, a bulk request for all of them, the worker, SMTP.
async fn end_to_end(
    backend: &str,
    count: usize,
    concurrency: u32,
    template: &MailTemplate,
) -> EndToEnd {
    let (url, cleanup) = database(backend).await;
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
        template.clone(),
        WorkerConfig {
            rate_per_second: 1_000_000,
            concurrency: concurrency as usize,
            ..WorkerConfig::default()
        },
    );
    // Reports: the first comes once the accounts are selected (before any write),
    // the next with the first recorded batch, the one with every message done
    // with the last.
    let selected = std::sync::Mutex::new(None::<Instant>);
    let first_batch = std::sync::Mutex::new(None::<Instant>);
    let last_batch = std::sync::Mutex::new(None::<Instant>);
    let reports = std::sync::atomic::AtomicUsize::new(0);
    let cpu = smtp::cpu_seconds_of("self");
    let t = Instant::now();
    // The bench measures the embedded path's shape on either backend: one store
    // requests and delivers.
    let summary = links::send_bulk(
        &store,
        Some(&worker),
        &Selection::Uai(Uai::parse("0750655E").unwrap()),
        None,
        &|p| {
            match reports.fetch_add(1, std::sync::atomic::Ordering::SeqCst) {
                0 => *selected.lock().unwrap() = Some(Instant::now()),
                1 => *first_batch.lock().unwrap() = Some(Instant::now()),
                _ => {}
            }
            if p.done as usize == count {
                last_batch.lock().unwrap().get_or_insert_with(Instant::now);
            }
        },
        &CancelToken::new(),
    )
    .await
    .unwrap();
    let seconds = t.elapsed().as_secs_f64();
    let client_cpu = smtp::cpu_seconds_of("self") - cpu;
    let since_start = |m: &std::sync::Mutex<Option<Instant>>| {
        m.lock()
            .unwrap()
            .map_or(0.0, |i| i.duration_since(t).as_secs_f64())
    };
    assert_eq!(summary.sent as usize, count, "{summary:?}");
    wait_for_files(&server.maildir, count).await;
    assert_eq!(
        count_files(&server.maildir),
        count,
        "end to end: every message stored once"
    );
    let relay_cpu = server.cpu_seconds();
    store.close().await;
    cleanup.await;
    EndToEnd {
        phase: Phase {
            seconds,
            relay_cpu,
            client_cpu,
        },
        select_s: since_start(&selected),
        first_batch_s: since_start(&first_batch),
        tail_s: seconds - since_start(&last_batch),
    }
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
/// server; returns the seconds taken and the relay's CPU seconds.
async fn floor(count: usize, concurrency: u32, template: &MailTemplate) -> Phase {
    let sample = sample_mail(template, 1).1.formatted();
    let floor_server = smtp::SmtpServer::start();
    let cpu = smtp::cpu_seconds_of("self");
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
    let client_cpu = smtp::cpu_seconds_of("self") - cpu;
    wait_for_files(&floor_server.maildir, count).await;
    assert_eq!(
        count_files(&floor_server.maildir),
        count,
        "raw floor: every message stored"
    );
    Phase {
        seconds: floor_s,
        relay_cpu: floor_server.cpu_seconds(),
        client_cpu,
    }
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
