//! The agent's daily work on both backends: every operation and every refusal, with
//! the audit rows and the concurrency rules.

mod common;

use common::{TestDb, BOTH};
use siec_accounts::accounts::{self, EstablishmentEdit, EstablishmentInput, NewAccount};
use siec_accounts::audit::{self, AuditFilter};
use siec_accounts::domain::{AccountStatus, Email, Role, Uai};
use siec_accounts::store::Store;
use siec_accounts::ErrorKind;

fn email(s: &str) -> Email {
    Email::parse(s).unwrap()
}
fn uai(s: &str) -> Uai {
    Uai::parse(s).unwrap()
}

/// Establishments are an administrator's to add.
async fn seed(store: &Store) {
    let store = &common::admin_of(store);
    for (code, name, city) in [
        ("0750655E", "Lycée Louis-le-Grand", "Paris"),
        ("0301674G", "Collège Jean Moulin", "Nîmes"),
    ] {
        accounts::add_establishment(
            store,
            EstablishmentInput {
                uai: uai(code),
                name: name.into(),
                city: city.into(),
                academy: "Paris".into(),
            },
        )
        .await
        .unwrap();
    }
}

async fn add(
    store: &Store,
    e: &str,
    u: &str,
    principal: bool,
) -> siec_accounts::Result<accounts::AccountDetail> {
    accounts::add_account(
        store,
        NewAccount {
            email: email(e),
            uai: uai(u),
            principal,
            display_name: "Jeanne Dupont".into(),
        },
    )
    .await
}

async fn audit_count(store: &Store) -> usize {
    audit::list(store, &AuditFilter::default())
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn add_show_attach_detach_on_both_backends() {
    for kind in BOTH {
        let db = TestDb::new(kind).await;
        let s = &db.store;
        seed(s).await;
        let d = add(s, "Principal.LLG@ac-paris.fr", "0750655E", true)
            .await
            .unwrap();
        assert_eq!(
            d.account.email, "Principal.LLG@ac-paris.fr",
            "spelling kept"
        );
        assert_eq!(d.account.status, AccountStatus::Pending);
        assert_eq!(d.memberships[0].role, Role::Principal);
        add(s, "prof@ac-paris.fr", "0750655E", false).await.unwrap();

        let est = accounts::establishment(s, &uai("0750655e")).await.unwrap();
        let members: Vec<_> = est
            .members
            .iter()
            .map(|m| (m.email.as_str(), m.role))
            .collect();
        assert_eq!(
            members,
            vec![
                ("Principal.LLG@ac-paris.fr", Role::Principal),
                ("prof@ac-paris.fr", Role::Member)
            ]
        );

        let d = accounts::attach(s, &email("PROF@ac-paris.fr"), &uai("0301674G"))
            .await
            .unwrap();
        assert_eq!(d.memberships.len(), 2, "{kind:?}");
        let d = accounts::detach(s, &email("prof@ac-paris.fr"), &uai("0301674G"))
            .await
            .unwrap();
        assert_eq!(d.memberships.len(), 1);
        let shown = accounts::account(s, &email("principal.llg@AC-PARIS.fr"))
            .await
            .unwrap();
        assert_eq!(shown.memberships[0].uai, "0750655E");
        assert!(shown.last_link.is_none());

        let entries = audit::list(
            s,
            &AuditFilter {
                target: Some("prof@ac-paris.fr".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let actions: Vec<_> = entries.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions,
            vec!["account.detach", "account.attach", "account.add"],
            "{kind:?}"
        );
        // The author is the agent's own login on PostgreSQL.
        let expected_agent = db.agent_name();
        assert!(
            entries.iter().all(|e| e.agent == expected_agent),
            "{kind:?}"
        );
        assert_eq!(entries[0].before.as_ref().unwrap()["uai"], "0301674G");
    }
}

#[tokio::test]
async fn refusals_name_the_problem_and_change_nothing() {
    for kind in BOTH {
        let db = TestDb::new(kind).await;
        let s = &db.store;
        seed(s).await;
        add(s, "a@ac-paris.fr", "0750655E", true).await.unwrap();
        add(s, "b@ac-paris.fr", "0750655E", false).await.unwrap();
        let before = audit_count(s).await;

        let e = add(s, "A@AC-PARIS.FR", "0301674G", false)
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict, "{kind:?}");
        assert!(e.to_string().contains("existe déjà"), "{e}");

        let e = add(s, "c@ac-paris.fr", "0300000M", false)
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert!(e.to_string().contains("0300000M"), "{e}");

        let e = add(s, "c@ac-paris.fr", "0750655E", true).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict);
        assert!(
            e.to_string().contains("a@ac-paris.fr"),
            "names the current principal: {e}"
        );
        assert!(
            accounts::account(s, &email("c@ac-paris.fr")).await.is_err(),
            "nothing half-written"
        );

        let e = accounts::attach(s, &email("b@ac-paris.fr"), &uai("0750655E"))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict);
        assert!(e.to_string().contains("déjà rattachée"), "{e}");

        let e = accounts::make_principal(s, &email("b@ac-paris.fr"), &uai("0301674G"))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Invalid);
        assert!(e.to_string().contains("n'est pas rattachée"), "{e}");

        let e = accounts::detach(s, &email("b@ac-paris.fr"), &uai("0301674G"))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Invalid);

        let e = accounts::account(s, &email("inconnu@ac-paris.fr"))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);

        let e = accounts::add_establishment(
            &db.admin,
            EstablishmentInput {
                uai: uai("0750655E"),
                name: "Doublon".into(),
                city: String::new(),
                academy: String::new(),
            },
        )
        .await
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict);

        assert_eq!(
            audit_count(s).await,
            before,
            "{kind:?}: refusals write no audit"
        );
        assert!(Uai::parse("0750655F")
            .unwrap_err()
            .to_string()
            .contains("« E »"));
        assert!(Email::parse("jean@ac-paris").is_err());
    }
}

#[tokio::test]
async fn principal_transfer_demotes_previous_and_is_audited() {
    for kind in BOTH {
        let db = TestDb::new(kind).await;
        let s = &db.store;
        seed(s).await;
        add(s, "old@ac-paris.fr", "0750655E", true).await.unwrap();
        add(s, "new@ac-paris.fr", "0750655E", false).await.unwrap();
        let change = accounts::make_principal(s, &email("new@ac-paris.fr"), &uai("0750655E"))
            .await
            .unwrap();
        assert_eq!(change.previous.as_deref(), Some("old@ac-paris.fr"));
        let est = accounts::establishment(s, &uai("0750655E")).await.unwrap();
        assert_eq!(est.members[0].email, "new@ac-paris.fr");
        assert_eq!(est.members[0].role, Role::Principal);
        assert_eq!(est.members[1].role, Role::Member);
        let e = accounts::make_principal(s, &email("new@ac-paris.fr"), &uai("0750655E"))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict, "{kind:?}");
        let entries = audit::list(
            s,
            &AuditFilter {
                target: Some("0750655E".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(entries[0].action, "account.principal");
        assert_eq!(
            entries[0].before.as_ref().unwrap()["principal"],
            "old@ac-paris.fr"
        );
        assert_eq!(
            entries[0].after.as_ref().unwrap()["principal"],
            "new@ac-paris.fr"
        );
    }
}

#[tokio::test]
async fn concurrent_principal_transfers_leave_exactly_one_principal() {
    for kind in BOTH {
        let db = TestDb::new(kind).await;
        let s = &db.store;
        seed(s).await;
        add(s, "p0@ac-paris.fr", "0750655E", true).await.unwrap();
        for i in 1..=6 {
            add(s, &format!("p{i}@ac-paris.fr"), "0750655E", false)
                .await
                .unwrap();
        }
        let mut tasks = Vec::new();
        for i in 1..=6 {
            let store = db.reconnect("agent.concurrent").await;
            tasks.push(tokio::spawn(async move {
                accounts::make_principal(
                    &store,
                    &email(&format!("p{i}@ac-paris.fr")),
                    &uai("0750655E"),
                )
                .await
            }));
        }
        let mut ok = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => ok += 1,
                Err(e) => assert_eq!(e.kind(), ErrorKind::Conflict, "{kind:?}: {e}"),
            }
        }
        assert!(ok >= 1);
        let (principals,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM memberships m JOIN establishments e ON e.id = m.establishment_id WHERE e.uai = '0750655E' AND m.role = 'principal'",
        )
        .fetch_one(s.pool())
        .await
        .unwrap();
        assert_eq!(principals, 1, "{kind:?}");
        let (members,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM memberships")
            .fetch_one(s.pool())
            .await
            .unwrap();
        assert_eq!(members, 7, "nobody lost");
    }
}

#[tokio::test]
async fn disabled_accounts_are_left_alone_until_enabled() {
    for kind in BOTH {
        let db = TestDb::new(kind).await;
        let s = &db.store;
        seed(s).await;
        add(s, "x@ac-paris.fr", "0750655E", false).await.unwrap();
        let d = accounts::set_enabled(s, &email("x@ac-paris.fr"), false, None)
            .await
            .unwrap();
        assert_eq!(d.account.status, AccountStatus::Disabled);
        let e = accounts::attach(s, &email("x@ac-paris.fr"), &uai("0301674G"))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("désactivé"), "{kind:?}: {e}");
        let e = accounts::make_principal(s, &email("x@ac-paris.fr"), &uai("0750655E"))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("désactivé"), "{e}");
        let e = accounts::set_enabled(s, &email("x@ac-paris.fr"), false, None)
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict);
        let d = accounts::set_enabled(s, &email("x@ac-paris.fr"), true, None)
            .await
            .unwrap();
        assert_eq!(d.account.status, AccountStatus::Pending, "no password yet");
    }
}

#[tokio::test]
async fn stale_versions_are_refused_not_overwritten() {
    for kind in BOTH {
        let db = TestDb::new(kind).await;
        let s = &db.store;
        seed(s).await;
        let est = accounts::establishment(s, &uai("0301674G"))
            .await
            .unwrap()
            .establishment;
        // Two agents loaded version 1; the first saves.
        let first = accounts::edit_establishment(
            &db.admin,
            &uai("0301674G"),
            est.version,
            EstablishmentEdit {
                name: Some("Collège Jean-Moulin".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(first.version, est.version + 1);
        let e = accounts::edit_establishment(
            &db.admin,
            &uai("0301674G"),
            est.version,
            EstablishmentEdit {
                city: Some("Alès".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict, "{kind:?}");
        assert!(
            e.to_string().contains("modifié par quelqu'un d'autre"),
            "{e}"
        );
        let now = accounts::establishment(s, &uai("0301674G"))
            .await
            .unwrap()
            .establishment;
        assert_eq!(
            (now.name.as_str(), now.city.as_str()),
            ("Collège Jean-Moulin", "Nîmes")
        );

        let acc = add(s, "v@ac-paris.fr", "0301674G", false)
            .await
            .unwrap()
            .account;
        accounts::edit_account(
            s,
            &email("v@ac-paris.fr"),
            acc.version,
            accounts::AccountEdit {
                display_name: Some("Valérie".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let e = accounts::edit_account(
            s,
            &email("v@ac-paris.fr"),
            acc.version,
            accounts::AccountEdit {
                display_name: Some("Véronique".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict);
        let e = accounts::set_enabled(s, &email("v@ac-paris.fr"), false, Some(acc.version))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict);
    }
}

#[tokio::test]
async fn only_the_principal_adds_addresses_to_its_own_establishment() {
    for kind in BOTH {
        let db = TestDb::new(kind).await;
        let s = &db.store;
        seed(s).await;
        add(s, "chef@ac-paris.fr", "0750655E", true).await.unwrap();
        add(s, "membre@ac-paris.fr", "0750655E", false)
            .await
            .unwrap();
        add(s, "autre-chef@ac-montpellier.fr", "0301674G", true)
            .await
            .unwrap();
        // A pending principal (never signed in) cannot act yet.
        let e = accounts::principal_adds_address(
            s,
            &email("chef@ac-paris.fr"),
            &uai("0750655E"),
            &email("n@ac-paris.fr"),
            "",
        )
        .await
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Forbidden, "{kind:?}");
        // The portal's side: the two people set their passwords.
        sqlx::query("UPDATE accounts SET status = 'active', password_set_at = 1 WHERE email_key IN ('chef@ac-paris.fr', 'membre@ac-paris.fr')")
            .execute(common::portal(s).pool())
            .await
            .unwrap();
        let d = accounts::principal_adds_address(
            s,
            &email("chef@ac-paris.fr"),
            &uai("0750655E"),
            &email("nouveau@ac-paris.fr"),
            "Nouvel Agent",
        )
        .await
        .unwrap();
        assert_eq!(d.memberships[0].uai, "0750655E");
        assert_eq!(d.memberships[0].role, Role::Member);
        for (who, target) in [
            ("chef@ac-paris.fr", "0301674G"),
            ("membre@ac-paris.fr", "0750655E"),
        ] {
            let e = accounts::principal_adds_address(
                s,
                &email(who),
                &uai(target),
                &email("intrus@ac-paris.fr"),
                "",
            )
            .await
            .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Forbidden, "{who} → {target}");
            assert!(e.to_string().contains("seul le compte principal"), "{e}");
        }
        assert_eq!(
            accounts::account(s, &email("intrus@ac-paris.fr"))
                .await
                .unwrap_err()
                .kind(),
            ErrorKind::NotFound
        );
    }
}

#[tokio::test]
async fn detaching_the_last_establishment_with_a_live_link_is_refused() {
    for kind in BOTH {
        let db = TestDb::new(kind).await;
        let s = &db.store;
        seed(s).await;
        add(s, "l@ac-paris.fr", "0750655E", false).await.unwrap();
        sqlx::query("INSERT INTO link_requests (id, account_id, purpose, requested_by, created_at) SELECT 'r1', id, 'init', 'x', 0 FROM accounts")
            .execute(common::portal(s).pool())
            .await
            .unwrap();
        let e = accounts::detach(s, &email("l@ac-paris.fr"), &uai("0750655E"))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict, "{kind:?}");
        assert!(e.to_string().contains("lien"), "{e}");
        // With a second establishment, detaching one is fine.
        accounts::attach(s, &email("l@ac-paris.fr"), &uai("0301674G"))
            .await
            .unwrap();
        accounts::detach(s, &email("l@ac-paris.fr"), &uai("0750655E"))
            .await
            .unwrap();
        // Disabling kills the link; then the last establishment can go.
        accounts::set_enabled(s, &email("l@ac-paris.fr"), false, None)
            .await
            .unwrap();
        accounts::detach(s, &email("l@ac-paris.fr"), &uai("0301674G"))
            .await
            .unwrap();
    }
}
