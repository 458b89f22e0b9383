//! `link send|status|redeem|retry` and `outbox run`.

use std::io::{BufRead, IsTerminal};

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use secrecy::SecretString;

use siec_accounts::clock::format_ms;
use siec_accounts::config::Settings;
use siec_accounts::domain::{Email, LinkPurpose, Uai};
use siec_accounts::import::address_list;
use siec_accounts::links::{self, BulkSummary, Selection};
use siec_accounts::outbox::{self, CancelToken, Worker};
use siec_accounts::store::{Backend, Store};
use siec_accounts::{Error, Result};

use super::{open_store, settings, Cli, Output};

#[derive(Subcommand, Debug)]
pub enum LinkCommands {
    /// Liens d'initialisation et de réinitialisation du mot de passe.
    Link {
        #[command(subcommand)]
        command: LinkCommand,
    },
    /// File d'envoi des messages.
    Outbox {
        #[command(subcommand)]
        command: OutboxCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum LinkCommand {
    /// Envoie un lien à une ou plusieurs adresses, ou à tous les comptes d'un établissement.
    Send(SendArgs),
    /// Montre ce qu'est devenu chaque lien d'une adresse (le plus récent d'abord).
    Status { email: String },
    /// Définit le mot de passe avec un lien (côté portail) ; lit le mot de passe deux fois sur l'entrée standard.
    Redeem { token: String },
    /// Remet en file les envois en échec d'un envoi groupé.
    Retry { batch_id: String },
}

#[derive(Args, Debug)]
pub struct SendArgs {
    /// Adresse(s) des comptes.
    pub emails: Vec<String>,
    /// Tous les comptes rattachés à cet établissement (code UAI).
    #[arg(long, conflicts_with = "emails")]
    pub uai: Option<String>,
    /// Tous les comptes que trouve cette recherche (comme « siec-accounts search »).
    #[arg(long, conflicts_with_all = ["emails", "uai"])]
    pub query: Option<String>,
    /// Les adresses d'un fichier : CSV enregistré par Excel (« ; » ou « , ») ou une adresse par ligne.
    #[arg(long, value_name = "FICHIER", conflicts_with_all = ["emails", "uai", "query"])]
    pub file: Option<std::path::PathBuf>,
    /// Avec --file : envoie aux adresses lues même si des lignes du fichier sont écartées.
    #[arg(long, requires = "file")]
    pub skip_bad_rows: bool,
    /// init (première connexion) ou reset (mot de passe oublié) ; par défaut selon le compte.
    #[arg(long)]
    pub purpose: Option<LinkPurpose>,
    /// Enregistre seulement la demande ; l'envoi se fera par « outbox run » ou l'application.
    #[arg(long)]
    pub no_deliver: bool,
}

#[derive(Subcommand, Debug)]
pub enum OutboxCommand {
    /// Envoie maintenant les messages en attente, sans attendre le délai entre deux essais.
    Run,
    /// Nombre de messages par état.
    Status,
}

/// The SMTP password, when a user is configured: from the OS keyring (stored by
/// `login --smtp`), else asked on the terminal; never read from a file or the
/// environment.
pub(super) fn smtp_password(settings: &Settings) -> Result<Option<SecretString>> {
    let Some(user) = settings.smtp_user() else {
        return Ok(None);
    };
    let Some(host) = settings.smtp_host() else {
        return Ok(None);
    };
    // No keyring (or a locked one) is not an error here: the terminal is the fallback.
    if let Ok(Some(pw)) =
        siec_accounts::credentials::read(&siec_accounts::credentials::Credential::smtp(user, host)?)
    {
        return Ok(Some(pw));
    }
    if !std::io::stdin().is_terminal() {
        return Err(Error::invalid(format!(
            "Le mot de passe SMTP de « {user} » doit être saisi au clavier (aucun terminal disponible)."
        )));
    }
    let pw = rpassword::prompt_password(format!("Mot de passe SMTP de {user} : "))?;
    Ok(Some(SecretString::from(pw)))
}

async fn worker(settings: &Settings, store: &Store) -> Result<Worker> {
    Worker::from_settings(store.clone(), settings, smtp_password(settings)?)
}

/// The desk's own worker on the embedded base; none on PostgreSQL, where only the
/// mail service (`siec-accounts mailer`) mints tokens and sends.
async fn own_worker(settings: &Settings, store: &Store) -> Result<Option<Worker>> {
    match store.backend() {
        Backend::Postgres => Ok(None),
        Backend::Sqlite => worker(settings, store).await.map(Some),
    }
}

/// Said on PostgreSQL when links wait and no mail service is seen.
async fn warn_if_no_mailer(store: &Store) -> Result<()> {
    if let Some(absent) = outbox::mailer_absence(store).await? {
        eprintln!("Attention : {}.", absent.message);
    }
    Ok(())
}

pub async fn dispatch(cli: &Cli, command: &LinkCommands, out: &Output) -> Result<()> {
    let s = settings(cli)?;
    let store = open_store(&s).await?;
    match command {
        LinkCommands::Link {
            command: LinkCommand::Send(args),
        } => send(&s, &store, args, out).await,
        LinkCommands::Link {
            command: LinkCommand::Status { email },
        } => {
            let email = Email::parse(email)?;
            let history = links::history(&store, &email).await?;
            if out.is_json() {
                out.json(&history);
                return Ok(());
            }
            if history.is_empty() {
                println!("Aucun lien envoyé à {email}.");
            }
            for v in history {
                let mut line = format!(
                    "{}  {:<16} {:<20} demandé par {}",
                    format_ms(v.requested_at),
                    v.purpose.label(),
                    v.state.label(),
                    v.requested_by
                );
                if let Some(at) = v.sent_at {
                    line.push_str(&format!(", envoyé le {}", format_ms(at)));
                }
                if let (Some(at), links::LinkState::Sent | links::LinkState::Expired) =
                    (v.expires_at, v.state)
                {
                    line.push_str(&format!(", expire le {}", format_ms(at)));
                }
                if let Some(r) = v.reason {
                    line.push_str(&format!(" — {r}"));
                }
                println!("{line}");
            }
            Ok(())
        }
        LinkCommands::Link {
            command: LinkCommand::Redeem { token },
        } => {
            let (pw, confirm) = read_password_twice()?;
            let done = links::redeem(&store, token, pw, confirm).await?;
            out.line(
                &format!(
                    "Mot de passe enregistré : le compte {} est actif.",
                    done.email
                ),
                &serde_json::json!({ "email": done.email, "status": "active" }),
            );
            Ok(())
        }
        LinkCommands::Link {
            command: LinkCommand::Retry { batch_id },
        } => {
            let n = links::retry_failed(&store, batch_id).await?;
            let report = match own_worker(&s, &store).await? {
                Some(w) => w.deliver_due(&CancelToken::new(), &|_| {}).await?,
                None => {
                    warn_if_no_mailer(&store).await?;
                    Default::default()
                }
            };
            out.line(
                &format!(
                    "{n} envoi(s) remis en file ; {} message(s) envoyé(s), {} en échec.",
                    report.sent, report.failed
                ),
                &serde_json::json!({ "requeued": n, "report": report }),
            );
            Ok(())
        }
        LinkCommands::Outbox {
            command: OutboxCommand::Run,
        } => {
            outbox::bring_forward(&store).await?;
            let report = match own_worker(&s, &store).await? {
                Some(w) => w.deliver_due(&CancelToken::new(), &|_| {}).await?,
                None => {
                    warn_if_no_mailer(&store).await?;
                    Default::default()
                }
            };
            let c = outbox::counts(&store, None).await?;
            out.line(
                &format!(
                    "{} message(s) envoyé(s), {} en échec, {} remis à plus tard ; en file : {}.",
                    report.sent, report.failed, report.retried, c.queued
                ),
                &serde_json::json!({ "report": report, "counts": c }),
            );
            Ok(())
        }
        LinkCommands::Outbox {
            command: OutboxCommand::Status,
        } => {
            let c = outbox::counts(&store, None).await?;
            out.line(
                &format!(
                    "En file : {} ; en cours : {} ; envoyés : {} ; en échec : {}.",
                    c.queued, c.sending, c.sent, c.failed
                ),
                &serde_json::json!(c),
            );
            Ok(())
        }
    }
}

async fn send(s: &Settings, store: &Store, args: &SendArgs, out: &Output) -> Result<()> {
    let selection = match (&args.uai, args.emails.as_slice()) {
        _ if args.file.is_some() => Selection::Emails(from_file(
            args.file.as_deref().expect("checked"),
            args.skip_bad_rows,
        )?),
        _ if args.query.is_some() => Selection::Search(siec_accounts::search::SearchQuery {
            text: args.query.clone().unwrap_or_default(),
            ..Default::default()
        }),
        (Some(uai), _) => Selection::Uai(Uai::parse(uai)?),
        (None, []) => {
            return Err(Error::invalid(
                "Indiquez une adresse, --uai CODE, --query TEXTE ou --file FICHIER.",
            ))
        }
        (None, [one]) => {
            let email = Email::parse(one)?;
            let req = links::request_link(store, &email, args.purpose).await?;
            if !args.no_deliver {
                match own_worker(s, store).await? {
                    Some(w) => {
                        w.deliver_due(&CancelToken::new(), &|_| {}).await?;
                    }
                    None => warn_if_no_mailer(store).await?,
                }
            }
            let view = links::link(store, &req.request_id)
                .await?
                .expect("just written");
            let kind = match req.purpose {
                LinkPurpose::Init => "Lien d'initialisation",
                LinkPurpose::Reset => "Lien de réinitialisation",
            };
            let mut text = format!("{kind} pour {} : {}", req.email, view.state.label());
            if let Some(r) = &view.reason {
                text.push_str(&format!(" ({r})"));
            }
            text.push('.');
            out.line(&text, &serde_json::json!(view));
            return Ok(());
        }
        (None, many) => Selection::Emails(
            many.iter()
                .map(|e| Email::parse(e))
                .collect::<std::result::Result<_, _>>()?,
        ),
    };
    if args.no_deliver {
        let summary = links::queue_bulk(store, &selection, args.purpose).await?;
        print_summary(&summary, out);
        return Ok(());
    }
    let w = own_worker(s, store).await?;
    let bar = if out.is_json() {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(0)
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} envoyés  {msg}  ({eta} restant)")
            .expect("template")
            .progress_chars("█▓░"),
    );
    let cancel = CancelToken::new();
    let c2 = cancel.clone();
    // Ctrl-C stops the bulk between two messages; what has not left stays retryable.
    drop(tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            c2.cancel();
        }
    }));
    let summary = links::send_bulk(
        store,
        w.as_ref(),
        &selection,
        args.purpose,
        &|p| {
            bar.set_length(p.total);
            bar.set_position(p.done);
            bar.set_message(format!("{} échec(s), {} ignoré(s)", p.failed, p.skipped));
        },
        &cancel,
    )
    .await?;
    bar.finish();
    print_summary(&summary, out);
    Ok(())
}

/// The addresses of an agent's file. Rows left out are listed; unless the agent
/// said to go on without them, nothing is sent until the file is corrected.
fn from_file(path: &std::path::Path, skip_bad_rows: bool) -> Result<Vec<Email>> {
    let bytes = siec_accounts::text::read_list_file(path)?;
    let list = address_list::read(&bytes);
    for row in &list.rejected {
        eprintln!("ligne {} écartée : {}", row.line, row.message);
    }
    if !list.rejected.is_empty() && !skip_bad_rows {
        return Err(Error::invalid(format!(
            "{} ligne(s) de « {} » écartée(s), rien n'est envoyé : corrigez le fichier, ou relancez avec --skip-bad-rows pour envoyer aux {} adresse(s) lue(s).",
            list.rejected.len(),
            path.display(),
            list.emails.len()
        )));
    }
    if list.emails.is_empty() {
        return Err(Error::invalid(format!(
            "Aucune adresse dans « {} ».",
            path.display()
        )));
    }
    Ok(list.emails)
}

fn print_summary(s: &BulkSummary, out: &Output) {
    if out.is_json() {
        out.json(s);
        return;
    }
    println!(
        "Envoi groupé {} : {} lien(s) envoyé(s) sur {}, {} en échec, {} en attente, {} adresse(s) ignorée(s){}.",
        s.batch_id,
        s.sent,
        s.total,
        s.failed.len(),
        s.queued,
        s.skipped.len(),
        if s.cancelled { " (annulé)" } else { "" }
    );
    if s.queued > 0 {
        println!("Les messages en attente partiront dès que le relais répondra (« siec-accounts outbox run »).");
    }
    for f in &s.failed {
        println!("  échec : {} — {}", f.email, f.reason);
    }
    for f in &s.skipped {
        println!("  ignorée : {} — {}", f.email, f.reason);
    }
    if !s.failed.is_empty() {
        println!("Pour réessayer : siec-accounts link retry {}", s.batch_id);
    }
}

/// The new password and its confirmation: prompted on a terminal, else two lines of stdin.
fn read_password_twice() -> Result<(SecretString, SecretString)> {
    if std::io::stdin().is_terminal() {
        let a = rpassword::prompt_password("Nouveau mot de passe : ")?;
        let b = rpassword::prompt_password("Confirmer le mot de passe : ")?;
        return Ok((SecretString::from(a), SecretString::from(b)));
    }
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let mut next = || -> Result<SecretString> {
        let line = lines.next().ok_or_else(|| {
            Error::invalid("Saisissez le mot de passe puis sa confirmation, une ligne chacun.")
        })??;
        Ok(SecretString::from(line.trim_end_matches('\r').to_string()))
    };
    let a = next()?;
    let b = next()?;
    Ok((a, b))
}
