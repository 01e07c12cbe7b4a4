//! `Credentials`: username, API key and base URL, with CARTOframes' rules.
//!
//! - From a username: base URL `https://{username}.carto.com`.
//! - From a base URL: the username is derived from it where it can be (`/user/{u}`, `/u/{u}`,
//!   `{u}.carto.com`).
//! - No API key: `default_public`. Empty strings count as not given.
//! - https only, unless `allow_non_secure`.
//!
//! Values are immutable once built, so they can be shared freely between threads.

pub(crate) mod base_url;
pub(crate) mod origin;
pub(crate) mod secret;

use crate::error::{Error, ErrorKind, Result};
use origin::Origin;
use secret::ApiKey;
use std::fmt;

/// A CARTO account's credentials. Equality compares username, API key and base URL, as
/// CARTOframes does; `Debug` and `Display` never show the whole key.
#[derive(Clone)]
pub struct Credentials {
    username: Option<String>,
    api_key: ApiKey,
    base_url: String,
    allow_non_secure: bool,
    origin: Origin,
}

/// Builds [`Credentials`]; every setter is optional, `build` applies the rules.
#[derive(Default)]
pub struct CredentialsBuilder {
    username: Option<String>,
    api_key: Option<ApiKey>,
    base_url: Option<String>,
    allow_non_secure: bool,
}

/// `None` for missing, empty or all-blank strings.
pub(crate) fn given(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.trim().is_empty())
}

impl CredentialsBuilder {
    /// The account's username.
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self
    }

    /// The API key (`default_public` when never set or empty).
    pub fn api_key(mut self, api_key: impl Into<String>) -> Self {
        self.api_key = Some(ApiKey::new(api_key));
        self
    }

    /// The base URL (`https://{username}.carto.com` when never set or empty).
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    /// Accept an `http://` base URL.
    pub fn allow_non_secure(mut self, allow: bool) -> Self {
        self.allow_non_secure = allow;
        self
    }

    /// Applies CARTOframes' rules and returns the credentials, or an error naming the problem.
    pub fn build(self) -> Result<Credentials> {
        let username = given(self.username.as_deref()).map(str::trim);
        let base_url = given(self.base_url.as_deref());
        if let Some(username) = username {
            base_url::validate_username(username)?;
        }
        let (username, base_url) = match (username, base_url) {
            (None, None) => {
                return Err(Error::new(
                    ErrorKind::MissingAccount,
                    "credentials need at least a username or a base_url",
                ))
            }
            (Some(user), None) => (
                Some(user.to_owned()),
                base_url::parse(&base_url::cloud_base_url(user), self.allow_non_secure)?.normalized,
            ),
            (user, Some(url)) => {
                let parsed = base_url::parse(url, self.allow_non_secure)?;
                (
                    user.map(str::to_owned).or(parsed.username),
                    parsed.normalized,
                )
            }
        };
        let api_key = match self.api_key {
            Some(key) if !key.expose().trim().is_empty() => ApiKey::new(key.expose().trim()),
            _ => ApiKey::default_public(),
        };
        Ok(Credentials {
            username,
            api_key,
            base_url,
            allow_non_secure: self.allow_non_secure,
            origin: Origin::explicit(),
        })
    }
}

impl Credentials {
    /// Starts a builder.
    pub fn builder() -> CredentialsBuilder {
        CredentialsBuilder::default()
    }

    /// CARTOframes' `Credentials(username, api_key, base_url, allow_non_secure)`; `None` or
    /// empty strings count as not given.
    pub fn new(
        username: Option<&str>,
        api_key: Option<&str>,
        base_url: Option<&str>,
        allow_non_secure: bool,
    ) -> Result<Self> {
        let mut builder = Credentials::builder().allow_non_secure(allow_non_secure);
        if let Some(username) = username {
            builder = builder.username(username);
        }
        if let Some(api_key) = api_key {
            builder = builder.api_key(api_key);
        }
        if let Some(base_url) = base_url {
            builder = builder.base_url(base_url);
        }
        builder.build()
    }

    /// The username: given, or derived from the base URL; `None` when neither says.
    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    /// The API key (masked when formatted; call [`ApiKey::expose`] for the key itself).
    pub fn api_key(&self) -> &ApiKey {
        &self.api_key
    }

    /// The normalised base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Whether an `http://` base URL is accepted.
    pub fn allow_non_secure(&self) -> bool {
        self.allow_non_secure
    }

    /// Where these credentials came from.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The same credentials with another origin.
    pub(crate) fn with_origin(mut self, origin: Origin) -> Self {
        self.origin = origin;
        self
    }

    /// A one-line summary safe to print: "johnsmith (https://johnsmith.carto.com), key a1b2…,
    /// from ~/.config/cartoframes/cartocreds.json".
    pub fn summary(&self) -> String {
        format!(
            "{} ({}), key {}, from {}",
            self.username.as_deref().unwrap_or("<unknown user>"),
            self.base_url,
            self.api_key.masked(),
            self.origin
        )
    }
}

impl PartialEq for Credentials {
    fn eq(&self, other: &Self) -> bool {
        self.username == other.username
            && self.api_key == other.api_key
            && self.base_url == other.base_url
    }
}

impl Eq for Credentials {}

impl fmt::Display for Credentials {
    /// CARTOframes' `str()` layout with the key masked:
    /// `Credentials(username='fake_user', api_key='fake…', base_url='https://fake_user.carto.com')`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let username = match &self.username {
            Some(u) => format!("'{u}'"),
            None => "None".to_owned(),
        };
        write!(
            f,
            "Credentials(username={username}, api_key='{}', base_url='{}')",
            self.api_key.masked(),
            self.base_url
        )
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("api_key", &self.api_key)
            .field("base_url", &self.base_url)
            .field("allow_non_secure", &self.allow_non_secure)
            .field("origin", &self.origin)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The fixtures of CARTOframes' tests/unit/auth/test_credentials.py.
    const API_KEY: &str = "fake_api_key";
    const USERNAME: &str = "fake_user";
    const BASE_URL: &str = "https://fake_user.carto.com/";
    const ONPREM: &str = "https://turtleland.com/user/fake_user";

    #[test]
    fn username_and_key() {
        let c = Credentials::new(Some(USERNAME), Some(API_KEY), None, false).unwrap();
        assert_eq!(c.api_key().expose(), API_KEY);
        assert_eq!(c.username(), Some(USERNAME));
        assert_eq!(c.base_url(), "https://fake_user.carto.com");
    }

    #[test]
    fn username_only_gets_default_public() {
        let c = Credentials::new(Some(USERNAME), None, None, false).unwrap();
        assert_eq!(c.api_key().expose(), "default_public");
        assert_eq!(c.base_url(), "https://fake_user.carto.com");
    }

    #[test]
    fn builder_and_positional_forms_agree() {
        let a = Credentials::builder()
            .api_key(API_KEY)
            .username(USERNAME)
            .build()
            .unwrap();
        let b = Credentials::new(Some(USERNAME), Some(API_KEY), None, false).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn base_url_with_trailing_slash_is_normalised_and_names_the_user() {
        let c = Credentials::new(None, Some(API_KEY), Some(BASE_URL), false).unwrap();
        assert_eq!(c.base_url(), "https://fake_user.carto.com");
        assert_eq!(c.username(), Some(USERNAME));
    }

    #[test]
    fn neither_username_nor_base_url_is_an_error() {
        for (user, url) in [(None, None), (Some(""), Some("")), (Some("  "), None)] {
            let err = Credentials::new(user, Some(API_KEY), url, false).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::MissingAccount);
        }
    }

    #[test]
    fn on_premises_keeps_username_and_strips_slashes() {
        let url = format!("{ONPREM}/");
        let c = Credentials::new(Some(USERNAME), Some(API_KEY), Some(&url), false).unwrap();
        assert_eq!(c.username(), Some(USERNAME));
        assert_eq!(c.base_url(), ONPREM);
    }

    #[test]
    fn display_follows_cartoframes_but_masks_the_key() {
        let c = Credentials::new(Some(USERNAME), Some("a1b2c3d4e5f6a7b8"), None, false).unwrap();
        assert_eq!(
            c.to_string(),
            "Credentials(username='fake_user', api_key='a1b2…', base_url='https://fake_user.carto.com')"
        );
        assert!(!format!("{c:?}").contains("c3d4"));
        assert!(!c.summary().contains("c3d4"));
    }

    #[test]
    fn equality_compares_username_key_and_url_only() {
        let a = Credentials::new(Some(USERNAME), Some(API_KEY), None, false).unwrap();
        let b = a
            .clone()
            .with_origin(Origin::with_source(crate::Source::Environment));
        assert_eq!(a, b);
        let c = Credentials::new(Some(USERNAME), Some("other"), None, false).unwrap();
        assert_ne!(a, c);
    }

    #[test]
    fn http_base_url_needs_allow_non_secure() {
        let err =
            Credentials::new(None, None, Some("http://fake_user.carto.com"), false).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InsecureBaseUrl);
        let c = Credentials::new(None, None, Some("http://fake_user.carto.com"), true).unwrap();
        assert!(c.allow_non_secure());
    }

    #[test]
    fn blank_key_means_default_public_and_keys_are_trimmed() {
        let c = Credentials::new(Some(USERNAME), Some("   "), None, false).unwrap();
        assert!(c.api_key().is_default_public());
        let c = Credentials::new(Some(USERNAME), Some(" k1 \n"), None, false).unwrap();
        assert_eq!(c.api_key().expose(), "k1");
    }

    #[test]
    fn credentials_are_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Credentials>();
    }
}
