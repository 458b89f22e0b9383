//! Connexion: which database is open, opening the embedded file or the central
//! PostgreSQL with the agent's own login.

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use siec_accounts::agents::{self, SignIn};
use siec_accounts::credentials::{self, Credential};
use siec_accounts::store::{Backend, SchemaState};
use tauri::State;

use crate::state::AppState;
use crate::{UiError, UiResult};

#[derive(Serialize)]
pub struct SessionStatus {
    pub connected: bool,
    pub backend: Option<Backend>,
    /// The database as shown to the agent (never with a password).
    pub database: Option<String>,
    pub agent: Option<String>,
    pub schema: Option<SchemaState>,
    /// Whether changes are refused (this app is too old for the database).
    pub read_only: bool,
    /// What the configuration points at, to prefill the Connexion form.
    pub configured: ConfiguredDatabase,
    pub startup_error: Option<UiError>,
}

#[derive(Serialize)]
pub struct ConfiguredDatabase {
    pub kind: &'static str,
    pub url: String,
    pub host: String,
    pub port: Option<u16>,
    pub name: String,
    pub login: String,
}

async fn status(state: &AppState) -> SessionStatus {
    let configured = configured(state.settings.read().await.database_url());
    let startup_error = state.startup_error.read().await.clone();
    match state.store().await {
        Ok(store) => {
            let schema = store.schema_state();
            SessionStatus {
                connected: true,
                backend: Some(store.backend()),
                database: Some(store.url_for_display().to_string()),
                agent: Some(store.agent().to_string()),
                read_only: store.ensure_writable().is_err(),
                schema: Some(schema),
                configured,
                startup_error,
            }
        }
        Err(_) => SessionStatus {
            connected: false,
            backend: None,
            database: None,
            agent: None,
            schema: None,
            read_only: true,
            configured,
            startup_error,
        },
    }
}

fn configured(url: &str) -> ConfiguredDatabase {
    let parsed = url::Url::parse(url).ok();
    let kind = if url.starts_with("postgres") {
        "postgres"
    } else {
        "sqlite"
    };
    ConfiguredDatabase {
        kind,
        url: siec_accounts::store::address::redact(url),
        host: parsed
            .as_ref()
            .and_then(|u| u.host_str())
            .unwrap_or_default()
            .to_string(),
        port: parsed.as_ref().and_then(|u| u.port()),
        name: parsed
            .as_ref()
            .map(|u| u.path().trim_start_matches('/').to_string())
            .unwrap_or_default(),
        login: parsed
            .as_ref()
            .map(|u| u.username().to_string())
            .unwrap_or_default(),
    }
}

#[tauri::command]
pub async fn session_status(state: State<'_, AppState>) -> UiResult<SessionStatus> {
    Ok(status(&state).await)
}

#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ConnectRequest {
    /// The embedded local file.
    Sqlite,
    /// The central database with the agent's own login.
    Postgres {
        host: String,
        port: Option<u16>,
        name: String,
        login: String,
        #[serde(default)]
        password: String,
        /// Keep the password in the OS keyring.
        #[serde(default)]
        remember: bool,
    },
}

#[tauri::command]
pub async fn connect(
    state: State<'_, AppState>,
    request: ConnectRequest,
) -> UiResult<SessionStatus> {
    let store = match request {
        ConnectRequest::Sqlite => {
            let url = state.settings.read().await.paths.default_database_url();
            let configured = state.settings.read().await.database_url().to_string();
            let url = if configured.starts_with("sqlite") {
                configured
            } else {
                url
            };
            state.open_embedded(&url).await?
        }
        ConnectRequest::Postgres {
            host,
            port,
            name,
            login,
            password,
            remember,
        } => {
            let host = host.trim();
            let name = name.trim();
            let login = login.trim();
            for (value, what) in [
                (host, "le serveur"),
                (name, "le nom de la base"),
                (login, "votre identifiant"),
            ] {
                if value.is_empty() {
                    return Err(UiError::invalid(format!("Indiquez {what}.")));
                }
            }
            let mut url = url::Url::parse("postgres://localhost/")
                .map_err(|_| UiError::invalid("Adresse de base de données incorrecte."))?;
            url.set_host(Some(host))
                .map_err(|_| UiError::invalid(format!("Serveur « {host} » incorrect.")))?;
            let _ = url.set_port(port);
            url.set_path(name);
            let cred = Credential::database(login)?;
            // An empty field means « the password I asked you to remember ».
            let password = if password.is_empty() {
                let c = cred.clone();
                blocking(move || credentials::read(&c)).await?
            } else {
                Some(SecretString::from(password))
            };
            let ca_file = state
                .settings
                .read()
                .await
                .database_ca_file()
                .map(str::to_string);
            // Another machine: encrypted, its certificate checked (`sslmode=verify-full`).
            let url = siec_accounts::store::address::secure(url.as_str())?;
            let request = SignIn {
                url,
                login: Some(login.to_string()),
                password: password.clone(),
                ca_file,
            };
            let store = agents::sign_in(&request).await?;
            // A desk never migrates the central database: it says who must.
            if let SchemaState::Behind { database, app } = store.schema_state() {
                store.close().await;
                return Err(siec_accounts::store::compat::behind(database, app).into());
            }
            if let (true, Some(pw)) = (remember, password) {
                blocking(move || credentials::store(&cred, &pw)).await?;
            }
            store
        }
    };
    state.set_store(Some(store)).await;
    *state.startup_error.write().await = None;
    Ok(status(&state).await)
}

#[tauri::command]
pub async fn disconnect(state: State<'_, AppState>) -> UiResult<SessionStatus> {
    state.set_store(None).await;
    Ok(status(&state).await)
}

/// Keyring calls block on D-Bus: keep them off the async workers.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> siec_accounts::Result<T> + Send + 'static,
) -> UiResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| UiError::invalid("Le trousseau du système ne répond pas."))?
        .map_err(UiError::from)
}

#[derive(Serialize)]
pub struct Forgotten {
    pub removed: usize,
    pub message: String,
}

/// « Oublier mes identifiants »: the database login's and the SMTP relay's passwords
/// leave the keyring.
#[tauri::command]
pub async fn forget_credentials(state: State<'_, AppState>) -> UiResult<Forgotten> {
    let settings = state.settings.read().await.clone();
    let mut creds = Vec::new();
    let configured = configured(settings.database_url());
    if !configured.login.is_empty() {
        creds.push(Credential::database(&configured.login)?);
    }
    if let Ok(store) = state.store().await {
        if store.backend() == Backend::Postgres {
            creds.push(Credential::database(store.agent())?);
        }
    }
    if let (Some(user), Some(host)) = (settings.smtp_user(), settings.smtp_host()) {
        creds.push(Credential::smtp(user, host)?);
    }
    creds.dedup();
    let removed = blocking(move || credentials::forget_all(&creds)).await?;
    let message = match removed {
        0 => "Aucun identifiant n'était gardé dans le trousseau du système.".to_string(),
        1 => "Un mot de passe a été retiré du trousseau du système.".to_string(),
        n => format!("{n} mots de passe ont été retirés du trousseau du système."),
    };
    Ok(Forgotten { removed, message })
}
