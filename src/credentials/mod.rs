//! `Credentials`: username, API key and base URL, with CARTOframes' rules.
//!
//! - From a username: base URL `https://{username}.carto.com`.
//! - From a base URL: the username is derived from it where it can be (`/user/{u}`, `/u/{u}`,
//!   `{u}.carto.com`).
//! - No API key: `default_public`. Empty strings count as not given.
//! - https only, unless `allow_non_secure`.
//! - CARTO 3 (see [`crate::credentials::kind`]): an API base URL and one of an access token, an M2M client
//!   (id + secret) or a user sign-in; no username and no API key.
//!
//! Values are immutable once built, so they can be shared freely between threads.

pub(crate) mod base_url;
pub(crate) mod jwt;
pub mod kind;
pub(crate) mod origin;
pub(crate) mod secret;

use crate::error::{Error, ErrorKind, Result};
use kind::{Auth, AuthServer, CredentialKind, Platform};
use origin::Origin;
use secret::{ApiKey, Secret};
use std::fmt;

/// A CARTO account's credentials. Equality compares username, API key and base URL, as
/// CARTOframes does; `Debug` and `Display` never show the whole key.
#[derive(Clone)]
pub struct Credentials {
    username: Option<String>,
    /// CARTO 2's key; empty for CARTO 3 credentials.
    api_key: ApiKey,
    base_url: String,
    allow_non_secure: bool,
    platform: Platform,
    auth: Auth,
    origin: Origin,
}

/// Builds [`Credentials`]; every setter is optional, `build` applies the rules.
#[derive(Default)]
pub struct CredentialsBuilder {
    username: Option<String>,
    api_key: Option<ApiKey>,
    base_url: Option<String>,
    allow_non_secure: bool,
    platform: Option<Platform>,
    access_token: Option<Secret>,
    client_id: Option<String>,
    client_secret: Option<Secret>,
    oauth_user: bool,
    organization: Option<String>,
    auth_url: Option<String>,
    audience: Option<String>,
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

    /// Accept an `http://` base URL (and an `http://` sign-in server).
    pub fn allow_non_secure(mut self, allow: bool) -> Self {
        self.allow_non_secure = allow;
        self
    }

    /// Says which platform the base URL belongs to, when [`Platform::detect`] cannot tell (a
    /// self-hosted CARTO 3 whose API base URL does not end in `/api`, a local server).
    pub fn platform(mut self, platform: Platform) -> Self {
        self.platform = Some(platform);
        self
    }

    /// A CARTO 3 token sent as given: an API access token, or a token obtained elsewhere.
    pub fn access_token(mut self, token: impl Into<String>) -> Self {
        self.access_token = Some(Secret::new(token));
        self
    }

    /// A CARTO 3 machine-to-machine client: tokens are minted with its id and secret.
    pub fn m2m_client(
        mut self,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        self.client_id = Some(client_id.into());
        self.client_secret = Some(Secret::new(client_secret));
        self
    }

    /// A CARTO 3 user who signs in with a browser (see [`crate::signin`]); `client_id` is the
    /// OAuth application (CARTO's public one, [`crate::credentials::kind::DEFAULT_OAUTH_CLIENT_ID`], when
    /// `None`).
    pub fn oauth_user(mut self, client_id: Option<&str>) -> Self {
        self.oauth_user = true;
        if let Some(id) = client_id {
            self.client_id = Some(id.to_owned());
        }
        self
    }

    /// The SSO organization a user signs in through (`organization=` of the sign-in).
    pub fn organization(mut self, organization: impl Into<String>) -> Self {
        self.organization = Some(organization.into());
        self
    }

    /// The OAuth server's base URL (default `https://auth.carto.com`).
    pub fn auth_url(mut self, url: impl Into<String>) -> Self {
        self.auth_url = Some(url.into());
        self
    }

    /// The token audience (default `carto-cloud-native-api`).
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// Which kind of credential the setters describe; more than one is an error.
    fn requested_kind(&self) -> Result<CredentialKind> {
        let mut kinds = Vec::new();
        if self.access_token.is_some() {
            kinds.push(CredentialKind::AccessToken);
        }
        if self.client_secret.is_some() {
            kinds.push(CredentialKind::M2m);
        }
        if self.oauth_user {
            kinds.push(CredentialKind::OAuthUser);
        }
        if self.api_key.is_some() && !kinds.is_empty() {
            return Err(Error::invalid_argument(format!(
                "an API key (CARTO 2) was given together with a CARTO 3 {}; give one or the other",
                kinds[0].name()
            )));
        }
        match kinds.as_slice() {
            [] => Ok(CredentialKind::ApiKey),
            [kind] => Ok(*kind),
            [a, b, ..] => Err(Error::invalid_argument(format!(
                "credentials can be one kind only, and both {} and {} were given",
                a.name(),
                b.name()
            ))),
        }
    }

    /// Applies CARTOframes' rules (CARTO 2) or CARTO 3's and returns the credentials, or an
    /// error naming the problem.
    pub fn build(self) -> Result<Credentials> {
        match self.requested_kind()? {
            CredentialKind::ApiKey => self.build_carto2(),
            kind => self.build_carto3(kind),
        }
    }

    fn build_carto3(self, kind: CredentialKind) -> Result<Credentials> {
        if given(self.username.as_deref()).is_some() {
            return Err(Error::invalid_argument(
                "CARTO 3 credentials have no username: give the API base URL (e.g. https://gcp-us-east1.api.carto.com) only",
            ));
        }
        let Some(raw_url) = given(self.base_url.as_deref()) else {
            return Err(Error::new(
                ErrorKind::MissingAccount,
                format!(
                    "CARTO 3 credentials ({}) need the account's API base URL, e.g. https://gcp-us-east1.api.carto.com (Developers > Credentials in CARTO Workspace)",
                    kind.name()
                ),
            ));
        };
        let base_url = base_url::parse(raw_url, self.allow_non_secure)?.normalized;
        let platform =
            kind::reconcile(kind, Platform::detect(&base_url), self.platform, &base_url)?;
        let server = || -> Result<AuthServer> {
            let url = match given(self.auth_url.as_deref()) {
                Some(url) => {
                    base_url::parse(url, self.allow_non_secure)
                        .map_err(|e| e.context("auth_url"))?
                        .normalized
                }
                None => kind::DEFAULT_AUTH_URL.to_owned(),
            };
            let audience = given(self.audience.as_deref())
                .map(str::trim)
                .unwrap_or(kind::DEFAULT_AUDIENCE)
                .to_owned();
            Ok(AuthServer { url, audience })
        };
        let client_id = given(self.client_id.as_deref()).map(|id| id.trim().to_owned());
        let auth = match kind {
            CredentialKind::AccessToken => {
                let token = self.access_token.clone().unwrap_or_else(|| Secret::new(""));
                check_token_text(&token, "access token")?;
                Auth::AccessToken(token)
            }
            CredentialKind::M2m => {
                let client_id = client_id.ok_or_else(|| {
                    Error::invalid_argument("an M2M client needs its client id (and secret)")
                })?;
                check_client_id(&client_id)?;
                let client_secret = self
                    .client_secret
                    .clone()
                    .unwrap_or_else(|| Secret::new(""));
                check_token_text(&client_secret, "client secret")?;
                Auth::M2m {
                    client_id,
                    client_secret,
                    server: server()?,
                }
            }
            CredentialKind::OAuthUser | CredentialKind::ApiKey => {
                let client_id =
                    client_id.unwrap_or_else(|| kind::DEFAULT_OAUTH_CLIENT_ID.to_owned());
                check_client_id(&client_id)?;
                let organization = given(self.organization.as_deref()).map(|o| o.trim().to_owned());
                Auth::OAuthUser {
                    client_id,
                    organization,
                    server: server()?,
                }
            }
        };
        Ok(Credentials {
            username: None,
            api_key: ApiKey::new(""),
            base_url,
            allow_non_secure: self.allow_non_secure,
            platform,
            auth,
            origin: Origin::explicit(),
        })
    }

    fn build_carto2(self) -> Result<Credentials> {
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
        let platform = kind::reconcile(
            CredentialKind::ApiKey,
            Platform::detect(&base_url),
            self.platform,
            &base_url,
        )?;
        Ok(Credentials {
            username,
            api_key,
            base_url,
            allow_non_secure: self.allow_non_secure,
            platform,
            auth: Auth::ApiKey,
            origin: Origin::explicit(),
        })
    }
}

/// Tokens and secrets travel in headers and form bodies: no blanks, no control characters,
/// a sane length.
fn check_token_text(secret: &Secret, what: &str) -> Result<()> {
    const MAX: usize = 64 * 1024;
    let text = secret.expose();
    if text.is_empty() {
        return Err(Error::invalid_argument(format!("the {what} is empty")));
    }
    if text.len() > MAX {
        return Err(Error::invalid_argument(format!(
            "the {what} is {} bytes long, more than the {MAX} a token can be",
            text.len()
        )));
    }
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::invalid_argument(format!(
            "the {what} contains a space or control character; paste it whole, on one line"
        )));
    }
    Ok(())
}

fn check_client_id(id: &str) -> Result<()> {
    if id.len() > 256 || id.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::invalid_argument(format!(
            "client id {} is not a valid OAuth client id",
            crate::text::excerpt::quoted(id)
        )));
    }
    Ok(())
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

    /// The CARTO 2 API key (masked when formatted; call [`ApiKey::expose`] for the key itself);
    /// empty for CARTO 3 credentials.
    pub fn api_key(&self) -> &ApiKey {
        &self.api_key
    }

    /// The platform the base URL belongs to.
    pub fn platform(&self) -> Platform {
        self.platform
    }

    /// The kind of credential.
    pub fn kind(&self) -> CredentialKind {
        self.auth.kind()
    }

    /// The OAuth client id (M2M and user sign-in), if any.
    pub fn client_id(&self) -> Option<&str> {
        match &self.auth {
            Auth::M2m { client_id, .. } | Auth::OAuthUser { client_id, .. } => Some(client_id),
            _ => None,
        }
    }

    /// The SSO organization of a user sign-in, if any.
    pub fn organization(&self) -> Option<&str> {
        match &self.auth {
            Auth::OAuthUser { organization, .. } => organization.as_deref(),
            _ => None,
        }
    }

    /// The OAuth server (M2M and user sign-in), if any.
    pub fn auth_server(&self) -> Option<&AuthServer> {
        match &self.auth {
            Auth::M2m { server, .. } | Auth::OAuthUser { server, .. } => Some(server),
            _ => None,
        }
    }

    /// The static access token, for [`CredentialKind::AccessToken`].
    pub fn access_token(&self) -> Option<&Secret> {
        match &self.auth {
            Auth::AccessToken(token) => Some(token),
            _ => None,
        }
    }

    /// The M2M client secret, for [`CredentialKind::M2m`].
    pub fn client_secret(&self) -> Option<&Secret> {
        match &self.auth {
            Auth::M2m { client_secret, .. } => Some(client_secret),
            _ => None,
        }
    }

    pub(crate) fn auth(&self) -> &Auth {
        &self.auth
    }

    /// The same M2M or sign-in credentials with another OAuth server URL (checked as base URLs
    /// are; `http://` only with `allow_non_secure`). Other kinds are returned unchanged.
    pub fn with_auth_url(mut self, url: &str) -> Result<Self> {
        let normalized = base_url::parse(url, self.allow_non_secure)?.normalized;
        if let Auth::M2m { server, .. } | Auth::OAuthUser { server, .. } = &mut self.auth {
            server.url = normalized;
        }
        Ok(self)
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
    ///
    /// CARTO 3: "CARTO 3 m2m client abc (https://gcp-us-east1.api.carto.com), from ...".
    pub fn summary(&self) -> String {
        match &self.auth {
            Auth::ApiKey => format!(
                "{} ({}), key {}, from {}",
                self.username.as_deref().unwrap_or("<unknown user>"),
                self.base_url,
                self.api_key.masked(),
                self.origin
            ),
            Auth::AccessToken(_) => format!(
                "CARTO 3 access token ({}), from {}",
                self.base_url, self.origin
            ),
            Auth::M2m { client_id, .. } => format!(
                "CARTO 3 M2M client {client_id} ({}), from {}",
                self.base_url, self.origin
            ),
            Auth::OAuthUser { organization, .. } => format!(
                "CARTO 3 user sign-in{} ({}), from {}",
                organization
                    .as_deref()
                    .map(|o| format!(" through organization {o}"))
                    .unwrap_or_default(),
                self.base_url,
                self.origin
            ),
        }
    }
}

impl PartialEq for Credentials {
    fn eq(&self, other: &Self) -> bool {
        self.username == other.username
            && self.api_key == other.api_key
            && self.base_url == other.base_url
            && self.platform == other.platform
            && self.auth == other.auth
    }
}

impl Eq for Credentials {}

impl fmt::Display for Credentials {
    /// CARTOframes' `str()` layout with the key masked:
    /// `Credentials(username='fake_user', api_key='fake…', base_url='https://fake_user.carto.com')`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.platform == Platform::Carto3 {
            let client = self
                .client_id()
                .map(|id| format!(", client_id='{id}'"))
                .unwrap_or_default();
            return write!(
                f,
                "Credentials(kind='{}'{client}, api_base_url='{}')",
                self.kind().name(),
                self.base_url
            );
        }
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
            .field("platform", &self.platform)
            .field("auth", &self.auth)
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

    const API_BASE: &str = "https://gcp-us-east1.api.carto.com";
    const JWT: &str = "eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjE3MDAwMDAwMDB9.c2lnbmF0dXJl";

    #[test]
    fn carto3_kinds_need_an_api_base_url_and_no_username_or_key() {
        let c = Credentials::builder()
            .base_url(API_BASE)
            .access_token(JWT)
            .build()
            .unwrap();
        assert_eq!(c.kind(), CredentialKind::AccessToken);
        assert_eq!(c.platform(), Platform::Carto3);
        assert_eq!(c.username(), None, "gcp-us-east1 is not a username");
        assert_eq!(c.access_token().unwrap().expose(), JWT);
        let err = Credentials::builder()
            .access_token(JWT)
            .build()
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::MissingAccount);
        assert!(err.message().contains("API base URL"));
        let err = Credentials::builder()
            .base_url(API_BASE)
            .username("alice")
            .access_token(JWT)
            .build()
            .unwrap_err();
        assert!(err.message().contains("no username"));
        let err = Credentials::builder()
            .base_url(API_BASE)
            .api_key("k")
            .access_token(JWT)
            .build()
            .unwrap_err();
        assert!(err.message().contains("one or the other"));
    }

    #[test]
    fn a_v2_key_never_becomes_a_bearer_token_and_tokens_never_go_to_v2_hosts() {
        let err = Credentials::new(None, Some(API_KEY), Some(API_BASE), false).unwrap_err();
        assert!(
            err.message().contains("never sent as a Bearer token"),
            "{err}"
        );
        let err = Credentials::builder()
            .base_url(BASE_URL)
            .access_token(JWT)
            .build()
            .unwrap_err();
        assert!(
            err.message().contains("never sent to a CARTO 2 host"),
            "{err}"
        );
        let c = Credentials::builder()
            .base_url("http://127.0.0.1:9/v3root")
            .allow_non_secure(true)
            .platform(Platform::Carto3)
            .m2m_client("cid", "csecret")
            .build()
            .unwrap();
        assert_eq!(c.kind(), CredentialKind::M2m);
        assert_eq!(
            c.auth_server().unwrap().token_url(),
            "https://auth.carto.com/oauth/token"
        );
    }

    #[test]
    fn carto3_formatting_never_shows_tokens_or_secrets() {
        let c = Credentials::builder()
            .base_url(API_BASE)
            .m2m_client("my-client", "sup3r-s3cret-value")
            .build()
            .unwrap();
        for shown in [c.to_string(), format!("{c:?}"), c.summary()] {
            assert!(!shown.contains("sup3r"), "{shown}");
            assert!(shown.contains("my-client"), "{shown}");
        }
        let t = Credentials::builder()
            .base_url(API_BASE)
            .access_token(JWT)
            .build()
            .unwrap();
        for shown in [t.to_string(), format!("{t:?}"), t.summary()] {
            assert!(
                !shown.contains("c2lnbmF0dXJl") && !shown.contains("eyJ"),
                "{shown}"
            );
        }
    }

    #[test]
    fn oauth_users_default_to_carto_public_client_and_keep_the_organization() {
        let c = Credentials::builder()
            .base_url("https://carto.acme.com/api")
            .oauth_user(None)
            .organization(" ACME ")
            .build()
            .unwrap();
        assert_eq!(c.client_id(), Some(kind::DEFAULT_OAUTH_CLIENT_ID));
        assert_eq!(c.organization(), Some("ACME"));
        let err = Credentials::builder()
            .base_url(API_BASE)
            .oauth_user(None)
            .access_token(JWT)
            .build()
            .unwrap_err();
        assert!(err.message().contains("one kind only"));
        let err = Credentials::builder()
            .base_url(API_BASE)
            .access_token("two words")
            .build()
            .unwrap_err();
        assert!(err.message().contains("space or control"));
    }

    #[test]
    fn credentials_are_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Credentials>();
    }
}
