//! A search answers through one of several routes (a walk in address order, the
//! members of the matching establishments, the per-account index), chosen by how
//! broad it is. Whatever the route, the page and the total must be what a plain
//! reading of the base says: checked here against generated data, on both backends,
//! for broad and narrow texts, every filter, both directions and several pages.

mod common;

use std::collections::HashMap;

use common::{TestDb, BOTH};
use siec_accounts::devdata::{generate, GenerateOptions};
use siec_accounts::domain::{fold_for_search, AccountStatus, Email, Role, Uai};
use siec_accounts::search::{
    count, search, SearchKind, SearchQuery, SearchRow, SortKey, COUNT_CAP,
};
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
    email_folded: String,
    status: String,
    created_at: i64,
    initialised: bool,
    memberships: Vec<Membership>,
}

async fn load(s: &Store) -> Vec<Account> {
    let rows: Vec<(i64, String, String, Option<i64>, i64)> =
        sqlx::query_as("SELECT id, email_key, status, password_set_at, created_at FROM accounts")
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
        .map(|(id, email_key, status, set_at, created_at)| Account {
            email_folded: fold_for_search(&email_key),
            email_key,
            status,
            created_at,
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
                    || a.email_folded.contains(&folded)
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
    hits.sort_by(|a, b| {
        let key = match q.sort {
            SortKey::Status => a.status.cmp(&b.status),
            SortKey::Created => a.created_at.cmp(&b.created_at),
            _ => std::cmp::Ordering::Equal,
        };
        key.then_with(|| a.email_key.cmp(&b.email_key))
    });
    if q.descending {
        hits.reverse();
    }
    // The account the text names whole comes first, whatever the sort.
    if let Ok(exact) = Email::parse(text) {
        if let Some(i) = hits.iter().position(|a| a.email_key == exact.key()) {
            let named = hits.remove(i);
            hits.insert(0, named);
        }
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
        // A whole address that is also part of a longer one, sorted after it.
        let (lyon,): (String,) = sqlx::query_as(
            "SELECT uai FROM establishments WHERE academy = 'Lyon' ORDER BY uai LIMIT 1",
        )
        .fetch_one(s.pool())
        .await
        .unwrap();
        for email in ["x.martin@ac-lyon.fr", "ax.martin@ac-lyon.fr"] {
            siec_accounts::accounts::add_account(
                s,
                siec_accounts::accounts::NewAccount {
                    email: Email::parse(email).unwrap(),
                    uai: Uai::parse(&lyon).unwrap(),
                    principal: false,
                    display_name: String::new(),
                },
            )
            .await
            .unwrap();
        }
        check_all(s, &format!("{kind:?}"), &["Lyon".to_string()]).await;
        check_establishments(s, &format!("{kind:?}"), "Lyon").await;
    }
}

/// Every combination of filters, for the given academies, with pages small enough
/// for a walk to fill and large enough for it not to.
fn combinations(academies: &[String]) -> Vec<SearchQuery> {
    let mut out = Vec::new();
    for text in ["", "lycee", "college", "saint", "marie curie"] {
        filter_combinations(&mut out, text, academies, &[(SortKey::Email, false, 5)]);
        filter_combinations(&mut out, text, academies, &[(SortKey::Email, false, 200)]);
    }
    out
}

/// Each filter combination for `text`, in each `(sort, descending, limit)`.
fn filter_combinations(
    out: &mut Vec<SearchQuery>,
    text: &str,
    academies: &[String],
    sorts: &[(SortKey, bool, u64)],
) {
    let mut academies: Vec<Option<String>> = academies.iter().cloned().map(Some).collect();
    academies.push(None);
    for academy in &academies {
        for role in [None, Some(Role::Principal), Some(Role::Member)] {
            for without_principal in [false, true] {
                for status in [
                    None,
                    Some(AccountStatus::Active),
                    Some(AccountStatus::Pending),
                ] {
                    for never_initialised in [false, true] {
                        for &(sort, descending, limit) in sorts {
                            out.push(SearchQuery {
                                text: text.into(),
                                academy: academy.clone(),
                                role,
                                without_principal,
                                status,
                                never_initialised,
                                sort,
                                descending,
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

/// Texts of every shape the window meets, taken from the base itself: a whole
/// address inside the first academy and one outside it (the filter must keep it
/// out), the same in capitals, a piece of an address with a dot and digits, a
/// domain, a whole UAI (in capitals and not), its first four characters, one or
/// two letters, and a whole address that is also part of a longer one.
fn text_shapes(all: &[Account], academy: &str) -> Vec<String> {
    let inside = all
        .iter()
        .filter(|a| !a.email_key.starts_with("ce."))
        .find(|a| a.memberships.iter().any(|m| m.academy == academy))
        .expect("an account in the academy");
    let outside = all
        .iter()
        .filter(|a| !a.email_key.starts_with("ce."))
        .find(|a| !a.memberships.is_empty() && a.memberships.iter().all(|m| m.academy != academy))
        .expect("an account outside the academy");
    let uai = &inside.memberships[0].uai;
    let local = inside.email_key.split('@').next().unwrap().to_string();
    let domain = inside.email_key.split('@').nth(1).unwrap().to_string();
    vec![
        inside.email_key.clone(),
        outside.email_key.clone(),
        inside.email_key.to_uppercase(),
        local,
        domain,
        uai.clone(),
        uai.to_lowercase(),
        uai[..4].to_string(),
        "m".into(),
        "ce".into(),
        "x.martin@ac-lyon.fr".into(),
    ]
}

/// Text shapes × every filter × every sort of accounts, both directions.
fn shaped_combinations(all: &[Account], academies: &[String]) -> Vec<SearchQuery> {
    let mut out = Vec::new();
    let first = academies.first().expect("an academy");
    for text in text_shapes(all, first) {
        filter_combinations(
            &mut out,
            &text,
            &academies[..1],
            &[(SortKey::Email, false, 5), (SortKey::Email, true, 200)],
        );
        // Other sorts take one route whatever the filters: each filter once.
        for sort in [SortKey::Status, SortKey::Created] {
            for descending in [false, true] {
                for (academy, role, status) in [
                    (None, None, None),
                    (Some(first.clone()), None, None),
                    (Some(first.clone()), Some(Role::Member), None),
                    (Some(first.clone()), None, Some(AccountStatus::Pending)),
                    (None, Some(Role::Principal), Some(AccountStatus::Active)),
                ] {
                    out.push(SearchQuery {
                        text: text.clone(),
                        academy,
                        role,
                        status,
                        sort,
                        descending,
                        limit: 20,
                        ..Default::default()
                    });
                }
            }
        }
    }
    out
}

struct Establishment {
    uai: String,
    search_text: String,
    academy: String,
    has_principal: bool,
}

async fn load_establishments(s: &Store) -> Vec<Establishment> {
    let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
        "SELECT e.uai, e.search_text, e.academy, \
         (SELECT COUNT(*) FROM memberships p WHERE p.establishment_id = e.id AND p.role = 'principal') \
         FROM establishments e",
    )
    .fetch_all(s.pool())
    .await
    .unwrap();
    rows.into_iter()
        .map(|(uai, search_text, academy, principals)| Establishment {
            uai,
            search_text,
            academy,
            has_principal: principals > 0,
        })
        .collect()
}

/// Establishments matching a query, read plainly: by their code, name and city
/// (never by their members' addresses), sorted by code or name; the one whose
/// whole code is typed first. For sorts by city or academy, whose order is the
/// database's collation, only the set and the first row are compared.
fn expected_establishments(all: &[Establishment], q: &SearchQuery) -> (Vec<String>, bool) {
    let text = q.text.trim();
    let folded = fold_for_search(text);
    let upper = text.to_ascii_uppercase();
    let uai_like = upper.len() <= 8
        && upper.starts_with(|c: char| c.is_ascii_digit())
        && upper.chars().all(|c| c.is_ascii_alphanumeric());
    let mut hits: Vec<&Establishment> = all
        .iter()
        .filter(|e| {
            text.is_empty()
                || (text.chars().count() >= 3 && e.search_text.contains(&folded))
                || (uai_like && e.uai.starts_with(&upper))
        })
        .filter(|e| q.academy.as_deref().map_or(true, |a| e.academy == a))
        .filter(|e| !q.without_principal || !e.has_principal)
        .collect();
    let ordered = matches!(q.sort, SortKey::Uai | SortKey::Name);
    hits.sort_by(|a, b| match q.sort {
        SortKey::Name => a.search_text.cmp(&b.search_text).then(a.uai.cmp(&b.uai)),
        _ => a.uai.cmp(&b.uai),
    });
    if q.descending {
        hits.reverse();
    }
    if let Ok(exact) = Uai::parse(text) {
        if let Some(i) = hits.iter().position(|e| e.uai == exact.as_str()) {
            let named = hits.remove(i);
            hits.insert(0, named);
        }
    }
    (hits.iter().map(|e| e.uai.clone()).collect(), ordered)
}

/// Establishment searches of every text shape × filter × sort.
async fn check_establishments(s: &Store, label: &str, academy: &str) {
    let all = load_establishments(s).await;
    let accounts = load(s).await;
    let named = all.iter().find(|e| e.academy == academy).expect("one");
    let principal = accounts
        .iter()
        .find(|a| a.email_key.starts_with("ce."))
        .expect("a principal");
    let word = named
        .search_text
        .rsplit(' ')
        .next()
        .unwrap_or("lycee")
        .to_string();
    for text in [
        String::new(),
        "lycee".into(),
        word,
        named.uai.clone(),
        named.uai.to_lowercase(),
        named.uai[..4].to_string(),
        "m".into(),
        principal.email_key.clone(),
    ] {
        for academy in [Some(academy.to_string()), None] {
            for without_principal in [false, true] {
                for sort in [SortKey::Uai, SortKey::Name, SortKey::City, SortKey::Academy] {
                    for descending in [false, true] {
                        let q = SearchQuery {
                            kind: SearchKind::Establishments,
                            text: text.clone(),
                            academy: academy.clone(),
                            without_principal,
                            sort,
                            descending,
                            limit: 500,
                            ..Default::default()
                        };
                        let page = search(s, &q).await.unwrap();
                        let got: Vec<String> = page
                            .rows
                            .iter()
                            .map(|r| match r {
                                SearchRow::Establishment { uai, .. } => uai.clone(),
                                SearchRow::Account { email, .. } => email.clone(),
                            })
                            .collect();
                        let (want, ordered) = expected_establishments(&all, &q);
                        if ordered {
                            assert_eq!(got, want, "{label}: establishments for {q:?}");
                        } else {
                            let (mut g, mut w) = (got.clone(), want.clone());
                            g.sort();
                            w.sort();
                            assert_eq!(g, w, "{label}: establishments for {q:?}");
                            if Uai::parse(&text).is_ok() {
                                assert_eq!(got.first(), want.first(), "{label}: first for {q:?}");
                            }
                        }
                        assert_eq!(page.total, want.len() as u64, "{label}: total for {q:?}");
                    }
                }
            }
        }
    }
}

async fn check_all(s: &Store, label: &str, academies: &[String]) {
    let all = load(s).await;
    let mut list = queries();
    list.extend(combinations(academies));
    list.extend(shaped_combinations(&all, academies));
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
