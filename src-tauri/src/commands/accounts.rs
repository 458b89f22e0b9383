//! Recherche, Établissement, Compte and the « Ajouter une adresse » dialog.
//! Inputs arrive as text and are parsed here with the core's types, so a refusal
//! carries the core's French message.

use serde::Serialize;
use siec_accounts::accounts::{
    self, AccountDetail, EstablishmentDetail, NewAccount, PrincipalChange,
};
use siec_accounts::audit::{self, AuditEntry, AuditFilter};
use siec_accounts::domain::{Email, Uai};
use siec_accounts::search::{self, SearchKind, SearchPage, SearchQuery, SearchTotal};
use tauri::State;

use crate::state::AppState;
use crate::UiResult;

/// An audit row with its action in French.
#[derive(Serialize)]
pub struct AuditRow {
    #[serde(flatten)]
    pub entry: AuditEntry,
    pub label: String,
}

async fn audit_rows(
    store: &siec_accounts::store::Store,
    filter: AuditFilter,
) -> UiResult<Vec<AuditRow>> {
    Ok(audit::list(store, &filter)
        .await?
        .into_iter()
        .map(|entry| AuditRow {
            label: audit::action_label(&entry.action).to_string(),
            entry,
        })
        .collect())
}

fn email(text: &str) -> UiResult<Email> {
    Ok(Email::parse(text).map_err(siec_accounts::Error::from)?)
}

fn uai(text: &str) -> UiResult<Uai> {
    Ok(Uai::parse(text).map_err(siec_accounts::Error::from)?)
}

#[derive(Serialize)]
pub struct EmailChecked {
    pub email: String,
}

/// Inline validation of the address field.
#[tauri::command]
pub fn email_check(email: String) -> UiResult<EmailChecked> {
    Ok(EmailChecked {
        email: self::email(&email)?.to_string(),
    })
}

/// One keystroke's search. With `seq`, a newer search started meanwhile drops this
/// one mid-query and the window gets `null`, so only the latest results render.
#[tauri::command]
pub async fn search(
    state: State<'_, AppState>,
    query: SearchQuery,
    seq: Option<u64>,
) -> UiResult<Option<SearchPage>> {
    let store = state.store().await?;
    let Some(seq) = seq else {
        return Ok(Some(search::search(&store, &query).await?));
    };
    unless_superseded(&state, seq, search::search(&store, &query)).await
}

/// The total of the search `seq`, asked once its rows are on screen; dropped like
/// the rows when a newer keystroke comes.
#[tauri::command]
pub async fn search_count(
    state: State<'_, AppState>,
    query: SearchQuery,
    seq: u64,
) -> UiResult<Option<SearchTotal>> {
    let store = state.store().await?;
    unless_superseded(&state, seq, search::count(&store, &query)).await
}

/// Runs `work` for the search `seq`, or returns `None` as soon as a newer search
/// starts (the statement is dropped with the future).
async fn unless_superseded<T>(
    state: &AppState,
    seq: u64,
    work: impl std::future::Future<Output = siec_accounts::error::Result<T>>,
) -> UiResult<Option<T>> {
    state.search_seq.send_if_modified(|latest| {
        let newer = seq > *latest;
        if newer {
            *latest = seq;
        }
        newer
    });
    let mut rx = state.search_seq.subscribe();
    if *rx.borrow_and_update() > seq {
        return Ok(None);
    }
    let superseded = async {
        while rx.changed().await.is_ok() {
            if *rx.borrow_and_update() > seq {
                return;
            }
        }
        std::future::pending::<()>().await
    };
    tokio::select! {
        out = work => Ok(Some(out?)),
        () = superseded => Ok(None),
    }
}

/// The establishments matching what is typed in the dialog's establishment field.
#[tauri::command]
pub async fn establishment_suggest(
    state: State<'_, AppState>,
    text: String,
) -> UiResult<SearchPage> {
    let store = state.store().await?;
    let q = SearchQuery {
        text,
        kind: SearchKind::Establishments,
        limit: 8,
        skip_count: true,
        ..Default::default()
    };
    Ok(search::search(&store, &q).await?)
}

#[derive(Serialize)]
pub struct EstablishmentView {
    #[serde(flatten)]
    pub detail: EstablishmentDetail,
    pub audit: Vec<AuditRow>,
}

#[tauri::command]
pub async fn establishment(state: State<'_, AppState>, uai: String) -> UiResult<EstablishmentView> {
    let store = state.store().await?;
    let uai = self::uai(&uai)?;
    let detail = accounts::establishment(&store, &uai).await?;
    let audit = audit_rows(
        &store,
        AuditFilter {
            target: Some(uai.to_string()),
            limit: Some(50),
            ..Default::default()
        },
    )
    .await?;
    Ok(EstablishmentView { detail, audit })
}

#[derive(Serialize)]
pub struct AccountView {
    #[serde(flatten)]
    pub detail: AccountDetail,
    pub audit: Vec<AuditRow>,
}

async fn account_view(store: &siec_accounts::store::Store, email: &Email) -> UiResult<AccountView> {
    let detail = accounts::account(store, email).await?;
    let audit = audit_rows(
        store,
        AuditFilter {
            target: Some(email.to_string()),
            limit: Some(100),
            ..Default::default()
        },
    )
    .await?;
    Ok(AccountView { detail, audit })
}

#[tauri::command]
pub async fn account(state: State<'_, AppState>, email: String) -> UiResult<AccountView> {
    let store = state.store().await?;
    account_view(&store, &self::email(&email)?).await
}

/// Checks every field before writing, so the dialog shows all its messages at once.
#[derive(serde::Deserialize)]
pub struct AddAccountForm {
    pub email: String,
    pub uai: String,
    #[serde(default)]
    pub principal: bool,
    #[serde(default)]
    pub display_name: String,
}

#[derive(Serialize, Default)]
pub struct FieldErrors {
    pub email: Option<String>,
    pub uai: Option<String>,
}

#[derive(Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum AddOutcome {
    Added { account: Box<AccountView> },
    Refused { fields: FieldErrors },
}

#[tauri::command]
pub async fn add_account(state: State<'_, AppState>, form: AddAccountForm) -> UiResult<AddOutcome> {
    let email = Email::parse(&form.email);
    let uai = Uai::parse(&form.uai);
    let (email, uai) = match (email, uai) {
        (Ok(e), Ok(u)) => (e, u),
        (e, u) => {
            return Ok(AddOutcome::Refused {
                fields: FieldErrors {
                    email: e.err().map(|x| x.to_string()),
                    uai: u.err().map(|x| x.to_string()),
                },
            })
        }
    };
    let store = state.store().await?;
    let new = NewAccount {
        email: email.clone(),
        uai,
        principal: form.principal,
        display_name: form.display_name,
    };
    accounts::add_account(&store, new).await?;
    Ok(AddOutcome::Added {
        account: Box::new(account_view(&store, &email).await?),
    })
}

#[tauri::command]
pub async fn attach(
    state: State<'_, AppState>,
    email: String,
    uai: String,
) -> UiResult<AccountView> {
    let store = state.store().await?;
    let email = self::email(&email)?;
    accounts::attach(&store, &email, &self::uai(&uai)?).await?;
    account_view(&store, &email).await
}

#[tauri::command]
pub async fn detach(
    state: State<'_, AppState>,
    email: String,
    uai: String,
) -> UiResult<AccountView> {
    let store = state.store().await?;
    let email = self::email(&email)?;
    accounts::detach(&store, &email, &self::uai(&uai)?).await?;
    account_view(&store, &email).await
}

/// `version` is the one the agent was looking at: a change by someone else since
/// then is refused with the core's conflict message.
#[tauri::command]
pub async fn set_enabled(
    state: State<'_, AppState>,
    email: String,
    enabled: bool,
    version: Option<i64>,
) -> UiResult<AccountView> {
    let store = state.store().await?;
    let email = self::email(&email)?;
    accounts::set_enabled(&store, &email, enabled, version).await?;
    account_view(&store, &email).await
}

#[tauri::command]
pub async fn make_principal(
    state: State<'_, AppState>,
    email: String,
    uai: String,
) -> UiResult<PrincipalChange> {
    let store = state.store().await?;
    Ok(accounts::make_principal(&store, &self::email(&email)?, &self::uai(&uai)?).await?)
}

#[tauri::command]
pub async fn audit_list(
    state: State<'_, AppState>,
    filter: AuditFilter,
) -> UiResult<Vec<AuditRow>> {
    let store = state.store().await?;
    audit_rows(&store, filter).await
}
