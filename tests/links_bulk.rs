//! Bulk dispatch and the outbox against a real SMTP server: an outage keeps every
//! request queued and nothing is sent twice once the relay is back; a 5xx fails
//! one address and not the others; a crash after the relay accepted a mail
//! re-sends it with the same Message-ID and only the new link works; pooled
//! connections survive a relay restart and do not wait on delayed ACKs.

mod common;
#[path = "support/fixtures.rs"]
mod fixtures;
#[path = "support/smtp.rs"]
mod smtp;

use std::collections::HashMap;
use std::sync::Mutex;

use common::{TestDb, BOTH};
use fixtures::*;
use siec_accounts::config::{DEFAULT_PORTAL_URL, DEFAULT_SENDER};
use siec_accounts::domain::LinkPurpose;
use siec_accounts::domain::{Email, Uai};
use siec_accounts::links::{self, BulkProgress, LinkState, Selection, LINK_REFUSED};
use siec_accounts::mail::{LinkMail, MailTemplate, Transport, TransportConfig};
use siec_accounts::outbox::{self, CancelToken};
use smtp::SmtpServer;

const GOOD: &str = "Examens-2026@SIEC";

fn by_message_id(server: &SmtpServer) -> HashMap<String, usize> {
    let mut seen = HashMap::new();
    for m in server.messages() {
        *seen.entry(m.message_id).or_insert(0) += 1;
    }
    seen
}

#[tokio::test]
async fn relay_down_during_a_bulk_keeps_everything_queued_then_delivers_each_once() {
    for kind in BOTH {
        let db = TestDb::new(kind).await;
        let mut server = SmtpServer::start();
        let (store, clock) = manual_clock(&db.store, 1_800_000_000_000);
        let est = establishment(&store, "0301674G", "Collège Jean-Moulin").await;
        for i in 0..30 {
            account(
                &store,
                &format!("agent{i:02}@ac-montpellier.fr"),
                "pending",
                Some(est),
            )
            .await;
        }
        account(&store, "desactive@ac-montpellier.fr", "disabled", Some(est)).await;
        let worker = smtp_worker(&store, server.port);
        server.kill();

        let seen = Mutex::new(Vec::<BulkProgress>::new());
        let uai = Selection::Uai(Uai::parse("0301674G").unwrap());
        let summary = links::send_bulk(
            &store,
            Some(&worker),
            &uai,
            None,
            &|p| seen.lock().unwrap().push(p),
            &CancelToken::new(),
        )
        .await
        .unwrap();
        assert_eq!(summary.total, 30, "{kind:?}");
        assert_eq!(summary.sent, 0);
        assert_eq!(summary.queued, 30);
        assert!(summary.failed.is_empty());
        assert_eq!(summary.skipped.len(), 1);
        assert_eq!(summary.skipped[0].email, "desactive@ac-montpellier.fr");
        assert_eq!(summary.skipped[0].reason, "compte désactivé");
        let last = *seen.lock().unwrap().last().unwrap();
        assert_eq!(
            last,
            BulkProgress {
                done: 0,
                total: 30,
                failed: 0,
                skipped: 1
            }
        );
        let view = links::last_link(&store, &Email::parse("agent07@ac-montpellier.fr").unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(view.state, LinkState::Queued);
        assert!(
            view.reason.as_deref().unwrap().contains("injoignable"),
            "{:?}",
            view.reason
        );
        assert!(
            view.next_attempt_at.unwrap() > store.now_ms(),
            "retried later, with back-off"
        );
        // Not due yet: a run now sends nothing, and does not hammer the relay.
        let r = worker
            .deliver_due(&CancelToken::new(), &|_| {})
            .await
            .unwrap();
        assert_eq!((r.sent, r.failed), (0, 0));

        server.restart();
        clock.advance_ms(worker.config().backoff_ms(1));
        let r = worker
            .deliver_due(&CancelToken::new(), &|_| {})
            .await
            .unwrap();
        assert_eq!(r.sent, 30, "{kind:?}");
        let again = worker
            .deliver_due(&CancelToken::new(), &|_| {})
            .await
            .unwrap();
        assert_eq!(again.sent, 0);
        let ids = by_message_id(&server);
        assert_eq!(ids.len(), 30, "{kind:?}");
        assert!(ids.values().all(|n| *n == 1), "{ids:?}");
        let c = outbox::counts(&store, Some(&summary.batch_id))
            .await
            .unwrap();
        assert_eq!((c.sent, c.queued, c.failed), (30, 0, 0));
        // Every link in those mails works.
        let m = &server.messages()[3];
        links::redeem(
            &common::portal(&store),
            &m.token(),
            secret(GOOD),
            secret(GOOD),
        )
        .await
        .unwrap();
        // Closes the pool on this runtime (connections being returned need it).
        db.store.close().await;
    }
}

#[tokio::test]
async fn a_5xx_fails_that_address_only_with_the_servers_reason() {
    for kind in BOTH {
        let db = TestDb::new(kind).await;
        let server = SmtpServer::start();
        let store = &db.store;
        let mut emails = Vec::new();
        for e in [
            "premier@ac-lille.fr",
            "rejet@ac-lille.fr",
            "dernier@ac-lille.fr",
        ] {
            emails.push(account(store, e, "active", None).await);
        }
        emails.push(Email::parse("absent@ac-lille.fr").unwrap());
        let worker = smtp_worker(store, server.port);
        let progress = Mutex::new(BulkProgress::default());
        let summary = links::send_bulk(
            store,
            Some(&worker),
            &Selection::Emails(emails.clone()),
            None,
            &|p| *progress.lock().unwrap() = p,
            &CancelToken::new(),
        )
        .await
        .unwrap();
        assert_eq!(summary.sent, 2, "{kind:?}");
        assert_eq!(summary.failed.len(), 1);
        assert_eq!(summary.failed[0].email, "rejet@ac-lille.fr");
        let reason = &summary.failed[0].reason;
        assert!(
            reason.contains("550") && reason.contains("destinataire inconnu"),
            "{reason}"
        );
        assert_eq!(summary.skipped.len(), 1);
        assert_eq!(summary.skipped[0].reason, "adresse absente de la base");
        assert_eq!(
            *progress.lock().unwrap(),
            BulkProgress {
                done: 3,
                total: 3,
                failed: 1,
                skipped: 1
            }
        );
        let mut to: Vec<String> = server.messages().into_iter().map(|m| m.to).collect();
        to.sort();
        assert_eq!(to, vec!["dernier@ac-lille.fr", "premier@ac-lille.fr"]);
        let v = links::last_link(store, &emails[1]).await.unwrap().unwrap();
        assert_eq!(v.state, LinkState::Failed);
        assert_eq!(v.reason.as_deref(), Some(reason.as_str()));
        assert_eq!(v.attempts, 1, "a permanent failure is not retried");

        // Retrying the failures sends them again (and this one fails again).
        assert_eq!(
            links::retry_failed(store, &summary.batch_id).await.unwrap(),
            1
        );
        let r = worker
            .deliver_due(&CancelToken::new(), &|_| {})
            .await
            .unwrap();
        assert_eq!((r.sent, r.failed), (0, 1));
        assert_eq!(server.messages().len(), 2);
        // Closes the pool on this runtime (connections being returned need it).
        db.store.close().await;
    }
}

#[tokio::test]
async fn a_crash_after_the_relay_accepted_resends_with_the_same_message_id_and_kills_the_first_link(
) {
    for kind in BOTH {
        let db = TestDb::new(kind).await;
        let server = SmtpServer::start();
        let (store, clock) = manual_clock(&db.store, 1_800_000_000_000);
        let email = account(&store, "reprise@ac-nantes.fr", "pending", None).await;
        let req = links::request_link(&store, &email, None).await.unwrap();
        let worker = smtp_worker(&store, server.port);
        worker
            .deliver_due(&CancelToken::new(), &|_| {})
            .await
            .unwrap();
        // As if the worker died between the relay's 250 and the commit of `sent`.
        sqlx::query("UPDATE mail_outbox SET state = 'sending', locked_until = $1, sent_at = NULL WHERE id = $2")
            .bind(store.now_ms() + worker.config().lease_ms)
            .bind(&req.outbox_id)
            .execute(worker.store().pool())
            .await
            .unwrap();
        // Still leased: nobody else takes it.
        assert_eq!(
            worker
                .deliver_due(&CancelToken::new(), &|_| {})
                .await
                .unwrap()
                .sent,
            0
        );
        clock.advance_ms(worker.config().lease_ms);
        assert_eq!(
            worker
                .deliver_due(&CancelToken::new(), &|_| {})
                .await
                .unwrap()
                .sent,
            1,
            "{kind:?}"
        );
        let mails = server.messages();
        assert_eq!(mails.len(), 2);
        assert_eq!(mails[0].message_id, mails[1].message_id);
        let tokens: Vec<String> = mails.iter().map(|m| m.token()).collect();
        assert_ne!(tokens[0], tokens[1]);
        // Only the hash of the second token is stored: the first copy's link is dead.
        let (stored,): (String,) =
            sqlx::query_as("SELECT token_hash FROM link_requests WHERE id = $1")
                .bind(&req.request_id)
                .fetch_one(common::portal(&store).pool())
                .await
                .unwrap();
        let hash = |t: &str| links::Token::parse(t).unwrap().hash().as_str().to_string();
        let fresh: Vec<&String> = tokens.iter().filter(|t| hash(t) == stored).collect();
        let stale: Vec<&String> = tokens.iter().filter(|t| hash(t) != stored).collect();
        assert_eq!((fresh.len(), stale.len()), (1, 1), "{kind:?}");
        let e = links::redeem(
            &common::portal(&store),
            stale[0],
            secret(GOOD),
            secret(GOOD),
        )
        .await
        .unwrap_err();
        assert_eq!(e.to_string(), LINK_REFUSED);
        links::redeem(
            &common::portal(&store),
            fresh[0],
            secret(GOOD),
            secret(GOOD),
        )
        .await
        .unwrap();
        assert_eq!(status(&store, &email).await.0, "active");
        // Closes the pool on this runtime (connections being returned need it).
        db.store.close().await;
    }
}

#[tokio::test]
async fn cancelling_a_bulk_stops_what_has_not_left_and_it_can_be_retried() {
    for kind in BOTH {
        let db = TestDb::new(kind).await;
        let server = SmtpServer::start();
        let store = &db.store;
        let mut emails = Vec::new();
        for i in 0..20 {
            emails.push(
                account(
                    store,
                    &format!("annule{i:02}@ac-rennes.fr"),
                    "pending",
                    None,
                )
                .await,
            );
        }
        let worker = smtp_worker(store, server.port);
        let cancel = CancelToken::new();
        // Cancelled as soon as the first progress report arrives (before delivery).
        let summary = links::send_bulk(
            store,
            Some(&worker),
            &Selection::Emails(emails),
            None,
            &|_| cancel.cancel(),
            &cancel,
        )
        .await
        .unwrap();
        assert!(summary.cancelled);
        assert_eq!(summary.sent, 0, "{kind:?}");
        assert_eq!(server.messages().len(), 0);
        // Nothing enqueued after cancellation: the request rows stop at the first chunk or before.
        if summary.total == 0 {
            // Nothing of it was written: there is nothing to retry, and saying so
            // leaves no audit row behind.
            let audit = |s: &siec_accounts::store::Store| {
                let pool = common::portal(s).pool().clone();
                async move {
                    let (n,): (i64,) = sqlx::query_as(
                        "SELECT COUNT(*) FROM audit_log WHERE action = 'link.retry'",
                    )
                    .fetch_one(&pool)
                    .await
                    .unwrap();
                    n
                }
            };
            let e = links::retry_failed(store, &summary.batch_id)
                .await
                .unwrap_err();
            assert_eq!(e.kind(), siec_accounts::ErrorKind::NotFound, "{kind:?}");
            assert_eq!(audit(store).await, 0, "{kind:?}");
            db.store.close().await;
            continue;
        }
        let n = links::retry_failed(store, &summary.batch_id).await.unwrap();
        assert_eq!(n as usize, summary.failed.len());
        worker
            .deliver_due(&CancelToken::new(), &|_| {})
            .await
            .unwrap();
        assert_eq!(server.messages().len(), n as usize);
        // Closes the pool on this runtime (connections being returned need it).
        db.store.close().await;
    }
}

#[tokio::test]
async fn without_a_relay_mails_are_eml_files_named_after_the_outbox_row() {
    for kind in BOTH {
        let db = TestDb::new(kind).await;
        let store = &db.store;
        let dir =
            std::env::temp_dir().join(format!("siec-outbox-{}", uuid::Uuid::new_v4().simple()));
        let email = account(store, "fichier@ac-dijon.fr", "pending", None).await;
        let req = links::request_link(store, &email, None).await.unwrap();
        let worker = worker_for(store, TransportConfig::Files { dir: dir.clone() });
        worker
            .deliver_due(&CancelToken::new(), &|_| {})
            .await
            .unwrap();
        assert!(
            dir.join(format!("{}.eml", req.outbox_id)).exists(),
            "{kind:?}"
        );
        let mails = smtp::dump(&dir);
        assert_eq!(mails.len(), 1);
        assert_eq!(
            mails[0].subject,
            "Portail d'authentification - Initialisation de mot de passe"
        );
        links::redeem(
            &common::portal(store),
            &mails[0].token(),
            secret(GOOD),
            secret(GOOD),
        )
        .await
        .unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        // Closes the pool on this runtime (connections being returned need it).
        db.store.close().await;
    }
}

#[tokio::test]
async fn smtp_auth_is_used_when_configured() {
    for kind in BOTH {
        let db = TestDb::new(kind).await;
        let server = SmtpServer::start_with_auth("siec", "relais-secret");
        let store = &db.store;
        let a = account(store, "auth.ok@ac-paris.fr", "pending", None).await;
        links::request_link(store, &a, None).await.unwrap();
        // Without credentials the relay refuses (530): a permanent failure with its words.
        smtp_worker(store, server.port)
            .deliver_due(&CancelToken::new(), &|_| {})
            .await
            .unwrap();
        let v = links::last_link(store, &a).await.unwrap().unwrap();
        assert_eq!(v.state, LinkState::Failed, "{kind:?}");
        assert!(
            v.reason.as_deref().unwrap().contains("530"),
            "{:?}",
            v.reason
        );

        links::request_link(store, &a, None).await.unwrap();
        let mut cfg = smtp_config(server.port);
        cfg.user = Some("siec".into());
        cfg.password = Some(secret("relais-secret"));
        assert!(!format!("{cfg:?}").contains("relais-secret"));
        worker_for(store, TransportConfig::Smtp(cfg))
            .deliver_due(&CancelToken::new(), &|_| {})
            .await
            .unwrap();
        assert_eq!(
            links::last_link(store, &a).await.unwrap().unwrap().state,
            LinkState::Sent
        );
        assert_eq!(server.messages().len(), 1);
        // Closes the pool on this runtime (connections being returned need it).
        db.store.close().await;
    }
}

#[test]
fn plain_smtp_is_refused_for_a_remote_relay() {
    let mut cfg = smtp_config(25);
    cfg.host = "relais.ac-paris.fr".into();
    let e = siec_accounts::mail::Transport::new(&TransportConfig::Smtp(cfg)).unwrap_err();
    assert!(e.to_string().contains("starttls ou tls"), "{e}");
}

#[test]
fn back_off_doubles_up_to_its_cap() {
    let c = siec_accounts::outbox::WorkerConfig::default();
    assert_eq!(c.backoff_ms(1), 30_000);
    assert_eq!(c.backoff_ms(2), 60_000);
    assert_eq!(c.backoff_ms(3), 120_000);
    assert_eq!(c.backoff_ms(12), 30 * 60_000);
}

#[tokio::test]
async fn a_search_result_is_a_bulk_selection() {
    for kind in BOTH {
        let db = TestDb::new(kind).await;
        let store = &db.store;
        let dir =
            std::env::temp_dir().join(format!("siec-outbox-{}", uuid::Uuid::new_v4().simple()));
        let est = establishment(store, "0301674G", "Collège Jean-Moulin").await;
        for i in 0..3 {
            account(
                store,
                &format!("examen{i}@ac-nimes.fr"),
                "pending",
                Some(est),
            )
            .await;
        }
        account(store, "examen-off@ac-nimes.fr", "disabled", Some(est)).await;
        account(store, "autre@ac-dijon.fr", "pending", None).await;
        let worker = worker_for(store, TransportConfig::Files { dir: dir.clone() });
        let query = siec_accounts::search::SearchQuery {
            text: "examen".into(),
            ..Default::default()
        };
        let summary = links::send_bulk(
            store,
            Some(&worker),
            &Selection::Search(query),
            None,
            &|_| {},
            &CancelToken::new(),
        )
        .await
        .unwrap();
        assert_eq!(summary.sent, 3, "{kind:?}");
        assert_eq!(summary.skipped.len(), 1);
        assert_eq!(summary.skipped[0].email, "examen-off@ac-nimes.fr");
        let mut to: Vec<String> = smtp::dump(&dir).iter().map(|m| m.to.clone()).collect();
        to.sort();
        assert_eq!(
            to,
            vec![
                "examen0@ac-nimes.fr",
                "examen1@ac-nimes.fr",
                "examen2@ac-nimes.fr"
            ]
        );
        let _ = std::fs::remove_dir_all(&dir);
        db.store.close().await;
    }
}

fn link_message(template: &MailTemplate, n: usize) -> (String, lettre::Message) {
    let id = format!("00000000-0000-0000-0000-{n:012}");
    let message = template
        .build(&LinkMail {
            outbox_id: &id,
            recipient: &format!("agent{n:02}@ac-lyon.fr"),
            purpose: LinkPurpose::Reset,
            url: &template.link_url("VmuBQ7epOgsaacQ5tanduNV61YtdvHZL77M7Yt1H"),
            lifetime_minutes: 60,
            date_ms: 1_800_000_000_000,
        })
        .unwrap();
    (id, message)
}

#[tokio::test]
async fn a_relay_restarted_between_two_mails_gets_the_second_at_once() {
    let mut server = SmtpServer::start();
    let transport = Transport::new(&TransportConfig::Smtp(smtp_config(server.port))).unwrap();
    let template = MailTemplate::new(DEFAULT_SENDER, DEFAULT_PORTAL_URL).unwrap();
    let (id, m) = link_message(&template, 1);
    transport.send(&id, m).await.unwrap();
    // The pooled connection dies with the relay; the next mail must not fail on it.
    server.kill();
    server.restart();
    let (id, m) = link_message(&template, 2);
    transport.send(&id, m).await.unwrap();
    let mut to: Vec<String> = server.messages().into_iter().map(|m| m.to).collect();
    to.sort();
    assert_eq!(to, ["agent01@ac-lyon.fr", "agent02@ac-lyon.fr"]);
}

#[tokio::test]
async fn one_connection_does_not_wait_for_delayed_acknowledgements() {
    // With Nagle's algorithm on, the final "\r\n.\r\n" of each message waits for
    // the relay's delayed ACK (40 ms on Linux): 50 messages on one connection took
    // 2 s. With TCP_NODELAY they take a few milliseconds each.
    let server = SmtpServer::start();
    let mut cfg = smtp_config(server.port);
    cfg.pool_size = 1;
    let transport = Transport::new(&TransportConfig::Smtp(cfg)).unwrap();
    let template = MailTemplate::new(DEFAULT_SENDER, DEFAULT_PORTAL_URL).unwrap();
    let (id, m) = link_message(&template, 0);
    transport.send(&id, m).await.unwrap();
    let started = std::time::Instant::now();
    for n in 1..=50 {
        let (id, m) = link_message(&template, n);
        transport.send(&id, m).await.unwrap();
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed < std::time::Duration::from_secs(1),
        "50 messages on one connection in {elapsed:?}"
    );
    assert_eq!(server.messages().len(), 51);
}

#[tokio::test]
async fn a_bulk_of_more_than_one_chunk_requests_each_account_once() {
    // The requests are written 500 per transaction: one more makes a second chunk of one.
    const N: usize = 501;
    for kind in BOTH {
        let db = TestDb::new(kind).await;
        let server = SmtpServer::start();
        let store = &db.store;
        let est = establishment(store, "0750655E", "Lycée Louis-le-Grand").await;
        for i in 0..N {
            account(
                store,
                &format!("eleve{i:04}@ac-paris.fr"),
                "pending",
                Some(est),
            )
            .await;
        }
        let worker = smtp_worker(store, server.port);
        let summary = links::send_bulk(
            store,
            Some(&worker),
            &Selection::Uai(Uai::parse("0750655E").unwrap()),
            None,
            &|_| {},
            &CancelToken::new(),
        )
        .await
        .unwrap();
        assert_eq!(
            (summary.total, summary.sent),
            (N as u64, N as u64),
            "{kind:?}"
        );
        let count = |sql: &'static str| async move {
            let (n,): (i64,) = sqlx::query_as(sql).fetch_one(store.pool()).await.unwrap();
            n as usize
        };
        assert_eq!(
            count("SELECT COUNT(DISTINCT account_id) FROM link_requests").await,
            N
        );
        assert_eq!(count("SELECT COUNT(*) FROM link_requests").await, N);
        assert_eq!(
            count("SELECT COUNT(DISTINCT link_request_id) FROM mail_outbox WHERE state = 'sent'")
                .await,
            N
        );
        assert_eq!(
            count("SELECT COUNT(DISTINCT target) FROM audit_log WHERE action = 'link.request'")
                .await,
            N
        );
        assert_eq!(
            count("SELECT COUNT(*) FROM audit_log WHERE action = 'link.request'").await,
            N
        );
        let mut to: Vec<String> = server.messages().into_iter().map(|m| m.to).collect();
        to.sort();
        to.dedup();
        assert_eq!(to.len(), N, "one mail per address");
        assert_eq!(to[0], "eleve0000@ac-paris.fr");
        // No account has a password yet: every link is an initialisation link.
        assert_eq!(
            count("SELECT COUNT(*) FROM link_requests WHERE purpose = 'init'").await,
            N
        );
        db.store.close().await;
    }
}
