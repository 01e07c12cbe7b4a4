//! CARTO 3 tokens: when to mint, where to keep them, and how they reach a request.
//!
//! - [`windows`]: the advisory and mandatory refresh windows before expiry.
//! - [`mint`]: the OAuth token endpoint, with bounded jittered retries.
//! - [`store`]: the cross-process cache (the seam a keychain slots into).
//! - [`engine`]: the in-process cache: one entry per cache key shared by every client of the
//!   process, one mint in flight per key, the never-send-an-expired-token rule, and the single
//!   re-mint after a 401.

pub(crate) mod engine;
mod key;
pub(crate) mod mint;
pub(crate) mod store;
mod windows;

pub use key::{CacheKey, StoredToken};
pub use windows::RefreshWindows;

use crate::env::{self, Environment};
use crate::error::{Error, ErrorKind, Result};
use std::path::PathBuf;

/// Where tokens are kept between processes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TokenCache {
    /// Where `CARTO_CREDENTIAL_STORE` says: by default the OS keychain when one answers, else a
    /// file per token in the default directory (`CARTO_TOKEN_CACHE_DIR`, else
    /// `$XDG_CACHE_HOME/cartoauth/tokens`, else `~/.cache/cartoauth/tokens`; the platform's
    /// cache directory elsewhere), which also holds the keychain's lock files.
    #[default]
    Default,
    /// A file per token in this directory.
    Directory(PathBuf),
    /// Nowhere: every process mints its own tokens.
    Off,
}

/// The directory [`TokenCache::Default`] uses.
pub fn default_cache_dir(env: &dyn Environment) -> Result<PathBuf> {
    if let Some(dir) = env.get(env::TOKEN_CACHE_DIR) {
        return Ok(crate::config::expand_home(&dir));
    }
    #[cfg(all(unix, not(target_os = "macos")))]
    let base = env
        .get("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| env.get("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .or_else(dirs::cache_dir);
    #[cfg(not(all(unix, not(target_os = "macos"))))]
    let base = dirs::cache_dir();
    base.map(|b| b.join("cartoauth").join("tokens"))
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Io,
                format!(
                    "cannot find the user's cache directory (no home directory); set {}",
                    env::TOKEN_CACHE_DIR
                ),
            )
        })
}

/// The store a setting names.
pub(crate) fn store_for(
    setting: &TokenCache,
    env: &dyn Environment,
) -> Result<std::sync::Arc<dyn store::TokenStore>> {
    Ok(match setting {
        TokenCache::Off => std::sync::Arc::new(store::NoStore),
        TokenCache::Directory(dir) => std::sync::Arc::new(store::FileTokenStore::new(dir.clone())),
        TokenCache::Default => {
            let dir = default_cache_dir(env)?;
            match crate::keychain::CredentialStore::from_env(env)? {
                crate::keychain::CredentialStore::File => {
                    std::sync::Arc::new(store::FileTokenStore::new(dir))
                }
                crate::keychain::CredentialStore::Keychain => std::sync::Arc::new(
                    store::KeychainTokenStore::new(dir, crate::keychain::process()),
                ),
                crate::keychain::CredentialStore::Auto => {
                    std::sync::Arc::new(store::AutoTokenStore::new(dir, crate::keychain::process()))
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::credentials::kind::CredentialKind;

    #[test]
    fn cache_keys_differ_by_every_field_and_digest_stably() {
        let key = CacheKey {
            kind: CredentialKind::M2m,
            auth_url: "https://auth.carto.com".into(),
            client_id: "c".into(),
            audience: "a".into(),
            organization: None,
            api_base_url: "https://x.api.carto.com".into(),
        };
        assert_eq!(key.digest(), key.clone().digest());
        assert_eq!(key.digest().len(), 24);
        let mut other = key.clone();
        other.organization = Some("acme".into());
        assert_ne!(key.digest(), other.digest());
        let mut other = key.clone();
        other.api_base_url.push('/');
        assert_ne!(key.digest(), other.digest());
    }

    #[test]
    fn the_default_directory_follows_the_environment() {
        let env = crate::env::MapEnvironment::new().with(env::TOKEN_CACHE_DIR, "/tmp/tc");
        assert_eq!(default_cache_dir(&env).unwrap(), PathBuf::from("/tmp/tc"));
        #[cfg(all(unix, not(target_os = "macos")))]
        {
            let env = crate::env::MapEnvironment::new().with("XDG_CACHE_HOME", "/x");
            assert_eq!(
                default_cache_dir(&env).unwrap(),
                PathBuf::from("/x/cartoauth/tokens")
            );
        }
    }
}
