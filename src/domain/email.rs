use std::fmt;

/// An e-mail address as the person wrote it. Identity is case-insensitive:
/// `key()` is the folded form the database keeps unique.
#[derive(Clone, serde::Serialize)]
#[serde(transparent)]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("L'adresse e-mail est vide.")]
    Empty,
    #[error("L'adresse e-mail « {0} » est trop longue (254 caractères au plus).")]
    TooLong(String),
    #[error("L'adresse e-mail « {0} » doit contenir un seul « @ ».")]
    At(String),
    #[error("L'adresse e-mail « {0} » n'a rien avant le « @ ».")]
    NoLocalPart(String),
    #[error(
        "Le domaine de l'adresse e-mail « {0} » est incorrect (exemple attendu : nom@ac-paris.fr)."
    )]
    Domain(String),
    #[error("L'adresse e-mail « {0} » contient des caractères non autorisés (espaces, accents ou symboles).")]
    Characters(String),
}

impl Email {
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(EmailError::Empty);
        }
        if s.chars().count() > 254 {
            return Err(EmailError::TooLong(crate::text::quote_input(s)));
        }
        let mut parts = s.split('@');
        let (local, domain) = match (parts.next(), parts.next(), parts.next()) {
            (Some(l), Some(d), None) => (l, d),
            _ => return Err(EmailError::At(crate::text::quote_input(s))),
        };
        if local.is_empty() {
            return Err(EmailError::NoLocalPart(crate::text::quote_input(s)));
        }
        let local_ok = local.len() <= 64
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c))
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..");
        if !local_ok {
            return Err(EmailError::Characters(crate::text::quote_input(s)));
        }
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
            && labels.last().is_some_and(|tld| top_level_domain_ok(tld));
        if !domain_ok {
            return Err(EmailError::Domain(crate::text::quote_input(s)));
        }
        Ok(Self(crate::text::quote_input(s)))
    }

    /// The address as the person spelled it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Case-folded identity, unique in the database.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl PartialEq for Email {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}
impl Eq for Email {}

impl std::hash::Hash for Email {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key().hash(state)
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A top-level domain: letters only (`fr`), or the ASCII form of an
/// internationalised one (`xn--p1ai` for « .рф »), whose punycode holds digits.
fn top_level_domain_ok(tld: &str) -> bool {
    match tld.get(..4) {
        Some(prefix) if prefix.eq_ignore_ascii_case("xn--") => {
            let rest = &tld[4..];
            !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        }
        _ => tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()),
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email({})", self.0)
    }
}

impl std::str::FromStr for Email {
    type Err = EmailError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl<'de> serde::Deserialize<'de> for Email {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn table() {
        for (input, ok) in [
            ("basics5@mail.fr", true),
            ("  Jean.Dupont@AC-Paris.fr ", true),
            ("ce.0750655E@ac-paris.fr", true),
            ("prenom+tag@education.gouv.fr", true),
            ("", false),
            ("sans-arobase.fr", false),
            ("a@b@c.fr", false),
            ("@ac-paris.fr", false),
            ("jean@localhost", false),
            ("jean@ac-paris", false),
            ("jean dupont@ac-paris.fr", false),
            ("josé@ac-paris.fr", false),
            ("jean..dupont@ac-paris.fr", false),
            ("jean@-ac.fr", false),
            ("jean@ac..fr", false),
            ("prenom.nom@exemple.xn--p1ai", true),
            ("Prenom.Nom@Exemple.XN--P1AI", true),
            ("nom@ecole.xn--80asehdb", true),
            ("jean@ac-paris.fr2", false),
            ("jean@ac-paris.xn--", false),
            ("jean@ac-paris.12", false),
        ] {
            assert_eq!(Email::parse(input).is_ok(), ok, "{input:?}");
        }
    }

    #[test]
    fn spelling_kept_identity_case_insensitive() {
        let a = Email::parse(" Jean.Dupont@AC-Paris.fr ").unwrap();
        let b = Email::parse("jean.dupont@ac-paris.fr").unwrap();
        assert_eq!(a.as_str(), "Jean.Dupont@AC-Paris.fr");
        assert_eq!(a, b);
        assert_eq!(a.key(), "jean.dupont@ac-paris.fr");
    }

    #[test]
    fn messages_name_the_address() {
        let e = Email::parse("jean@ac-paris").unwrap_err();
        assert!(e.to_string().contains("jean@ac-paris"), "{e}");
    }

    proptest! {
        #[test]
        fn generated_valid_addresses_parse(local in "[a-z0-9]([a-z0-9._+-]{0,20}[a-z0-9])?", dom in "[a-z0-9]{1,10}(-[a-z0-9]{1,5})?", tld in "[a-z]{2,6}") {
            prop_assume!(!local.contains(".."));
            let s = format!("{local}@{dom}.{tld}");
            let e = Email::parse(&s).unwrap();
            prop_assert_eq!(e.as_str(), s.as_str());
            prop_assert_eq!(Email::parse(&s.to_uppercase()).unwrap(), e);
        }

        #[test]
        fn never_panics(s in ".{0,80}") {
            let _ = Email::parse(&s);
        }
    }
}
