//! The offline copy against real PostgreSQL, under a real `siec_agent` login, with
//! the real keyring (run inside the D-Bus wrapper of scripts/test): the copy holds
//! exactly what the agent's login reads, incrementally, without losing a late
//! commit, never a hash, encrypted, and rebuilt when its key is lost.

mod common;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use common::{Kind, TestDb};
use proptest::prelude::*;
use secrecy::SecretString;
use siec_accounts::accounts::{self, EstablishmentInput, NewAccount};
use siec_accounts::domain::{Email, Uai};
use siec_accounts::links::{self, Token};
use siec_accounts::snapshot::{OfflineCopy, Scope, SyncKind};
use siec_accounts::store::Store;

pub const UAIS: [(&str, &str); 3] = [
    ("0750655E", "Paris"),
    ("0301674G", "Montpellier"),
    ("0130001F", "Aix-Marseille"),
];

pub fn email(i: usize) -> Email {
    Email::parse(&format!("Personne.{i}@ac-exemple.fr")).unwrap()
}
pub fn uai(j: usize) -> Uai {
    Uai::parse(UAIS[j % UAIS.len()].0).unwrap()
}

pub async fn seed_establishments(owner: &Store) {
    for (code, academy) in UAIS {
        accounts::add_establishment(
            owner,
            EstablishmentInput {
                uai: Uai::parse(code).unwrap(),
                name: format!("Lycée {code}"),
                city: "Ville".into(),
                academy: academy.into(),
            },
        )
        .await
        .unwrap();
    }
}

pub async fn add(store: &Store, i: usize, j: usize, principal: bool) -> siec_accounts::Result<()> {
    accounts::add_account(
        store,
        NewAccount {
            email: email(i),
            uai: uai(j),
            principal,
            display_name: format!("Personne {i}"),
        },
    )
    .await
    .map(|_| ())
}

/// A copy in its own folder, removed (file and key) at the end.
pub struct TempCopy {
    pub copy: OfflineCopy,
    dir: PathBuf,
}

impl TempCopy {
    pub fn new(scope: Scope) -> Self {
        let dir =
            std::env::temp_dir().join(format!("siec-copie-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        Self {
            copy: OfflineCopy::new(dir.join("copie-hors-ligne.sqlite"), scope),
            dir,
        }
    }
    pub fn with_scope(&self, scope: Scope) -> OfflineCopy {
        OfflineCopy::new(self.copy.path().to_path_buf(), scope)
    }
}

impl Drop for TempCopy {
    fn drop(&mut self) {
        let _ = self.copy.forget();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn quiet(_: siec_accounts::snapshot::Progress) {}

/// Every synced table, every column but the hashes, as text, the same query on
/// both sides.
const DUMPS: &[(&str, &str)] = &[
    ("establishments", "SELECT CAST(id AS TEXT), uai, name, city, academy, search_text, CAST(version AS TEXT), CAST(created_at AS TEXT), CAST(updated_at AS TEXT) FROM establishments"),
    ("accounts", "SELECT CAST(id AS TEXT), email, email_key, display_name, status, CAST(password_set_at AS TEXT), CAST(version AS TEXT), CAST(created_at AS TEXT), CAST(updated_at AS TEXT), search_text, search_tags, CAST(principal_of AS TEXT) FROM accounts"),
    ("memberships", "SELECT CAST(account_id AS TEXT), CAST(establishment_id AS TEXT), role, CAST(created_at AS TEXT), email_key, status, CAST(password_set_at AS TEXT) FROM memberships"),
    ("link_requests", "SELECT id, CAST(account_id AS TEXT), purpose, requested_by, CAST(created_at AS TEXT), CAST(expires_at AS TEXT), CAST(used_at AS TEXT), CAST(revoked_at AS TEXT) FROM link_requests"),
    ("mail_outbox", "SELECT id, link_request_id, recipient, state, CAST(attempts AS TEXT), CAST(next_attempt_at AS TEXT), CAST(locked_until AS TEXT), last_error, CAST(created_at AS TEXT), CAST(sent_at AS TEXT), batch_id FROM mail_outbox"),
    ("audit_log", "SELECT CAST(id AS TEXT), CAST(at AS TEXT), agent, action, target, before, after FROM audit_log"),
];

pub async fn dump(store: &Store) -> Vec<(String, Vec<Vec<Option<String>>>)> {
    use sqlx::Row;
    let mut out = Vec::new();
    for (name, sql) in DUMPS {
        let rows = sqlx::query(sql).fetch_all(store.pool()).await.unwrap();
        let mut v: Vec<Vec<Option<String>>> = rows
            .iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| r.try_get::<Option<String>, _>(i).unwrap())
                    .collect()
            })
            .collect();
        v.sort();
        out.push((name.to_string(), v));
    }
    out
}

pub async fn open_copy(copy: &OfflineCopy) -> Store {
    copy.open().await.unwrap().expect("a usable copy").store
}

/// The portal's side of a link: the mail service would have minted a token; here
/// the database owner sets one on the account's last link, then the person sets
/// a password through it.
async fn redeem_last_link(owner: &Store, i: usize) -> siec_accounts::Result<()> {
    let token = Token::generate();
    let updated = sqlx::query(
        "UPDATE link_requests SET token_hash = $1, expires_at = $2 WHERE id = (SELECT l.id FROM link_requests l JOIN accounts a ON a.id = l.account_id \
         WHERE a.email_key = $3 AND l.used_at IS NULL AND l.revoked_at IS NULL ORDER BY l.created_at DESC LIMIT 1)",
    )
    .bind(token.hash().as_str())
    .bind(owner.now_ms() + 3_600_000)
    .bind(email(i).key())
    .execute(owner.pool())
    .await
    .unwrap();
    if updated.rows_affected() == 0 {
        return Err(siec_accounts::Error::not_found("aucun lien"));
    }
    let pw = || SecretString::from("Motdepasse-123".to_string());
    links::redeem(owner, token.expose(), pw(), pw())
        .await
        .map(|_| ())
}

#[derive(Debug, Clone)]
enum Op {
    Add(usize, usize, bool),
    Attach(usize, usize),
    Detach(usize, usize),
    Principal(usize, usize),
    Disable(usize),
    Enable(usize),
    SendLink(usize),
    Redeem(usize),
    RenameEstablishment(usize),
    Sync,
}

fn op() -> impl Strategy<Value = Op> {
    let i = 0usize..6;
    let j = 0usize..3;
    prop_oneof![
        3 => (i.clone(), j.clone(), any::<bool>()).prop_map(|(i, j, p)| Op::Add(i, j, p)),
        2 => (i.clone(), j.clone()).prop_map(|(i, j)| Op::Attach(i, j)),
        2 => (i.clone(), j.clone()).prop_map(|(i, j)| Op::Detach(i, j)),
        2 => (i.clone(), j.clone()).prop_map(|(i, j)| Op::Principal(i, j)),
        1 => i.clone().prop_map(Op::Disable),
        1 => i.clone().prop_map(Op::Enable),
        2 => i.clone().prop_map(Op::SendLink),
        1 => i.clone().prop_map(Op::Redeem),
        1 => j.clone().prop_map(Op::RenameEstablishment),
        2 => Just(Op::Sync),
    ]
}

async fn apply(owner: &Store, agent: &Store, op: &Op, n: usize) -> bool {
    let r = match op {
        Op::Add(i, j, p) => add(agent, *i, *j, *p).await,
        Op::Attach(i, j) => accounts::attach(agent, &email(*i), &uai(*j))
            .await
            .map(|_| ()),
        Op::Detach(i, j) => accounts::detach(agent, &email(*i), &uai(*j))
            .await
            .map(|_| ()),
        Op::Principal(i, j) => accounts::make_principal(agent, &email(*i), &uai(*j))
            .await
            .map(|_| ()),
        Op::Disable(i) => accounts::set_enabled(agent, &email(*i), false, None)
            .await
            .map(|_| ()),
        Op::Enable(i) => accounts::set_enabled(agent, &email(*i), true, None)
            .await
            .map(|_| ()),
        // The agent requests through the database's checked function; the owner
        // stands in for the portal when a link is redeemed.
        Op::SendLink(i) => links::request_link(agent, &email(*i), None)
            .await
            .map(|_| ()),
        Op::Redeem(i) => redeem_last_link(owner, *i).await,
        Op::RenameEstablishment(j) => {
            let (version,): (i64,) =
                sqlx::query_as("SELECT version FROM establishments WHERE uai = $1")
                    .bind(uai(*j).as_str())
                    .fetch_one(owner.pool())
                    .await
                    .unwrap();
            accounts::edit_establishment(
                owner,
                &uai(*j),
                version,
                accounts::EstablishmentEdit {
                    name: Some(format!("Lycée renommé {n}")),
                    ..Default::default()
                },
            )
            .await
            .map(|_| ())
        }
        Op::Sync => Ok(()),
    };
    r.is_ok()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    #[test]
    fn after_each_sync_the_copy_holds_what_the_agent_reads(
        // The base starts with establishments only: a first address makes sure the
        // sequence has something to work on (without it, about one run in four
        // generated nothing that could succeed).
        ops in ((0usize..6, 0usize..3, any::<bool>()), prop::collection::vec(op(), 12..40))
            .prop_map(|((i, j, p), mut ops)| { ops.insert(0, Op::Add(i, j, p)); ops })
    ) {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let db = TestDb::new(Kind::Postgres).await;
            seed_establishments(&db.su).await;
            let agent_store = db.store.clone();
            let tmp = TempCopy::new(Scope::All);
            let first = tmp.copy.sync(&agent_store, &quiet).await.unwrap();
            assert_eq!(first.kind, SyncKind::Full);
            let mut succeeded = 0;
            for (n, op) in ops.iter().enumerate() {
                if matches!(op, Op::Sync) {
                    let report = tmp.copy.sync(&agent_store, &quiet).await.unwrap();
                    assert_eq!(report.kind, SyncKind::Incremental, "{report:?}");
                    let copy = open_copy(&tmp.copy).await;
                    assert_eq!(dump(&copy).await, dump(&agent_store).await, "after {:?}", &ops[..n]);
                    copy.close().await;
                } else if apply(&db.su, &agent_store, op, n).await {
                    succeeded += 1;
                }
            }
            tmp.copy.sync(&agent_store, &quiet).await.unwrap();
            let copy = open_copy(&tmp.copy).await;
            assert_eq!(dump(&copy).await, dump(&agent_store).await, "at the end of {ops:?}");
            copy.close().await;
            assert!(succeeded > 0, "no operation succeeded in {ops:?}");
            agent_store.close().await;
        });
    }
}

#[tokio::test]
async fn a_sync_reads_about_as_many_rows_as_there_were_changes() {
    let db = TestDb::new(Kind::Postgres).await;
    seed_establishments(&db.su).await;
    let agent_store = db.store.clone();
    for i in 0..30 {
        add(&agent_store, 100 + i, i, false).await.unwrap();
    }
    let tmp = TempCopy::new(Scope::All);
    let full = tmp.copy.sync(&agent_store, &quiet).await.unwrap();
    assert_eq!(full.kind, SyncKind::Full);
    assert!(full.rows_read >= 30 + 30 + 3, "{full:?}");

    let idle = tmp.copy.sync(&agent_store, &quiet).await.unwrap();
    assert_eq!(idle.kind, SyncKind::Incremental);
    assert_eq!(
        idle.rows_read, 0,
        "a sync with no change reads nothing: {idle:?}"
    );

    const N: usize = 7;
    for i in 0..N {
        add(&agent_store, 500 + i, i, false).await.unwrap();
    }
    let after = tmp.copy.sync(&agent_store, &quiet).await.unwrap();
    let per = |t: &str| {
        after
            .per_table
            .iter()
            .find(|(n, _)| n == t)
            .map(|(_, c)| *c)
            .unwrap_or(0)
    };
    assert_eq!(per("accounts"), N as u64, "{after:?}");
    assert_eq!(per("memberships"), N as u64, "{after:?}");
    assert_eq!(per("establishments"), 0, "{after:?}");
    // One account, one attachment and its journal lines per addition: O(N), not
    // the 30 accounts already copied.
    assert!(after.rows_read <= 4 * N as u64, "{after:?}");

    // A detach is a deletion: it arrives as one tombstone.
    accounts::attach(&agent_store, &email(500), &uai(1))
        .await
        .unwrap();
    tmp.copy.sync(&agent_store, &quiet).await.unwrap();
    accounts::detach(&agent_store, &email(500), &uai(1))
        .await
        .unwrap();
    let detached = tmp.copy.sync(&agent_store, &quiet).await.unwrap();
    assert_eq!(detached.tombstones, 1, "{detached:?}");
    let copy = open_copy(&tmp.copy).await;
    assert_eq!(dump(&copy).await, dump(&agent_store).await);
    copy.close().await;
    agent_store.close().await;
}

#[tokio::test]
async fn a_transaction_that_commits_late_is_not_lost() {
    let db = TestDb::new(Kind::Postgres).await;
    seed_establishments(&db.su).await;
    let agent_store = db.store.clone();
    let tmp = TempCopy::new(Scope::All);
    tmp.copy.sync(&agent_store, &quiet).await.unwrap();

    // A slow transaction takes its change number first…
    let mut slow = db.su.pool().begin().await.unwrap();
    sqlx::query("UPDATE establishments SET name = 'Nom venu tard', version = version + 1 WHERE uai = '0750655E'")
        .execute(&mut *slow)
        .await
        .unwrap();
    let (slow_no,): (i64,) =
        sqlx::query_as("SELECT change_no FROM establishments WHERE uai = '0750655E'")
            .fetch_one(&mut *slow)
            .await
            .unwrap();
    // …others take later numbers and commit, and a sync runs meanwhile…
    add(&agent_store, 1, 1, true).await.unwrap();
    let during = tmp.copy.sync(&agent_store, &quiet).await.unwrap();
    assert!(during.rows_read > 0);
    let (max_seen,): (i64,) = sqlx::query_as("SELECT MAX(change_no) FROM accounts")
        .fetch_one(db.su.pool())
        .await
        .unwrap();
    assert!(
        slow_no < max_seen,
        "the slow transaction's number ({slow_no}) is below what the sync saw ({max_seen}): a « greater than » cursor would skip it"
    );
    // …then the slow one commits.
    slow.commit().await.unwrap();
    let after = tmp.copy.sync(&agent_store, &quiet).await.unwrap();
    assert_eq!(after.kind, SyncKind::Incremental);
    let copy = open_copy(&tmp.copy).await;
    let (name,): (String,) =
        sqlx::query_as("SELECT name FROM establishments WHERE uai = '0750655E'")
            .fetch_one(copy.pool())
            .await
            .unwrap();
    assert_eq!(name, "Nom venu tard");
    assert_eq!(dump(&copy).await, dump(&agent_store).await);
    copy.close().await;
    agent_store.close().await;
}

#[tokio::test]
async fn no_hash_reaches_the_copy_and_its_bytes_show_no_address() {
    let db = TestDb::new(Kind::Postgres).await;
    seed_establishments(&db.su).await;
    let agent_store = db.store.clone();
    for i in 0..5 {
        add(&agent_store, i, i, i % 2 == 0).await.unwrap();
        links::request_link(&agent_store, &email(i), None)
            .await
            .unwrap();
    }
    redeem_last_link(&db.su, 0).await.unwrap();
    redeem_last_link(&db.su, 1).await.unwrap();
    let (hashes,): (i64,) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM accounts WHERE password_hash IS NOT NULL) + (SELECT COUNT(*) FROM link_requests WHERE token_hash IS NOT NULL)",
    )
    .fetch_one(db.su.pool())
    .await
    .unwrap();
    assert!(hashes >= 4, "the source holds hashes ({hashes})");

    let tmp = TempCopy::new(Scope::All);
    tmp.copy.sync(&agent_store, &quiet).await.unwrap();
    let copy = open_copy(&tmp.copy).await;
    let (in_copy,): (i64,) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM accounts WHERE password_hash IS NOT NULL) + (SELECT COUNT(*) FROM link_requests WHERE token_hash IS NOT NULL)",
    )
    .fetch_one(copy.pool())
    .await
    .unwrap();
    assert_eq!(in_copy, 0);
    let (accounts_in_copy,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM accounts")
        .fetch_one(copy.pool())
        .await
        .unwrap();
    assert_eq!(accounts_in_copy, 5);
    // Every read path of the embedded base runs on it.
    let page = siec_accounts::search::search(
        &copy,
        &siec_accounts::search::SearchQuery {
            text: "personne.3".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(page.rows.len(), 1);
    copy.close().await;

    let bytes = std::fs::read(tmp.copy.path()).unwrap();
    assert!(
        !bytes.starts_with(b"SQLite format 3"),
        "the file has a plaintext header"
    );
    let hay = String::from_utf8_lossy(&bytes).to_lowercase();
    for i in 0..5 {
        assert!(
            !hay.contains(&format!("personne.{i}@ac-exemple.fr")),
            "address {i} in clear"
        );
    }
    assert!(!hay.contains("ac-exemple"));
    assert!(!hay.contains("0750655e"));

    // Without the key, SQLite (here SQLCipher without a key) cannot read it.
    use sqlx::ConnectOptions;
    let mut plain = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(tmp.copy.path())
        .connect()
        .await
        .unwrap();
    let err = sqlx::query("SELECT COUNT(*) FROM accounts")
        .execute(&mut plain)
        .await
        .expect_err("the copy must not open without its key");
    assert!(err.to_string().contains("not a database"), "{err}");
    agent_store.close().await;
}

#[tokio::test]
async fn a_wrong_or_missing_key_means_a_rebuild_never_a_crash() {
    let db = TestDb::new(Kind::Postgres).await;
    seed_establishments(&db.su).await;
    let agent_store = db.store.clone();
    add(&agent_store, 1, 0, true).await.unwrap();
    let tmp = TempCopy::new(Scope::All);
    tmp.copy.sync(&agent_store, &quiet).await.unwrap();
    assert!(tmp.copy.open().await.unwrap().is_some());

    // Another key in the keyring (a desktop that changed keyring backend and made
    // a new one): the copy is discarded, and the next sync rebuilds it.
    let entry = keyring::Entry::new(
        siec_accounts::credentials::SERVICE,
        &format!("copie-hors-ligne:{}", tmp.copy.path().display()),
    )
    .unwrap();
    entry.set_password(&"ab".repeat(32)).unwrap();
    assert!(tmp.copy.open().await.unwrap().is_none());
    assert!(
        !tmp.copy.path().exists(),
        "the unreadable copy is discarded"
    );
    let rebuilt = tmp.copy.sync(&agent_store, &quiet).await.unwrap();
    assert_eq!(rebuilt.kind, SyncKind::Full);
    let copy = open_copy(&tmp.copy).await;
    assert_eq!(dump(&copy).await, dump(&agent_store).await);
    copy.close().await;

    // The key gone altogether: same.
    entry.delete_credential().unwrap();
    let status = tmp.copy.status().await.unwrap();
    assert!(status.meta.is_none());
    let rebuilt = tmp.copy.sync(&agent_store, &quiet).await.unwrap();
    assert_eq!(rebuilt.kind, SyncKind::Full);
    assert!(tmp.copy.open().await.unwrap().is_some());
    agent_store.close().await;
}

#[tokio::test]
async fn an_interrupted_full_sync_leaves_the_previous_copy_usable() {
    let db = TestDb::new(Kind::Postgres).await;
    seed_establishments(&db.su).await;
    let agent_store = db.store.clone();
    for i in 0..20 {
        add(&agent_store, i, i, false).await.unwrap();
    }
    let tmp = TempCopy::new(Scope::All);
    tmp.copy.sync(&agent_store, &quiet).await.unwrap();
    let before = dump(&open_copy(&tmp.copy).await).await;

    // A change of scope needs a full sync; it is cut off at its first progress.
    let other = tmp.with_scope(Scope::academies(["Paris".to_string()]));
    let started = Arc::new(tokio::sync::Notify::new());
    let signal = started.clone();
    let calls = AtomicU64::new(0);
    let progress = move |_p: siec_accounts::snapshot::Progress| {
        if calls.fetch_add(1, Ordering::SeqCst) == 1 {
            signal.notify_one();
        }
    };
    tokio::select! {
        r = other.sync(&agent_store, &progress) => panic!("the sync should have been cut off: {r:?}"),
        _ = started.notified() => {}
    }
    let copy = open_copy(&tmp.copy).await;
    assert_eq!(dump(&copy).await, before, "the previous copy is intact");
    copy.close().await;
    // The next full sync completes and replaces it.
    let report = other.sync(&agent_store, &quiet).await.unwrap();
    assert_eq!(report.kind, SyncKind::Full);
    agent_store.close().await;
}

#[tokio::test]
async fn a_scoped_copy_follows_its_academies() {
    let db = TestDb::new(Kind::Postgres).await;
    seed_establishments(&db.su).await;
    let agent_store = db.store.clone();
    add(&agent_store, 1, 0, true).await.unwrap(); // Paris
    add(&agent_store, 2, 1, true).await.unwrap(); // Montpellier
    links::request_link(&agent_store, &email(2), None)
        .await
        .unwrap();
    let tmp = TempCopy::new(Scope::academies(["Paris".to_string()]));
    tmp.copy.sync(&agent_store, &quiet).await.unwrap();
    let keys = |store: Store| async move {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT email_key FROM accounts ORDER BY email_key")
                .fetch_all(store.pool())
                .await
                .unwrap();
        store.close().await;
        rows.into_iter().map(|(k,)| k).collect::<Vec<_>>()
    };
    assert_eq!(keys(open_copy(&tmp.copy).await).await, vec![email(1).key()]);

    // Attached to a Paris establishment, the Montpellier address comes in with its
    // links; detached again, it goes.
    accounts::attach(&agent_store, &email(2), &uai(0))
        .await
        .unwrap();
    let r = tmp.copy.sync(&agent_store, &quiet).await.unwrap();
    assert_eq!(r.kind, SyncKind::Incremental);
    let copy = open_copy(&tmp.copy).await;
    let (links_in,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM link_requests")
        .fetch_one(copy.pool())
        .await
        .unwrap();
    assert_eq!(links_in, 1);
    let (ests,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM establishments")
        .fetch_one(copy.pool())
        .await
        .unwrap();
    assert_eq!(ests, 1);
    assert_eq!(keys(copy).await.len(), 2);
    accounts::detach(&agent_store, &email(2), &uai(0))
        .await
        .unwrap();
    tmp.copy.sync(&agent_store, &quiet).await.unwrap();
    assert_eq!(keys(open_copy(&tmp.copy).await).await, vec![email(1).key()]);
    agent_store.close().await;
}

#[tokio::test]
async fn sqlite_is_sqlcipher_and_plain_unless_keyed() {
    use sqlx::ConnectOptions;
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(":memory:")
        .connect()
        .await
        .unwrap();
    let (version,): (String,) = sqlx::query_as("PRAGMA cipher_version")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert!(
        version.starts_with("4."),
        "SQLCipher 4 expected, got {version}"
    );
    // The embedded base has no key: a plain SQLite file that any SQLite opens.
    let db = TestDb::new(Kind::Sqlite).await;
    let path = db.url.trim_start_matches("sqlite://").to_string();
    db.store.close().await;
    let header = std::fs::read(&path).unwrap();
    assert!(header.starts_with(b"SQLite format 3"));
}

fn cli(dir: &std::path::Path, url: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_siec-accounts"))
        .env("SIEC_DATA_DIR", dir.join("data"))
        .env("SIEC_CONFIG", dir.join("none.toml"))
        .arg("--database-url")
        .arg(url)
        .args(args)
        .output()
        .unwrap()
}

#[tokio::test]
async fn command_line_sync_status_offline_and_forget() {
    let db = TestDb::new(Kind::Postgres).await;
    seed_establishments(&db.su).await;
    add(&db.store, 7, 0, true).await.unwrap();
    let dir =
        std::env::temp_dir().join(format!("siec-cli-copie-{}", uuid::Uuid::new_v4().simple()));
    let text = |o: &std::process::Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };

    let first = cli(&dir, &db.url, &["snapshot", "sync"]);
    assert!(first.status.success(), "{}", text(&first));
    assert!(text(&first).contains("Copie complète"), "{}", text(&first));
    let again = cli(&dir, &db.url, &["snapshot", "sync"]);
    assert!(
        text(&again).starts_with("Mise à jour : 0 lignes lues"),
        "{}",
        text(&again)
    );

    let found = cli(&dir, &db.url, &["--offline", "search", "personne.7"]);
    assert!(found.status.success(), "{}", text(&found));
    assert!(
        text(&found).contains("Personne.7@ac-exemple.fr"),
        "{}",
        text(&found)
    );
    assert!(
        text(&found).contains("Hors connexion : données du "),
        "{}",
        text(&found)
    );

    let refused = cli(
        &dir,
        &db.url,
        &[
            "--offline",
            "account",
            "add",
            "nouvelle@ac-exemple.fr",
            "--uai",
            "0750655E",
        ],
    );
    assert_eq!(refused.status.code(), Some(5), "{}", text(&refused));
    assert!(
        text(&refused).contains("rien n'a été enregistré"),
        "{}",
        text(&refused)
    );

    let status = cli(&dir, &db.url, &["snapshot", "status"]);
    assert!(
        text(&status).contains("1 comptes, 3 établissements"),
        "{}",
        text(&status)
    );

    let forget = cli(&dir, &db.url, &["snapshot", "forget"]);
    assert!(forget.status.success(), "{}", text(&forget));
    assert!(!dir.join("data").join("copie-hors-ligne.sqlite").exists());
    let gone = cli(&dir, &db.url, &["--offline", "search", "personne.7"]);
    assert_eq!(gone.status.code(), Some(3), "{}", text(&gone));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn without_a_keyring_no_copy_is_kept() {
    let db = TestDb::new(Kind::Postgres).await;
    seed_establishments(&db.su).await;
    let dir = std::env::temp_dir().join(format!(
        "siec-cli-sans-trousseau-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_siec-accounts"))
        .env("SIEC_DATA_DIR", dir.join("data"))
        .env("SIEC_CONFIG", dir.join("none.toml"))
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .args(["--database-url", &db.url, "snapshot", "sync"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{err}");
    assert!(err.contains("Aucun trousseau du système n'est disponible : la copie hors connexion n'est pas conservée"), "{err}");
    let files: Vec<_> = std::fs::read_dir(dir.join("data"))
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(files.is_empty(), "{files:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
