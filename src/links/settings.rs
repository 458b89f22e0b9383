//! The settings that shape a link: the portal's address, the link's lifetime and
//! the sender of the mail. On PostgreSQL they live in the database (`link_settings`),
//! read by every desk and the mail service, changed by `siec_admin` only; on the
//! embedded base they come from the local configuration.

use serde::Serialize;

use crate::config::Settings;
use crate::error::{Error, Result};
use crate::store::{Backend, Store};

/// Shortest and longest lifetime of a link, in minutes (5 minutes to 24 hours).
pub const LIFETIME_MIN_MINUTES: i64 = 5;
pub const LIFETIME_MAX_MINUTES: i64 = 24 * 60;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkSettings {
    pub portal_url: String,
    pub lifetime_minutes: i64,
    pub sender: String,
    /// `database` (shared, set by an administrator) or `local` (this machine's configuration).
    pub source: &'static str,
    pub updated_at: Option<i64>,
    pub updated_by: Option<String>,
}

/// What an administrator changes; `None` keeps the current value.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct LinkSettingsEdit {
    pub portal_url: Option<String>,
    pub lifetime_minutes: Option<i64>,
    pub sender: Option<String>,
}

/// Refuses a lifetime outside 5 minutes – 24 hours.
pub fn check_lifetime(minutes: i64) -> Result<i64> {
    if (LIFETIME_MIN_MINUTES..=LIFETIME_MAX_MINUTES).contains(&minutes) {
        Ok(minutes)
    } else {
        Err(Error::invalid(format!(
            "Durée de validité des liens « {minutes} » refusée : elle doit être comprise entre {LIFETIME_MIN_MINUTES} minutes et 24 heures ({LIFETIME_MAX_MINUTES} minutes)."
        )))
    }
}

fn check_portal_url(url: &str) -> Result<String> {
    let url = url.trim().trim_end_matches('/');
    let parsed = url::Url::parse(url).map_err(|e| {
        Error::invalid(format!(
            "Adresse du portail « {} » incorrecte : {e}",
            crate::text::quote_input(url)
        ))
    })?;
    if !matches!(parsed.scheme(), "https" | "http") || url.chars().any(char::is_whitespace) {
        return Err(Error::invalid(format!(
            "Adresse du portail « {} » incorrecte : elle commence par https://.",
            crate::text::quote_input(url)
        )));
    }
    Ok(url.to_string())
}

fn check_sender(sender: &str) -> Result<String> {
    crate::text::check_name("expéditeur", sender)?;
    crate::mail::MailTemplate::new(sender, "https://exemple.fr")?;
    Ok(sender.trim().to_string())
}

/// The settings in force for links sent from `store`.
pub async fn link_settings(store: &Store, settings: &Settings) -> Result<LinkSettings> {
    match store.backend() {
        Backend::Postgres => shared(store).await,
        Backend::Sqlite => Ok(LinkSettings {
            portal_url: settings.portal_url().to_string(),
            lifetime_minutes: check_lifetime(settings.link_lifetime_minutes()?)?,
            sender: settings.sender().to_string(),
            source: "local",
            updated_at: None,
            updated_by: None,
        }),
    }
}

/// The row of `link_settings` (PostgreSQL).
pub(crate) async fn shared(store: &Store) -> Result<LinkSettings> {
    {
        {
            let (portal_url, lifetime, sender, at, by): (String, i32, String, i64, String) =
                sqlx::query_as(
                    "SELECT portal_url, lifetime_minutes, sender, updated_at, updated_by FROM link_settings",
                )
                .fetch_one(store.pool())
                .await?;
            Ok(LinkSettings {
                portal_url: portal_url.trim_end_matches('/').to_string(),
                lifetime_minutes: i64::from(lifetime),
                sender,
                source: "database",
                updated_at: (at > 0).then_some(at),
                updated_by: Some(by).filter(|b| !b.is_empty()),
            })
        }
    }
}

/// Changes the shared settings (PostgreSQL, `siec_admin` only: the database
/// refuses anyone else and audits the change).
pub async fn set_link_settings(store: &Store, edit: &LinkSettingsEdit) -> Result<LinkSettings> {
    if store.backend() != Backend::Postgres {
        return Err(Error::invalid(
            "Sur la base intégrée, les réglages des liens sont ceux de la configuration locale (portal.url, portal.link_lifetime_minutes, mail.sender).",
        ));
    }
    let portal_url = edit
        .portal_url
        .as_deref()
        .map(check_portal_url)
        .transpose()?;
    let lifetime = edit.lifetime_minutes.map(check_lifetime).transpose()?;
    let sender = edit.sender.as_deref().map(check_sender).transpose()?;
    if portal_url.is_none() && lifetime.is_none() && sender.is_none() {
        return Err(Error::invalid(
            "Indiquez au moins un réglage à changer : --portal-url, --lifetime ou --sender.",
        ));
    }
    let mut tx = store.begin_write().await?;
    sqlx::query(
        "UPDATE link_settings SET portal_url = COALESCE($1, portal_url), \
         lifetime_minutes = COALESCE(CAST($2 AS integer), lifetime_minutes), sender = COALESCE($3, sender)",
    )
    .bind(portal_url)
    .bind(lifetime)
    .bind(sender)
    .execute(&mut *tx)
    .await
    .map_err(|e| match Error::from(e) {
        Error::Forbidden(_) => Error::forbidden(
            "Seul un administrateur (siec_admin) change les réglages des liens.",
        ),
        other => other,
    })?;
    tx.commit().await?;
    shared(store).await
}
