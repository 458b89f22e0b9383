//! Search as the desktop calls it on every keystroke, on both backends.

mod common;

use common::{TestDb, BOTH};
use siec_accounts::accounts::{self, EstablishmentInput, NewAccount};
use siec_accounts::domain::{AccountStatus, Email, Role, Uai};
use siec_accounts::search::{search, SearchKind, SearchQuery, SearchRow, SortKey};
use siec_accounts::store::Store;

async fn seed(s: &Store) {
    for (n, name, city, academy) in [
        (750655u32, "Lycée Louis-le-Grand", "Paris", "Paris"),
        (301674, "Collège Jean Moulin", "Nîmes", "Montpellier"),
        (750656, "École élémentaire Œuvre", "Paris", "Paris"),
        (130001, "Lycée Saint-Exupéry", "Marseille", "Aix-Marseille"),
    ] {
        accounts::add_establishment(
            &common::admin_of(s),
            EstablishmentInput {
                uai: Uai::from_digits(n),
                name: name.into(),
                city: city.into(),
                academy: academy.into(),
            },
        )
        .await
        .unwrap();
    }
    for (e, n, principal) in [
        ("proviseur@ac-paris.fr", 750655, true),
        ("cpe.llg@ac-paris.fr", 750655, false),
        ("secretariat@ac-montpellier.fr", 301674, false),
        ("directrice@ac-paris.fr", 750656, true),
        ("z.martin@ac-aix-marseille.fr", 130001, false),
    ] {
        accounts::add_account(
            s,
            NewAccount {
                email: Email::parse(e).unwrap(),
                uai: Uai::from_digits(n),
                principal,
                display_name: String::new(),
            },
        )
        .await
        .unwrap();
    }
}

fn emails(rows: &[SearchRow]) -> Vec<String> {
    rows.iter()
        .map(|r| match r {
            SearchRow::Account { email, .. } => email.clone(),
            SearchRow::Establishment { uai, .. } => uai.clone(),
        })
        .collect()
}

async fn find(s: &Store, q: SearchQuery) -> (Vec<String>, u64) {
    let page = search(s, &q).await.unwrap();
    (emails(&page.rows), page.total)
}

fn text(t: &str) -> SearchQuery {
    SearchQuery {
        text: t.into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn finds_by_email_uai_name_and_city_without_accents() {
    for kind in BOTH {
        let db = TestDb::new(kind).await;
        let s = &db.store;
        seed(s).await;
        assert_eq!(
            find(s, text("lycee louis")).await.0,
            vec!["cpe.llg@ac-paris.fr", "proviseur@ac-paris.fr"],
            "{kind:?}"
        );
        assert_eq!(
            find(s, text("LYCÉE LOUIS-LE")).await.0,
            vec!["cpe.llg@ac-paris.fr", "proviseur@ac-paris.fr"]
        );
        assert_eq!(
            find(s, text("nimes")).await.0,
            vec!["secretariat@ac-montpellier.fr"],
            "city without accent"
        );
        assert_eq!(
            find(s, text("oeuvre")).await.0,
            vec!["directrice@ac-paris.fr"],
            "œ folded"
        );
        assert_eq!(
            find(s, text("MONTPELLIER.FR")).await.0,
            vec!["secretariat@ac-montpellier.fr"],
            "email substring"
        );
        assert_eq!(
            find(s, text("07506")).await.0,
            vec![
                "cpe.llg@ac-paris.fr",
                "directrice@ac-paris.fr",
                "proviseur@ac-paris.fr"
            ],
            "UAI prefix"
        );
        assert_eq!(
            find(s, text("pr")).await.0,
            vec!["proviseur@ac-paris.fr"],
            "short text: prefix"
        );
        assert_eq!(
            find(s, text("100%_")).await.0,
            Vec::<String>::new(),
            "wildcards are literal"
        );
        let (all, total) = find(s, SearchQuery::default()).await;
        assert_eq!((all.len(), total), (5, 5));
    }
}

#[tokio::test]
async fn filters_sort_and_pages() {
    for kind in BOTH {
        let db = TestDb::new(kind).await;
        let s = &db.store;
        seed(s).await;
        let principals = find(
            s,
            SearchQuery {
                role: Some(Role::Principal),
                ..Default::default()
            },
        )
        .await
        .0;
        assert_eq!(
            principals,
            vec!["directrice@ac-paris.fr", "proviseur@ac-paris.fr"],
            "{kind:?}"
        );
        let paris = find(
            s,
            SearchQuery {
                academy: Some("Paris".into()),
                ..Default::default()
            },
        )
        .await
        .0;
        assert_eq!(paris.len(), 3);
        let orphans = find(
            s,
            SearchQuery {
                without_principal: true,
                ..Default::default()
            },
        )
        .await
        .0;
        assert_eq!(
            orphans,
            vec![
                "secretariat@ac-montpellier.fr",
                "z.martin@ac-aix-marseille.fr"
            ]
        );
        accounts::set_enabled(
            s,
            &Email::parse("cpe.llg@ac-paris.fr").unwrap(),
            false,
            None,
        )
        .await
        .unwrap();
        let disabled = find(
            s,
            SearchQuery {
                status: Some(AccountStatus::Disabled),
                ..Default::default()
            },
        )
        .await
        .0;
        assert_eq!(disabled, vec!["cpe.llg@ac-paris.fr"]);
        sqlx::query("UPDATE accounts SET status = 'active', password_set_at = 5 WHERE email_key = 'proviseur@ac-paris.fr'").execute(common::portal(s).pool()).await.unwrap();
        let never = find(
            s,
            SearchQuery {
                never_initialised: true,
                ..Default::default()
            },
        )
        .await
        .0;
        assert_eq!(never.len(), 4);
        assert!(!never.contains(&"proviseur@ac-paris.fr".to_string()));

        let desc = find(
            s,
            SearchQuery {
                descending: true,
                ..Default::default()
            },
        )
        .await
        .0;
        assert_eq!(desc[0], "z.martin@ac-aix-marseille.fr");
        let page2 = search(
            s,
            &SearchQuery {
                limit: 2,
                offset: 2,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            emails(&page2.rows),
            vec!["proviseur@ac-paris.fr", "secretariat@ac-montpellier.fr"]
        );
        assert_eq!((page2.total, page2.total_exact), (5, true));

        let est = find(
            s,
            SearchQuery {
                kind: SearchKind::Establishments,
                without_principal: true,
                sort: SortKey::Name,
                ..Default::default()
            },
        )
        .await
        .0;
        assert_eq!(
            est,
            vec![
                Uai::from_digits(301674).to_string(),
                Uai::from_digits(130001).to_string()
            ]
        );
        let page = search(
            s,
            &SearchQuery {
                kind: SearchKind::Establishments,
                text: "lycee".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        match &page.rows[0] {
            SearchRow::Establishment {
                uai,
                accounts,
                principal,
                ..
            } => {
                assert_eq!(uai, &Uai::from_digits(130001).to_string());
                assert_eq!(*accounts, 1);
                assert_eq!(principal, &None);
            }
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn search_follows_renames_attachments_and_detachments() {
    for kind in BOTH {
        let db = TestDb::new(kind).await;
        let s = &db.store;
        seed(s).await;
        let uai = Uai::from_digits(301674);
        let v = accounts::establishment(s, &uai)
            .await
            .unwrap()
            .establishment
            .version;
        accounts::edit_establishment(
            &common::admin_of(s),
            &uai,
            v,
            accounts::EstablishmentEdit {
                name: Some("Collège Lucie-Aubrac".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            find(s, text("lucie aubrac")).await.0,
            vec!["secretariat@ac-montpellier.fr"],
            "{kind:?}"
        );
        assert!(find(s, text("jean moulin")).await.0.is_empty());
        let who = Email::parse("z.martin@ac-aix-marseille.fr").unwrap();
        accounts::attach(s, &who, &uai).await.unwrap();
        assert_eq!(find(s, text("aubrac")).await.0.len(), 2);
        accounts::detach(s, &who, &uai).await.unwrap();
        assert_eq!(
            find(s, text("aubrac")).await.0,
            vec!["secretariat@ac-montpellier.fr"]
        );
        assert_eq!(
            find(s, text("0301674")).await.0,
            vec!["secretariat@ac-montpellier.fr"],
            "UAI"
        );
    }
}
