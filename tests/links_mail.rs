//! A link sent to one account through a real SMTP server (aiosmtpd): the mail is
//! the guide's, its link redeems once and only once, expiry follows the clock,
//! and the database never holds the token.

mod common;
#[path = "support/fixtures.rs"]
mod fixtures;
#[path = "support/smtp.rs"]
mod smtp;

use common::{Kind, TestDb, BOTH};
use fixtures::*;
use siec_accounts::domain::LinkPurpose;
use siec_accounts::links::{self, LinkState, LINK_REFUSED};
use siec_accounts::outbox::CancelToken;
use siec_accounts::ErrorKind;
use smtp::SmtpServer;

const GOOD: &str = "Examens-2026@SIEC";

#[tokio::test]
async fn the_mail_is_the_guides_and_its_link_works_once() {
    for kind in BOTH {
        let db = TestDb::new(kind).await;
        let server = SmtpServer::start();
        let store = &db.store;
        let email = account(store, "Jeanne.Martin@ac-paris.fr", "active", None).await;
        let req = links::request_link(store, &email, None).await.unwrap();
        assert_eq!(
            req.purpose,
            LinkPurpose::Reset,
            "an account with a password gets a reset link"
        );
        // Queued until the worker runs.
        assert_eq!(
            links::last_link(store, &email)
                .await
                .unwrap()
                .unwrap()
                .state,
            LinkState::Queued
        );
        let report = smtp_worker(store, server.port)
            .deliver_due(&CancelToken::new(), &|_| {})
            .await
            .unwrap();
        assert_eq!(report.sent, 1, "{kind:?}");

        let mails = server.messages();
        assert_eq!(mails.len(), 1);
        let m = &mails[0];
        assert_eq!(
            m.from,
            "SIEC - Maison des examens <ne-pas-repondre@siec.education.fr>"
        );
        assert_eq!(m.to, "Jeanne.Martin@ac-paris.fr");
        assert_eq!(
            m.subject,
            "Portail d'authentification - Réinitialisation de mot de passe"
        );
        assert_eq!(
            m.message_id,
            format!("<{}@siec.education.fr>", req.outbox_id)
        );
        assert_eq!(m.auto_submitted, "auto-generated");
        assert!(!m.date.is_empty());
        assert_eq!(m.content_type, "multipart/alternative");
        assert_eq!(m.plain_charset.as_deref(), Some("utf-8"));
        let token = m.token();
        assert_eq!(token.len(), 40);
        assert!(token.bytes().all(|b| b.is_ascii_alphanumeric()));
        let expected = format!(
            "Bonjour,\n\nPour réinitialiser votre mot de passe, veuillez cliquer sur le lien suivant :\n\n\
             https://auth.siec.education.fr/reset-password/reset/{token}\n\nCe lien expire dans 1 heure.\n\n\
             Les services de la Maison des examens\n"
        );
        assert_eq!(m.plain.as_deref().unwrap().replace("\r\n", "\n"), expected);
        let html = m.html.as_deref().unwrap();
        assert!(
            html.contains(&format!(
                "<a href=\"https://auth.siec.education.fr/reset-password/reset/{token}\">"
            )),
            "{html}"
        );
        assert!(html.contains("Ce lien expire dans 1 heure."), "{html}");

        let view = links::last_link(store, &email).await.unwrap().unwrap();
        assert_eq!(view.state, LinkState::Sent);
        assert_eq!(view.requested_by, store.agent());

        // A weak password is refused with every failed rule, and the link survives.
        let err = links::redeem(
            &common::portal(store),
            &token,
            secret("court"),
            secret("court"),
        )
        .await
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Invalid);
        let text = err.to_string();
        assert!(
            text.contains("au moins 12 caractères")
                && text.contains("au moins 1 lettre MAJUSCULE")
                && text.contains("au moins 1 chiffre"),
            "{text}"
        );
        let err = links::redeem(
            &common::portal(store),
            &token,
            secret(GOOD),
            secret("Examens-2026@SIEc"),
        )
        .await
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "La confirmation ne correspond pas au mot de passe."
        );

        let done = links::redeem(&common::portal(store), &token, secret(GOOD), secret(GOOD))
            .await
            .unwrap();
        assert_eq!(done.email, "Jeanne.Martin@ac-paris.fr");
        let (status, phc) = status(store, &email).await;
        assert_eq!(status, "active");
        let phc = phc.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(links::verify_password(&phc, &secret(GOOD)));
        assert!(!links::verify_password(&phc, &secret("Examens-2026@SIEc")));
        assert_eq!(
            links::last_link(store, &email)
                .await
                .unwrap()
                .unwrap()
                .state,
            LinkState::Used
        );

        // Once and only once.
        let again = links::redeem(
            &common::portal(store),
            &token,
            secret("Autre-mot-2026!"),
            secret("Autre-mot-2026!"),
        )
        .await
        .unwrap_err();
        assert_eq!(again.to_string(), LINK_REFUSED);
        let (_, phc_after) = fixtures::status(store, &email).await;
        assert_eq!(phc_after.unwrap(), phc);
        // Unknown and malformed tokens get the very same message.
        for t in ["VmuBQ7epOgsaacQ5tanduNV61YtdvHZL77M7Yt1H", "abc", ""] {
            assert_eq!(
                links::redeem(&common::portal(store), t, secret(GOOD), secret(GOOD))
                    .await
                    .unwrap_err()
                    .to_string(),
                LINK_REFUSED
            );
        }

        // (Only the link rows: on PostgreSQL the fixture's own insert is audited too.)
        let actions: Vec<(String, String)> = sqlx::query_as(
            "SELECT action, target FROM audit_log WHERE action LIKE 'link.%' ORDER BY id",
        )
        .fetch_all(store.pool())
        .await
        .unwrap();
        assert_eq!(
            actions,
            vec![
                // Targets are the address key, as for every other change of the
                // account, so the account's journal lists them whatever the spelling.
                (
                    "link.request".to_string(),
                    "jeanne.martin@ac-paris.fr".to_string()
                ),
                (
                    "link.redeem".to_string(),
                    "jeanne.martin@ac-paris.fr".to_string()
                )
            ],
            "{kind:?}"
        );
        // Closes the pool on this runtime (connections being returned need it).
        db.store.close().await;
    }
}

#[tokio::test]
async fn init_mail_for_a_new_account_follows_the_configured_lifetime() {
    for kind in BOTH {
        let db = TestDb::new(kind).await;
        let server = SmtpServer::start();
        let (store, clock) = manual_clock(&db.store, 1_800_000_000_000);
        let store = &store;
        let email = account(store, "nouveau@ac-lyon.fr", "pending", None).await;
        clock.advance_ms(5_000);
        let req = links::request_link(store, &email, None).await.unwrap();
        assert_eq!(req.purpose, LinkPurpose::Init);
        let mut worker_cfg = smtp_worker(store, server.port).config().clone();
        worker_cfg.lifetime_minutes = 90;
        if kind == Kind::Postgres {
            // On the central base the lifetime and the portal are the administrator's.
            links::set_link_settings(
                &db.admin,
                &links::LinkSettingsEdit {
                    lifetime_minutes: Some(90),
                    portal_url: Some("https://auth.example.fr/".into()),
                    sender: None,
                },
            )
            .await
            .unwrap();
        }
        let worker = siec_accounts::outbox::Worker::new(
            common::mail_service(store),
            siec_accounts::mail::Transport::new(&siec_accounts::mail::TransportConfig::Smtp(
                smtp_config(server.port),
            ))
            .unwrap(),
            siec_accounts::mail::MailTemplate::new(
                siec_accounts::config::DEFAULT_SENDER,
                "https://auth.example.fr/",
            )
            .unwrap(),
            worker_cfg,
        );
        worker
            .deliver_due(&CancelToken::new(), &|_| {})
            .await
            .unwrap();
        let m = &server.messages()[0];
        assert_eq!(
            m.subject,
            "Portail d'authentification - Initialisation de mot de passe"
        );
        let plain = m.plain.as_deref().unwrap();
        assert!(
            plain.contains(
                "Pour initialiser votre mot de passe, veuillez cliquer sur le lien suivant :"
            ),
            "{plain}"
        );
        assert!(
            plain.contains(&format!(
                "https://auth.example.fr/reset-password/reset/{}",
                m.token()
            )),
            "{plain}"
        );
        assert!(plain.contains("Ce lien expire dans 1 heure 30."), "{plain}");
        let view = links::last_link(store, &email).await.unwrap().unwrap();
        assert_eq!(
            view.expires_at.unwrap() - view.sent_at.unwrap(),
            90 * 60_000,
            "{kind:?}"
        );
        links::redeem(
            &common::portal(store),
            &m.token(),
            secret(GOOD),
            secret(GOOD),
        )
        .await
        .unwrap();
        assert_eq!(status(store, &email).await.0, "active");
        // Closes the pool on this runtime (connections being returned need it).
        db.store.close().await;
    }
}

#[tokio::test]
async fn expiry_at_59_59_and_60_01() {
    for kind in BOTH {
        let db = TestDb::new(kind).await;
        let server = SmtpServer::start();
        let (store, clock) = manual_clock(&db.store, 1_800_000_000_000);
        let early = account(&store, "a-temps@ac-paris.fr", "pending", None).await;
        let late = account(&store, "en-retard@ac-paris.fr", "pending", None).await;
        links::request_link(&store, &early, None).await.unwrap();
        links::request_link(&store, &late, None).await.unwrap();
        // Queued for a while (relay slow): the hour runs from delivery, not from the request.
        clock.advance_ms(45 * 60_000);
        smtp_worker(&store, server.port)
            .deliver_due(&CancelToken::new(), &|_| {})
            .await
            .unwrap();
        let mails = server.messages();
        let token_of = |to: &str| mails.iter().find(|m| m.to == to).unwrap().token();

        clock.advance_ms(59 * 60_000 + 59_000);
        links::redeem(
            &common::portal(&store),
            &token_of("a-temps@ac-paris.fr"),
            secret(GOOD),
            secret(GOOD),
        )
        .await
        .unwrap();
        assert_eq!(
            links::last_link(&store, &late)
                .await
                .unwrap()
                .unwrap()
                .state,
            LinkState::Sent
        );

        clock.advance_ms(2_000);
        let err = links::redeem(
            &common::portal(&store),
            &token_of("en-retard@ac-paris.fr"),
            secret(GOOD),
            secret(GOOD),
        )
        .await
        .unwrap_err();
        assert_eq!(err.to_string(), LINK_REFUSED, "{kind:?}");
        assert_eq!(
            links::last_link(&store, &late)
                .await
                .unwrap()
                .unwrap()
                .state,
            LinkState::Expired
        );
        assert_eq!(status(&store, &late).await, ("pending".to_string(), None));
        // Closes the pool on this runtime (connections being returned need it).
        db.store.close().await;
    }
}

#[tokio::test]
async fn a_second_link_leaves_the_first_usable_until_the_password_is_set() {
    for kind in BOTH {
        let db = TestDb::new(kind).await;
        let server = SmtpServer::start();
        let store = &db.store;
        let email = account(store, "deux.liens@ac-creteil.fr", "pending", None).await;
        let worker = smtp_worker(store, server.port);
        let first = links::request_link(store, &email, None).await.unwrap();
        worker
            .deliver_due(&CancelToken::new(), &|_| {})
            .await
            .unwrap();
        let second = links::request_link(store, &email, Some(LinkPurpose::Reset))
            .await
            .unwrap();
        worker
            .deliver_due(&CancelToken::new(), &|_| {})
            .await
            .unwrap();
        let mails = server.messages();
        assert_eq!(mails.len(), 2);
        let token = |outbox: &str| {
            mails
                .iter()
                .find(|m| m.message_id == format!("<{outbox}@siec.education.fr>"))
                .unwrap()
                .token()
        };
        let (t1, t2) = (token(&first.outbox_id), token(&second.outbox_id));
        assert_ne!(t1, t2);
        // Both live: a weak password gets the policy message, not the dead-link one.
        for t in [&t1, &t2] {
            let e = links::redeem(
                &common::portal(store),
                t,
                secret("faible"),
                secret("faible"),
            )
            .await
            .unwrap_err();
            assert!(
                e.to_string().starts_with("Le mot de passe doit avoir"),
                "{e}"
            );
        }
        links::redeem(&common::portal(store), &t1, secret(GOOD), secret(GOOD))
            .await
            .unwrap();
        for t in [&t1, &t2] {
            let e = links::redeem(
                &common::portal(store),
                t,
                secret("Autre-2026-mot!"),
                secret("Autre-2026-mot!"),
            )
            .await
            .unwrap_err();
            assert_eq!(e.to_string(), LINK_REFUSED, "{kind:?}");
        }
        let states: Vec<LinkState> = links::history(store, &email)
            .await
            .unwrap()
            .iter()
            .map(|v| v.state)
            .collect();
        assert_eq!(
            states,
            vec![LinkState::Revoked, LinkState::Used],
            "newest first, {kind:?}"
        );
        // Closes the pool on this runtime (connections being returned need it).
        db.store.close().await;
    }
}

#[tokio::test]
async fn disabled_and_unknown_addresses_get_no_link() {
    for kind in BOTH {
        let db = TestDb::new(kind).await;
        let server = SmtpServer::start();
        let store = &db.store;
        let off = account(store, "parti@ac-paris.fr", "disabled", None).await;
        let e = links::request_link(store, &off, None).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Forbidden);
        assert!(e.to_string().contains("est désactivé"), "{e}");
        let unknown = siec_accounts::domain::Email::parse("inconnu@ac-paris.fr").unwrap();
        let e = links::request_link(store, &unknown, None)
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert!(e.to_string().contains("n'est pas dans la base"), "{e}");

        // Disabled after the mail left: the link does not re-activate the account.
        let later = account(store, "bientot.parti@ac-paris.fr", "pending", None).await;
        links::request_link(store, &later, None).await.unwrap();
        smtp_worker(store, server.port)
            .deliver_due(&CancelToken::new(), &|_| {})
            .await
            .unwrap();
        sqlx::query("UPDATE accounts SET status = 'disabled' WHERE email_key = $1")
            .bind(later.key())
            .execute(store.pool())
            .await
            .unwrap();
        let token = server.messages()[0].token();
        let e = links::redeem(&common::portal(store), &token, secret(GOOD), secret(GOOD))
            .await
            .unwrap_err();
        assert_eq!(e.to_string(), LINK_REFUSED);
        assert_eq!(
            status(store, &later).await,
            ("disabled".to_string(), None),
            "{kind:?}"
        );

        // Disabled while queued: the worker does not send it.
        let queued = account(store, "file.attente@ac-paris.fr", "pending", None).await;
        links::request_link(store, &queued, None).await.unwrap();
        sqlx::query("UPDATE accounts SET status = 'disabled' WHERE email_key = $1")
            .bind(queued.key())
            .execute(store.pool())
            .await
            .unwrap();
        smtp_worker(store, server.port)
            .deliver_due(&CancelToken::new(), &|_| {})
            .await
            .unwrap();
        assert_eq!(server.messages().len(), 1);
        let v = links::last_link(store, &queued).await.unwrap().unwrap();
        assert_eq!(v.state, LinkState::Failed);
        assert!(v.reason.unwrap().contains("désactivé"));
        let _ = Kind::Sqlite;
        // Closes the pool on this runtime (connections being returned need it).
        db.store.close().await;
    }
}

/// Every text column of every table, as text.
async fn all_text(store: &siec_accounts::store::Store) -> Vec<(String, String, String)> {
    let columns: Vec<(String, String)> = match store.backend() {
        siec_accounts::store::Backend::Postgres => sqlx::query_as(
            "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT) FROM information_schema.columns \
             WHERE table_schema = 'public' AND data_type IN ('text', 'character varying')",
        )
        .fetch_all(store.pool())
        .await
        .unwrap(),
        siec_accounts::store::Backend::Sqlite => {
            let tables: Vec<(String,)> = sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'table'").fetch_all(store.pool()).await.unwrap();
            let mut cols = Vec::new();
            for (t,) in tables {
                let rows: Vec<(String, String)> = sqlx::query_as(&format!("SELECT name, type FROM pragma_table_info('{t}')")).fetch_all(store.pool()).await.unwrap();
                cols.extend(rows.into_iter().filter(|(_, ty)| ty.eq_ignore_ascii_case("text")).map(|(c, _)| (t.clone(), c)));
            }
            cols
        }
    };
    assert!(columns.len() > 10);
    let mut out = Vec::new();
    for (t, c) in columns {
        let values: Vec<(Option<String>,)> = sqlx::query_as(&format!("SELECT {c} FROM {t}"))
            .fetch_all(store.pool())
            .await
            .unwrap();
        out.extend(
            values
                .into_iter()
                .filter_map(|(v,)| v)
                .map(|v| (t.clone(), c.clone(), v)),
        );
    }
    out
}

#[tokio::test]
async fn the_database_never_holds_a_clear_token() {
    for kind in BOTH {
        let db = TestDb::new(kind).await;
        let server = SmtpServer::start();
        let store = &db.store;
        let est = establishment(store, "0750655E", "Lycée Louis-le-Grand").await;
        for e in ["un@ac-paris.fr", "deux@ac-paris.fr", "trois@ac-paris.fr"] {
            account(store, e, "pending", Some(est)).await;
        }
        let worker = smtp_worker(store, server.port);
        let uai = siec_accounts::domain::Uai::parse("0750655E").unwrap();
        links::send_bulk(
            store,
            Some(&worker),
            &links::Selection::Uai(uai),
            None,
            &|_| {},
            &CancelToken::new(),
        )
        .await
        .unwrap();
        let mails = server.messages();
        assert_eq!(mails.len(), 3);
        links::redeem(
            &common::portal(store),
            &mails[0].token(),
            secret(GOOD),
            secret(GOOD),
        )
        .await
        .unwrap();
        let text = all_text(&common::portal(store)).await;
        let hashes: Vec<&(String, String, String)> = text
            .iter()
            .filter(|(t, c, _)| t == "link_requests" && c == "token_hash")
            .collect();
        assert_eq!(hashes.len(), 3, "the hashes are there, {kind:?}");
        for m in &mails {
            let token = m.token();
            for (t, c, v) in &text {
                assert!(!v.contains(&token), "{kind:?}: token found in {t}.{c}");
            }
        }
        if kind == Kind::Sqlite {
            // Nor anywhere in the file or its journal.
            let path = db.url.trim_start_matches("sqlite://");
            for f in [path.to_string(), format!("{path}-wal")] {
                if let Ok(bytes) = std::fs::read(&f) {
                    let hay = String::from_utf8_lossy(&bytes);
                    for m in &mails {
                        assert!(!hay.contains(&m.token()), "token in {f}");
                    }
                }
            }
        }
        // Closes the pool on this runtime (connections being returned need it).
        db.store.close().await;
    }
}
