//! The portal's password policy, word for word from the user guide:
//! at least 12 characters, one upper-case letter, one lower-case letter, one digit,
//! and one of `$ @ % * + - _ !`.
//!
//! Choices the guide leaves open (documented in the README):
//! - length counts characters (Unicode scalar values), not bytes: « Éléphant » is 8;
//! - accented letters are letters: `É` counts as upper-case, `é` as lower-case;
//! - digits are `0`–`9` only;
//! - only the eight listed symbols satisfy the special-character rule; other symbols
//!   and spaces are allowed but do not count.

use secrecy::{ExposeSecret, SecretString};

pub const SPECIALS: &[char] = &['$', '@', '%', '*', '+', '-', '_', '!'];
pub const MIN_LENGTH: usize = 12;

/// One rule of the policy, with the guide's wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PasswordRule {
    Length,
    Upper,
    Lower,
    Digit,
    Special,
}

impl PasswordRule {
    pub const ALL: [PasswordRule; 5] = [
        PasswordRule::Length,
        PasswordRule::Upper,
        PasswordRule::Lower,
        PasswordRule::Digit,
        PasswordRule::Special,
    ];

    pub fn text(self) -> &'static str {
        match self {
            PasswordRule::Length => "au moins 12 caractères",
            PasswordRule::Upper => "au moins 1 lettre MAJUSCULE",
            PasswordRule::Lower => "au moins 1 lettre minuscule",
            PasswordRule::Digit => "au moins 1 chiffre",
            PasswordRule::Special => "au moins un de ces caractères spéciaux : $ @ % * + - _ !",
        }
    }

    fn holds(self, s: &str) -> bool {
        match self {
            PasswordRule::Length => s.chars().count() >= MIN_LENGTH,
            PasswordRule::Upper => s.chars().any(char::is_uppercase),
            PasswordRule::Lower => s.chars().any(char::is_lowercase),
            PasswordRule::Digit => s.chars().any(|c| c.is_ascii_digit()),
            PasswordRule::Special => s.chars().any(|c| SPECIALS.contains(&c)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Every unmet rule, in the guide's order.
    #[error("Le mot de passe doit avoir : {}.", .0.iter().map(|r| r.text()).collect::<Vec<_>>().join(" ; "))]
    Policy(Vec<PasswordRule>),
    #[error("La confirmation ne correspond pas au mot de passe.")]
    Mismatch,
}

/// A password that meets the policy. Never printed.
#[derive(Clone)]
pub struct Password(SecretString);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password([caché])")
    }
}

impl Password {
    pub fn parse(candidate: SecretString) -> Result<Self, PasswordError> {
        let failed: Vec<PasswordRule> = PasswordRule::ALL
            .into_iter()
            .filter(|r| !r.holds(candidate.expose_secret()))
            .collect();
        if failed.is_empty() {
            Ok(Self(candidate))
        } else {
            Err(PasswordError::Policy(failed))
        }
    }

    /// The portal's form: the new password and its confirmation.
    pub fn parse_confirmed(
        candidate: SecretString,
        confirmation: &SecretString,
    ) -> Result<Self, PasswordError> {
        let password = Self::parse(candidate)?;
        if password.0.expose_secret() != confirmation.expose_secret() {
            return Err(PasswordError::Mismatch);
        }
        Ok(password)
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(s: &str) -> Result<Password, PasswordError> {
        Password::parse(SecretString::from(s.to_string()))
    }

    #[test]
    fn guide_shape_passes() {
        assert!(check("Abcdefghij1!").is_ok());
        assert!(check("Examens-2026@SIEC").is_ok());
    }

    #[test]
    fn each_rule_alone_fails() {
        for (input, rule) in [
            ("Abcdefgh1!", PasswordRule::Length),
            ("abcdefghij1!", PasswordRule::Upper),
            ("ABCDEFGHIJ1!", PasswordRule::Lower),
            ("Abcdefghijk!", PasswordRule::Digit),
            ("Abcdefghijk1", PasswordRule::Special),
            ("Abcdefghijk1#", PasswordRule::Special),
        ] {
            assert_eq!(check(input).unwrap_err(), PasswordError::Policy(vec![rule]), "{input}");
        }
    }

    #[test]
    fn every_failed_rule_is_listed_in_guide_words() {
        let err = check("abc").unwrap_err();
        assert_eq!(
            err,
            PasswordError::Policy(vec![
                PasswordRule::Length,
                PasswordRule::Upper,
                PasswordRule::Digit,
                PasswordRule::Special
            ])
        );
        let text = err.to_string();
        assert!(text.contains("au moins 12 caractères"), "{text}");
        assert!(text.contains("$ @ % * + - _ !"), "{text}");
    }

    #[test]
    fn accented_letters_count_as_letters_and_length_is_in_characters() {
        assert!(check("Élève-été-2026").is_ok());
        assert_eq!(
            check("ÉLÈVE-ÉTÉ-2026").unwrap_err(),
            PasswordError::Policy(vec![PasswordRule::Lower])
        );
        // 11 characters but 14 bytes.
        assert_eq!(
            check("Ééééééé-1aa").unwrap_err(),
            PasswordError::Policy(vec![PasswordRule::Length])
        );
    }

    #[test]
    fn confirmation_must_match() {
        let confirm = SecretString::from("Abcdefghij1?".to_string());
        assert_eq!(
            Password::parse_confirmed(SecretString::from("Abcdefghij1!".to_string()), &confirm).unwrap_err(),
            PasswordError::Mismatch
        );
    }

    #[test]
    fn debug_never_prints_the_password() {
        let p = check("Abcdefghij1!").unwrap();
        assert!(!format!("{p:?}").contains("Abcdefghij1!"));
    }

    proptest! {
        #[test]
        fn any_string_with_all_classes_passes(
            up in "[A-Z]{1,4}", low in "[a-z]{1,4}", d in "[0-9]{1,3}",
            sp in "[$@%*+_!-]{1,2}", pad in "[a-zA-Z0-9]{12}"
        ) {
            let s = format!("{up}{low}{d}{sp}{pad}");
            prop_assert!(check(&s).is_ok());
        }

        #[test]
        fn without_special_always_fails(s in "[a-zA-Z0-9 #&]{0,30}") {
            let failed = match check(&s) { Err(PasswordError::Policy(f)) => f, other => panic!("{other:?}") };
            prop_assert!(failed.contains(&PasswordRule::Special));
        }
    }
}
