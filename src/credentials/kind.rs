//! Which CARTO platform a base URL belongs to, and the kinds of credential each one takes.
//!
//! CARTO 2 accounts (`https://{user}.carto.com`, `https://host/user/{user}`) take an API key.
//! CARTO 3 API base URLs (`https://gcp-us-east1.api.carto.com`, a self-hosted
//! `https://host/api`) take a Bearer token: a static API access token, a user's token from a
//! browser sign-in (PKCE), or a token minted for a machine-to-machine client. The rules that
//! keep them apart live here and nowhere else:
//! - a CARTO 2 API key is never sent as a Bearer token (an API key with a CARTO 3 base URL is
//!   refused);
//! - a Bearer token never goes to a CARTO 2 host (a token kind with a CARTO 2 base URL is
//!   refused unless the caller says the URL is CARTO 3), and never to another origin (the
//!   transport attaches it to the base URL's origin only).

use crate::credentials::secret::Secret;
use crate::error::{Error, ErrorKind, Result};
use std::fmt;
use url::Url;

/// A CARTO platform generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum Platform {
    /// CARTO 2: `/api/v2/sql`, Batch, the Auth API; API keys.
    Carto2 = 2,
    /// CARTO 3 ("cloud native"): `/v3/...`; Bearer tokens.
    Carto3 = 3,
}

impl Platform {
    /// `carto2` or `carto3`.
    pub fn name(self) -> &'static str {
        match self {
            Platform::Carto2 => "carto2",
            Platform::Carto3 => "carto3",
        }
    }

    /// Parses `carto2`/`2`/`v2` or `carto3`/`3`/`v3` (any case).
    pub fn parse(text: &str) -> Result<Platform> {
        match text.trim().to_ascii_lowercase().as_str() {
            "carto2" | "2" | "v2" => Ok(Platform::Carto2),
            "carto3" | "3" | "v3" => Ok(Platform::Carto3),
            _ => Err(Error::invalid_argument(format!(
                "platform {} is not one of carto2, carto3",
                crate::text::excerpt::quoted(text)
            ))),
        }
    }

    /// The platform a (validated) base URL names: CARTO 3 for `*.api.carto.com` and for a
    /// path whose last segment is `api` (self-hosted CARTO 3), CARTO 2 otherwise.
    pub fn detect(base_url: &str) -> Platform {
        let Ok(url) = Url::parse(base_url) else {
            return Platform::Carto2;
        };
        let cloud = url
            .host_str()
            .is_some_and(|host| host.to_ascii_lowercase().ends_with(".api.carto.com"));
        let self_hosted = url
            .path_segments()
            .and_then(|mut segments| segments.rfind(|s| !s.is_empty()))
            .is_some_and(|last| last == "api");
        if cloud || self_hosted {
            Platform::Carto3
        } else {
            Platform::Carto2
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Platform::Carto2 => "CARTO 2",
            Platform::Carto3 => "CARTO 3",
        })
    }
}

/// The kind of credential a [`crate::Credentials`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum CredentialKind {
    /// A CARTO 2 API key (Basic or `api_key=`).
    ApiKey = 0,
    /// A CARTO 3 token used as given (an API access token, or any token from elsewhere).
    AccessToken = 1,
    /// A CARTO 3 user who signs in with a browser (authorization code + PKCE); the token is
    /// kept in the token cache until it expires, then the user signs in again.
    OAuthUser = 2,
    /// A CARTO 3 machine-to-machine client (id + secret) whose tokens are minted as needed.
    M2m = 3,
}

impl CredentialKind {
    /// `api_key`, `access_token`, `oauth_user` or `m2m`.
    pub fn name(self) -> &'static str {
        match self {
            CredentialKind::ApiKey => "api_key",
            CredentialKind::AccessToken => "access_token",
            CredentialKind::OAuthUser => "oauth_user",
            CredentialKind::M2m => "m2m",
        }
    }

    /// The platform this kind belongs to.
    pub fn platform(self) -> Platform {
        match self {
            CredentialKind::ApiKey => Platform::Carto2,
            _ => Platform::Carto3,
        }
    }
}

/// CARTO's Auth0 tenant: where users sign in and M2M clients mint tokens.
pub const DEFAULT_AUTH_URL: &str = "https://auth.carto.com";
/// The audience of CARTO 3 API tokens.
pub const DEFAULT_AUDIENCE: &str = "carto-cloud-native-api";
/// CARTO's public OAuth client for native apps (carto-auth's), used for browser sign-in when
/// no client id is given.
pub const DEFAULT_OAUTH_CLIENT_ID: &str = "0dxb8HR3ATXCxJiPOJVHsLoHoAtbRX6u";

/// Where a CARTO 3 client signs in or mints: the issuer's base URL and the token audience.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AuthServer {
    /// Base URL of the OAuth server, without a trailing slash (`https://auth.carto.com`):
    /// `{url}/authorize` and `{url}/oauth/token`.
    pub url: String,
    /// The `audience` asked for.
    pub audience: String,
}

impl Default for AuthServer {
    fn default() -> Self {
        AuthServer {
            url: DEFAULT_AUTH_URL.to_owned(),
            audience: DEFAULT_AUDIENCE.to_owned(),
        }
    }
}

impl AuthServer {
    /// `{url}/oauth/token`.
    pub fn token_url(&self) -> String {
        format!("{}/oauth/token", self.url)
    }

    /// `{url}/authorize`.
    pub fn authorize_url(&self) -> String {
        format!("{}/authorize", self.url)
    }
}

/// The secret part of credentials and what it needs to become a Bearer token.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Auth {
    /// CARTO 2.
    ApiKey,
    /// A static Bearer token.
    AccessToken(Secret),
    /// Browser sign-in; tokens come from the token cache.
    OAuthUser {
        client_id: String,
        organization: Option<String>,
        server: AuthServer,
    },
    /// Client credentials.
    M2m {
        client_id: String,
        client_secret: Secret,
        server: AuthServer,
    },
}

impl Auth {
    pub(crate) fn kind(&self) -> CredentialKind {
        match self {
            Auth::ApiKey => CredentialKind::ApiKey,
            Auth::AccessToken(_) => CredentialKind::AccessToken,
            Auth::OAuthUser { .. } => CredentialKind::OAuthUser,
            Auth::M2m { .. } => CredentialKind::M2m,
        }
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::ApiKey => f.write_str("ApiKey"),
            Auth::AccessToken(token) => f.debug_tuple("AccessToken").field(token).finish(),
            Auth::OAuthUser {
                client_id,
                organization,
                server,
            } => f
                .debug_struct("OAuthUser")
                .field("client_id", client_id)
                .field("organization", organization)
                .field("server", server)
                .finish(),
            Auth::M2m {
                client_id,
                client_secret,
                server,
            } => f
                .debug_struct("M2m")
                .field("client_id", client_id)
                .field("client_secret", client_secret)
                .field("server", server)
                .finish(),
        }
    }
}

/// Checks that a credential of `kind` may be used with a base URL of `detected` platform, when
/// the caller said `declared` (or nothing). Returns the platform to use.
pub(crate) fn reconcile(
    kind: CredentialKind,
    detected: Platform,
    declared: Option<Platform>,
    shown_url: &str,
) -> Result<Platform> {
    let platform = declared.unwrap_or(detected);
    match (kind, platform) {
        (CredentialKind::ApiKey, Platform::Carto2) => Ok(Platform::Carto2),
        (CredentialKind::ApiKey, Platform::Carto3) => Err(Error::new(
            ErrorKind::InvalidArgument,
            format!(
                "{shown_url} is a CARTO 3 API base URL, and a CARTO 2 API key is never sent as a Bearer token; give a CARTO 3 access token, an M2M client or a user sign-in instead, or a CARTO 2 base URL (https://{{username}}.carto.com)"
            ),
        )),
        (_, Platform::Carto3) => Ok(Platform::Carto3),
        (kind, Platform::Carto2) => Err(Error::new(
            ErrorKind::InvalidArgument,
            format!(
                "{shown_url} is a CARTO 2 base URL, and a CARTO 3 {} is never sent to a CARTO 2 host; give the CARTO 3 API base URL (https://gcp-us-east1.api.carto.com, https://host/api), or say the URL is CARTO 3 (platform carto3)",
                kind_noun(kind)
            ),
        )),
    }
}

fn kind_noun(kind: CredentialKind) -> &'static str {
    match kind {
        CredentialKind::ApiKey => "API key",
        CredentialKind::AccessToken => "access token",
        CredentialKind::OAuthUser => "user token",
        CredentialKind::M2m => "M2M token",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carto3_hosts_and_self_hosted_api_paths_are_detected() {
        for url in [
            "https://gcp-us-east1.api.carto.com",
            "https://GCP-europe-west1.API.carto.com",
            "https://direct-gcp-us-east1.api.carto.com/",
            "https://carto.acme.com/api",
            "https://carto.acme.com/api/",
            "http://127.0.0.1:8080/carto3/api",
        ] {
            assert_eq!(Platform::detect(url), Platform::Carto3, "{url}");
        }
        for url in [
            "https://alice.carto.com",
            "https://carto.com/user/alice",
            "https://api.carto.com.evil.example",
            "https://evil-api.carto.com",
            "https://host/apis",
            "https://host/api/v2",
            "not a url",
        ] {
            assert_eq!(Platform::detect(url), Platform::Carto2, "{url}");
        }
    }

    #[test]
    fn keys_and_tokens_never_cross_platforms() {
        let err = reconcile(CredentialKind::ApiKey, Platform::Carto3, None, "u").unwrap_err();
        assert!(err.message().contains("never sent as a Bearer token"));
        let err = reconcile(
            CredentialKind::ApiKey,
            Platform::Carto2,
            Some(Platform::Carto3),
            "u",
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        for kind in [
            CredentialKind::AccessToken,
            CredentialKind::OAuthUser,
            CredentialKind::M2m,
        ] {
            let err = reconcile(kind, Platform::Carto2, None, "u").unwrap_err();
            assert!(err.message().contains("never sent to a CARTO 2 host"));
            assert_eq!(
                reconcile(kind, Platform::Carto2, Some(Platform::Carto3), "u").unwrap(),
                Platform::Carto3
            );
            assert!(reconcile(kind, Platform::Carto3, Some(Platform::Carto2), "u").is_err());
        }
    }

    #[test]
    fn platform_names_parse() {
        assert_eq!(Platform::parse(" CARTO3 ").unwrap(), Platform::Carto3);
        assert_eq!(Platform::parse("v2").unwrap(), Platform::Carto2);
        assert!(Platform::parse("carto4").is_err());
    }
}
