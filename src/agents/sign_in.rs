//! Signing in as an agent: a connection test that tells the person exactly what is
//! wrong (password, disabled login, missing rights, TLS), then the store.

use std::str::FromStr;

use secrecy::{ExposeSecret, SecretString};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions as _, Connection as _};

use crate::error::{Error, Result};
use crate::store::{Store, StoreOptions};

/// Who signs in, where.
#[derive(Clone)]
pub struct SignIn {
    /// `postgres://host:port/db?sslmode=…`, without password; its user name is
    /// replaced by `login` when one is given.
    pub url: String,
    pub login: Option<String>,
    pub password: Option<SecretString>,
    /// CA file for `sslmode=verify-ca/verify-full` (config `database.ca_file`).
    pub ca_file: Option<String>,
}

impl std::fmt::Debug for SignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignIn")
            .field("url", &self.url)
            .field("login", &self.login)
            .field("password", &self.password.as_ref().map(|_| "[caché]"))
            .field("ca_file", &self.ca_file)
            .finish()
    }
}

pub const WRONG_CREDENTIALS: &str = "Identifiant ou mot de passe de la base de données incorrect.";

impl SignIn {
    /// The URL with the login as user name (no password in it, ever).
    pub fn url_with_login(&self) -> Result<String> {
        let mut url = url::Url::parse(&self.url).map_err(|e| {
            Error::invalid(format!(
                "Adresse de base de données « {} » incorrecte : {e}",
                self.url
            ))
        })?;
        if url.password().is_some() {
            return Err(Error::invalid(
                "L'adresse de la base contient un mot de passe : retirez-le, il est demandé à la connexion.",
            ));
        }
        if let Some(login) = &self.login {
            url.set_username(login)
                .map_err(|_| Error::invalid("Adresse de base de données incorrecte."))?;
        }
        Ok(url.to_string())
    }

    pub fn login_name(&self) -> Result<String> {
        let url = url::Url::parse(&self.url_with_login()?)
            .map_err(|e| Error::invalid(format!("Adresse de base de données incorrecte : {e}")))?;
        Ok(url.username().to_string())
    }
}

/// Tests the connection, then opens the store as that login. The errors a person
/// can act on get their own French message. PostgreSQL answers an unknown login and
/// a wrong password with the same error on purpose (no guessing which logins exist),
/// so the message covers both.
pub async fn sign_in(request: &SignIn) -> Result<Store> {
    let url = request.url_with_login()?;
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(Error::invalid(
            "La connexion d'un agent se fait sur la base centrale (adresse postgres://…).",
        ));
    }
    let login = request.login_name()?;
    let mut options = PgConnectOptions::from_str(&url)
        .map_err(|e| Error::invalid(format!("Adresse de base de données incorrecte : {e}")))?
        .disable_statement_logging();
    if let Some(pw) = &request.password {
        options = options.password(pw.expose_secret());
    }
    if let Some(ca) = &request.ca_file {
        if !std::path::Path::new(ca).is_file() {
            return Err(Error::invalid(format!(
                "Le certificat de l'autorité « {ca} » (database.ca_file) est introuvable."
            )));
        }
        options = options.ssl_root_cert(ca);
    }
    let conn = tokio::time::timeout(
        std::time::Duration::from_secs(15),
        sqlx::PgConnection::connect_with(&options),
    )
    .await
    .map_err(|_| Error::Unavailable("La base de données ne répond pas (délai dépassé).".into()))?;
    match conn {
        Ok(c) => {
            let _ = c.close().await;
        }
        Err(e) => return Err(connection_error(e, &login)),
    }
    let store = Store::connect(
        &url,
        StoreOptions {
            password: request.password.clone(),
            agent: Some(login.clone()),
            ca_file: request.ca_file.clone(),
            ..Default::default()
        },
    )
    .await
    .map_err(|e| match e {
        Error::Forbidden(m)
            if m.starts_with("Votre compte de base de données n'a pas le droit") =>
        {
            rights_error(&login)
        }
        other => other,
    })?;
    // A login outside the groups connects but can do nothing: say so now rather
    // than at the first search.
    let (is_agent,): (bool,) =
        sqlx::query_as("SELECT pg_has_role(session_user, 'siec_agent', 'MEMBER')")
            .fetch_one(store.pool())
            .await?;
    if !is_agent {
        store.close().await;
        return Err(rights_error(&login));
    }
    tracing::info!(login = login.as_str(), "signed in");
    Ok(store)
}

fn rights_error(login: &str) -> Error {
    Error::forbidden(format!(
        "Le compte « {login} » se connecte mais n'a pas les droits d'un agent (groupe siec_agent) : demandez à un administrateur de l'ajouter."
    ))
}

fn connection_error(e: sqlx::Error, login: &str) -> Error {
    match &e {
        sqlx::Error::Database(db) => match db.code().as_deref() {
            Some("28P01") => Error::forbidden(WRONG_CREDENTIALS),
            Some("28000") if db.message().contains("not permitted to log in") => Error::forbidden(format!(
                "Le compte « {login} » est désactivé : demandez à un administrateur de le réactiver."
            )),
            // Under trust authentication an unknown login is named as such; say the
            // same as for a wrong password so both cases read alike.
            Some("28000") if db.message().contains("does not exist") => Error::forbidden(WRONG_CREDENTIALS),
            Some("28000") => Error::forbidden(format!(
                "La base de données refuse la connexion de « {login} » depuis ce poste (règle d'accès du serveur)."
            )),
            Some("3D000") => Error::Unavailable("La base de données demandée n'existe pas sur ce serveur.".into()),
            _ => Error::from(e),
        },
        sqlx::Error::Tls(inner) => Error::Unavailable(format!(
            "La connexion chiffrée (TLS) à la base de données a échoué : le certificat du serveur n'a pas pu être vérifié ou le serveur n'accepte pas TLS ({inner}). Vérifiez l'adresse du serveur et le certificat de l'autorité (database.ca_file)."
        )),
        // rustls reports a refused certificate through the I/O stream.
        sqlx::Error::Io(io) if looks_like_tls(io) => Error::Unavailable(format!(
            "La connexion chiffrée (TLS) à la base de données a échoué : le certificat du serveur n'a pas pu être vérifié ({io}). Vérifiez l'adresse du serveur et le certificat de l'autorité (database.ca_file)."
        )),
        sqlx::Error::Io(_) => Error::Unavailable(
            "La base de données est injoignable. Vérifiez l'adresse, le port et la connexion réseau, puis réessayez.".into(),
        ),
        _ => match Error::from(e) {
            Error::Internal(m) => Error::Unavailable(format!("Connexion à la base impossible : {m}")),
            other => other,
        },
    }
}

fn looks_like_tls(io: &std::io::Error) -> bool {
    let text = io.to_string().to_ascii_lowercase();
    io.kind() == std::io::ErrorKind::InvalidData
        || ["certificate", "tls", "handshake", "ssl"]
            .iter()
            .any(|w| text.contains(w))
}
