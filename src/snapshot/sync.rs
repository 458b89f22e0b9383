//! One sync: one consistent cut of the central database (a REPEATABLE READ,
//! READ ONLY transaction under the agent's login), applied to the copy in one
//! SQLite transaction.
//!
//! The cursor is the PostgreSQL snapshot of the previous sync, not a change
//! number. Change numbers are taken when a row is written, not when its
//! transaction commits: a transaction that took number 10 and commits after
//! another one's 11 would be lost by a « greater than the last number » cursor.
//! A row is read again when its writer (`change_xid`) was not visible in the
//! previous snapshot — exactly the transactions that had not committed then,
//! whatever their numbers. The scan starts at that snapshot's `xmin` through the
//! `change_xid` indexes; visible rows in that range are filtered out by the server,
//! so a sync after N changes returns about N rows and one with none returns none.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use futures::TryStreamExt;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::tables::{table, Apply, Kind, Table, TABLES};
use super::{connect_copy, discard, CopyMeta, OfflineCopy, Scope};
use crate::error::{Error, Result};
use crate::store::{Backend, Store};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncKind {
    Full,
    Incremental,
}

/// Where a sync stands, for a progress bar.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Progress {
    pub kind: SyncKind,
    pub table: &'static str,
    pub done: u64,
    /// Rows expected in all (full sync; 0 when unknown).
    pub total: u64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct SyncReport {
    pub kind: SyncKind,
    /// Why a full sync was needed (French), when it was one.
    pub reason: Option<String>,
    /// Rows read from the central database, tombstones included.
    pub rows_read: u64,
    pub per_table: Vec<(String, u64)>,
    pub tombstones: u64,
    pub synced_at: i64,
    pub duration_ms: u64,
}

/// The file a full sync builds before it replaces the copy.
pub(super) fn building_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".nouvelle");
    PathBuf::from(p)
}

struct Source {
    id: String,
    schema: i64,
    snapshot: String,
    agent: String,
}

pub(super) async fn sync(
    copy: &OfflineCopy,
    source: &Store,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<SyncReport> {
    if source.backend() != Backend::Postgres {
        return Err(Error::invalid(
            "La copie hors connexion se fait depuis la base centrale (PostgreSQL) : la base intégrée est déjà sur ce poste.",
        ));
    }
    let started = std::time::Instant::now();
    // The keyring first: without it, nothing is read and no file is written.
    let key_entry = copy.key();
    let key = key_entry.read()?;
    let existing = match &key {
        Some(_) => copy.open_keyed().await?,
        None => {
            discard(&copy.path)?;
            None
        }
    };

    let mut pg = source.pool().acquire().await?;
    sqlx::query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .execute(&mut *pg)
        .await?;
    let outcome = async {
        let src = read_source(&mut pg).await?;
        let scope = copy.scope.encode();
        let plan = match &existing {
            None => Err("aucune copie utilisable".to_string()),
            Some((store, meta)) => {
                check_incremental(&mut pg, store, meta.as_ref(), &src, &scope).await?
            }
        };
        match plan {
            Ok(meta) => {
                let (store, _) = existing
                    .as_ref()
                    .ok_or_else(|| Error::Internal("copie hors connexion introuvable".into()))?;
                incremental(&mut pg, store, &copy.scope, &meta, &src, progress).await
            }
            Err(reason) => {
                if let Some((store, _)) = &existing {
                    store.close().await;
                }
                let key = match key {
                    Some(k) => k,
                    None => key_entry.create()?,
                };
                full(&mut pg, copy, key, &src, reason, progress).await
            }
        }
    }
    .await;
    // Read only: ending it either way changes nothing on the server.
    let _ = sqlx::query("ROLLBACK").execute(&mut *pg).await;
    if let Some((store, _)) = existing {
        store.close().await;
    }
    let mut report = outcome?;
    report.duration_ms = started.elapsed().as_millis() as u64;
    tracing::info!(kind = ?report.kind, rows = report.rows_read, ms = report.duration_ms, "offline copy synced");
    Ok(report)
}

async fn read_source(pg: &mut AnyConnection) -> Result<Source> {
    let row: std::result::Result<(String, i64, String, String), sqlx::Error> = sqlx::query_as(
        "SELECT CAST(s.database_id AS TEXT) || '/' || current_database(), CAST(v.version AS BIGINT), \
         CAST(pg_current_snapshot() AS TEXT), CAST(session_user AS TEXT) \
         FROM sync_source s, schema_version v",
    )
    .fetch_one(&mut *pg)
    .await;
    match row {
        Ok((id, schema, snapshot, agent)) => Ok(Source {
            id,
            schema,
            snapshot,
            agent,
        }),
        Err(sqlx::Error::Database(e)) if e.message().contains("does not exist") => {
            Err(Error::Unavailable(
                "La base centrale n'a pas encore le schéma qui permet la copie hors connexion (version 8) : lancez « siec-accounts migrate » sur la base centrale.".into(),
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// `Ok(Ok(meta))`: the copy can be brought up to date incrementally;
/// `Ok(Err(reason))`: it must be rebuilt, and why.
async fn check_incremental(
    pg: &mut AnyConnection,
    store: &Store,
    meta: Option<&CopyMeta>,
    src: &Source,
    scope: &str,
) -> Result<std::result::Result<CopyMeta, String>> {
    let Some(meta) = meta else {
        return Ok(Err("copie incomplète".into()));
    };
    let copy_schema = store.database_schema_version().await?;
    if meta.copy_schema != store.app_schema_version() || copy_schema != meta.copy_schema {
        return Ok(Err("nouvelle version de l'application".into()));
    }
    if meta.source != src.id {
        return Ok(Err("autre base centrale".into()));
    }
    if meta.source_schema != src.schema {
        return Ok(Err("schéma de la base centrale mis à jour".into()));
    }
    if meta.scope != scope {
        return Ok(Err("académies de la copie modifiées".into()));
    }
    if meta.agent != src.agent {
        return Ok(Err("autre identifiant de connexion".into()));
    }
    // A restored database has the same identity but its transaction ids started
    // over: the old snapshot would hide changes forever.
    let (forward,): (bool,) = sqlx::query_as(
        "SELECT pg_snapshot_xmax(CAST($1 AS pg_snapshot)) <= pg_snapshot_xmax(pg_current_snapshot())",
    )
    .bind(&meta.watermark)
    .fetch_one(&mut *pg)
    .await?;
    if !forward {
        return Ok(Err("base centrale restaurée".into()));
    }
    Ok(Ok(meta.clone()))
}

/// Builds a new file beside the copy and swaps it in only once complete: an
/// interrupted sync leaves the previous copy as it was.
async fn full(
    pg: &mut AnyConnection,
    copy: &OfflineCopy,
    key: secrecy::SecretString,
    src: &Source,
    reason: String,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<SyncReport> {
    let building = building_path(&copy.path);
    discard(&building)?;
    if let Some(dir) = copy.path.parent() {
        std::fs::create_dir_all(dir)?;
        restrict_dir(dir);
    }
    let store = connect_copy(&building, key).await?;
    restrict_file(&building);
    let result = async {
        store.migrate().await?;
        create_meta(&store).await?;
        let scope = copy.scope.encode();
        let mut total = 0u64;
        for t in TABLES {
            let sql = format!(
                "SELECT COUNT(*) FROM {} {} WHERE {}",
                t.name,
                t.alias,
                scope_sql(t, &copy.scope, 1)
            );
            let mut q = sqlx::query_as::<_, (i64,)>(&sql);
            if copy.scope != Scope::All {
                q = q.bind(&scope);
            }
            let (n,) = q.fetch_one(&mut *pg).await?;
            total += n.max(0) as u64;
        }
        let mut tx = store.pool().begin().await?;
        let mut per_table = Vec::new();
        let mut done = 0u64;
        for t in TABLES {
            progress(Progress {
                kind: SyncKind::Full,
                table: t.name,
                done,
                total,
            });
            let sql = format!(
                "SELECT {} FROM {} {} WHERE {}",
                t.select_list(),
                t.name,
                t.alias,
                scope_sql(t, &copy.scope, 1)
            );
            let mut q = sqlx::query(&sql);
            if copy.scope != Scope::All {
                q = q.bind(&scope);
            }
            let mut rows = q.fetch(&mut *pg);
            let mut batch: Vec<Vec<Value>> = Vec::new();
            let mut count = 0u64;
            while let Some(row) = rows.try_next().await? {
                batch.push(values(&row, t)?);
                if batch.len() >= batch_rows(t) {
                    count += batch.len() as u64;
                    insert(&mut tx, t, &batch).await?;
                    batch.clear();
                    progress(Progress {
                        kind: SyncKind::Full,
                        table: t.name,
                        done: done + count,
                        total,
                    });
                }
            }
            drop(rows);
            count += batch.len() as u64;
            insert(&mut tx, t, &batch).await?;
            done += count;
            per_table.push((t.name.to_string(), count));
        }
        let now = chrono::Utc::now().timestamp_millis();
        write_meta(
            &mut tx,
            &CopyMeta {
                source: src.id.clone(),
                source_schema: src.schema,
                copy_schema: store.app_schema_version(),
                scope,
                agent: src.agent.clone(),
                watermark: src.snapshot.clone(),
                synced_at: now,
                full_synced_at: now,
            },
        )
        .await?;
        tx.commit().await?;
        progress(Progress {
            kind: SyncKind::Full,
            table: "",
            done,
            total,
        });
        Ok(SyncReport {
            kind: SyncKind::Full,
            reason: Some(reason),
            rows_read: done,
            per_table,
            tombstones: 0,
            synced_at: now,
            duration_ms: 0,
        })
    }
    .await;
    store.close().await;
    match result {
        Ok(report) => {
            // Readers that still hold the old file keep reading it until they
            // reopen; the rename itself is atomic.
            std::fs::rename(&building, &copy.path)?;
            Ok(report)
        }
        Err(e) => {
            let _ = discard(&building);
            Err(e)
        }
    }
}

async fn incremental(
    pg: &mut AnyConnection,
    store: &Store,
    scope: &Scope,
    meta: &CopyMeta,
    src: &Source,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<SyncReport> {
    let scoped = *scope != Scope::All;
    let scope_text = scope.encode();
    let mut tx = store.pool().begin().await?;
    let mut per_table: Vec<(String, u64)> = Vec::new();
    let mut rows_read = 0u64;
    let changed = "x.change_xid >= pg_snapshot_xmin(CAST($1 AS pg_snapshot)) \
                   AND NOT pg_visible_in_snapshot(x.change_xid, CAST($1 AS pg_snapshot))";

    // Deletions first: a row deleted and then added again is then taken as it is now.
    let tomb_sql = format!(
        "SELECT table_name, row_key, CAST(row_key2 AS BIGINT) FROM sync_tombstones x WHERE {changed}"
    );
    let tombs: Vec<(String, String, Option<i64>)> = sqlx::query_as(&tomb_sql)
        .bind(&meta.watermark)
        .fetch_all(&mut *pg)
        .await?;
    let tombstones = tombs.len() as u64;
    rows_read += tombstones;
    for (name, k1, k2) in &tombs {
        let Some(t) = table(name) else { continue };
        if t.name == "memberships" {
            sqlx::query("DELETE FROM memberships WHERE account_id = ? AND establishment_id = ?")
                .bind(k1.parse::<i64>().unwrap_or(-1))
                .bind(k2.unwrap_or(-1))
                .execute(&mut *tx)
                .await?;
        } else if t.columns[0].1 == Kind::Int {
            sqlx::query(&format!("DELETE FROM {} WHERE id = ?", t.name))
                .bind(k1.parse::<i64>().unwrap_or(-1))
                .execute(&mut *tx)
                .await?;
        } else {
            sqlx::query(&format!("DELETE FROM {} WHERE id = ?", t.name))
                .bind(k1.as_str())
                .execute(&mut *tx)
                .await?;
        }
    }

    let read_changed = |t: &'static Table, with_scope: bool| {
        let filter = if with_scope {
            scope_sql(t, scope, 2)
        } else {
            "TRUE".into()
        };
        format!(
            "SELECT {} FROM {} {} WHERE {} AND {}",
            t.select_list(),
            t.name,
            t.alias,
            changed.replace("x.", &format!("{}.", t.alias)),
            filter
        )
    };
    let binds = |scoped_bind: bool| {
        let mut v = vec![meta.watermark.clone()];
        if scoped_bind {
            v.push(scope_text.clone());
        }
        v
    };

    let mut done = 0u64;
    let mut report = |t: &Table, n: u64, per: &mut Vec<(String, u64)>| {
        done += n;
        progress(Progress {
            kind: SyncKind::Incremental,
            table: t.name,
            done,
            total: 0,
        });
        match per.iter_mut().find(|(name, _)| name == t.name) {
            Some((_, c)) => *c += n,
            None => per.push((t.name.to_string(), n)),
        }
    };

    let est = &TABLES[0];
    let acc = &TABLES[1];
    let mem = &TABLES[2];

    // Establishments. With a scope, every changed one is read: one that left the
    // scope goes, one that entered it brings its attachments.
    let mut entering_establishments: Vec<i64> = Vec::new();
    {
        let rows = fetch_rows(pg, &read_changed(est, false), &binds(false)).await?;
        report(est, rows.len() as u64, &mut per_table);
        let mut keep = Vec::new();
        for row in rows {
            let v = values(&row, est)?;
            let in_scope = match scope {
                Scope::All => true,
                Scope::Academies(list) => matches!(&v[4], Value::Text(a) if list.contains(a)),
            };
            let id = int(&v[0]);
            if in_scope {
                if scoped && !exists(&mut tx, "establishments", id).await? {
                    entering_establishments.push(id);
                }
                keep.push(v);
            } else {
                sqlx::query("DELETE FROM establishments WHERE id = ?")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        insert(&mut tx, est, &keep).await?;
    }

    // Attachments, read before the accounts so that an account entering the
    // scope with them is known; applied after the accounts.
    let mut memberships: Vec<Vec<Value>> = Vec::new();
    {
        let rows = fetch_rows(pg, &read_changed(mem, scoped), &binds(scoped)).await?;
        report(mem, rows.len() as u64, &mut per_table);
        for row in rows {
            memberships.push(values(&row, mem)?);
        }
        if !entering_establishments.is_empty() {
            let sql = format!(
                "SELECT {} FROM memberships m WHERE m.establishment_id = ANY(CAST(string_to_array($1, ',') AS BIGINT[]))",
                mem.select_list()
            );
            let rows = fetch_rows(pg, &sql, &[join_ids(&entering_establishments)]).await?;
            report(mem, rows.len() as u64, &mut per_table);
            for row in rows {
                memberships.push(values(&row, mem)?);
            }
        }
    }

    // Accounts.
    let mut entering_accounts: Vec<i64> = Vec::new();
    {
        let rows = fetch_rows(pg, &read_changed(acc, scoped), &binds(scoped)).await?;
        report(acc, rows.len() as u64, &mut per_table);
        let mut list = Vec::new();
        let mut seen = HashSet::new();
        for row in rows {
            let v = values(&row, acc)?;
            let id = int(&v[0]);
            seen.insert(id);
            if scoped && !exists(&mut tx, "accounts", id).await? {
                entering_accounts.push(id);
            }
            list.push(v);
        }
        if scoped {
            let mut missing = BTreeSet::new();
            for m in &memberships {
                let id = int(&m[0]);
                if !seen.contains(&id) && !exists(&mut tx, "accounts", id).await? {
                    missing.insert(id);
                }
            }
            if !missing.is_empty() {
                let ids: Vec<i64> = missing.into_iter().collect();
                let sql = format!(
                    "SELECT {} FROM accounts a WHERE a.id = ANY(CAST(string_to_array($1, ',') AS BIGINT[]))",
                    acc.select_list()
                );
                let rows = fetch_rows(pg, &sql, &[join_ids(&ids)]).await?;
                report(acc, rows.len() as u64, &mut per_table);
                for row in rows {
                    list.push(values(&row, acc)?);
                }
                entering_accounts.extend(ids);
            }
        }
        insert(&mut tx, acc, &list).await?;
    }

    // Attachments: the changed keys go, then come back as they are now (a principal
    // transfer swaps two rows' roles; SQLite checks the unique index row by row).
    for m in &memberships {
        sqlx::query("DELETE FROM memberships WHERE account_id = ? AND establishment_id = ?")
            .bind(int(&m[0]))
            .bind(int(&m[1]))
            .execute(&mut *tx)
            .await?;
    }
    insert(&mut tx, mem, &memberships).await?;

    // Links, mails, journal.
    for t in &TABLES[3..] {
        let rows = fetch_rows(pg, &read_changed(t, scoped), &binds(scoped)).await?;
        report(t, rows.len() as u64, &mut per_table);
        let mut list = Vec::with_capacity(rows.len());
        for row in rows {
            list.push(values(&row, t)?);
        }
        if !entering_accounts.is_empty() {
            let ids = join_ids(&entering_accounts);
            let by_account = match t.name {
                "link_requests" => "l.account_id = ANY(CAST(string_to_array($1, ',') AS BIGINT[]))",
                "mail_outbox" => "o.link_request_id IN (SELECT sl.id FROM link_requests sl WHERE sl.account_id = ANY(CAST(string_to_array($1, ',') AS BIGINT[])))",
                _ => "j.target IN (SELECT sa.email_key FROM accounts sa WHERE sa.id = ANY(CAST(string_to_array($1, ',') AS BIGINT[])))",
            };
            let sql = format!(
                "SELECT {} FROM {} {} WHERE {by_account}",
                t.select_list(),
                t.name,
                t.alias
            );
            let rows = fetch_rows(pg, &sql, &[ids]).await?;
            report(t, rows.len() as u64, &mut per_table);
            for row in rows {
                list.push(values(&row, t)?);
            }
        }
        insert(&mut tx, t, &list).await?;
    }

    if scoped {
        // Accounts no longer attached to any establishment of the scope.
        sqlx::query(
            "DELETE FROM accounts WHERE NOT EXISTS (SELECT 1 FROM memberships m WHERE m.account_id = accounts.id)",
        )
        .execute(&mut *tx)
        .await?;
    }

    rows_read += per_table.iter().map(|(_, n)| n).sum::<u64>();
    let now = chrono::Utc::now().timestamp_millis();
    let mut next = meta.clone();
    next.watermark = src.snapshot.clone();
    next.synced_at = now;
    write_meta(&mut tx, &next).await?;
    tx.commit().await?;
    Ok(SyncReport {
        kind: SyncKind::Incremental,
        reason: None,
        rows_read,
        per_table,
        tombstones,
        synced_at: now,
        duration_ms: 0,
    })
}

async fn fetch_rows(pg: &mut AnyConnection, sql: &str, binds: &[String]) -> Result<Vec<AnyRow>> {
    let mut q = sqlx::query(sql);
    for b in binds {
        q = q.bind(b.clone());
    }
    Ok(q.fetch_all(&mut *pg).await?)
}

fn join_ids(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

async fn exists(tx: &mut AnyConnection, table: &str, id: i64) -> Result<bool> {
    let row: Option<(i64,)> = sqlx::query_as(&format!("SELECT 1 FROM {table} WHERE id = ?"))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    Ok(row.is_some())
}

/// The scope filter with `$S` bound at position `n`, or TRUE for the whole base.
fn scope_sql(t: &Table, scope: &Scope, n: usize) -> String {
    match scope {
        Scope::All => "TRUE".into(),
        Scope::Academies(_) => t
            .scope_filter
            .replace("$S", &format!("string_to_array(${n}, chr(31))")),
    }
}

#[derive(Debug, Clone)]
enum Value {
    Null,
    Int(i64),
    Text(String),
}

fn int(v: &Value) -> i64 {
    match v {
        Value::Int(i) => *i,
        _ => -1,
    }
}

fn values(row: &AnyRow, t: &Table) -> Result<Vec<Value>> {
    let mut out = Vec::with_capacity(t.columns.len());
    for (i, (_, kind)) in t.columns.iter().enumerate() {
        out.push(match kind {
            Kind::Int => row
                .try_get::<Option<i64>, _>(i)?
                .map_or(Value::Null, Value::Int),
            Kind::Text => row
                .try_get::<Option<String>, _>(i)?
                .map_or(Value::Null, Value::Text),
        });
    }
    Ok(out)
}

/// Rows per multi-row statement: well under SQLite's limit on bound values.
fn batch_rows(t: &Table) -> usize {
    (30_000 / t.columns.len()).min(500)
}

/// Writes rows as the table takes them (see `Apply`).
async fn insert(tx: &mut AnyConnection, t: &Table, rows: &[Vec<Value>]) -> Result<()> {
    let apply = t.apply;
    let n = t.columns.len();
    let one = format!("({})", vec!["?"; n].join(", "));
    for chunk in rows.chunks(batch_rows(t)) {
        let values_sql = vec![one.as_str(); chunk.len()].join(", ");
        let sql = match apply {
            Apply::Upsert => format!(
                "INSERT INTO {} ({}) VALUES {values_sql} ON CONFLICT (id) DO UPDATE SET {}",
                t.name,
                t.column_names(),
                t.columns[1..]
                    .iter()
                    .map(|(c, _)| format!("{c} = excluded.{c}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Apply::Replace => format!(
                "INSERT INTO {} ({}) VALUES {values_sql}",
                t.name,
                t.column_names()
            ),
            // The journal forbids updates; a row already there is the same row.
            Apply::Append => format!(
                "INSERT OR IGNORE INTO {} ({}) VALUES {values_sql}",
                t.name,
                t.column_names()
            ),
        };
        let mut q = sqlx::query(&sql);
        for row in chunk {
            for v in row {
                q = match v {
                    Value::Null => q.bind(None::<String>),
                    Value::Int(i) => q.bind(*i),
                    Value::Text(s) => q.bind(s.as_str()),
                };
            }
        }
        q.execute(&mut *tx).await?;
    }
    Ok(())
}

async fn create_meta(store: &Store) -> Result<()> {
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS snapshot_meta (
            singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
            source TEXT NOT NULL,
            source_schema INTEGER NOT NULL,
            copy_schema INTEGER NOT NULL,
            scope TEXT NOT NULL,
            agent TEXT NOT NULL,
            watermark TEXT NOT NULL,
            synced_at INTEGER NOT NULL,
            full_synced_at INTEGER NOT NULL
        )",
    )
    .execute(store.pool())
    .await?;
    Ok(())
}

async fn write_meta(tx: &mut AnyConnection, m: &CopyMeta) -> Result<()> {
    sqlx::query(
        "INSERT OR REPLACE INTO snapshot_meta (singleton, source, source_schema, copy_schema, scope, agent, watermark, synced_at, full_synced_at) \
         VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&m.source)
    .bind(m.source_schema)
    .bind(m.copy_schema)
    .bind(&m.scope)
    .bind(&m.agent)
    .bind(&m.watermark)
    .bind(m.synced_at)
    .bind(m.full_synced_at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// `snapshot_meta` as read: source, schemas, scope, agent, watermark, dates.
type MetaRow = (String, i64, i64, String, String, String, i64, i64);

pub(super) async fn read_meta(store: &Store) -> Result<Option<CopyMeta>> {
    let row: Option<MetaRow> = sqlx::query_as(
        "SELECT source, source_schema, copy_schema, scope, agent, watermark, synced_at, full_synced_at FROM snapshot_meta",
    )
    .fetch_optional(store.pool())
    .await?;
    Ok(row.map(
        |(
            source,
            source_schema,
            copy_schema,
            scope,
            agent,
            watermark,
            synced_at,
            full_synced_at,
        )| {
            CopyMeta {
                source,
                source_schema,
                copy_schema,
                scope,
                agent,
                watermark,
                synced_at,
                full_synced_at,
            }
        },
    ))
}

/// The copy is the agent's alone: owner-only permissions where the system has them.
fn restrict_dir(dir: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    #[cfg(not(unix))]
    let _ = dir;
}

fn restrict_file(file: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600));
    }
    #[cfg(not(unix))]
    let _ = file;
}
