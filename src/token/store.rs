//! Where tokens are kept between processes: the one seam a keychain store slots into.
//!
//! [`TokenStore`] is all the engine knows of storage: read a key's token, and update it under
//! a lock that other processes respect, so that N processes needing a token mint once, not N
//! times (M2M minting is quota-limited). [`FileTokenStore`] keeps one file per cache key, with
//! the credentials files' rules (atomic replace, 0600 in a 0700 directory, an advisory lock,
//! see `config::store`), in carto-auth's token-cache layout so that carto-auth reads it too.
//! [`KeychainTokenStore`] keeps the same JSON in an OS keychain item per cache key, locked by a
//! lock file in the cache directory; [`AutoTokenStore`] uses it when a keychain answers and
//! the files otherwise (`CARTO_CREDENTIAL_STORE`).

use super::key::{CacheKey, StoredToken};
use crate::config::store::{self as files, LockWait};
use crate::credentials::secret::Secret;
use crate::error::{ErrorKind, Result};
use crate::keychain::{Failure, Keychain};
use serde_json::{json, Value};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
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
        let done = files::locked_waiting(&path, lock_wait(wait), |target| {
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

fn lock_wait(wait: Wait) -> LockWait {
    match wait {
        Wait::Try => LockWait::Try,
        Wait::Up(limit) => LockWait::Up(limit),
    }
}

/// One OS keychain item per cache key, holding what a cache file holds.
pub(crate) struct KeychainTokenStore {
    /// Where the lock files are (the token cache directory): a keychain has no locks.
    lock_dir: PathBuf,
    keychain: Arc<Keychain>,
}

impl fmt::Debug for KeychainTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

impl KeychainTokenStore {
    pub(crate) fn new(lock_dir: PathBuf, keychain: Arc<Keychain>) -> Self {
        KeychainTokenStore { lock_dir, keychain }
    }

    /// The item's account: `token/<m2m|oauth>/<hash of the key>`.
    pub(crate) fn account(key: &CacheKey) -> String {
        format!("token/{}/{}", key.kind_label(), key.digest())
    }

    fn lock_path(&self, key: &CacheKey) -> PathBuf {
        self.lock_dir.join(format!(
            "token_{}_{}.keychain",
            key.kind_label(),
            key.digest()
        ))
    }

    fn read(&self, key: &CacheKey) -> std::result::Result<Option<StoredToken>, Failure> {
        match self.keychain.get(&Self::account(key)) {
            Ok(text) => Ok(parse(&text, key)),
            Err(Failure::NoEntry) => Ok(None),
            Err(failure) => Err(failure),
        }
    }
}

impl TokenStore for KeychainTokenStore {
    fn describe(&self) -> String {
        format!("keychain ({})", self.keychain.describe())
    }

    fn load(&self, key: &CacheKey) -> Result<Option<StoredToken>> {
        self.read(key)
            .map_err(|f| self.keychain.error("reading the cached token", &f))
    }

    fn update(
        &self,
        key: &CacheKey,
        wait: Wait,
        decide: &mut dyn FnMut(Option<StoredToken>) -> Result<Update>,
    ) -> Result<bool> {
        let done =
            files::locked_waiting(&self.lock_path(key), lock_wait(wait), |_| {
                match decide(self.load(key)?)? {
                    Update::Keep => Ok(()),
                    Update::Store(token) => {
                        let text = render(key, &token);
                        let text =
                            zeroize::Zeroizing::new(String::from_utf8_lossy(&text).into_owned());
                        let label = format!("cartoauth: CARTO 3 token for {}", key.api_base_url);
                        self.keychain
                            .put(&Self::account(key), &label, text)
                            .map_err(|f| self.keychain.error("caching the token", &f))
                    }
                }
            })?;
        Ok(done.is_some())
    }

    fn remove(&self, key: &CacheKey) -> Result<bool> {
        files::locked(&self.lock_path(key), |_| {
            self.keychain
                .delete(&Self::account(key))
                .map_err(|f| self.keychain.error("forgetting the cached token", &f))
        })
    }
}

/// The keychain when one answers, else the files: decided at the first operation (a
/// keychain that is missing, refuses or does not answer within its timeout counts as none),
/// then kept for the store's life. [`TokenStore::describe`] says which, and why.
pub(crate) struct AutoTokenStore {
    keychain: KeychainTokenStore,
    file: FileTokenStore,
    /// `None`: the keychain; `Some(reason)`: the files, because of the reason.
    decision: OnceLock<Option<String>>,
}

impl fmt::Debug for AutoTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

impl AutoTokenStore {
    pub(crate) fn new(dir: PathBuf, keychain: Arc<Keychain>) -> Self {
        AutoTokenStore {
            keychain: KeychainTokenStore::new(dir.clone(), keychain),
            file: FileTokenStore::new(dir),
            decision: OnceLock::new(),
        }
    }

    /// The store to use, deciding with a read of `key`'s item.
    fn chosen(&self, key: &CacheKey) -> &dyn TokenStore {
        let decision = self.decision.get_or_init(|| match self.keychain.read(key) {
            Ok(_) => None,
            Err(failure) => Some(
                self.keychain
                    .keychain
                    .error("no keychain answered", &failure)
                    .message()
                    .to_owned(),
            ),
        });
        match decision {
            None => &self.keychain,
            Some(_) => &self.file,
        }
    }
}

impl TokenStore for AutoTokenStore {
    fn describe(&self) -> String {
        match self.decision.get() {
            None => format!(
                "{} when it answers, else {}",
                self.keychain.describe(),
                self.file.describe()
            ),
            Some(None) => self.keychain.describe(),
            Some(Some(reason)) => format!("{} ({reason})", self.file.describe()),
        }
    }

    fn load(&self, key: &CacheKey) -> Result<Option<StoredToken>> {
        self.chosen(key).load(key)
    }

    fn update(
        &self,
        key: &CacheKey,
        wait: Wait,
        decide: &mut dyn FnMut(Option<StoredToken>) -> Result<Update>,
    ) -> Result<bool> {
        self.chosen(key).update(key, wait, decide)
    }

    fn remove(&self, key: &CacheKey) -> Result<bool> {
        self.chosen(key).remove(key)
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

    #[test]
    fn tokens_in_the_keychain_round_trip_and_leave_no_file_behind() {
        let (memory, _installed) = crate::keychain::install_memory(Duration::from_millis(300));
        let dir = tempfile::tempdir().unwrap();
        let store = KeychainTokenStore::new(dir.path().join("tokens"), crate::keychain::process());
        assert!(store.load(&key()).unwrap().is_none());
        assert!(store
            .update(&key(), Wait::Up(Duration::from_secs(1)), &mut |old| {
                assert!(old.is_none());
                Ok(Update::Store(token(2_000_000_000)))
            })
            .unwrap());
        let back = store.load(&key()).unwrap().unwrap();
        assert_eq!(back.token.expose(), "tok-2000000000");
        let item = memory.secret(&KeychainTokenStore::account(&key())).unwrap();
        assert!(item.contains("tok-2000000000"));
        let files: Vec<_> = walk(dir.path());
        assert!(
            files.iter().all(|f| !std::fs::read_to_string(f)
                .unwrap_or_default()
                .contains("tok-")),
            "{files:?}"
        );
        assert!(store.remove(&key()).unwrap());
        assert!(!store.remove(&key()).unwrap());
        assert!(memory.accounts().is_empty());
    }

    fn walk(dir: &Path) -> Vec<PathBuf> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                found.extend(walk(&path));
            } else {
                found.push(path);
            }
        }
        found
    }

    #[test]
    fn the_automatic_store_uses_files_when_no_keychain_answers_and_says_why() {
        let (memory, _installed) = crate::keychain::install_memory(Duration::from_millis(300));
        memory.set_mode(crate::keychain::memory::Mode::Unavailable);
        let dir = tempfile::tempdir().unwrap();
        let store = AutoTokenStore::new(dir.path().to_path_buf(), crate::keychain::process());
        assert!(store.describe().contains("when it answers"));
        store
            .update(&key(), Wait::Up(Duration::from_secs(1)), &mut |_| {
                Ok(Update::Store(token(2_000_000_000)))
            })
            .unwrap();
        assert!(store.file.path_of(&key()).exists());
        assert!(
            store.describe().starts_with("file "),
            "{}",
            store.describe()
        );
        assert!(
            store.describe().contains("test's keychain is off"),
            "{}",
            store.describe()
        );
        // Decided once: a keychain that comes back later does not split the cache.
        memory.set_mode(crate::keychain::memory::Mode::Working);
        assert!(store.load(&key()).unwrap().is_some());
        assert!(memory.accounts().is_empty());

        let (memory, _installed) = crate::keychain::install_memory(Duration::from_millis(300));
        let store = AutoTokenStore::new(dir.path().join("2"), crate::keychain::process());
        store
            .update(&key(), Wait::Up(Duration::from_secs(1)), &mut |_| {
                Ok(Update::Store(token(2_000_000_000)))
            })
            .unwrap();
        assert_eq!(memory.accounts().len(), 1);
        assert!(
            store.describe().starts_with("keychain"),
            "{}",
            store.describe()
        );
    }
}
