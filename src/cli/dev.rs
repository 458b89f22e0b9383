//! `dev generate` and `dev bench-search`: generated data of realistic size and the
//! search latency measured on it (docs/BENCHMARKS.md).

use std::time::Instant;

use clap::Subcommand;

use siec_accounts::devdata::{self, GenerateOptions};
use siec_accounts::domain::{AccountStatus, Role};
use siec_accounts::search::{self, SearchKind, SearchQuery};
use siec_accounts::store::{Backend, Store};
use siec_accounts::{Error, Result};

use super::Output;

#[derive(Subcommand, Debug)]
pub enum DevCommand {
    /// Ajoute des établissements et des comptes générés (base d'essai ou de mesure).
    Generate {
        #[arg(long, default_value_t = 60_000)]
        establishments: u64,
        #[arg(long, default_value_t = 1_000_000)]
        accounts: u64,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Mesure la latence des recherches types (p50, p95, p99) et, sur PostgreSQL,
    /// le même SQL exécuté par pgbench (plancher sans l'application).
    BenchSearch {
        #[arg(long, default_value_t = 200)]
        runs: usize,
    },
}

pub async fn run(store: &Store, out: &Output, cmd: &DevCommand) -> Result<()> {
    match cmd {
        DevCommand::Generate {
            establishments,
            accounts,
            seed,
        } => {
            let bar = indicatif::ProgressBar::new(establishments + accounts);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} lignes ({per_sec}, reste {eta})",
                )
                .expect("template"),
            );
            let started = Instant::now();
            let g = devdata::generate(
                store,
                GenerateOptions {
                    establishments: *establishments,
                    accounts: *accounts,
                    seed: *seed,
                },
                &|done, _| bar.set_position(done),
            )
            .await?;
            bar.finish_and_clear();
            out.value(
                &format!(
                    "{} établissements, {} comptes et {} rattachements générés en {:.1} s.",
                    g.establishments,
                    g.accounts,
                    g.memberships,
                    started.elapsed().as_secs_f64()
                ),
                &g,
            );
            Ok(())
        }
        DevCommand::BenchSearch { runs } => bench_search(store, *runs).await,
    }
}

fn typical_queries() -> Vec<(&'static str, SearchQuery)> {
    let text = |t: &str| SearchQuery {
        text: t.into(),
        ..Default::default()
    };
    vec![
        ("adresse (fragment)", text("dupont12")),
        ("nom de famille courant", text("martin")),
        ("adresse (2 lettres)", text("ce")),
        ("UAI (début)", text("0750")),
        ("nom avec accents", text("Lycée Émile Zola")),
        ("nom sans accents", text("lycee emile zola")),
        ("commune", text("saint etienne")),
        (
            "filtre statut + académie",
            SearchQuery {
                status: Some(AccountStatus::Pending),
                academy: Some("Montpellier".into()),
                ..Default::default()
            },
        ),
        (
            "principaux jamais initialisés",
            SearchQuery {
                role: Some(Role::Principal),
                never_initialised: true,
                ..Default::default()
            },
        ),
        (
            "établissements sans principal",
            SearchQuery {
                kind: SearchKind::Establishments,
                without_principal: true,
                ..Default::default()
            },
        ),
        ("liste complète (1re page)", SearchQuery::default()),
        (
            "liste complète (page 2000)",
            SearchQuery {
                offset: 100_000,
                skip_count: true,
                ..Default::default()
            },
        ),
    ]
}

fn percentiles(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    let at = |p: f64| {
        v[((v.len() as f64 * p).ceil() as usize)
            .saturating_sub(1)
            .min(v.len() - 1)]
    };
    (at(0.50), at(0.95), at(0.99))
}

async fn bench_search(store: &Store, runs: usize) -> Result<()> {
    let runs = runs.max(10);
    let backend = match store.backend() {
        Backend::Postgres => "PostgreSQL",
        Backend::Sqlite => "SQLite",
    };
    println!("| requête ({backend}, {runs} essais) | résultats | p50 ms | p95 ms | p99 ms | plancher pgbench p50 / p95 ms |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (label, q) in typical_queries() {
        // Warm-up, and the total shown in the table.
        let page = search::search(store, &q).await?;
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            let t = Instant::now();
            search::search(store, &q).await?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        let (p50, p95, p99) = percentiles(times);
        if std::env::var_os("SIEC_BENCH_SQL").is_some() {
            for statement in search::statements(store, &q).await? {
                eprintln!("-- {label}\n{statement};");
            }
        }
        let floor = if store.backend() == Backend::Postgres {
            let statements = search::statements(store, &q).await?;
            pgbench_floor(store, &statements, runs)?
        } else {
            "—".into()
        };
        let total = if page.total_exact {
            page.total.to_string()
        } else {
            format!("> {}", page.total)
        };
        println!("| {label} | {total} | {p50:.1} | {p95:.1} | {p99:.1} | {floor} |");
    }
    Ok(())
}

/// The statements `search` ran, timed by pgbench over its own connection.
fn pgbench_floor(store: &Store, statements: &[String], runs: usize) -> Result<String> {
    let dir = std::env::temp_dir().join(format!("siec-bench-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    let script = dir.join("query.sql");
    let sql: String = statements.iter().map(|s| format!("{s};\n")).collect();
    std::fs::write(&script, sql)?;
    let status = std::process::Command::new("pgbench")
        .current_dir(&dir)
        // The same session settings as the app's connections (see store::open).
        .env("PGOPTIONS", "-c max_parallel_workers_per_gather=0")
        .args([
            "-n",
            "-c",
            "1",
            "-t",
            &runs.to_string(),
            "-l",
            "--log-prefix",
            "lat",
            "-f",
        ])
        .arg(&script)
        .arg(store.url_for_display())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
    let result = match status {
        Ok(s) if s.success() => {
            let mut lat = Vec::new();
            for entry in std::fs::read_dir(&dir)? {
                let path = entry?.path();
                if path
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("lat"))
                {
                    for line in std::fs::read_to_string(&path)?.lines() {
                        if let Some(us) = line
                            .split_whitespace()
                            .nth(2)
                            .and_then(|v| v.parse::<f64>().ok())
                        {
                            lat.push(us / 1000.0);
                        }
                    }
                }
            }
            if lat.is_empty() {
                return Err(Error::Internal("pgbench n'a rien mesuré.".into()));
            }
            let (p50, p95, _) = percentiles(lat);
            format!("{p50:.1} / {p95:.1}")
        }
        _ => "pgbench indisponible".into(),
    };
    let _ = std::fs::remove_dir_all(&dir);
    Ok(result)
}
