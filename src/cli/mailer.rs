//! `siec-accounts mailer` (the mail service) and `siec-accounts settings link`
//! (the shared link settings, administrators only).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};
use secrecy::SecretString;

use siec_accounts::config::Settings;
use siec_accounts::links::{self, LinkSettingsEdit};
use siec_accounts::outbox::{self, CancelToken, Worker};
use siec_accounts::store::{Backend, Store, StoreOptions};
use siec_accounts::{Error, Result};

use super::{Cli, Output};

#[derive(Args, Debug)]
pub struct MailerArgs {
    /// Fichier du mot de passe de la base (lisible par son seul propriétaire) ; sinon le trousseau.
    #[arg(long, value_name = "FICHIER", env = "SIEC_MAILER_PASSWORD_FILE")]
    pub password_file: Option<PathBuf>,
    /// Fichier du mot de passe du relais SMTP (lisible par son seul propriétaire) ; sinon le trousseau.
    #[arg(long, value_name = "FICHIER", env = "SIEC_MAILER_SMTP_PASSWORD_FILE")]
    pub smtp_password_file: Option<PathBuf>,
    /// Secondes d'attente entre deux regards sur la file.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub idle_seconds: u64,
    /// Remet ce qui est dû puis s'arrête (sans rester à l'écoute).
    #[arg(long)]
    pub once: bool,
}

#[derive(Subcommand, Debug)]
pub enum SettingsCommand {
    /// Réglages des liens : adresse du portail, durée de validité, expéditeur.
    Link(LinkSettingsArgs),
}

#[derive(Args, Debug)]
pub struct LinkSettingsArgs {
    /// Durée de validité en minutes (5 à 1440).
    #[arg(long)]
    pub lifetime: Option<i64>,
    /// Adresse du portail (https://…).
    #[arg(long)]
    pub portal_url: Option<String>,
    /// Expéditeur des messages (« Nom <adresse> »).
    #[arg(long)]
    pub sender: Option<String>,
}

async fn connect(settings: &Settings, password: Option<SecretString>) -> Result<Store> {
    Store::connect(
        settings.database_url(),
        StoreOptions {
            agent: Some(settings.agent_name().to_string()),
            ca_file: settings.database_ca_file().map(str::to_string),
            password,
            ..Default::default()
        },
    )
    .await
}

pub async fn mailer(cli: &Cli, args: &MailerArgs, out: &Output) -> Result<()> {
    let settings = super::settings(cli)?;
    let db_password = match &args.password_file {
        Some(f) => Some(siec_accounts::credentials::read_private(f)?),
        None => super::agents::database_password(&settings)?,
    };
    let store = connect(&settings, db_password).await?;
    if store.backend() != Backend::Postgres {
        return Err(Error::invalid(
            "Le service d'envoi sert la base centrale PostgreSQL : sur la base intégrée, l'application envoie elle-même (« siec-accounts outbox run »).",
        ));
    }
    store.refresh_schema_state().await?;
    store.ensure_writable()?;
    let smtp_password = match &args.smtp_password_file {
        Some(f) => Some(siec_accounts::credentials::read_private(f)?),
        None => super::links::smtp_password(&settings)?,
    };
    let worker = Worker::from_settings(store.clone(), &settings, smtp_password)?;
    let cancel = CancelToken::new();
    if args.once {
        outbox::heartbeat(&store, &instance(), store.now_ms()).await?;
        let report = worker.deliver_due(&cancel, &|_| {}).await?;
        out.line(
            &format!(
                "{} message(s) envoyé(s), {} en échec, {} remis à plus tard.",
                report.sent, report.failed, report.retried
            ),
            &serde_json::json!({ "report": report }),
        );
        return Ok(());
    }
    let stop = cancel.clone();
    drop(tokio::spawn(async move {
        wait_for_stop().await;
        stop.cancel();
    }));
    let instance = instance();
    eprintln!(
        "Service d'envoi démarré ({instance}) sur {} ; arrêt propre par Ctrl-C ou SIGTERM.",
        store.url_for_display()
    );
    outbox::run_service(
        &worker,
        &instance,
        &cancel,
        Duration::from_secs(args.idle_seconds),
    )
    .await?;
    eprintln!("Service d'envoi arrêté : le message en cours a été remis et enregistré.");
    store.close().await;
    Ok(())
}

/// One name per running instance: host, process, start.
fn instance() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_else(|| "hôte".into());
    let mut name = format!("{host}:{}", std::process::id());
    name.truncate(90);
    name
}

async fn wait_for_stop() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

pub async fn settings_command(cli: &Cli, command: &SettingsCommand, out: &Output) -> Result<()> {
    let SettingsCommand::Link(args) = command;
    let settings = super::settings(cli)?;
    let store = super::open_store(&settings).await?;
    let shown = if args.lifetime.is_none() && args.portal_url.is_none() && args.sender.is_none() {
        links::link_settings(&store, &settings).await?
    } else {
        links::set_link_settings(
            &store,
            &LinkSettingsEdit {
                portal_url: args.portal_url.clone(),
                lifetime_minutes: args.lifetime,
                sender: args.sender.clone(),
            },
        )
        .await?
    };
    let origin = match shown.source {
        "database" => "base centrale",
        _ => "configuration locale",
    };
    out.line(
        &format!(
            "Réglages des liens ({origin}) : portail {}, validité {} minutes, expéditeur {}.",
            shown.portal_url, shown.lifetime_minutes, shown.sender
        ),
        &serde_json::json!(shown),
    );
    Ok(())
}
