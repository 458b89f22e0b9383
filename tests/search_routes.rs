//! A search answers through one of several routes (a walk in address order, the
//! members of the matching establishments, the per-account index), chosen by how
//! broad it is. Whatever the route, the page and the total must be what a plain
//! reading of the base says: checked here against generated data, on both backends,
//! for broad and narrow texts, every filter, both directions and several pages.

mod common;

use std::collections::HashMap;

use common::{TestDb, BOTH};
use siec_accounts::devdata::{generate, GenerateOptions};
use siec_accounts::domain::{fold_for_search, AccountStatus, Role};
use siec_accounts::search::{count, search, SearchQuery, SearchRow, COUNT_CAP};
use siec_accounts::store::Store;

struct Membership {
    uai: String,
    establishment: String,
    academy: String,
    principal: bool,
    establishment_has_principal: bool,
}

struct Account {
    email_key: String,
    status: String,
    initialised: bool,
    memberships: Vec<Membership>,
}

async fn load(s: &Store) -> Vec<Account> {
    let rows: Vec<(i64, String, String, Option<i64>)> =
        sqlx::query_as("SELECT id, email_key, status, password_set_at FROM accounts")
            .fetch_all(s.pool())
            .await
            .unwrap();
    let members: Vec<(i64, String, String, String, String, i64)> = sqlx::query_as(
        "SELECT m.account_id, e.uai, e.search_text, e.academy, m.role, \
         (SELECT COUNT(*) FROM memberships p WHERE p.establishment_id = e.id AND p.role = 'principal') \
         FROM memberships m JOIN establishments e ON e.id = m.establishment_id",
    )
    .fetch_all(s.pool())
    .await
    .unwrap();
    let mut by_account: HashMap<i64, Vec<Membership>> = HashMap::new();
    for (id, uai, text, academy, role, principals) in members {
        by_account.entry(id).or_default().push(Membership {
            uai,
            establishment: text,
            academy,
            principal: role == "principal",
            establishment_has_principal: principals > 0,
        });
    }
    rows.into_iter()
        .map(|(id, email_key, status, set_at)| Account {
            email_key,
            status,
            initialised: set_at.is_some(),
            memberships: by_account.remove(&id).unwrap_or_default(),
        })
        .collect()
}

/// What the query means, read plainly.
fn expected(all: &[Account], q: &SearchQuery) -> (Vec<String>, u64) {
    let text = q.text.trim();
    let folded = fold_for_search(text);
    let lower = text.to_lowercase();
    let mut hits: Vec<&Account> = all
        .iter()
        .filter(|a| {
            let upper = text.to_ascii_uppercase();
            let uai_like = upper.len() <= 8
                && upper.starts_with(|c: char| c.is_ascii_digit())
                && upper.chars().all(|c| c.is_ascii_alphanumeric());
            if text.is_empty() {
                true
            } else if text.chars().count() < 3 {
                // One or two characters: the beginning of the address.
                a.email_key.starts_with(&lower)
            } else if uai_like {
                // A UAI's beginning; from four characters on, a piece of an address too.
                (lower.len() >= 4 && a.email_key.contains(&lower))
                    || a.memberships.iter().any(|m| m.uai.starts_with(&upper))
            } else {
                a.email_key.contains(&lower)
                    || fold_for_search(&a.email_key).contains(&folded)
                    || a.memberships
                        .iter()
                        .any(|m| m.establishment.contains(&folded))
            }
        })
        .filter(|a| q.status.map_or(true, |s| a.status == s.code()))
        .filter(|a| !q.never_initialised || !a.initialised)
        .filter(|a| {
            let membership_filter = q.academy.is_some() || q.role.is_some() || q.without_principal;
            !membership_filter
                || a.memberships.iter().any(|m| {
                    q.academy.as_deref().map_or(true, |x| m.academy == x)
                        && q.role
                            .map_or(true, |r| m.principal == (r == Role::Principal))
                        && (!q.without_principal || !m.establishment_has_principal)
                })
        })
        .collect();
    hits.sort_by(|a, b| a.email_key.cmp(&b.email_key));
    if q.descending {
        hits.reverse();
    }
    let total = hits.len() as u64;
    let page = hits
        .iter()
        .skip(q.offset as usize)
        .take(q.limit as usize)
        .map(|a| a.email_key.clone())
        .collect();
    (page, total)
}

fn queries() -> Vec<SearchQuery> {
    let mut out = Vec::new();
    let base = SearchQuery {
        limit: 20,
        ..Default::default()
    };
    // Broad words (hundreds of matches), narrower names, a city, an address domain,
    // a person's name in addresses, and words nothing matches.
    for text in [
        "lycee",
        "college jean moulin",
        "Lycée Émile Zola",
        "saint etienne",
        "ac-lyon",
        "martin",
        "marie curie",
        "grenoble",
        "zzzz",
        "075",
        "0750",
        "13",
        "ce",
        "m",
    ] {
        out.push(SearchQuery {
            text: text.into(),
            ..base.clone()
        });
        out.push(SearchQuery {
            text: text.into(),
            status: Some(AccountStatus::Active),
            ..base.clone()
        });
        out.push(SearchQuery {
            text: text.into(),
            offset: 20,
            descending: true,
            ..base.clone()
        });
    }
    for academy in ["Montpellier", "Lyon", "Grenoble"] {
        out.push(SearchQuery {
            academy: Some(academy.into()),
            status: Some(AccountStatus::Pending),
            ..base.clone()
        });
        out.push(SearchQuery {
            academy: Some(academy.into()),
            role: Some(Role::Principal),
            ..base.clone()
        });
        out.push(SearchQuery {
            text: "lycee".into(),
            academy: Some(academy.into()),
            without_principal: true,
            ..base.clone()
        });
    }
    out.push(SearchQuery {
        role: Some(Role::Principal),
        never_initialised: true,
        ..base.clone()
    });
    out.push(SearchQuery {
        without_principal: true,
        offset: 40,
        ..base.clone()
    });
    out.push(SearchQuery {
        status: Some(AccountStatus::Disabled),
        ..base.clone()
    });
    out.push(SearchQuery {
        never_initialised: true,
        role: Some(Role::Member),
        descending: true,
        ..base.clone()
    });
    out
}

#[tokio::test]
async fn every_route_returns_what_the_base_holds() {
    for kind in BOTH {
        let db = TestDb::new(kind).await;
        let s = &db.store;
        // Generated data stands for an import: written by the superuser.
        generate(
            &common::portal(s),
            GenerateOptions {
                establishments: 300,
                accounts: 3_000,
                seed: 11,
            },
            &|_, _| {},
        )
        .await
        .unwrap();
        check_all(s, &format!("{kind:?}"), &["Lyon".to_string()]).await;
    }
}

/// Every combination of filters, for the given academies, with pages small enough
/// for a walk to fill and large enough for it not to.
fn combinations(academies: &[String]) -> Vec<SearchQuery> {
    let mut out = Vec::new();
    let mut academies: Vec<Option<String>> = academies.iter().cloned().map(Some).collect();
    academies.push(None);
    for text in ["", "lycee", "college", "saint", "marie curie"] {
        for academy in &academies {
            for role in [None, Some(Role::Principal), Some(Role::Member)] {
                for without_principal in [false, true] {
                    for status in [
                        None,
                        Some(AccountStatus::Active),
                        Some(AccountStatus::Pending),
                    ] {
                        for never_initialised in [false, true] {
                            for limit in [5, 200] {
                                out.push(SearchQuery {
                                    text: text.into(),
                                    academy: academy.clone(),
                                    role,
                                    without_principal,
                                    status,
                                    never_initialised,
                                    limit,
                                    ..Default::default()
                                });
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

async fn check_all(s: &Store, label: &str, academies: &[String]) {
    let all = load(s).await;
    let mut list = queries();
    list.extend(combinations(academies));
    for q in list {
        let page = search(s, &q).await.unwrap();
        let got: Vec<String> = page
            .rows
            .iter()
            .map(|r| match r {
                SearchRow::Account { email, .. } => email.to_lowercase(),
                SearchRow::Establishment { uai, .. } => uai.clone(),
            })
            .collect();
        let (want, total) = expected(&all, &q);
        assert_eq!(got, want, "{label}: page for {q:?}");
        let want_total = if total > COUNT_CAP as u64 {
            (COUNT_CAP as u64, false)
        } else {
            (total, true)
        };
        assert_eq!(
            (page.total, page.total_exact),
            want_total,
            "{label}: total for {q:?}"
        );
        // As the window asks: rows first, the total when it comes for free or
        // from `count` afterwards; both must say the same.
        let rows_only = SearchQuery {
            skip_count: true,
            ..q.clone()
        };
        let first = search(s, &rows_only).await.unwrap();
        assert_eq!(
            first.rows, page.rows,
            "{label}: rows without count for {q:?}"
        );
        if first.counted {
            assert_eq!(
                (first.total, first.total_exact),
                want_total,
                "{label}: free total for {q:?}"
            );
        }
        let counted = count(s, &q).await.unwrap();
        assert_eq!(
            (counted.total, counted.total_exact),
            want_total,
            "{label}: count for {q:?}"
        );
    }
}

/// The copies a search reads (filter tags, principal counts, each membership's
/// copy of its account) follow every change, whoever makes it.
#[tokio::test]
async fn searches_follow_changes() {
    use siec_accounts::accounts::{self, EstablishmentEdit, NewAccount};
    use siec_accounts::domain::{Email, Uai};
    for kind in BOTH {
        let db = TestDb::new(kind).await;
        let s = &db.store;
        // Generated data stands for an import: written by the superuser.
        generate(
            &common::portal(s),
            GenerateOptions {
                establishments: 60,
                accounts: 600,
                seed: 5,
            },
            &|_, _| {},
        )
        .await
        .unwrap();
        let mut academies = Vec::new();

        // An establishment without principal gets one; another loses its own.
        let (uai, member): (String, String) = sqlx::query_as(
            "SELECT e.uai, m.email_key FROM establishments e JOIN memberships m ON m.establishment_id = e.id \
             WHERE NOT EXISTS (SELECT 1 FROM memberships p WHERE p.establishment_id = e.id AND p.role = 'principal') \
             ORDER BY e.uai, m.email_key LIMIT 1",
        )
        .fetch_one(s.pool())
        .await
        .unwrap();
        let uai = Uai::parse(&uai).unwrap();
        academies.push(
            accounts::establishment(s, &uai)
                .await
                .unwrap()
                .establishment
                .academy,
        );
        accounts::make_principal(s, &Email::parse(&member).unwrap(), &uai)
            .await
            .unwrap();
        let (uai2, principal): (String, String) = sqlx::query_as(
            "SELECT e.uai, m.email_key FROM establishments e JOIN memberships m ON m.establishment_id = e.id \
             WHERE m.role = 'principal' AND (SELECT COUNT(*) FROM memberships o WHERE o.account_id = m.account_id) > 1 \
             ORDER BY e.uai LIMIT 1",
        )
        .fetch_one(s.pool())
        .await
        .unwrap_or_default();
        if !uai2.is_empty() {
            let uai2 = Uai::parse(&uai2).unwrap();
            academies.push(
                accounts::establishment(s, &uai2)
                    .await
                    .unwrap()
                    .establishment
                    .academy,
            );
            accounts::detach(s, &Email::parse(&principal).unwrap(), &uai2)
                .await
                .unwrap();
        }
        // A new principal where there was none, through the establishment route.
        let (uai3,): (String,) = sqlx::query_as(
            "SELECT e.uai FROM establishments e WHERE NOT EXISTS \
             (SELECT 1 FROM memberships p WHERE p.establishment_id = e.id AND p.role = 'principal') ORDER BY e.uai LIMIT 1",
        )
        .fetch_one(s.pool())
        .await
        .unwrap();
        academies.push(
            accounts::establishment(s, &Uai::parse(&uai3).unwrap())
                .await
                .unwrap()
                .establishment
                .academy,
        );
        accounts::add_account(
            s,
            NewAccount {
                email: Email::parse("nouveau.principal@ac-lyon.fr").unwrap(),
                uai: Uai::parse(&uai3).unwrap(),
                principal: true,
                display_name: String::new(),
            },
        )
        .await
        .unwrap();
        // A lycée changes academy; an active account is disabled; pending ones
        // set their password as the portal does.
        let (uai4, version): (String, i64) = sqlx::query_as(
            "SELECT uai, version FROM establishments WHERE search_text LIKE 'lycee%' ORDER BY uai LIMIT 1",
        )
        .fetch_one(s.pool())
        .await
        .unwrap();
        academies.push(
            accounts::establishment(s, &Uai::parse(&uai4).unwrap())
                .await
                .unwrap()
                .establishment
                .academy,
        );
        academies.push("Grenoble".into());
        accounts::edit_establishment(
            &common::admin_of(s),
            &Uai::parse(&uai4).unwrap(),
            version,
            EstablishmentEdit {
                name: None,
                city: None,
                academy: Some("Grenoble".into()),
            },
        )
        .await
        .unwrap();
        let (active,): (String,) = sqlx::query_as(
            "SELECT email_key FROM accounts WHERE status = 'active' ORDER BY email_key LIMIT 1",
        )
        .fetch_one(s.pool())
        .await
        .unwrap();
        accounts::set_enabled(s, &Email::parse(&active).unwrap(), false, None)
            .await
            .unwrap();
        sqlx::query(
            "UPDATE accounts SET status = 'active', password_set_at = 1 WHERE id IN \
             (SELECT id FROM accounts WHERE status = 'pending' ORDER BY email_key LIMIT 40)",
        )
        .execute(common::portal(s).pool())
        .await
        .unwrap();
        academies.sort();
        academies.dedup();
        check_all(s, &format!("{kind:?} after changes"), &academies).await;
    }
}
