use std::fmt;
use std::str::FromStr;

/// The 23 letters a UAI key can take (I, O and Q are left out).
const KEY_LETTERS: &[u8; 23] = b"ABCDEFGHJKLMNPRSTUVWXYZ";

/// Code of an establishment (Unité administrative immatriculée): 7 digits and a key letter.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Uai(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UaiError {
    #[error("Le code UAI est vide.")]
    Empty,
    #[error("Le code UAI « {0} » doit comporter 7 chiffres suivis d'une lettre clé (exemple : 0750655E).")]
    Shape(String),
    #[error("La clé du code UAI « {given} » est incorrecte : pour {digits}, la lettre clé attendue est « {expected} ».")]
    WrongKey {
        given: String,
        digits: String,
        expected: char,
    },
}

impl Uai {
    pub fn parse(input: &str) -> Result<Self, UaiError> {
        let s = input.trim().to_ascii_uppercase();
        if s.is_empty() {
            return Err(UaiError::Empty);
        }
        let bytes = s.as_bytes();
        if bytes.len() != 8
            || !bytes[..7].iter().all(u8::is_ascii_digit)
            || !bytes[7].is_ascii_uppercase()
        {
            return Err(UaiError::Shape(input.trim().to_string()));
        }
        let expected = Self::key_for(&s[..7]);
        if bytes[7] as char != expected {
            return Err(UaiError::WrongKey {
                given: s.clone(),
                digits: s[..7].to_string(),
                expected,
            });
        }
        Ok(Self(s))
    }

    /// Key letter for a 7-digit number: the number modulo 23 on `KEY_LETTERS`.
    pub fn key_for(digits: &str) -> char {
        let n: u32 = digits.parse().expect("7 digits");
        KEY_LETTERS[(n % 23) as usize] as char
    }

    /// Builds the UAI for 7 digits with the right key (used by the data generator).
    pub fn from_digits(n: u32) -> Self {
        let digits = format!("{:07}", n % 10_000_000);
        let key = Self::key_for(&digits);
        Self(format!("{digits}{key}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Uai {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Uai {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Uai({})", self.0)
    }
}

impl FromStr for Uai {
    type Err = UaiError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl<'de> serde::Deserialize<'de> for Uai {
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
    fn guide_examples() {
        for (input, ok) in [
            ("0750655E", true),
            ("0301674G", true),
            ("0750655e", true),
            (" 0750655E ", true),
            ("0750655F", false),
            ("075065E", false),
            ("07506551", false),
            ("A750655E", false),
            ("", false),
        ] {
            assert_eq!(Uai::parse(input).is_ok(), ok, "{input:?}");
        }
    }

    #[test]
    fn wrong_key_names_expected_letter() {
        let err = Uai::parse("0750655F").unwrap_err();
        assert_eq!(
            err,
            UaiError::WrongKey {
                given: "0750655F".into(),
                digits: "0750655".into(),
                expected: 'E'
            }
        );
        assert!(err.to_string().contains("« E »"), "{err}");
    }

    #[test]
    fn lower_case_is_normalised() {
        assert_eq!(Uai::parse("0301674g").unwrap().as_str(), "0301674G");
    }

    proptest! {
        #[test]
        fn exactly_one_letter_is_the_key(n in 0u32..10_000_000) {
            let digits = format!("{n:07}");
            let mut accepted = 0;
            for letter in 'A'..='Z' {
                let candidate = format!("{digits}{letter}");
                match Uai::parse(&candidate) {
                    Ok(uai) => { accepted += 1; prop_assert_eq!(uai, Uai::from_digits(n)); }
                    Err(UaiError::WrongKey { expected, .. }) => prop_assert_eq!(expected, Uai::key_for(&digits)),
                    Err(other) => prop_assert!(false, "unexpected {other:?}"),
                }
            }
            prop_assert_eq!(accepted, 1);
        }
    }
}
