//! Corrections an agent makes from the account page: a mistyped address or name
//! (audited, refused when someone changed the account meanwhile or when the new
//! address belongs to another account), and detaching an address from its last
//! establishment while a link is live, once the agent confirmed its revocation.

mod common;

use common::{TestDb, BOTH};
use siec_accounts::accounts::{self, AccountEdit, EstablishmentInput, NewAccount};
use siec_accounts::audit::{self, AuditFilter};
use siec_accounts::domain::{Email, Uai};
use siec_accounts::links;
use siec_accounts::search::{search, SearchQuery};
use siec_accounts::ErrorKind;

fn email(s: &str) -> Email {
    Email::parse(s).unwrap()
}

async fn seed(s: &siec_accounts::store::Store) {
    accounts::add_establishment(
        &common::admin_of(s),
        EstablishmentInput {
            uai: Uai::parse("0750655E").unwrap(),
            name: "Lycée Louis-le-Grand".into(),
            city: "Paris".into(),
            academy: "Paris".into(),
        },
    )
    .await
    .unwrap();
    for e in ["jeane.dupont@ac-paris.fr", "autre@ac-paris.fr"] {
        accounts::add_account(
            s,
            NewAccount {
                email: email(e),
                uai: Uai::parse("0750655E").unwrap(),
                principal: false,
                display_name: "Jeanne Dupont".into(),
            },
        )
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn a_mistyped_address_is_corrected_and_its_links_die() {
    for kind in BOTH {
        let db = TestDb::new(kind).await;
        let s = &db.store;
        seed(s).await;
        let wrong = email("jeane.dupont@ac-paris.fr");
        let right = email("Jeanne.Dupont@ac-paris.fr");
        let req = links::request_link(s, &wrong, None).await.unwrap();
        let version = accounts::account(s, &wrong).await.unwrap().account.version;

        // Someone else's address: refused, nothing written.
        let e = accounts::edit_account(
            s,
            &wrong,
            version,
            AccountEdit {
                email: Some(email("AUTRE@ac-paris.fr")),
                display_name: None,
            },
        )
        .await
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict, "{kind:?}");
        assert!(e.to_string().contains("existe déjà"), "{e}");

        let d = accounts::edit_account(
            s,
            &wrong,
            version,
            AccountEdit {
                email: Some(right.clone()),
                display_name: Some("  Jeanne   Dupont-Martin ".into()),
            },
        )
        .await
        .unwrap();
        assert_eq!(d.account.email, "Jeanne.Dupont@ac-paris.fr");
        assert_eq!(d.account.display_name, "Jeanne Dupont-Martin");
        assert_eq!(d.account.version, version + 1);
        assert_eq!(d.memberships.len(), 1);
        assert_eq!(
            accounts::account(s, &wrong).await.unwrap_err().kind(),
            ErrorKind::NotFound
        );
        // The link sent to the wrong mailbox is dead.
        let view = links::link(s, &req.request_id).await.unwrap().unwrap();
        assert!(
            matches!(view.state.code(), "revoked" | "failed"),
            "{kind:?} {view:?}"
        );
        // Search finds the new address, with and without a filter, not the old one.
        for academy in [None, Some("Paris".to_string())] {
            let q = |text: &str| SearchQuery {
                text: text.into(),
                academy: academy.clone(),
                ..Default::default()
            };
            let page = search(s, &q("jeanne.dupont@ac-paris.fr")).await.unwrap();
            assert_eq!(page.total, 1, "{kind:?}");
            let page = search(s, &q("jeane.dupont")).await.unwrap();
            assert_eq!(page.total, 0, "{kind:?}");
        }
        // The version the agent saw is gone: a second correction from it is refused.
        let e = accounts::edit_account(
            s,
            &right,
            version,
            AccountEdit {
                display_name: Some("Autre".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict);
        let entries = audit::list(s, &AuditFilter::default()).await.unwrap();
        let edit = entries
            .iter()
            .find(|e| e.action == "account.edit")
            .expect("audit row");
        let before = edit.before.as_ref().unwrap();
        let after = edit.after.as_ref().unwrap();
        assert_eq!(before["email"], "jeane.dupont@ac-paris.fr");
        assert_eq!(after["email"], "Jeanne.Dupont@ac-paris.fr");
        // The revocation is in the journal: with the edit on the embedded base,
        // as its own row (written by the database) on PostgreSQL.
        match kind {
            common::Kind::Sqlite => assert_eq!(after["revoked_links"], 1),
            common::Kind::Postgres => assert!(
                entries.iter().any(|e| e.action == "link.revoke"),
                "{entries:?}"
            ),
        }
    }
}

#[tokio::test]
async fn detaching_the_last_establishment_revokes_the_live_link_once_confirmed() {
    for kind in BOTH {
        let db = TestDb::new(kind).await;
        let s = &db.store;
        seed(s).await;
        let a = email("autre@ac-paris.fr");
        let u = Uai::parse("0750655E").unwrap();
        let req = links::request_link(s, &a, None).await.unwrap();
        let e = accounts::detach(s, &a, &u).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict);
        let d = accounts::detach_with(s, &a, &u, true).await.unwrap();
        assert!(d.memberships.is_empty());
        let view = links::link(s, &req.request_id).await.unwrap().unwrap();
        assert!(
            matches!(view.state.code(), "revoked" | "failed"),
            "{kind:?} {view:?}"
        );
    }
}

/// The journal answers « what happened at this school »: a UAI finds the rows of
/// the addresses attached to it (and of one detached since), by page, by action
/// and by period.
#[tokio::test]
async fn journal_by_uai_finds_attached_addresses_by_page_action_and_period() {
    for kind in BOTH {
        let db = TestDb::new(kind).await;
        let s = &db.store;
        seed(s).await;
        accounts::add_establishment(
            &common::admin_of(s),
            EstablishmentInput {
                uai: Uai::parse("0301674G").unwrap(),
                name: "Lycée Albert-Camus".into(),
                city: "Nîmes".into(),
                academy: "Montpellier".into(),
            },
        )
        .await
        .unwrap();
        accounts::add_account(
            s,
            NewAccount {
                email: email("ailleurs@ac-montpellier.fr"),
                uai: Uai::parse("0301674G").unwrap(),
                principal: false,
                display_name: String::new(),
            },
        )
        .await
        .unwrap();
        let paris = Uai::parse("0750655E").unwrap();
        accounts::attach(s, &email("ailleurs@ac-montpellier.fr"), &paris)
            .await
            .unwrap();
        accounts::detach(s, &email("ailleurs@ac-montpellier.fr"), &paris)
            .await
            .unwrap();
        links::request_link(s, &email("autre@ac-paris.fr"), None)
            .await
            .unwrap();
        let list = |filter: AuditFilter| async move { audit::list(s, &filter).await.unwrap() };
        let all = list(AuditFilter {
            target: Some("0750655e".into()),
            ..Default::default()
        })
        .await;
        let targets: Vec<&str> = all.iter().map(|e| e.target.as_str()).collect();
        // The establishment itself, its two addresses, and the one attached then detached.
        assert!(targets.contains(&"0750655E"), "{kind:?} {targets:?}");
        assert!(targets.contains(&"jeane.dupont@ac-paris.fr"), "{targets:?}");
        assert!(targets.contains(&"autre@ac-paris.fr"), "{targets:?}");
        let actions: Vec<&str> = all.iter().map(|e| e.action.as_str()).collect();
        assert!(actions.contains(&"account.detach"), "{actions:?}");
        assert!(actions.contains(&"link.request"), "{actions:?}");
        // Not the other school's own rows.
        assert!(
            !all.iter().any(|e| e.target == "0301674G"
                || e.action == "account.add" && e.target == "ailleurs@ac-montpellier.fr"),
            "{all:?}"
        );
        // Page after page, nothing lost, nothing twice.
        let mut paged = Vec::new();
        for page in 0..10 {
            let rows = list(AuditFilter {
                target: Some("0750655E".into()),
                limit: Some(2),
                offset: Some(page * 2),
                ..Default::default()
            })
            .await;
            if rows.is_empty() {
                break;
            }
            paged.extend(rows.into_iter().map(|e| e.id));
        }
        assert_eq!(paged, all.iter().map(|e| e.id).collect::<Vec<_>>());
        let requests = list(AuditFilter {
            target: Some("0750655E".into()),
            action: Some("link.request".into()),
            ..Default::default()
        })
        .await;
        assert_eq!(requests.len(), 1);
        let before = list(AuditFilter {
            until_ms: Some(all.last().unwrap().at),
            ..Default::default()
        })
        .await;
        assert!(before.iter().all(|e| e.at < all.last().unwrap().at));
    }
}
