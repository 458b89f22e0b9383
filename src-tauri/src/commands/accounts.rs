//! Recherche, Établissement, Compte and the « Ajouter une adresse » dialog.
//! Inputs arrive as text and are parsed here with the core's types, so a refusal
//! carries the core's French message.

use serde::Serialize;
use siec_accounts::accounts::{
    self, AccountDetail, EstablishmentDetail, NewAccount, PrincipalChange,
};
use siec_accounts::audit::{self, AuditEntry, AuditFilter};
use siec_accounts::domain::{Email, Uai};
use siec_accounts::search::{self, SearchPage, SearchQuery, SearchTotal};
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
    let rows = search::suggest_establishments(&store, &text, 8).await?;
    Ok(SearchPage {
        total: rows.len() as u64,
        rows,
        total_exact: true,
        counted: true,
    })
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
    Added {
        account: Box<AccountView>,
    },
    Refused {
        fields: FieldErrors,
        /// The establishments a name typed without choosing may designate.
        candidates: Vec<search::SearchRow>,
    },
    /// The address is already in the base: the window offers to open it, or to
    /// attach it to the establishment asked for.
    Exists {
        email: String,
        uai: String,
        attached: bool,
    },
}

#[tauri::command]
pub async fn add_account(state: State<'_, AppState>, form: AddAccountForm) -> UiResult<AddOutcome> {
    let store = state.store().await?;
    let email = Email::parse(&form.email);
    let typed = form.uai.trim();
    // A name typed without choosing from the suggestions: resolved when it names
    // one establishment, else answered with the candidates.
    let mut candidates = Vec::new();
    let uai = if typed.starts_with(|c: char| c.is_ascii_digit()) {
        Uai::parse(typed).map_err(|e| e.to_string())
    } else if typed.is_empty() {
        Err("Indiquez l’établissement : son code UAI ou son nom.".to_string())
    } else {
        match search::choose_establishment(&store, typed).await? {
            search::EstablishmentChoice::One { uai } => Uai::parse(&uai).map_err(|e| e.to_string()),
            search::EstablishmentChoice::Several { candidates: c } => {
                candidates = c;
                Err(format!(
                    "Plusieurs établissements correspondent à « {typed} » : choisissez-le dans la liste."
                ))
            }
            search::EstablishmentChoice::None => Err(format!(
                "Aucun établissement ne correspond à « {typed} » : tapez son code UAI ou une autre partie de son nom."
            )),
        }
    };
    let (email, uai) = match (email, uai) {
        (Ok(e), Ok(u)) => (e, u),
        (e, u) => {
            return Ok(AddOutcome::Refused {
                fields: FieldErrors {
                    email: e.err().map(|x| x.to_string()),
                    uai: u.err(),
                },
                candidates,
            })
        }
    };
    if let Ok(existing) = accounts::account(&store, &email).await {
        return Ok(AddOutcome::Exists {
            attached: existing.memberships.iter().any(|m| m.uai == uai.as_str()),
            email: existing.account.email,
            uai: uai.to_string(),
        });
    }
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
    revoke: Option<bool>,
) -> UiResult<AccountView> {
    let store = state.store().await?;
    let email = self::email(&email)?;
    accounts::detach_with(&store, &email, &self::uai(&uai)?, revoke.unwrap_or(false)).await?;
    account_view(&store, &email).await
}

/// Corrects the address or the display name; `version` is the one on screen.
#[tauri::command]
pub async fn edit_account(
    state: State<'_, AppState>,
    email: String,
    version: i64,
    new_email: Option<String>,
    display_name: Option<String>,
) -> UiResult<AccountView> {
    let store = state.store().await?;
    let email = self::email(&email)?;
    let new_email = new_email
        .filter(|e| !e.trim().is_empty())
        .map(|e| self::email(&e))
        .transpose()?;
    let shown = new_email.clone().unwrap_or_else(|| email.clone());
    accounts::edit_account(
        &store,
        &email,
        version,
        accounts::AccountEdit {
            email: new_email,
            display_name,
        },
    )
    .await?;
    account_view(&store, &shown).await
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
