//! `snapshot sync|status|forget`, and `--offline`: the encrypted copy of the
//! central database kept on this computer for offline review.

use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};

use siec_accounts::clock::format_ms;
use siec_accounts::config::Settings;
use siec_accounts::snapshot::{connectivity, OfflineCopy, Progress, SyncKind};
use siec_accounts::store::Store;
use siec_accounts::{Error, Result};

use super::Output;

#[derive(Subcommand, Debug)]
pub enum SnapshotCommand {
    /// Met à jour la copie hors connexion depuis la base centrale (complète la première fois).
    Sync,
    /// Montre la copie : date, source, académies, nombre de comptes.
    Status,
    /// Supprime la copie et sa clé du trousseau.
    Forget,
}

/// The copy, read-only, for `--offline`.
pub async fn open_offline(settings: &Settings) -> Result<Store> {
    let copy = OfflineCopy::from_settings(settings);
    match copy.open().await? {
        Some(open) => {
            eprintln!(
                "{}",
                connectivity::offline_notice(open.meta.synced_at, chrono::Utc::now().timestamp_millis())
            );
            Ok(open.store)
        }
        None => Err(Error::NotFound(
            "Aucune copie hors connexion sur ce poste : lancez « siec-accounts snapshot sync » quand la base centrale est joignable.".into(),
        )),
    }
}

pub async fn run(settings: &Settings, out: &Output, command: &SnapshotCommand) -> Result<()> {
    let copy = OfflineCopy::from_settings(settings);
    match command {
        SnapshotCommand::Sync => {
            let central = super::open_store(settings).await?;
            let bar = if out.is_json() {
                ProgressBar::hidden()
            } else {
                ProgressBar::new(0)
            };
            if let Ok(style) =
                ProgressStyle::with_template("{bar:40} {pos}/{len} lignes  {msg}  ({eta} restant)")
            {
                bar.set_style(style.progress_chars("█▓░"));
            }
            let progress = |p: Progress| {
                if p.kind == SyncKind::Full {
                    bar.set_length(p.total);
                    bar.set_position(p.done);
                    bar.set_message(p.table);
                }
            };
            let report = copy.sync(&central, &progress).await;
            bar.finish_and_clear();
            central.close().await;
            let report = report?;
            let kind = match report.kind {
                SyncKind::Full => format!(
                    "Copie complète ({})",
                    report.reason.as_deref().unwrap_or("première copie")
                ),
                SyncKind::Incremental => "Mise à jour".to_string(),
            };
            out.value(
                &format!(
                    "{kind} : {} lignes lues en {} ms. Copie à jour au {}.",
                    report.rows_read,
                    report.duration_ms,
                    format_ms(report.synced_at)
                ),
                &report,
            );
            Ok(())
        }
        SnapshotCommand::Status => {
            let status = copy.status().await?;
            let text = match &status.meta {
                Some(meta) => format!(
                    "Copie hors connexion : {}\nDonnées du {} ({} comptes, {} établissements, {} Kio, chiffrée)\nSource : {}\nPérimètre : {}",
                    status.path.display(),
                    format_ms(meta.synced_at),
                    status.accounts,
                    status.establishments,
                    status.size_bytes / 1024,
                    meta.source,
                    copy.scope().describe()
                ),
                None => "Aucune copie hors connexion utilisable sur ce poste.".to_string(),
            };
            out.value(&text, &status);
            Ok(())
        }
        SnapshotCommand::Forget => {
            let existed = copy.forget()?;
            out.line(
                if existed {
                    "Copie hors connexion supprimée, et sa clé retirée du trousseau."
                } else {
                    "Aucune copie hors connexion sur ce poste."
                },
                &serde_json::json!({ "removed": existed }),
            );
            Ok(())
        }
    }
}
