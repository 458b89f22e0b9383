//! Measurements for docs/BENCHMARKS.md (« Application de bureau »): cold start to an
//! interactive window, resident memory idle and after scrolling, keystroke to
//! rendered results, over a generated database of `SIEC_BENCH_ACCOUNTS` addresses
//! (default 1,000,000). Run with `scripts/e2e bench` (the release build is used when
//! `SIEC_E2E_APP` points at it). The figures are printed for docs/BENCHMARKS.md; the
//! test itself only fails when the list stops being virtualised or memory runs away.

mod support;

use std::time::{Duration, Instant};

use siec_accounts::devdata::{self, GenerateOptions};
use support::{AppEnv, Driver, Session};

/// The app's process and the WebKit processes it started: pid, name, `status` text.
fn app_processes(app: &std::path::Path) -> Vec<(String, String, String)> {
    let read = |pid: &str, file: &str| {
        std::fs::read_to_string(format!("/proc/{pid}/{file}")).unwrap_or_default()
    };
    let pids: Vec<String> = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .map(|p| p.file_name().to_string_lossy().to_string())
        .collect();
    let app_pids: Vec<&String> = pids
        .iter()
        .filter(|pid| read(pid, "cmdline").split('\0').next() == app.to_str())
        .collect();
    pids.iter()
        .filter_map(|pid| {
            let status = read(pid, "status");
            let line = |name: &str| {
                status
                    .lines()
                    .find_map(|l| l.strip_prefix(name))
                    .map(|v| v.trim().to_string())
                    .unwrap_or_default()
            };
            let ppid = line("PPid:");
            (app_pids.contains(&pid) || app_pids.iter().any(|a| **a == ppid))
                .then(|| (pid.clone(), line("Name:"), status.clone()))
        })
        .collect()
}

/// Memory of the app and of its WebKit processes, in MiB: the sum of their resident
/// sets (which counts the WebKit and GTK libraries once per process), and the sum of
/// their proportional sets (PSS: each shared page divided among the processes that
/// map it), which is what the app costs the machine. Also one line per process.
fn memory_mib(app: &std::path::Path) -> (f64, f64, String) {
    let (mut rss_kib, mut pss_kib) = (0u64, 0u64);
    let mut detail = Vec::new();
    let field = |text: &str, name: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    };
    for (pid, name, status) in app_processes(app) {
        let rss = field(&status, "VmRSS:");
        let rollup =
            std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
        let pss = field(&rollup, "Pss:");
        let pss_anon = field(&rollup, "Pss_Anon:");
        detail.push(format!(
            "{name} {} / {} Mio dont {} Mio écrits par le processus",
            rss / 1024,
            pss / 1024,
            pss_anon / 1024
        ));
        rss_kib += rss;
        pss_kib += pss;
    }
    (
        rss_kib as f64 / 1024.0,
        pss_kib as f64 / 1024.0,
        detail.join(", "),
    )
}

/// With `SIEC_BENCH_SMAPS=<dir>`, keeps each process's `/proc/<pid>/smaps` at this
/// point of the run, to see which mappings a step makes grow.
fn keep_smaps(app: &std::path::Path, label: &str) {
    let Some(dir) = std::env::var_os("SIEC_BENCH_SMAPS") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (pid, name, _) in app_processes(app) {
        let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).unwrap_or_default();
        std::fs::write(dir.join(format!("{label}-{name}.smaps")), smaps).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "mesure longue : lancer scripts/e2e bench"]
async fn bench_desktop() {
    let _one = support::exclusive().await;
    let accounts: u64 = std::env::var("SIEC_BENCH_ACCOUNTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let mut env = AppEnv::new("bench");
    // SIEC_BENCH_DATABASE: a SQLite file already filled (`siec-accounts dev generate`,
    // release build, a few minutes) instead of generating here in a debug build.
    if let Ok(path) = std::env::var("SIEC_BENCH_DATABASE") {
        env.set("SIEC_DATABASE_URL", format!("sqlite://{path}"));
        eprintln!("bench: base déjà remplie : {path}");
    } else {
        let store = support::open_store(&env.sqlite_url()).await;
        let t = Instant::now();
        devdata::generate(
            &store,
            GenerateOptions {
                establishments: accounts / 20,
                accounts,
                seed: 7,
            },
            &|_, _| {},
        )
        .await
        .unwrap();
        eprintln!(
            "bench: {accounts} adresses générées en {:.1} s",
            t.elapsed().as_secs_f64()
        );
        store.close().await;
    }

    let app = support::app_binary();
    let driver = Driver::start(&env);
    let t = Instant::now();
    let mut s = Session::start(&driver, "bench").await;
    let start = t.elapsed();
    let page = s.exec("return performance.now()", vec![]).await;
    eprintln!(
        "bench: démarrage à froid jusqu'à la fenêtre utilisable : {} ms (dont page {:.0} ms)",
        start.as_millis(),
        page.as_f64().unwrap_or(f64::NAN)
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (idle, idle_pss, detail) = memory_mib(&app);
    keep_smaps(&app, "1-repos");
    eprintln!(
        "bench: mémoire au repos : PSS {idle_pss:.0} Mio, somme des RSS {idle:.0} Mio ({detail})"
    );

    s.go("#/recherche").await;
    s.wait_text("#results-count", |t| !t.is_empty()).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (open_rss, open_pss, detail) = memory_mib(&app);
    keep_smaps(&app, "2-recherche");
    eprintln!(
        "bench: écran de recherche ouvert : mémoire PSS {open_pss:.0} Mio, somme des RSS {open_rss:.0} Mio ({detail})"
    );
    let mut latencies = Vec::new();
    let mut queries = Vec::new();
    let mut per_key = Vec::new();
    for word in ["dupont", "martin", "lycee", "ac-lyon", "0750"] {
        s.clear("#search-text").await;
        for (i, c) in word.chars().enumerate() {
            s.type_in("#search-text", &c.to_string()).await;
            let typed: String = word.chars().take(i + 1).collect();
            // Wait for this keystroke's results to be on screen.
            let begin = Instant::now();
            loop {
                let v = s.exec("const r = document.querySelector('#results'); return [r.dataset.text, r.dataset.latencyMs, r.dataset.queryMs]", vec![]).await;
                if v[0].as_str() == Some(typed.as_str()) {
                    latencies.push(v[1].as_str().unwrap().parse::<f64>().unwrap());
                    queries.push(v[2].as_str().unwrap().parse::<f64>().unwrap());
                    per_key.push(format!(
                        "{typed} {}/{}",
                        v[1].as_str().unwrap(),
                        v[2].as_str().unwrap()
                    ));
                    break;
                }
                assert!(
                    begin.elapsed() < Duration::from_secs(10),
                    "pas de résultats pour {typed}"
                );
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
    eprintln!(
        "bench: par frappe (frappe→résultats/requête+affichage ms) : {}",
        per_key.join(", ")
    );
    latencies.sort_by(f64::total_cmp);
    queries.sort_by(f64::total_cmp);
    let pct = |v: &[f64], p: f64| v[((v.len() as f64 - 1.0) * p).round() as usize];
    eprintln!(
        "bench: frappe → résultats ({} frappes) : médiane {} ms, p95 {} ms ; requête + affichage : médiane {} ms, p95 {} ms",
        latencies.len(),
        pct(&latencies, 0.5),
        pct(&latencies, 0.95),
        pct(&queries, 0.5),
        pct(&queries, 0.95)
    );

    let (typed_rss, typed_pss, detail) = memory_mib(&app);
    keep_smaps(&app, "3-frappes");
    eprintln!(
        "bench: après les frappes : mémoire PSS {typed_pss:.0} Mio, somme des RSS {typed_rss:.0} Mio ({detail})"
    );

    // Scroll the whole-base list far down, page after page.
    s.clear("#search-text").await;
    s.type_in("#search-text", " ").await;
    s.wait_text("#results-count", |t| t.starts_with("plus de"))
        .await;
    let t = Instant::now();
    for step in 1..=200 {
        s.exec(
            "const el = document.querySelector('#results-scroll'); el.scrollTop += 4000;",
            vec![],
        )
        .await;
        if step % 20 == 0 {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rows = s
        .exec(
            "return document.querySelectorAll('#results .siec-vlist__row').length",
            vec![],
        )
        .await;
    let deepest = s.exec("const r = [...document.querySelectorAll('#results .siec-vlist__row')].pop(); return r && Number(r.getAttribute('aria-rowindex'))", vec![]).await;
    let (scrolled, scrolled_pss, detail) = memory_mib(&app);
    keep_smaps(&app, "4-defilement");
    eprintln!(
        "bench: après défilement jusqu'à la ligne {deepest} en {:.1} s : {rows} lignes dans le DOM, mémoire PSS {scrolled_pss:.0} Mio, somme des RSS {scrolled:.0} Mio ({detail})",
        t.elapsed().as_secs_f64()
    );
    // The page's collector and WebKit's allocator give memory back a while after
    // the scrolling stops: measured again once the list has been left alone.
    tokio::time::sleep(Duration::from_secs(10)).await;
    let (settled, settled_pss, detail) = memory_mib(&app);
    eprintln!(
        "bench: 10 s plus tard : mémoire PSS {settled_pss:.0} Mio, somme des RSS {settled:.0} Mio ({detail})"
    );
    s.shot("defilement").await;
    s.end().await;

    assert!(rows.as_u64().unwrap() < 300);
    assert!(scrolled_pss < 400.0, "{scrolled_pss} Mio");
}
