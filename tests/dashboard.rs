//! The desktop's Tableau de bord figures, on both backends, from rows written the way
//! the services write them.

mod common;

use chrono::TimeZone;
use common::{TestDb, BOTH};
use siec_accounts::clock::ManualClock;
use siec_accounts::dashboard::{dashboard, DAYS};
use std::sync::Arc;

const H: i64 = 3_600_000;

/// Rows as the services write them (portal, mail service): the superuser's fixture.
/// The figures themselves are read as the agent.
async fn exec(db: &TestDb, sql: &str) {
    sqlx::query(sql)
        .execute(db.su.pool())
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_links_per_paris_day_and_outbox_health() {
    // 10:00 in Paris (summer time) on 2026-06-15.
    let now = chrono::Utc
        .with_ymd_and_hms(2026, 6, 15, 8, 0, 0)
        .unwrap()
        .timestamp_millis();
    for kind in BOTH {
        let db = TestDb::new(kind).await;
        let store = db
            .store
            .clone()
            .with_clock(Arc::new(ManualClock::starting_at(now)));

        for (id, uai) in [(1, "0750655E"), (2, "0301674G"), (3, "0750656F")] {
            exec(&db, &format!("INSERT INTO establishments (id, uai, name, search_text, created_at, updated_at) VALUES ({id}, '{uai}', 'E{id}', 'e{id}', 0, 0)")).await;
        }
        for (id, status) in [
            (1, "active"),
            (2, "pending"),
            (3, "pending"),
            (4, "disabled"),
        ] {
            exec(&db, &format!("INSERT INTO accounts (id, email, email_key, status, created_at, updated_at) VALUES ({id}, 'p{id}@ac-paris.fr', 'p{id}@ac-paris.fr', '{status}', 0, 0)")).await;
        }
        // Establishment 1 has a principal; 2 only a member; 3 nobody.
        exec(&db, "INSERT INTO memberships (account_id, establishment_id, role, created_at) VALUES (1, 1, 'principal', 0)").await;
        exec(&db, "INSERT INTO memberships (account_id, establishment_id, role, created_at) VALUES (2, 2, 'member', 0)").await;

        // Links: used today, expired yesterday (Paris), one still live, one too old to count.
        let links = [
            ("l1", now - 2 * H, Some(now - H + 1), Some(now - H)),
            ("l2", now - 30 * H, Some(now - 29 * H), None),
            ("l3", now - 10, Some(now + H), None),
            ("l4", now - 40 * 24 * H, Some(now - 40 * 24 * H + H), None),
        ];
        for (id, created, expires, used) in links {
            let used = used.map(|u| u.to_string()).unwrap_or_else(|| "NULL".into());
            exec(&db, &format!("INSERT INTO link_requests (id, account_id, purpose, token_hash, requested_by, created_at, expires_at, used_at) VALUES ('{id}', 2, 'init', 'h{id}', 'agent', {created}, {}, {used})", expires.unwrap())).await;
        }
        // Outbox: sent at 00:30 Paris today (22:30 UTC yesterday), sent 3 days ago, one failed,
        // two waiting.
        let today_0030 = chrono::Utc
            .with_ymd_and_hms(2026, 6, 14, 22, 30, 0)
            .unwrap()
            .timestamp_millis();
        let mails = [
            ("m1", "sent", now - 9 * H, Some(today_0030), None),
            ("m2", "sent", now - 72 * H, Some(now - 72 * H), None),
            (
                "m3",
                "failed",
                now - 5 * H,
                None,
                Some("Relais SMTP injoignable"),
            ),
            (
                "m4",
                "queued",
                now - 3 * H,
                None,
                Some("Relais SMTP injoignable (nouvel essai)"),
            ),
            ("m5", "sending", now - H, None, None),
        ];
        for (id, state, created, sent, err) in mails {
            let sent = sent.map(|s| s.to_string()).unwrap_or_else(|| "NULL".into());
            let err = err
                .map(|e| format!("'{e}'"))
                .unwrap_or_else(|| "NULL".into());
            exec(&db, &format!("INSERT INTO mail_outbox (id, recipient, state, next_attempt_at, created_at, sent_at, last_error) VALUES ('{id}', 'p2@ac-paris.fr', '{state}', {created}, {created}, {sent}, {err})")).await;
        }

        let d = dashboard(&store).await.unwrap();
        assert_eq!(
            (
                d.accounts.active,
                d.accounts.pending,
                d.accounts.disabled,
                d.accounts.total
            ),
            (1, 2, 1, 4),
            "{kind:?}"
        );
        assert_eq!(d.establishments, 3, "{kind:?}");
        assert_eq!(d.establishments_without_principal, 2, "{kind:?}");
        assert_eq!(d.days.len(), DAYS, "{kind:?}");
        let today = d.days.last().unwrap();
        assert_eq!(today.day, "2026-06-15", "{kind:?}");
        assert_eq!(
            (today.sent, today.used, today.expired, today.failed),
            (1, 1, 0, 1),
            "{kind:?} {today:?}"
        );
        let yesterday = &d.days[DAYS - 2];
        assert_eq!(
            (yesterday.day.as_str(), yesterday.expired, yesterday.sent),
            ("2026-06-14", 1, 0),
            "{kind:?}"
        );
        assert_eq!(d.days[DAYS - 4].sent, 1, "{kind:?} {:?}", d.days[DAYS - 4]);
        let total_expired: u64 = d.days.iter().map(|x| x.expired).sum();
        assert_eq!(
            total_expired, 1,
            "the live link and the 40-day-old one are not counted ({kind:?})"
        );
        assert_eq!(
            (d.outbox.queued, d.outbox.sending, d.outbox.failed),
            (1, 1, 1),
            "{kind:?}"
        );
        assert_eq!(d.outbox.sent_last_24h, 1, "{kind:?}");
        assert_eq!(d.outbox.oldest_waiting_at, Some(now - 3 * H), "{kind:?}");
        assert_eq!(
            d.outbox.last_error.as_deref(),
            Some("Relais SMTP injoignable (nouvel essai)"),
            "{kind:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_database_gives_zeros() {
    for kind in BOTH {
        let db = TestDb::new(kind).await;
        let d = dashboard(&db.store).await.unwrap();
        assert_eq!(d.accounts.total, 0);
        assert_eq!(d.establishments_without_principal, 0);
        assert!(d
            .days
            .iter()
            .all(|x| x.sent + x.used + x.expired + x.failed == 0));
        assert_eq!(d.outbox.oldest_waiting_at, None, "{kind:?}");
    }
}
