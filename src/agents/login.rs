/// A database login name for an agent: 3 to 63 characters among lower-case
/// letters, digits, `.`, `_` and `-` (63 is PostgreSQL's identifier limit).
/// The `pg_` and `siec_` prefixes are reserved for the server and the group roles.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct AgentLogin(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgentLoginError {
    #[error("L'identifiant d'agent « {0} » doit avoir entre 3 et 63 caractères.")]
    Length(String),
    #[error("L'identifiant d'agent « {0} » ne peut contenir que des lettres minuscules sans accent, des chiffres, « . », « _ » et « - ».")]
    Characters(String),
    #[error("L'identifiant d'agent « {0} » est réservé (préfixes pg_ et siec_, ou postgres).")]
    Reserved(String),
}

impl AgentLogin {
    pub fn parse(candidate: &str) -> Result<Self, AgentLoginError> {
        let s = candidate.trim();
        let n = s.chars().count();
        if !(3..=63).contains(&n) {
            return Err(AgentLoginError::Length(s.to_string()));
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
        {
            return Err(AgentLoginError::Characters(s.to_string()));
        }
        if s.starts_with("pg_") || s.starts_with("siec_") || s == "postgres" {
            return Err(AgentLoginError::Reserved(s.to_string()));
        }
        Ok(Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for AgentLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<AgentLoginError> for crate::Error {
    fn from(e: AgentLoginError) -> Self {
        crate::Error::Invalid(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_usual_logins() {
        for ok in [
            "jdupont",
            "jean.dupont",
            "j_dupont-2",
            "abc",
            &"a".repeat(63),
        ] {
            assert_eq!(AgentLogin::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn refuses_with_the_reason() {
        assert!(matches!(
            AgentLogin::parse("ab"),
            Err(AgentLoginError::Length(_))
        ));
        assert!(matches!(
            AgentLogin::parse(&"a".repeat(64)),
            Err(AgentLoginError::Length(_))
        ));
        for bad in ["JDupont", "jean dupont", "élève", "a\"b", "x;drop", "a'b"] {
            assert!(
                matches!(AgentLogin::parse(bad), Err(AgentLoginError::Characters(_))),
                "{bad}"
            );
        }
        for reserved in ["postgres", "pg_monitor", "siec_admin"] {
            assert!(
                matches!(
                    AgentLogin::parse(reserved),
                    Err(AgentLoginError::Reserved(_))
                ),
                "{reserved}"
            );
        }
        let msg = AgentLogin::parse("Jean Dupont").unwrap_err().to_string();
        assert!(msg.contains("lettres minuscules"), "{msg}");
    }

    proptest! {
        #[test]
        fn anything_outside_the_alphabet_is_refused(prefix in "[a-z]{3,10}", bad in "[^a-z0-9._-]") {
            let candidate = format!("{prefix}{bad}");
            prop_assume!(candidate.trim() == candidate);
            prop_assert!(AgentLogin::parse(&candidate).is_err());
        }

        #[test]
        fn valid_logins_round_trip(s in "[a-o][a-z0-9._-]{2,62}") {
            let login = AgentLogin::parse(&s).unwrap();
            prop_assert_eq!(login.as_str(), s.as_str());
        }
    }
}
