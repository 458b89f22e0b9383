//! Command-line front end: parses arguments, calls the core, prints French results.
//! Exit codes: 0 success, 2 invalid input, 3 not found, 4 conflict,
//! 5 database or relay unreachable, 6 refused (rights, newer schema), 1 other.

mod accounts;
mod agents;
mod dev;
mod links;
mod mailer;
mod output;
mod parse_error;
mod snapshot;

use clap::{Parser, Subcommand};
use secrecy::SecretString;

use siec_accounts::config::{Paths, Settings};
use siec_accounts::domain::{Password, Uai};
use siec_accounts::store::{compat, SchemaState, Store, StoreOptions};
use siec_accounts::{Error, Result};

pub use output::Output;

#[derive(Parser, Debug)]
#[command(
    name = "siec-accounts",
    version,
    about = "Comptes SIEC : gestion des comptes du portail d'authentification du SIEC"
)]
pub struct Cli {
    /// Remplace une valeur de configuration (clé=valeur, par exemple smtp.host=relais.fr).
    #[arg(short = 's', long = "set", value_name = "CLÉ=VALEUR", global = true)]
    pub set: Vec<String>,
    /// Adresse de la base (raccourci de --set database.url=…).
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    /// Sortie JSON pour les scripts.
    #[arg(long, global = true)]
    pub json: bool,
    /// Lit la copie hors connexion de ce poste au lieu de la base (aucune modification possible).
    #[arg(long, global = true)]
    pub offline: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Codes UAI des établissements.
    Uai {
        #[command(subcommand)]
        command: UaiCommand,
    },
    /// Politique des mots de passe du portail.
    Password {
        #[command(subcommand)]
        command: PasswordCommand,
    },
    /// Configuration effective.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Met le schéma de la base à jour.
    Migrate,
    /// Établissements.
    Establishment {
        #[command(subcommand)]
        command: accounts::EstablishmentCommand,
    },
    /// Adresses (comptes du portail).
    Account {
        #[command(subcommand)]
        command: accounts::AccountCommand,
    },
    /// Recherche de comptes ou d'établissements.
    Search(accounts::SearchArgs),
    /// Journal des modifications.
    Audit(accounts::AuditArgs),
    /// Outils de mesure : données générées, banc d'essai de la recherche.
    Dev {
        #[command(subcommand)]
        command: dev::DevCommand,
    },
    /// Comptes de base de données des agents (PostgreSQL).
    Agent {
        #[command(subcommand)]
        command: agents::AgentCommand,
    },
    /// Se connecter : teste la connexion et garde le mot de passe dans le trousseau du système.
    Login {
        /// Identifiant de base de données (par défaut celui de database.url).
        login: Option<String>,
        /// Lit le mot de passe sur l'entrée standard (puis celui du SMTP avec --smtp).
        #[arg(long)]
        password_stdin: bool,
        /// Enregistre aussi le mot de passe du relais SMTP (smtp.user sur smtp.host).
        #[arg(long)]
        smtp: bool,
    },
    /// Copie chiffrée de la base centrale sur ce poste, pour travailler hors connexion.
    Snapshot {
        #[command(subcommand)]
        command: snapshot::SnapshotCommand,
    },
    /// Oublier mes identifiants : retire les mots de passe du trousseau du système.
    #[command(alias = "forget")]
    Logout,
    /// Service d'envoi (base centrale) : tire les jetons et remet les messages, en continu.
    Mailer(mailer::MailerArgs),
    /// Réglages partagés (base centrale ; modification réservée aux administrateurs).
    Settings {
        #[command(subcommand)]
        command: mailer::SettingsCommand,
    },
    #[command(flatten)]
    Links(links::LinkCommands),
}

#[derive(Subcommand, Debug)]
pub enum UaiCommand {
    /// Vérifie un code UAI et sa lettre clé.
    Check { uai: String },
}

#[derive(Subcommand, Debug)]
pub enum PasswordCommand {
    /// Vérifie qu'un mot de passe respecte la politique (liste chaque règle non respectée).
    Check { password: String },
}

#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// Affiche chaque valeur et d'où elle vient.
    Show,
}

pub fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return parse_error::report(e),
    };
    let out = Output::new(cli.json);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            let e = Error::Internal(format!("Démarrage impossible : {e}"));
            out.error(&e);
            return e.kind().exit_code();
        }
    };
    match runtime.block_on(dispatch(cli, &out)) {
        Ok(()) => 0,
        Err(e) => {
            out.error(&e);
            e.kind().exit_code()
        }
    }
}

fn flags(cli: &Cli) -> Result<Vec<(String, String)>> {
    let mut flags = Vec::new();
    for s in &cli.set {
        let (k, v) = s.split_once('=').ok_or_else(|| {
            Error::invalid(format!(
                "Option --set « {s} » : la forme attendue est clé=valeur."
            ))
        })?;
        flags.push((k.trim().to_string(), v.to_string()));
    }
    if let Some(url) = &cli.database_url {
        flags.push(("database.url".into(), url.clone()));
    }
    Ok(flags)
}

pub fn settings(cli: &Cli) -> Result<Settings> {
    Settings::load(Paths::from_os(), &flags(cli)?)
}

/// Connects with the configured URL. The embedded default is migrated on the fly;
/// the central database is migrated only by `siec-accounts migrate`, never from an
/// agent's command (a database behind this build is reported, not upgraded).
pub async fn open_store(settings: &Settings) -> Result<Store> {
    if OFFLINE.load(std::sync::atomic::Ordering::Relaxed) {
        return snapshot::open_offline(settings).await;
    }
    let url = settings.database_url();
    let store = Store::connect(
        url,
        StoreOptions {
            agent: Some(settings.agent_name().to_string()),
            ca_file: settings.database_ca_file().map(str::to_string),
            password: agents::database_password(settings)?,
            ..Default::default()
        },
    )
    .await?;
    if url == settings.paths.default_database_url() {
        store.migrate_embedded().await?;
    } else if let SchemaState::Behind { database, app } = store.schema_state() {
        store.close().await;
        return Err(compat::behind(database, app));
    }
    Ok(store)
}

/// `--offline`: every command reads the copy instead of the central database.
static OFFLINE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

async fn dispatch(cli: Cli, out: &Output) -> Result<()> {
    OFFLINE.store(cli.offline, std::sync::atomic::Ordering::Relaxed);
    match &cli.command {
        Command::Snapshot { command } => {
            OFFLINE.store(false, std::sync::atomic::Ordering::Relaxed);
            snapshot::run(&settings(&cli)?, out, command).await
        }
        Command::Links(command) => links::dispatch(&cli, command, out).await,
        Command::Mailer(args) => mailer::mailer(&cli, args, out).await,
        Command::Settings { command } => mailer::settings_command(&cli, command, out).await,
        Command::Uai {
            command: UaiCommand::Check { uai },
        } => {
            let uai = Uai::parse(uai)?;
            out.line(
                &format!("Code UAI {uai} valide."),
                &serde_json::json!({ "uai": uai }),
            );
            Ok(())
        }
        Command::Password {
            command: PasswordCommand::Check { password },
        } => {
            Password::parse(SecretString::from(password.clone()))?;
            out.line(
                "Le mot de passe respecte la politique du portail.",
                &serde_json::json!({ "valid": true }),
            );
            Ok(())
        }
        Command::Config {
            command: ConfigCommand::Show,
        } => {
            let s = settings(&cli)?;
            out.config(&s);
            Ok(())
        }
        Command::Establishment { command } => {
            let store = open_store(&settings(&cli)?).await?;
            accounts::establishment(&store, out, command).await
        }
        Command::Account { command } => {
            let store = open_store(&settings(&cli)?).await?;
            accounts::account(&store, out, command).await
        }
        Command::Search(args) => {
            let store = open_store(&settings(&cli)?).await?;
            accounts::run_search(&store, out, args).await
        }
        Command::Audit(args) => {
            let store = open_store(&settings(&cli)?).await?;
            accounts::run_audit(&store, out, args).await
        }
        Command::Dev { command } => {
            let store = open_store(&settings(&cli)?).await?;
            dev::run(&store, out, command).await
        }
        Command::Migrate => {
            let s = settings(&cli)?;
            let store = Store::connect(
                s.database_url(),
                StoreOptions {
                    agent: Some(s.agent_name().into()),
                    ca_file: s.database_ca_file().map(str::to_string),
                    password: agents::database_password(&s)?,
                    ..Default::default()
                },
            )
            .await?;
            let state = store.migrate().await?;
            out.line(
                &format!(
                    "Schéma de {} à jour (version {}).",
                    store.url_for_display(),
                    store.app_schema_version()
                ),
                &serde_json::json!({ "schema": state }),
            );
            Ok(())
        }
        Command::Agent { command } => agents::agent(&settings(&cli)?, out, command).await,
        Command::Login {
            login,
            password_stdin,
            smtp,
        } => {
            agents::login(
                &settings(&cli)?,
                out,
                login.as_deref(),
                *password_stdin,
                *smtp,
            )
            .await
        }
        Command::Logout => agents::logout(&settings(&cli)?, out),
    }
}
