//! Link tokens: 40 letters and digits drawn uniformly from the OS CSPRNG
//! (62^40 ≈ 2^238), like the links of the guide. Only the SHA-256 of a token is
//! ever stored; the token itself lives in the mail and nowhere else.

use rand::distributions::{Alphanumeric, Distribution};
use rand::rngs::OsRng;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub const TOKEN_LENGTH: usize = 40;

/// A freshly drawn or received token. Never printed.
pub struct Token(SecretString);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token([caché])")
    }
}

impl Token {
    pub fn generate() -> Self {
        let s: String = Alphanumeric
            .sample_iter(OsRng)
            .take(TOKEN_LENGTH)
            .map(char::from)
            .collect();
        Self(SecretString::from(s))
    }

    /// A token as typed or clicked. `None` when it cannot be one of ours; the
    /// caller answers with the same message as for an unknown token.
    pub fn parse(input: &str) -> Option<Self> {
        let s = input.trim();
        (s.len() == TOKEN_LENGTH && s.bytes().all(|b| b.is_ascii_alphanumeric()))
            .then(|| Self(SecretString::from(s.to_string())))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// What the database keeps: SHA-256, lower-case hex. A plain hash is enough
    /// because the token has 238 bits of entropy (no dictionary to try).
    pub fn hash(&self) -> TokenHash {
        TokenHash(hex::encode(Sha256::digest(self.expose().as_bytes())))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenHash(String);

impl TokenHash {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Constant-time comparison with a stored hash.
    pub fn matches(&self, stored: &str) -> bool {
        self.0.as_bytes().ct_eq(stored.as_bytes()).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_40_alphanumerics_and_distinct() {
        let a = Token::generate();
        let b = Token::generate();
        assert_eq!(a.expose().len(), 40);
        assert!(a.expose().bytes().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a.expose(), b.expose());
        assert_eq!(a.hash().as_str().len(), 64);
        assert!(a.hash().matches(a.hash().as_str()));
        assert!(!a.hash().matches(b.hash().as_str()));
        assert!(!format!("{a:?}").contains(a.expose()));
    }

    #[test]
    fn parse_accepts_only_our_shape() {
        assert!(Token::parse("VmuBQ7epOgsaacQ5tanduNV61YtdvHZL77M7Yt1H").is_some());
        assert!(Token::parse("VmuBQ7epOgsaacQ5tanduNV61YtdvHZL77M7Yt1").is_none());
        assert!(Token::parse("VmuBQ7epOgsaacQ5tanduNV61YtdvHZL77M7Yt1-").is_none());
        assert!(Token::parse("").is_none());
    }
}
