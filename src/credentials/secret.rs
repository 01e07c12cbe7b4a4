//! Secrets: CARTO 2's API key ([`ApiKey`]) and CARTO 3's tokens and client secrets
//! ([`Secret`]), masked whenever they are formatted and wiped from memory when dropped.
//!
//! The only way to see a whole secret is `expose`, so every place that reveals one is a
//! visible, greppable call.

use std::fmt;
use zeroize::Zeroizing;

/// CARTO's well-known public key: read-only access to public data. Not a secret.
pub const DEFAULT_PUBLIC_KEY: &str = "default_public";

/// Keys shorter than this are masked completely: showing 4 characters of a short key would show
/// too much of it.
const MIN_LEN_FOR_PREFIX: usize = 12;
const SHOWN_PREFIX_CHARS: usize = 4;

/// A CARTO API key. `Debug` and `Display` show at most its first 4 characters.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(Zeroizing<String>);

impl ApiKey {
    /// Wraps a key. The caller keeps no other copy if it cares about wiping.
    pub fn new(key: impl Into<String>) -> Self {
        ApiKey(Zeroizing::new(key.into()))
    }

    /// The `default_public` key.
    pub fn default_public() -> Self {
        ApiKey::new(DEFAULT_PUBLIC_KEY)
    }

    /// The whole key. Call only where the key must travel (a request, a file the user asked to
    /// write, an accessor the user called to get the key itself).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether this is CARTO's public `default_public` key.
    pub fn is_default_public(&self) -> bool {
        self.expose() == DEFAULT_PUBLIC_KEY
    }

    /// The masked form used in every description: `default_public` in full (it is public), a
    /// long key as its first 4 characters and an ellipsis, a short key as `***`.
    pub fn masked(&self) -> String {
        let key = self.expose();
        if self.is_default_public() {
            return key.to_owned();
        }
        if key.chars().count() < MIN_LEN_FOR_PREFIX {
            return "***".to_owned();
        }
        let prefix: String = key.chars().take(SHOWN_PREFIX_CHARS).collect();
        format!("{prefix}…")
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey({})", self.masked())
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// A CARTO 3 secret: an access token (a JWT) or an M2M client secret. `Debug` and `Display`
/// never show it: a JWT's first characters are always `eyJ`, so even a prefix would say nothing
/// useful, and a client secret has no public part.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps a secret (trimmed: pasted tokens often end in a newline).
    pub fn new(secret: impl Into<String>) -> Self {
        let mut value: String = secret.into();
        let trimmed = value.trim();
        if trimmed.len() != value.len() {
            let kept = trimmed.to_owned();
            zeroize::Zeroize::zeroize(&mut value);
            value = kept;
        }
        Secret(Zeroizing::new(value))
    }

    /// The whole secret. Call only where it must travel (a request, a file the user asked to
    /// write, an accessor the user called to get it).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// What descriptions show: `<N chars, hidden>`.
    pub fn masked(&self) -> String {
        format!("<{} chars, hidden>", self.0.chars().count())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.masked())
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_show_any_of_their_characters() {
        let s = Secret::new(" eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln\n");
        assert_eq!(s.expose(), "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln");
        for shown in [format!("{s}"), format!("{s:?}"), s.masked()] {
            assert!(!shown.contains("eyJ"), "{shown}");
            assert!(shown.contains("hidden"), "{shown}");
        }
    }

    #[test]
    fn long_keys_show_only_their_first_four_characters() {
        let key = ApiKey::new("a1b2c3d4e5f6a7b8c9d0");
        assert_eq!(key.masked(), "a1b2…");
        assert_eq!(format!("{key}"), "a1b2…");
        assert_eq!(format!("{key:?}"), "ApiKey(a1b2…)");
        assert!(!format!("{key:?}").contains("c3d4"));
    }

    #[test]
    fn short_keys_are_masked_completely() {
        let key = ApiKey::new("secret7");
        assert_eq!(key.masked(), "***");
        assert!(!format!("{key:?}").contains("secr"));
    }

    #[test]
    fn default_public_is_shown_because_it_is_public() {
        let key = ApiKey::default_public();
        assert!(key.is_default_public());
        assert_eq!(key.masked(), "default_public");
    }

    #[test]
    fn masking_counts_characters_not_bytes() {
        let key = ApiKey::new("ééééééééééééééé");
        assert_eq!(key.masked(), "éééé…");
    }
}
