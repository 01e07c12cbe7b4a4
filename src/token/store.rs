//! Where tokens are kept between processes: the one seam a keychain store slots into.
//!
//! [`TokenStore`] is all the engine knows of storage: read a key's token, and update it under
//! a lock that other processes respect, so that N processes needing a token mint once, not N
//! times (M2M minting is quota-limited). [`FileTokenStore`] keeps one file per cache key, with
//! the credentials files' rules (atomic replace, 0600 in a 0700 directory, an advisory lock,
//! see `config::store`), in carto-auth's token-cache layout so that carto-auth reads it too.

use super::key::{CacheKey, StoredToken};
use crate::config::store::{self as files, LockWait};
use crate::credentials::secret::Secret;
use crate::error::{ErrorKind, Result};
use serde_json::{json, Value};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What an update decided.
pub(crate) enum Update {
    /// Leave the stored token as it is.
    Keep,
    /// Store this token.
    Store(StoredToken),
}

/// How long to wait for another process's lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wait {
    /// Not at all (an advisory refresh: someone else is already at it).
    Try,
    /// Up to this long (a mandatory refresh).
    Up(Duration),
}

/// A place tokens are kept. Implementations are shared between threads.
pub(crate) trait TokenStore: Send + Sync + fmt::Debug {
    /// What status reports show: "file /home/u/.cache/cartoauth/tokens".
    fn describe(&self) -> String;

    /// The stored token for `key`, if any (a missing, unreadable or foreign entry is `None`).
    fn load(&self, key: &CacheKey) -> Result<Option<StoredToken>>;

    /// Runs `decide` with the stored token while holding the key's lock, and stores what it
    /// returns. `Ok(false)` when `wait` is [`Wait::Try`] and another process holds the lock.
    fn update(
        &self,
        key: &CacheKey,
        wait: Wait,
        decide: &mut dyn FnMut(Option<StoredToken>) -> Result<Update>,
    ) -> Result<bool>;

    /// Forgets the key's token (sign-out). `Ok(false)` when there was none.
    fn remove(&self, key: &CacheKey) -> Result<bool>;
}

/// A store that keeps nothing: each process mints for itself (the in-process cache still
/// serves every thread and client of the process).
#[derive(Debug, Default)]
pub(crate) struct NoStore;

impl TokenStore for NoStore {
    fn describe(&self) -> String {
        "none (tokens are kept in this process only)".to_owned()
    }

    fn load(&self, _key: &CacheKey) -> Result<Option<StoredToken>> {
        Ok(None)
    }

    fn update(
        &self,
        _key: &CacheKey,
        _wait: Wait,
        decide: &mut dyn FnMut(Option<StoredToken>) -> Result<Update>,
    ) -> Result<bool> {
        decide(None).map(|_| true)
    }

    fn remove(&self, _key: &CacheKey) -> Result<bool> {
        Ok(false)
    }
}

/// One JSON file per cache key in a directory (see the module documentation).
#[derive(Debug, Clone)]
pub(crate) struct FileTokenStore {
    dir: PathBuf,
}

/// The layout version of cartoauth's part of a cache file.
const LAYOUT: u64 = 1;

impl FileTokenStore {
    pub(crate) fn new(dir: PathBuf) -> Self {
        FileTokenStore { dir }
    }

    /// `<dir>/token_<kind>_<hash of the key>.json`.
    pub(crate) fn path_of(&self, key: &CacheKey) -> PathBuf {
        self.dir
            .join(format!("token_{}_{}.json", key.kind_label(), key.digest()))
    }

    fn read(path: &Path, key: &CacheKey) -> Result<Option<StoredToken>> {
        let file = match files::read(path) {
            Ok(file) => file,
            Err(e) if e.kind() == ErrorKind::FileNotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        // A corrupt or foreign file is not an error: it is replaced by the next token.
        Ok(parse(&file.text, key))
    }
}

/// The token in a cache file's text, if it is cartoauth's entry for `key`.
pub(crate) fn parse(text: &str, key: &CacheKey) -> Option<StoredToken> {
    let doc: Value = serde_json::from_str(text).ok()?;
    let ours = doc.get("cartoauth")?;
    if ours.get("layout")?.as_u64()? != LAYOUT || ours.get("key")? != &key.to_json() {
        return None;
    }
    let token = doc.get("access_token")?.as_str()?;
    if token.is_empty() {
        return None;
    }
    Some(StoredToken {
        token: Secret::new(token),
        exp: ours.get("exp")?.as_i64()?,
        lifetime: ours.get("lifetime_s")?.as_u64()?,
    })
}

/// The text of `key`'s cache file holding `token`: carto-auth's three fields first
/// (`expiration` in carto-auth's own clock, see [`carto_auth_expiration`]), cartoauth's after.
pub(crate) fn render(key: &CacheKey, token: &StoredToken) -> zeroize::Zeroizing<Vec<u8>> {
    let doc = json!({
        "api_base_url": key.api_base_url,
        "access_token": token.token.expose(),
        "expiration": crate::config::to_carto_auth_clock(token.exp),
        "cartoauth": {
            "layout": LAYOUT,
            "key": key.to_json(),
            "exp": token.exp,
            "lifetime_s": token.lifetime,
        },
    });
    let mut bytes = serde_json::to_vec_pretty(&doc).unwrap_or_default();
    bytes.push(b'\n');
    zeroize::Zeroizing::new(bytes)
}

impl TokenStore for FileTokenStore {
    fn describe(&self) -> String {
        format!("file {}", self.dir.display())
    }

    fn load(&self, key: &CacheKey) -> Result<Option<StoredToken>> {
        Self::read(&self.path_of(key), key)
    }

    fn update(
        &self,
        key: &CacheKey,
        wait: Wait,
        decide: &mut dyn FnMut(Option<StoredToken>) -> Result<Update>,
    ) -> Result<bool> {
        let path = self.path_of(key);
        let wait = match wait {
            Wait::Try => LockWait::Try,
            Wait::Up(limit) => LockWait::Up(limit),
        };
        let done = files::locked_waiting(&path, wait, |target| {
            let stored = Self::read(target, key)?;
            match decide(stored)? {
                Update::Keep => Ok(()),
                Update::Store(token) => files::write_atomic(target, &render(key, &token)),
            }
        })?;
        Ok(done.is_some())
    }

    fn remove(&self, key: &CacheKey) -> Result<bool> {
        let path = self.path_of(key);
        match files::locked(&path, |_| files::remove(&path)) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == ErrorKind::FileNotFound => Ok(false),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> CacheKey {
        CacheKey {
            kind: crate::credentials::kind::CredentialKind::M2m,
            auth_url: "https://auth.carto.com".into(),
            client_id: "cid".into(),
            audience: "carto-cloud-native-api".into(),
            organization: None,
            api_base_url: "https://gcp-us-east1.api.carto.com".into(),
        }
    }

    fn token(exp: i64) -> StoredToken {
        StoredToken {
            token: Secret::new(format!("tok-{exp}")),
            exp,
            lifetime: 120,
        }
    }

    #[test]
    fn files_round_trip_and_carry_carto_auths_fields() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileTokenStore::new(dir.path().join("tokens"));
        assert!(store.load(&key()).unwrap().is_none());
        let stored = store
            .update(&key(), Wait::Up(Duration::from_secs(1)), &mut |old| {
                assert!(old.is_none());
                Ok(Update::Store(token(2_000_000_000)))
            })
            .unwrap();
        assert!(stored);
        let back = store.load(&key()).unwrap().unwrap();
        assert_eq!(back.token.expose(), "tok-2000000000");
        assert_eq!((back.exp, back.lifetime), (2_000_000_000, 120));
        let path = store.path_of(&key());
        let doc: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        for field in ["api_base_url", "access_token", "expiration"] {
            assert!(doc.get(field).is_some(), "{field}");
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }

    #[test]
    fn another_keys_or_a_corrupt_file_is_not_used() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileTokenStore::new(dir.path().to_path_buf());
        let path = store.path_of(&key());
        std::fs::write(&path, "{not json").unwrap();
        assert!(store.load(&key()).unwrap().is_none());
        let mut other = key();
        other.client_id = "someone-else".into();
        std::fs::write(&path, &*render(&other, &token(5))).unwrap();
        assert!(store.load(&key()).unwrap().is_none(), "a foreign entry");
        std::fs::write(&path, &*render(&key(), &token(5))).unwrap();
        assert!(store.load(&key()).unwrap().is_some());
    }

    #[test]
    fn a_held_lock_makes_a_try_update_give_way() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileTokenStore::new(dir.path().to_path_buf());
        let path = store.path_of(&key());
        files::locked(&path, |_| {
            let store = store.clone();
            std::thread::spawn(move || {
                let ran = store
                    .update(&key(), Wait::Try, &mut |_| Ok(Update::Keep))
                    .unwrap();
                assert!(!ran);
                let err = store
                    .update(&key(), Wait::Up(Duration::from_millis(50)), &mut |_| {
                        Ok(Update::Keep)
                    })
                    .unwrap_err();
                assert_eq!(err.kind(), ErrorKind::LockTimeout);
            })
            .join()
            .unwrap();
            Ok(())
        })
        .unwrap();
    }
}
