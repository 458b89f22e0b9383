//! Accounts and establishments written with plain SQL, and a worker wired to a
//! test SMTP server.
#![allow(dead_code)]

use std::sync::Arc;

use siec_accounts::config::{SmtpTls, DEFAULT_PORTAL_URL, DEFAULT_SENDER};
use siec_accounts::domain::{fold_for_search, Email};
use siec_accounts::mail::{MailTemplate, SmtpConfig, Transport, TransportConfig};
use siec_accounts::outbox::{Worker, WorkerConfig};
use siec_accounts::store::Store;

pub async fn establishment(store: &Store, uai: &str, name: &str) -> i64 {
    let store = &crate::common::portal(store);
    sqlx::query("INSERT INTO establishments (uai, name, search_text, created_at, updated_at) VALUES ($1, $2, $3, 0, 0)")
        .bind(uai)
        .bind(name)
        .bind(fold_for_search(name))
        .execute(store.pool())
        .await
        .unwrap();
    let (id,): (i64,) = sqlx::query_as("SELECT id FROM establishments WHERE uai = $1")
        .bind(uai)
        .fetch_one(store.pool())
        .await
        .unwrap();
    id
}

/// An account (status pending, active (with a password) or disabled), attached to `establishment` if given.
pub async fn account(
    store: &Store,
    email: &str,
    status: &str,
    establishment: Option<i64>,
) -> Email {
    let store = &crate::common::portal(store);
    let e = Email::parse(email).unwrap();
    // An active account has a password (any PHC string will do here).
    let hash = (status == "active")
        .then_some("$argon2id$v=19$m=19456,t=2,p=1$c2VsZGVzZWw$aGFjaGFnZWRlbW90ZGVwYXNzZQ");
    // The search document is the address alone: enough for the tests that search.
    sqlx::query("INSERT INTO accounts (email, email_key, status, password_hash, created_at, updated_at, search_text) VALUES ($1, $2, $3, $4, 0, 0, $5)")
        .bind(e.as_str())
        .bind(e.key())
        .bind(status)
        .bind(hash)
        .bind(siec_accounts::domain::fold_for_search(&e.key()))
        .execute(store.pool())
        .await
        .unwrap();
    if let Some(est) = establishment {
        let (id,): (i64,) = sqlx::query_as("SELECT id FROM accounts WHERE email_key = $1")
            .bind(e.key())
            .fetch_one(store.pool())
            .await
            .unwrap();
        sqlx::query("INSERT INTO memberships (account_id, establishment_id, role, created_at) VALUES ($1, $2, 'member', 0)")
            .bind(id)
            .bind(est)
            .execute(store.pool())
            .await
            .unwrap();
    }
    e
}

pub async fn status(store: &Store, email: &Email) -> (String, Option<String>) {
    let store = &crate::common::portal(store);
    sqlx::query_as("SELECT status, password_hash FROM accounts WHERE email_key = $1")
        .bind(email.key())
        .fetch_one(store.pool())
        .await
        .unwrap()
}

pub fn smtp_config(port: u16) -> SmtpConfig {
    SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        tls: SmtpTls::None,
        user: None,
        password: None,
        timeout: std::time::Duration::from_secs(10),
        pool_size: 2,
    }
}

pub fn worker_for(store: &Store, transport: TransportConfig) -> Worker {
    let config = WorkerConfig {
        rate_per_second: 10_000,
        concurrency: transport.concurrency(),
        ..WorkerConfig::default()
    };
    // On PostgreSQL the worker is the mail service: a `siec_mailer` login.
    Worker::new(
        crate::common::mail_service(store),
        Transport::new(&transport).unwrap(),
        MailTemplate::new(DEFAULT_SENDER, DEFAULT_PORTAL_URL).unwrap(),
        config,
    )
}

pub fn smtp_worker(store: &Store, port: u16) -> Worker {
    worker_for(store, TransportConfig::Smtp(smtp_config(port)))
}

pub fn secret(s: &str) -> secrecy::SecretString {
    secrecy::SecretString::from(s.to_string())
}

pub fn manual_clock(
    store: &Store,
    start_ms: i64,
) -> (Store, Arc<siec_accounts::clock::ManualClock>) {
    let clock = Arc::new(siec_accounts::clock::ManualClock::starting_at(start_ms));
    (store.clone().with_clock(clock.clone()), clock)
}
