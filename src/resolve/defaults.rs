//! The process-wide default credentials, CARTOframes' `set_default_credentials` and friends.
//!
//! One value per process behind a lock: any thread may set, read or clear it.

use crate::config::{self, Location};
use crate::credentials::{given, Credentials};
use crate::error::{Error, Result};
use std::sync::{PoisonError, RwLock};

static DEFAULT: RwLock<Option<Credentials>> = RwLock::new(None);

/// Makes `credentials` the process default.
pub fn set_default_credentials(credentials: Credentials) {
    *DEFAULT.write().unwrap_or_else(PoisonError::into_inner) = Some(credentials);
}

/// The process default, if set.
pub fn default_credentials() -> Option<Credentials> {
    DEFAULT
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
}

/// Clears the process default.
pub fn unset_default_credentials() {
    *DEFAULT.write().unwrap_or_else(PoisonError::into_inner) = None;
}

/// CARTOframes' dispatch on positional arguments, then sets the result as the default:
/// - `first` ends in `.json` (case-insensitive, trailing blanks allowed): load that file;
/// - `first` starts with `http://` or `https://`: a base URL, with `second` as the API key;
/// - any other `first`: a username, with `second` as the API key;
/// - nothing at all: load the default config file.
///
/// A missing `second` means `default_public`. Unlike CARTOframes, an API key that would be
/// ignored (with a file, or with nothing else) is an error rather than silently dropped.
pub fn set_default_from(
    first: Option<&str>,
    second: Option<&str>,
    allow_non_secure: bool,
) -> Result<Credentials> {
    let credentials = credentials_from_args(first, second, allow_non_secure)?;
    set_default_credentials(credentials.clone());
    Ok(credentials)
}

fn credentials_from_args(
    first: Option<&str>,
    second: Option<&str>,
    allow_non_secure: bool,
) -> Result<Credentials> {
    let api_key = given(second);
    let Some(first) = given(first) else {
        if api_key.is_some() {
            return Err(Error::invalid_argument(
                "an API key was given without a username, base URL or credentials file",
            ));
        }
        return config::load(&Location::Default);
    };
    let first = first.trim();
    let lower = first.to_ascii_lowercase();
    if lower.ends_with(".json") {
        if api_key.is_some() {
            return Err(Error::invalid_argument(format!(
                "an API key cannot be combined with the credentials file {first}; the file holds the key"
            )));
        }
        return config::load(&Location::Path(config::expand_home(first)));
    }
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return Credentials::new(None, api_key, Some(first), allow_non_secure);
    }
    Credentials::new(Some(first), api_key, None, allow_non_secure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispatch_follows_cartoframes_docstring_examples() {
        let c = credentials_from_args(Some("johnsmith"), Some("key"), false).unwrap();
        assert_eq!(
            (c.username(), c.api_key().expose()),
            (Some("johnsmith"), "key")
        );
        let c = credentials_from_args(Some("johnsmith"), None, false).unwrap();
        assert!(c.api_key().is_default_public());
        let c =
            credentials_from_args(Some("https://johnsmith.carto.com"), Some("key"), false).unwrap();
        assert_eq!(c.base_url(), "https://johnsmith.carto.com");
        assert_eq!(c.username(), Some("johnsmith"));
        let err = credentials_from_args(Some("http://x.carto.com"), None, false).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InsecureBaseUrl);
        assert!(credentials_from_args(Some("HTTP://x.carto.com"), None, true).is_ok());
    }

    #[test]
    fn json_paths_are_loaded_and_keys_with_them_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("Project.JSON");
        std::fs::write(&path, r#"{"username": "jo", "api_key": "k"}"#).unwrap();
        let arg = format!("{}  ", path.display());
        let c = credentials_from_args(Some(&arg), None, false).unwrap();
        assert_eq!(c.username(), Some("jo"));
        assert_eq!(c.origin().path(), Some(path.as_path()));
        let err = credentials_from_args(Some(&arg), Some("k2"), false).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidArgument);
    }

    #[test]
    fn a_key_alone_is_refused() {
        let err = credentials_from_args(None, Some("k"), false).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidArgument);
    }
}
