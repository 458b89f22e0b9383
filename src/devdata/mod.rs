//! Realistic generated data for benchmarks and trials: establishments with valid
//! UAI keys, French names and cities with accents, several addresses each, one
//! principal for most. Written in large multi-row inserts without audit rows: this
//! is a loader for test databases, not an agent's action.

mod names;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::domain::{fold_for_search, Uai};
use crate::error::Result;
use crate::store::{Backend, Store};

#[derive(Debug, Clone, Copy)]
pub struct GenerateOptions {
    pub establishments: u64,
    pub accounts: u64,
    pub seed: u64,
}

#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Generated {
    pub establishments: u64,
    pub accounts: u64,
    pub memberships: u64,
}

/// Appends generated rows; progress is reported after each batch.
pub async fn generate(
    store: &Store,
    opts: GenerateOptions,
    progress: &dyn Fn(u64, u64),
) -> Result<Generated> {
    store.ensure_writable()?;
    let mut rng = StdRng::seed_from_u64(opts.seed);
    let now = store.now_ms();
    let batch = match store.backend() {
        Backend::Postgres => 2000,
        Backend::Sqlite => 1000,
    };
    let (start_est,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(id), 0) FROM establishments")
        .fetch_one(store.pool())
        .await?;
    let (start_acc,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(id), 0) FROM accounts")
        .fetch_one(store.pool())
        .await?;
    let total = opts.establishments + opts.accounts;
    let mut done = 0;

    // Establishments: UAIs spread over departments, names « Type Personnage ».
    let mut uais = Vec::with_capacity(opts.establishments as usize);
    let mut used = std::collections::HashSet::new();
    while uais.len() < opts.establishments as usize {
        let dept = rng.gen_range(1..=976u32);
        let n = dept * 10_000 + rng.gen_range(0..10_000u32);
        if n < 10_000_000 && used.insert(n) {
            uais.push(Uai::from_digits(n));
        }
    }
    // Each establishment's part of its accounts' search documents.
    let mut est_docs = Vec::with_capacity(uais.len());
    let mut est_academies = Vec::with_capacity(uais.len());
    for (chunk_no, chunk) in uais.chunks(batch).enumerate() {
        let mut tx = store.pool().begin().await?;
        let mut sql = String::from("INSERT INTO establishments (id, uai, name, city, academy, search_text, created_at, updated_at) VALUES ");
        let mut args: Vec<String> = Vec::with_capacity(chunk.len() * 5);
        for (i, uai) in chunk.iter().enumerate() {
            let id = start_est + (chunk_no * batch + i) as i64 + 1;
            let kind = names::KINDS[rng.gen_range(0..names::KINDS.len())];
            let person = names::PEOPLE[rng.gen_range(0..names::PEOPLE.len())];
            let (city, academy) = names::CITIES[rng.gen_range(0..names::CITIES.len())];
            let name = format!("{kind} {person}");
            if i > 0 {
                sql.push(',');
            }
            let b = args.len();
            sql.push_str(&format!(
                "({id}, ${}, ${}, ${}, ${}, ${}, {now}, {now})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5
            ));
            est_academies.push(academy);
            est_docs.push(format!(
                "{} {}",
                uai.as_str().to_ascii_lowercase(),
                fold_for_search(&format!("{name} {city}"))
            ));
            args.extend([
                uai.to_string(),
                name.clone(),
                city.to_string(),
                academy.to_string(),
                fold_for_search(&format!("{name} {city}")),
            ]);
        }
        let mut q = sqlx::query(&sql);
        for a in &args {
            q = q.bind(a.as_str());
        }
        q.execute(&mut *tx).await?;
        tx.commit().await?;
        done += chunk.len() as u64;
        progress(done, total);
    }

    // Accounts: each attached to one establishment (a few to two); the first address
    // generated for an establishment is its principal, for nine establishments in ten.
    let mut memberships = 0u64;
    // One establishment in ten has no principal yet, as in real life.
    let mut principal_given: Vec<bool> = (0..uais.len()).map(|_| rng.gen_bool(0.1)).collect();
    let never_principal = principal_given.clone();
    // Filter tags as `accounts::refresh_search_text` writes them, assuming every other
    // establishment gets its principal; checked once everything is in.
    let tag = |e: usize, role: char| {
        let np = if never_principal[e] { '1' } else { '0' };
        format!("\u{1e}{}\u{1f}{role}{np}\u{1e}", est_academies[e])
    };
    let mut next = 0u64;
    while next < opts.accounts {
        let n = batch.min((opts.accounts - next) as usize);
        let mut tx = store.pool().begin().await?;
        let mut acc_sql = String::from("INSERT INTO accounts (id, email, email_key, display_name, status, password_set_at, created_at, updated_at, search_text, search_tags, principal_of) VALUES ");
        let mut acc_args: Vec<String> = Vec::with_capacity(n * 5);
        let mut mem_rows = Vec::with_capacity(n + n / 20);
        for i in 0..n {
            let id = start_acc + (next + i as u64) as i64 + 1;
            let e = rng.gen_range(0..uais.len());
            let (first, last) = (
                names::FIRST[rng.gen_range(0..names::FIRST.len())],
                names::LAST[rng.gen_range(0..names::LAST.len())],
            );
            let (_, academy) = names::CITIES[e % names::CITIES.len()];
            let domain = format!("ac-{}.fr", fold_for_search(academy).replace(' ', "-"));
            let principal = !principal_given[e];
            let email = if principal {
                principal_given[e] = true;
                format!("ce.{}@{domain}", uais[e].as_str().to_ascii_lowercase())
            } else {
                format!("{}.{}{}@{domain}", ascii(first), ascii(last), id)
            };
            let status = match rng.gen_range(0..100) {
                0..=59 => "active",
                60..=95 => "pending",
                _ => "disabled",
            };
            let set_at = if status == "active" {
                now.to_string()
            } else {
                "NULL".into()
            };
            let est_id = start_est + e as i64 + 1;
            mem_rows.push(format!(
                "({id}, {est_id}, '{}', {now})",
                if principal { "principal" } else { "member" }
            ));
            let mut doc = format!("{} {}", fold_for_search(&email), est_docs[e]);
            let mut tags = tag(e, if principal { 'p' } else { 'm' });
            if rng.gen_range(0..20) == 0 {
                let o = rng.gen_range(0..uais.len());
                if o != e {
                    let other = start_est + o as i64 + 1;
                    mem_rows.push(format!("({id}, {other}, 'member', {now})"));
                    doc.push(' ');
                    doc.push_str(&est_docs[o]);
                    tags.push_str(&tag(o, 'm'));
                }
            }
            if i > 0 {
                acc_sql.push(',');
            }
            let b = acc_args.len();
            acc_sql.push_str(&format!(
                "({id}, ${}, ${}, ${}, ${}, {set_at}, {now}, {now}, ${}, ${}, {})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6,
                u8::from(principal)
            ));
            acc_args.extend([
                email.clone(),
                email.to_ascii_lowercase(),
                format!("{first} {last}"),
                status.to_string(),
                doc,
                tags,
            ]);
        }
        let mut q = sqlx::query(&acc_sql);
        for a in &acc_args {
            q = q.bind(a.as_str());
        }
        q.execute(&mut *tx).await?;
        memberships += mem_rows.len() as u64;
        sqlx::query(&format!(
            "INSERT INTO memberships (account_id, establishment_id, role, created_at) VALUES {}",
            mem_rows.join(",")
        ))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        next += n as u64;
        done += n as u64;
        progress(done, total);
    }
    if store.backend() == Backend::Postgres {
        // Identity sequences must follow the explicit ids written above.
        for table in ["establishments", "accounts"] {
            sqlx::query(&format!("SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"))
                .execute(store.pool())
                .await?;
        }
    }
    // An establishment expected to get a principal that got none (no address drawn
    // for it): its members' tags are rewritten by the core's own statement.
    let without: Vec<(i64,)> = sqlx::query_as(
        "SELECT e.id FROM establishments e WHERE e.id > $1 AND NOT EXISTS \
         (SELECT 1 FROM memberships p WHERE p.establishment_id = e.id AND p.role = 'principal')",
    )
    .bind(start_est)
    .fetch_all(store.pool())
    .await?;
    let mut conn = store.pool().acquire().await?;
    for (id,) in without {
        if !never_principal[(id - start_est - 1) as usize] {
            crate::accounts::refresh_establishment_tags(&mut conn, id).await?;
        }
    }
    drop(conn);
    // Fresh statistics and visibility maps, as autovacuum would leave them.
    let maintenance = match store.backend() {
        Backend::Postgres => "VACUUM ANALYZE",
        Backend::Sqlite => "ANALYZE",
    };
    sqlx::query(maintenance).execute(store.pool()).await?;
    Ok(Generated {
        establishments: opts.establishments,
        accounts: opts.accounts,
        memberships,
    })
}

fn ascii(s: &str) -> String {
    fold_for_search(s).replace(' ', "-")
}
