//! Links: one to a caller (Compte), thousands at once (Envoi groupé), and the
//! relay's test message (Paramètres). Sending is the outbox worker's job: these
//! commands queue, then wake it.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use siec_accounts::accounts;
use siec_accounts::domain::{AccountStatus, Email, LinkPurpose, Uai};
use siec_accounts::links::{
    self, AddressIssue, BulkProgress, BulkSummary, LinkRequested, LinkView, Selection,
};
use siec_accounts::mail::{MailTemplate, SendFailure, Transport, TransportConfig};
use siec_accounts::outbox::CancelToken;
use siec_accounts::search::{self, SearchKind, SearchQuery, SearchRow};
use siec_accounts::ErrorKind;
use tauri::ipc::Channel;
use tauri::State;

use crate::state::AppState;
use crate::{UiError, UiResult};

/// `init`, `reset`, or nothing (or `auto`): initialisation while the account has
/// no password, reset after.
fn purpose(code: Option<&str>) -> UiResult<Option<LinkPurpose>> {
    match code.map(str::trim) {
        None | Some("") | Some("auto") => Ok(None),
        Some(c) => c.parse::<LinkPurpose>().map(Some).map_err(UiError::invalid),
    }
}

fn email(text: &str) -> UiResult<Email> {
    Ok(Email::parse(text).map_err(siec_accounts::Error::from)?)
}

#[tauri::command]
pub async fn send_link(
    state: State<'_, AppState>,
    email: String,
    purpose: Option<String>,
) -> UiResult<LinkRequested> {
    let store = state.store().await?;
    let queued = links::request_link(
        &store,
        &self::email(&email)?,
        self::purpose(purpose.as_deref())?,
    )
    .await?;
    state.wake_worker().await;
    Ok(queued)
}

#[tauri::command]
pub async fn link_history(state: State<'_, AppState>, email: String) -> UiResult<Vec<LinkView>> {
    let store = state.store().await?;
    Ok(links::history(&store, &self::email(&email)?).await?)
}

/// What the window picks for a bulk dispatch.
#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum BulkSelection {
    Establishment {
        uai: String,
    },
    /// The current search of addresses, all its pages.
    Search {
        query: SearchQuery,
    },
    /// A pasted or imported list.
    List {
        emails: Vec<String>,
    },
}

/// The core's selection, and the addresses refused before reaching it (malformed).
fn resolve(selection: BulkSelection) -> UiResult<(Selection, Vec<AddressIssue>)> {
    match selection {
        BulkSelection::Establishment { uai } => Ok((
            Selection::Uai(Uai::parse(&uai).map_err(siec_accounts::Error::from)?),
            Vec::new(),
        )),
        BulkSelection::List { emails } => {
            let mut good = Vec::new();
            let mut bad = Vec::new();
            for text in emails.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
                match Email::parse(text) {
                    Ok(e) => good.push(e),
                    Err(err) => bad.push(AddressIssue {
                        email: text.to_string(),
                        reason: err.to_string(),
                    }),
                }
            }
            if good.is_empty() && bad.is_empty() {
                return Err(UiError::invalid("Indiquez au moins une adresse."));
            }
            Ok((Selection::Emails(good), bad))
        }
        BulkSelection::Search { query } => {
            if query.kind != SearchKind::Accounts {
                return Err(UiError::invalid(
                    "L'envoi groupé depuis la recherche porte sur des adresses : choisissez « Adresses » dans la recherche, ou envoyez depuis la page d'un établissement.",
                ));
            }
            Ok((Selection::Search(query), Vec::new()))
        }
    }
}

#[derive(Serialize)]
pub struct BulkPreview {
    /// Links that would be sent.
    pub eligible: u64,
    /// Addresses left out, with why (the same reasons the dispatch reports).
    pub skipped: Vec<AddressIssue>,
}

/// An agent's file (CSV from Excel, or one address per line) read into the list of
/// Envoi groupé; the rows left out come back with their line and the reason. Off
/// the window's thread: a big file must not freeze the window while it is read.
#[tauri::command(async)]
pub fn bulk_read_list(
    name: String,
    bytes: Vec<u8>,
) -> UiResult<siec_accounts::import::address_list::AddressList> {
    // A list of addresses is a few hundred kilobytes at most; anything far bigger
    // is the wrong file.
    const MAX: usize = 20 * 1024 * 1024;
    if bytes.len() > MAX {
        return Err(UiError::invalid(format!(
            "Le fichier « {name} » fait plus de 20 Mo : ce n'est pas une liste d'adresses."
        )));
    }
    Ok(siec_accounts::import::address_list::read(&bytes))
}

/// Counts before sending: nothing is written.
#[tauri::command]
pub async fn bulk_preview(
    state: State<'_, AppState>,
    selection: BulkSelection,
) -> UiResult<BulkPreview> {
    let store = state.store().await?;
    let (selection, mut skipped) = resolve(selection)?;
    // Each selected account with its status, in the dispatch's order.
    let mut found: Vec<(String, AccountStatus)> = Vec::new();
    match selection {
        Selection::Uai(uai) => {
            for m in accounts::establishment(&store, &uai).await?.members {
                found.push((m.email, m.status));
            }
        }
        // Every page of the search, as the dispatch will read it.
        Selection::Search(mut q) => {
            const PAGE: u64 = 500;
            q.offset = 0;
            q.limit = PAGE;
            q.skip_count = true;
            loop {
                let page = search::search(&store, &q).await?;
                let n = page.rows.len() as u64;
                for row in page.rows {
                    if let SearchRow::Account { email, status, .. } = row {
                        found.push((email, status));
                    }
                }
                if n < PAGE {
                    break;
                }
                q.offset += PAGE;
            }
        }
        Selection::Emails(emails) => {
            let mut seen = HashSet::new();
            for e in emails.iter().filter(|e| seen.insert(e.key())) {
                match accounts::account(&store, e).await {
                    Ok(d) => found.push((d.account.email, d.account.status)),
                    Err(err) if err.kind() == ErrorKind::NotFound => skipped.push(AddressIssue {
                        email: e.to_string(),
                        reason: "adresse absente de la base".into(),
                    }),
                    Err(err) => return Err(err.into()),
                }
            }
        }
    }
    let mut eligible = 0;
    for (email, status) in found {
        if status == AccountStatus::Disabled {
            skipped.push(AddressIssue {
                email,
                reason: "compte désactivé".into(),
            });
        } else {
            eligible += 1;
        }
    }
    Ok(BulkPreview { eligible, skipped })
}

/// Queues a link for every eligible address, then delivers them, reporting each
/// step through `on_progress`. Ends with the core's summary.
#[tauri::command]
pub async fn bulk_send(
    state: State<'_, AppState>,
    selection: BulkSelection,
    purpose: Option<String>,
    on_progress: Channel<BulkProgress>,
) -> UiResult<BulkSummary> {
    let store = state.store().await?;
    let purpose = self::purpose(purpose.as_deref())?;
    let (selection, refused) = resolve(selection)?;
    let settings = state.settings.read().await.clone();
    // On PostgreSQL the mail service delivers; the desk only follows the progress.
    let worker = match store.backend() {
        siec_accounts::store::Backend::Postgres => None,
        siec_accounts::store::Backend::Sqlite => {
            Some(crate::outbox::worker(store.clone(), &settings).await?)
        }
    };
    let cancel = CancelToken::new();
    {
        let mut running = state.bulk.lock().expect("bulk lock");
        if running.is_some() {
            return Err(UiError {
                code: ErrorKind::Conflict,
                message:
                    "Un envoi groupé est déjà en cours : attendez qu'il se termine ou annulez-le."
                        .into(),
            });
        }
        *running = Some(cancel.clone());
    }
    let progress = |p: BulkProgress| {
        // The window may have left the page: the dispatch goes on regardless.
        let _ = on_progress.send(p);
    };
    let result = {
        let _turn = state.delivery.lock().await;
        links::send_bulk(
            &store,
            worker.as_ref(),
            &selection,
            purpose,
            &progress,
            &cancel,
        )
        .await
    };
    *state.bulk.lock().expect("bulk lock") = None;
    let mut summary = result?;
    if summary.queued > 0 {
        // Left for the relay to come back: the background worker takes over.
        state.wake_worker().await;
    }
    summary.skipped.splice(0..0, refused);
    Ok(summary)
}

/// « Annuler l'envoi »: stops between two messages; what has not left stays
/// recorded as cancelled and can be sent again.
#[tauri::command]
pub fn bulk_cancel(state: State<'_, AppState>) -> UiResult<bool> {
    let running = state.bulk.lock().expect("bulk lock");
    match running.as_ref() {
        Some(c) => {
            c.cancel();
            Ok(true)
        }
        None => Ok(false),
    }
}

#[derive(Serialize)]
pub struct TestMailSent {
    pub message: String,
}

/// Sends a plain message through the configured transport, with the relay's own
/// words on failure, so the agent can check the settings before a real dispatch.
#[tauri::command]
pub async fn test_mail(state: State<'_, AppState>, to: String) -> UiResult<TestMailSent> {
    use lettre::message::{header::ContentType, Mailbox};
    let to = self::email(&to)?;
    let settings = state.settings.read().await.clone();
    let template = MailTemplate::new(settings.sender(), settings.portal_url())?;
    let password = crate::outbox::smtp_password(&settings).await?;
    let config = TransportConfig::from_settings(&settings, password)?;
    let transport = Transport::new(&config)?;
    let stem = format!("essai-{}", uuid::Uuid::new_v4().simple());
    let recipient: Mailbox = to
        .as_str()
        .parse()
        .map_err(|_| UiError::invalid(format!("Adresse « {to} » refusée par le relais.")))?;
    let message = lettre::Message::builder()
        .from(template.sender().clone())
        .to(recipient)
        .message_id(Some(template.message_id(&stem)))
        .subject("Comptes SIEC - message d'essai")
        .header(ContentType::TEXT_PLAIN)
        .body(
            "Bonjour,\n\nCe message d'essai confirme que Comptes SIEC peut envoyer les liens \
             d'initialisation et de réinitialisation par ce relais.\n\n\
             Les services de la Maison des examens\n"
                .to_string(),
        )
        .map_err(|e| UiError::invalid(format!("Message d'essai impossible à composer : {e}")))?;
    transport.send(&stem, message).await.map_err(|f| UiError {
        code: match f {
            SendFailure::Permanent(_) => ErrorKind::Invalid,
            SendFailure::Transient(_) => ErrorKind::Unavailable,
        },
        message: f.reason().to_string(),
    })?;
    let message = match &config {
        TransportConfig::Smtp(c) => {
            format!(
                "Message d'essai remis au relais {}:{} pour {to}.",
                c.host, c.port
            )
        }
        TransportConfig::Files { dir } => format!(
            "Aucun relais SMTP n'est réglé : le message d'essai pour {to} a été écrit dans {}.",
            dir.display()
        ),
    };
    Ok(TestMailSent { message })
}

/// On PostgreSQL, links waiting with no mail service seen lately (`None` otherwise):
/// the dashboard and the link pages say so.
#[tauri::command]
pub async fn mailer_status(
    state: State<'_, AppState>,
) -> UiResult<Option<siec_accounts::outbox::MailerAbsence>> {
    let store = state.store().await?;
    Ok(siec_accounts::outbox::mailer_absence(&store).await?)
}
