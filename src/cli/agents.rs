//! `agent add|list|disable`, `login`, `logout`: agents' database logins and the
//! passwords kept in the system keyring.

use std::io::{BufRead as _, IsTerminal as _};

use clap::Subcommand;
use secrecy::{ExposeSecret, SecretString};

use siec_accounts::agents::{self, AgentLogin, NewAgent, SignIn};
use siec_accounts::config::Settings;
use siec_accounts::credentials::{self, Credential};
use siec_accounts::store::Store;
use siec_accounts::{Error, Result};

use super::Output;

#[derive(Subcommand, Debug)]
pub enum AgentCommand {
    /// Crée le compte de base de données d'un agent (réservé aux administrateurs).
    Add {
        /// Identifiant (lettres minuscules, chiffres, « . », « _ », « - » ; 3 à 63 caractères).
        login: String,
        /// Nom de l'agent (« Prénom Nom »).
        #[arg(long)]
        name: String,
        /// Administrateur : gère aussi les établissements et les agents.
        #[arg(long)]
        admin: bool,
        /// Demande le mot de passe au lieu d'en générer un.
        #[arg(long, conflicts_with = "password_stdin")]
        ask_password: bool,
        /// Lit le mot de passe sur l'entrée standard (scripts).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Liste les agents et leur état.
    List,
    /// Désactive un agent : il ne peut plus se connecter (réservé aux administrateurs).
    Disable { login: String },
}

/// Database password for the configured login: from the keyring, else asked on the
/// terminal (no keyring, or nothing stored yet), else none (trust or scripts).
pub fn database_password(settings: &Settings) -> Result<Option<SecretString>> {
    let Some(login) = postgres_login(settings.database_url()) else {
        return Ok(None);
    };
    let cred = Credential::database(&login)?;
    match credentials::read(&cred) {
        Ok(Some(p)) => return Ok(Some(p)),
        Ok(None) => {}
        Err(e) if std::io::stdin().is_terminal() => eprintln!("{e}"),
        Err(_) => return Ok(None),
    }
    if std::io::stdin().is_terminal() {
        return prompt(&format!("Mot de passe de la base pour « {login} » : ")).map(Some);
    }
    Ok(None)
}

fn postgres_login(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    if !matches!(u.scheme(), "postgres" | "postgresql") || u.username().is_empty() {
        return None;
    }
    Some(u.username().to_string())
}

fn prompt(text: &str) -> Result<SecretString> {
    let p = rpassword::prompt_password(text)
        .map_err(|e| Error::invalid(format!("Lecture du mot de passe impossible : {e}")))?;
    Ok(SecretString::from(p))
}

fn read_stdin_secret() -> Result<SecretString> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let trimmed = line.trim_end_matches(['\r', '\n']).to_string();
    if trimmed.is_empty() {
        return Err(Error::invalid(
            "Aucun mot de passe lu sur l'entrée standard.",
        ));
    }
    Ok(SecretString::from(trimmed))
}

/// Signs in with the configured URL and the stored (or asked) password.
pub async fn connect(settings: &Settings) -> Result<Store> {
    agents::sign_in(&SignIn {
        url: settings.database_url().to_string(),
        login: None,
        password: database_password(settings)?,
        ca_file: settings.database_ca_file().map(str::to_string),
    })
    .await
}

pub async fn agent(settings: &Settings, out: &Output, command: &AgentCommand) -> Result<()> {
    match command {
        AgentCommand::Add {
            login,
            name,
            admin,
            ask_password,
            password_stdin,
        } => {
            let login = AgentLogin::parse(login)?;
            let (password, generated) = if *password_stdin {
                (read_stdin_secret()?, false)
            } else if *ask_password {
                let first = prompt(&format!("Mot de passe pour « {login} » : "))?;
                agents::check_agent_password(&first)?;
                let again = prompt("Confirmez le mot de passe : ")?;
                if first.expose_secret() != again.expose_secret() {
                    return Err(Error::invalid(
                        "La confirmation ne correspond pas au mot de passe.",
                    ));
                }
                (first, false)
            } else {
                (agents::generate_password(), true)
            };
            agents::check_agent_password(&password)?;
            let store = connect(settings).await?;
            let new = NewAgent {
                login: login.clone(),
                name: name.clone(),
                admin: *admin,
            };
            agents::create_agent(&store, &new, &password).await?;
            store.close().await;
            let group = if *admin { "siec_admin" } else { "siec_agent" };
            if generated {
                // Shown once, never stored: the agent stores it with `login` on their own desk.
                out.line(
                    &format!(
                        "Agent « {login} » créé (groupe {group}).\nMot de passe (affiché une seule fois, à transmettre à l'agent par un canal sûr) : {}",
                        password.expose_secret()
                    ),
                    &serde_json::json!({ "login": login, "group": group, "password": password.expose_secret() }),
                );
            } else {
                out.line(
                    &format!("Agent « {login} » créé (groupe {group})."),
                    &serde_json::json!({ "login": login, "group": group }),
                );
            }
            Ok(())
        }
        AgentCommand::List => {
            let store = connect(settings).await?;
            let list = agents::list_agents(&store).await?;
            store.close().await;
            if out.is_json() {
                out.json(&list);
            } else if list.is_empty() {
                println!("Aucun agent.");
            } else {
                for a in &list {
                    println!(
                        "{:<24} {:<30} {:<15} {}",
                        a.login,
                        a.name,
                        if a.admin { "administrateur" } else { "agent" },
                        if a.active { "actif" } else { "désactivé" }
                    );
                }
            }
            Ok(())
        }
        AgentCommand::Disable { login } => {
            let login = AgentLogin::parse(login)?;
            let store = connect(settings).await?;
            agents::disable_agent(&store, &login).await?;
            store.close().await;
            out.line(
                &format!("Agent « {login} » désactivé : il ne peut plus se connecter."),
                &serde_json::json!({ "login": login, "active": false }),
            );
            Ok(())
        }
    }
}

/// `login`: asks the password, tests the connection, then keeps the password in the
/// keyring and the login (never the password) in the configuration's URL.
pub async fn login(
    settings: &Settings,
    out: &Output,
    login: Option<&str>,
    password_stdin: bool,
    smtp: bool,
) -> Result<()> {
    let request = SignIn {
        url: settings.database_url().to_string(),
        login: login.map(str::to_string),
        password: None,
        ca_file: settings.database_ca_file().map(str::to_string),
    };
    let login = request.login_name()?;
    if login.is_empty() {
        return Err(Error::invalid(
            "Indiquez votre identifiant : siec-accounts login IDENTIFIANT.",
        ));
    }
    let password = if password_stdin {
        read_stdin_secret()?
    } else {
        prompt(&format!("Mot de passe de la base pour « {login} » : "))?
    };
    let store = agents::sign_in(&SignIn {
        password: Some(password.clone()),
        ..request.clone()
    })
    .await?;
    store.close().await;
    let url = request.url_with_login()?;
    if url != settings.database_url() {
        settings.with("database.url", &url)?.save()?;
    }
    credentials::store(&Credential::database(&login)?, &password)?;
    let mut stored = vec!["base de données"];
    if smtp {
        let (Some(host), Some(user)) = (settings.smtp_host(), settings.smtp_user()) else {
            return Err(Error::invalid("Configurez d'abord smtp.host et smtp.user."));
        };
        let smtp_password = if password_stdin {
            read_stdin_secret()?
        } else {
            prompt(&format!("Mot de passe SMTP de « {user} » sur {host} : "))?
        };
        credentials::store(&Credential::smtp(user, host)?, &smtp_password)?;
        stored.push("SMTP");
    }
    out.line(
        &format!("Connecté en tant que « {login} ». Mot(s) de passe ({}) enregistré(s) dans le trousseau du système.", stored.join(", ")),
        &serde_json::json!({ "login": login, "stored": stored }),
    );
    Ok(())
}

/// « Oublier mes identifiants »: removes the database and SMTP passwords of this desk.
pub fn logout(settings: &Settings, out: &Output) -> Result<()> {
    let mut creds = Vec::new();
    if let Some(login) = postgres_login(settings.database_url()) {
        creds.push(Credential::database(&login)?);
    }
    if let (Some(host), Some(user)) = (settings.smtp_host(), settings.smtp_user()) {
        creds.push(Credential::smtp(user, host)?);
    }
    let removed = credentials::forget_all(&creds)?;
    out.line(
        &format!(
            "Identifiants oubliés : {removed} mot(s) de passe retiré(s) du trousseau du système."
        ),
        &serde_json::json!({ "removed": removed }),
    );
    Ok(())
}
