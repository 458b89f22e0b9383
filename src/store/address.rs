//! Database addresses as they are given, checked and shown: a password never
//! travels in them (`user:password@` nor `?password=`), a connection to another
//! machine is encrypted and its certificate checked unless the address says
//! otherwise, and what a message shows of an address hides any secret.

use crate::error::{Error, Result};

/// Query parameters that would carry a secret.
const SECRET_PARAMS: &[&str] = &["password", "sslpassword", "passfile"];

fn is_local(host: Option<url::Host<&str>>) -> bool {
    match host {
        None => true,
        // `postgres://` is not a scheme the url crate knows: an IP address comes as text.
        Some(url::Host::Domain(d)) => {
            d.is_empty()
                || d == "localhost"
                || d.starts_with('/')
                || d.trim_matches(['[', ']'])
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
    }
}

/// Refuses a password in a PostgreSQL address and, for another machine, adds
/// `sslmode=verify-full` when no `sslmode` is given.
pub fn secure(url: &str) -> Result<String> {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return Ok(url.to_string());
    };
    if !matches!(parsed.scheme(), "postgres" | "postgresql") {
        return Ok(url.to_string());
    }
    let has_secret = parsed.password().is_some()
        || parsed
            .query_pairs()
            .any(|(k, _)| SECRET_PARAMS.contains(&k.as_ref()));
    if has_secret {
        return Err(Error::invalid(format!(
            "L'adresse de la base ({}) contient un mot de passe : retirez-le, il est demandé à la connexion et conservé dans le trousseau du système.",
            redact(url)
        )));
    }
    let has_sslmode = parsed.query_pairs().any(|(k, _)| k == "sslmode");
    if !has_sslmode && !is_local(parsed.host()) {
        parsed
            .query_pairs_mut()
            .append_pair("sslmode", "verify-full");
    }
    Ok(parsed.to_string())
}

/// The address without any secret, for messages and `config show` (an address
/// that does not parse is also cut short).
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("***"));
            }
            let pairs: Vec<(String, String)> = parsed
                .query_pairs()
                .map(|(k, v)| {
                    let v = if SECRET_PARAMS.contains(&k.as_ref()) {
                        "***".to_string()
                    } else {
                        v.into_owned()
                    };
                    (k.into_owned(), v)
                })
                .collect();
            if !pairs.is_empty() {
                parsed.query_pairs_mut().clear().extend_pairs(pairs);
            }
            crate::text::neutralise(parsed.as_str())
        }
        // Unparsable: whatever stands between « :// » and « @ » may be a password.
        Err(_) => {
            let shown = match (url.find("://"), url.rfind('@')) {
                (Some(a), Some(b)) if b > a => format!("{}***{}", &url[..a + 3], &url[b..]),
                _ => url.to_string(),
            };
            crate::text::quote_input(&shown)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_addresses_are_verified_and_secrets_refused() {
        assert_eq!(
            secure("postgres://agent@bdd.siec.fr/siec").unwrap(),
            "postgres://agent@bdd.siec.fr/siec?sslmode=verify-full"
        );
        assert_eq!(
            secure("postgres://agent@bdd.siec.fr/siec?sslmode=require").unwrap(),
            "postgres://agent@bdd.siec.fr/siec?sslmode=require"
        );
        for local in [
            "postgres://agent@127.0.0.1:5432/siec",
            "postgres://agent@localhost/siec",
            "postgres://agent@[::1]/siec",
            "sqlite:///tmp/x.sqlite",
        ] {
            assert_eq!(secure(local).unwrap(), local);
        }
        for bad in [
            "postgres://agent:secret@bdd.siec.fr/siec",
            "postgres://agent@bdd.siec.fr/siec?password=secret",
            "postgres://agent@bdd.siec.fr/siec?sslmode=disable&password=secret",
        ] {
            let e = secure(bad).unwrap_err();
            assert!(!e.to_string().contains("secret"), "{e}");
            assert!(e.to_string().contains("contient un mot de passe"), "{e}");
        }
        assert!(!redact("postgres://a:secret@h/d?password=secret").contains("secret"));
        assert!(!redact("postgres://a:sec ret@h/d").contains("sec ret"));
    }
}
