//! The environment variables cartoauth reads, behind a seam so tests can supply their own.
//!
//! Blank values (empty or only whitespace) count as unset everywhere, as in the AWS SDK.

use crate::error::{Error, ErrorKind, Result};
use std::collections::HashMap;

/// `CARTO_USERNAME`: the account's username.
pub const USERNAME: &str = "CARTO_USERNAME";
/// `CARTO_API_KEY`: the API key used with `CARTO_USERNAME` / `CARTO_BASE_URL`.
pub const API_KEY: &str = "CARTO_API_KEY";
/// `CARTO_BASE_URL`: the account's base URL.
pub const BASE_URL: &str = "CARTO_BASE_URL";
/// `CARTO_ALLOW_NON_SECURE`: `1`/`true`/`yes`/`on` accepts `http://` base URLs.
pub const ALLOW_NON_SECURE: &str = "CARTO_ALLOW_NON_SECURE";
/// `CARTO_PROFILE`: the named profile to use.
pub const PROFILE: &str = "CARTO_PROFILE";
/// `CARTO_CREDENTIALS_FILE`: a credentials file to use.
pub const CREDENTIALS_FILE: &str = "CARTO_CREDENTIALS_FILE";
/// `CARTO_CONFIG_DIR`: the directory holding `cartocreds.json`, `creds.json` and `profiles/`.
pub const CONFIG_DIR: &str = "CARTO_CONFIG_DIR";

/// `CARTO_API_TOKEN`: a CARTO 3 token (the CARTO CLI's variable), used as given.
pub const API_TOKEN: &str = "CARTO_API_TOKEN";
/// `CARTO_API_BASE_URL`: the CARTO 3 API base URL for `CARTO_API_TOKEN` or an M2M client.
pub const API_BASE_URL: &str = "CARTO_API_BASE_URL";
/// `CARTO_M2M_CLIENT_ID`: a CARTO 3 machine-to-machine client's id (the CARTO CLI's variable).
pub const M2M_CLIENT_ID: &str = "CARTO_M2M_CLIENT_ID";
/// `CARTO_M2M_CLIENT_SECRET`: that client's secret.
pub const M2M_CLIENT_SECRET: &str = "CARTO_M2M_CLIENT_SECRET";
/// `CARTO_PLATFORM`: `carto3` (or `carto2`) when the base URL does not say which it is (a
/// self-hosted CARTO 3 whose API base URL does not end in `/api`, a local server).
pub const PLATFORM: &str = "CARTO_PLATFORM";
/// `CARTO_AUTH_URL`: the OAuth server CARTO 3 clients sign in to and mint at (default
/// `https://auth.carto.com`).
pub const AUTH_URL: &str = "CARTO_AUTH_URL";
/// `CARTO_TOKEN_CACHE_DIR`: where CARTO 3 tokens are cached between processes.
pub const TOKEN_CACHE_DIR: &str = "CARTO_TOKEN_CACHE_DIR";
/// `CARTO_CREDENTIAL_STORE`: where saved secrets go: `auto` (the OS keychain when one answers,
/// else the file), `keychain` (never a file) or `file` (the secret in the file, as CARTOframes
/// reads it).
pub const CREDENTIAL_STORE: &str = "CARTO_CREDENTIAL_STORE";
/// `CARTO_SIGNIN_FLOW`: `browser` or `paste`, overriding the detection of machines no
/// browser can reach.
pub const SIGNIN_FLOW: &str = "CARTO_SIGNIN_FLOW";

/// Read access to environment variables.
pub trait Environment {
    /// The raw value, or `None` when unset or not valid Unicode.
    fn raw(&self, name: &str) -> Option<String>;

    /// The value when set and not blank, trimmed.
    fn get(&self, name: &str) -> Option<String> {
        self.raw(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// A boolean variable: unset or blank is `false`; anything but the usual spellings is an
    /// error naming the variable.
    fn flag(&self, name: &str) -> Result<bool> {
        let Some(value) = self.get(name) else {
            return Ok(false);
        };
        match value.to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(true),
            "0" | "false" | "no" | "off" => Ok(false),
            _ => Err(Error::new(
                ErrorKind::InvalidEnvironment,
                format!("{name}={value:?} is not a boolean; use 1/true/yes/on or 0/false/no/off"),
            )),
        }
    }
}

/// The real process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnvironment;

impl Environment for ProcessEnvironment {
    fn raw(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

/// A fixed set of variables, for tests and for callers that resolve on behalf of someone else.
#[derive(Debug, Clone, Default)]
pub struct MapEnvironment(HashMap<String, String>);

impl MapEnvironment {
    /// An empty environment.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a variable.
    pub fn with(mut self, name: &str, value: &str) -> Self {
        self.0.insert(name.to_owned(), value.to_owned());
        self
    }
}

impl Environment for MapEnvironment {
    fn raw(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_values_count_as_unset() {
        let env = MapEnvironment::new()
            .with(USERNAME, "  ")
            .with(API_KEY, " k ");
        assert_eq!(env.get(USERNAME), None);
        assert_eq!(env.get(API_KEY).as_deref(), Some("k"));
    }

    #[test]
    fn flags_accept_common_spellings_and_name_the_variable_otherwise() {
        for (value, expected) in [("1", true), ("TRUE", true), ("off", false), ("", false)] {
            let env = MapEnvironment::new().with(ALLOW_NON_SECURE, value);
            assert_eq!(env.flag(ALLOW_NON_SECURE).unwrap(), expected, "{value}");
        }
        let err = MapEnvironment::new()
            .with(ALLOW_NON_SECURE, "maybe")
            .flag(ALLOW_NON_SECURE)
            .unwrap_err();
        assert!(err.message().contains(ALLOW_NON_SECURE));
    }
}
