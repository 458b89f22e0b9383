//! The central database disappears mid-session (a throwaway PostgreSQL cluster on
//! a private port, stopped and started again by the test): reads answer from the
//! offline copy, writes are refused and nothing is recorded, and the app is back
//! online by itself once the database answers. Needs the keyring (D-Bus wrapper).

mod agents_common;
mod common;

use std::time::{Duration, Instant};

use agents_common::ScramCluster;
use siec_accounts::accounts::{self, EstablishmentInput, NewAccount};
use siec_accounts::agents::{self, AgentLogin, NewAgent, SignIn};
use siec_accounts::domain::{Email, Uai};
use siec_accounts::search::{self, SearchQuery};
use siec_accounts::snapshot::{Connectivity, OfflineCopy, Scope};
use siec_accounts::ErrorKind;

#[tokio::test]
async fn the_database_goes_away_and_comes_back() {
    let cluster = ScramCluster::start();
    let (name, owner) = cluster.database().await;
    let paris = Uai::parse("0750655E").unwrap();
    accounts::add_establishment(
        &owner,
        EstablishmentInput {
            uai: paris.clone(),
            name: "Lycée Louis-le-Grand".into(),
            city: "Paris".into(),
            academy: "Paris".into(),
        },
    )
    .await
    .unwrap();
    let login = AgentLogin::parse("agent.horsligne").unwrap();
    let password = agents::generate_password();
    agents::create_agent(
        &owner,
        &NewAgent {
            login: login.clone(),
            name: "Agent hors ligne".into(),
            admin: false,
        },
        &password,
    )
    .await
    .unwrap();
    owner.close().await;
    let central = agents::sign_in(&SignIn {
        url: cluster.url("agent.horsligne", &name),
        login: Some(login.to_string()),
        password: Some(password),
        ca_file: None,
    })
    .await
    .unwrap();
    let jeanne = Email::parse("jeanne.dupont@ac-paris.fr").unwrap();
    accounts::add_account(
        &central,
        NewAccount {
            email: jeanne.clone(),
            uai: paris.clone(),
            principal: true,
            display_name: "Jeanne Dupont".into(),
        },
    )
    .await
    .unwrap();

    let dir =
        std::env::temp_dir().join(format!("siec-horsligne-{}", uuid::Uuid::new_v4().simple()));
    let copy = OfflineCopy::new(dir.join("copie-hors-ligne.sqlite"), Scope::All);
    let app = Connectivity::new(central.clone(), copy.clone());
    app.sync(&|_| {}).await.unwrap();
    assert!(app.state(0).await.online);

    let search_jeanne = |store: siec_accounts::store::Store| async move {
        search::search(
            &store,
            &SearchQuery {
                text: "jeanne".into(),
                ..Default::default()
            },
        )
        .await
    };
    let online = app.run(search_jeanne).await.unwrap();
    assert_eq!(online.rows.len(), 1);

    // The database stops.
    cluster.stop();
    let started = Instant::now();
    let page = app.run(search_jeanne).await.unwrap();
    assert_eq!(page.rows.len(), 1, "search answers from the copy");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    let state = app.state(chrono::Utc::now().timestamp_millis()).await;
    assert!(!state.online);
    let notice = state.notice.unwrap();
    assert!(
        notice.starts_with("Hors connexion : données du "),
        "{notice}"
    );
    assert!(
        notice.contains("(à l’instant)") || notice.contains("min)"),
        "{notice}"
    );

    // The pages answer too.
    let detail = app
        .run(|s| {
            let e = jeanne.clone();
            async move { accounts::account(&s, &e).await }
        })
        .await
        .unwrap();
    assert_eq!(detail.account.email, "jeanne.dupont@ac-paris.fr");
    let establishment = app
        .run(|s| {
            let u = paris.clone();
            async move { accounts::establishment(&s, &u).await }
        })
        .await
        .unwrap();
    assert_eq!(establishment.establishment.uai, "0750655E");
    app.run(|s| async move { siec_accounts::dashboard::dashboard(&s).await })
        .await
        .unwrap();

    // Writes are refused, and said so.
    let err = app
        .run(|s| {
            let u = paris.clone();
            async move {
                accounts::add_account(
                    &s,
                    NewAccount {
                        email: Email::parse("paul.martin@ac-paris.fr").unwrap(),
                        uai: u,
                        principal: false,
                        display_name: String::new(),
                    },
                )
                .await
            }
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    assert!(err.to_string().starts_with("Hors connexion : "), "{err}");
    assert!(err.to_string().contains("rien n'a été enregistré"), "{err}");
    let sync_err = app.sync(&|_| {}).await.unwrap_err();
    assert!(
        sync_err.to_string().starts_with("Hors connexion"),
        "{sync_err}"
    );

    // The database comes back: the app is online again by itself.
    cluster.start_again();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !app.is_online().await {
        assert!(
            Instant::now() < deadline,
            "still offline a minute after the restart"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
        app.tick().await;
    }
    let added = app
        .run(|s| {
            let u = paris.clone();
            async move {
                accounts::add_account(
                    &s,
                    NewAccount {
                        email: Email::parse("paul.martin@ac-paris.fr").unwrap(),
                        uai: u,
                        principal: false,
                        display_name: String::new(),
                    },
                )
                .await
            }
        })
        .await
        .unwrap();
    assert_eq!(added.account.email, "paul.martin@ac-paris.fr");
    // Nothing was queued while offline: exactly one address was added, now.
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM accounts")
        .fetch_one(central.pool())
        .await
        .unwrap();
    assert_eq!(count, 2);
    let report = app.sync(&|_| {}).await.unwrap();
    assert_eq!(report.kind, siec_accounts::snapshot::SyncKind::Incremental);

    central.close().await;
    let _ = copy.forget();
    let _ = std::fs::remove_dir_all(&dir);
    let _ = login;
}
