//! What identifies a cached token, and the token as the cache keeps it.

use crate::credentials::kind::CredentialKind;
use crate::credentials::secret::Secret;
use sha2::Digest;

pub(crate) use crate::credentials::jwt::unix_now;

/// What identifies a cached token: who asked the OAuth server for it, for what, and for which
/// API base URL.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey {
    /// M2M or user sign-in.
    pub kind: CredentialKind,
    /// The OAuth server.
    pub auth_url: String,
    /// The OAuth client.
    pub client_id: String,
    /// The token audience.
    pub audience: String,
    /// The SSO organization of a user sign-in.
    pub organization: Option<String>,
    /// The API base URL the token is used with.
    pub api_base_url: String,
}

impl CacheKey {
    /// The key's fields as JSON (stored in cache files and compared when read).
    pub(crate) fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "kind": self.kind.name(),
            "auth_url": self.auth_url,
            "client_id": self.client_id,
            "audience": self.audience,
            "organization": self.organization,
            "api_base_url": self.api_base_url,
        })
    }

    /// `m2m` or `oauth`, as in carto-auth's `token_m2m.json` / `token_oauth.json`.
    pub(crate) fn kind_label(&self) -> &'static str {
        match self.kind {
            CredentialKind::M2m => "m2m",
            _ => "oauth",
        }
    }

    /// A short stable digest of the key (file names).
    pub(crate) fn digest(&self) -> String {
        let hash = sha2::Sha256::digest(self.to_json().to_string().as_bytes());
        hash.iter().take(12).map(|b| format!("{b:02x}")).collect()
    }
}

/// A token as the cache keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredToken {
    /// The token.
    pub token: Secret,
    /// When it expires, seconds since the epoch (the issuer's `exp`).
    pub exp: i64,
    /// How long it lives in all, seconds (scales the refresh windows).
    pub lifetime: u64,
}
