//! Secrets in the OS keychain: the Secret Service (Linux, the BSDs), the macOS Keychain, the
//! Windows Credential Manager, with an honest fallback to the 0600 files.
//!
//! This module knows items, not credentials files: a secret is put, got and deleted by the
//! item's account name under the fixed service `cartoauth`. `config` decides which secret goes
//! where and writes the reference to the item in the file; `token` keeps cached tokens here.
//!
//! The rules, written once here:
//! - every operation is cut off after [`TIMEOUT`] (gh's 3 s): a keychain that does not answer
//!   (a desktop unlock prompt nobody sees, a service that hangs) is never a hang, and while
//!   a call it has not answered is outstanding, the next ones fail at once;
//! - [`CredentialStore::Auto`] uses the keychain when one answers and the file otherwise; the
//!   fallback is announced once per process ([`Keychain::announce_fallback`]) and recorded as
//!   [`Storage::File`] in the credentials' origin;
//! - [`CredentialStore::Keychain`] fails instead of falling back, with
//!   [`ErrorKind::KeychainUnavailable`] or [`ErrorKind::KeychainTimeout`];
//! - without the `keychain` cargo feature no keychain is compiled in, and `Auto` says so when
//!   it falls back.

mod backend;
mod deadline;
#[cfg(test)]
pub(crate) mod memory;
#[cfg(feature = "keychain")]
#[cfg_attr(test, allow(dead_code))]
mod os;

pub(crate) use backend::{Backend, Failure};

use crate::env::{self, Environment};
use crate::error::{Error, ErrorKind, Result};
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use zeroize::Zeroizing;

/// The keychain service every cartoauth item is stored under. Fixed, never read from a file:
/// a credentials file can only name cartoauth's own items, never another program's secret.
pub const SERVICE: &str = "cartoauth";

/// How long one keychain operation may take before it is abandoned (gh's timeout).
pub const TIMEOUT: Duration = Duration::from_secs(3);

/// Where secrets are stored when credentials are saved: the caller's choice, else
/// `CARTO_CREDENTIAL_STORE`, else [`CredentialStore::Auto`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CredentialStore {
    /// The OS keychain when one answers, else the file (announced once, recorded in the
    /// origin as [`Storage::File`]).
    #[default]
    Auto,
    /// The OS keychain, or an error: never a file.
    Keychain,
    /// The file, secret included (0600, written atomically): what Python CARTOframes and
    /// carto-auth read. An explicit choice, never a silent fallback.
    File,
}

impl CredentialStore {
    /// `auto`, `keychain` or `file`.
    pub fn name(self) -> &'static str {
        match self {
            CredentialStore::Auto => "auto",
            CredentialStore::Keychain => "keychain",
            CredentialStore::File => "file",
        }
    }

    /// Parses `auto`, `keychain` or `file` (any case, blanks around ignored).
    pub fn parse(text: &str) -> Result<CredentialStore> {
        match text.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(CredentialStore::Auto),
            "keychain" => Ok(CredentialStore::Keychain),
            "file" => Ok(CredentialStore::File),
            _ => Err(Error::invalid_argument(format!(
                "credential store {} is not one of auto, keychain, file",
                crate::text::excerpt::quoted(text)
            ))),
        }
    }

    /// `CARTO_CREDENTIAL_STORE`, or [`CredentialStore::Auto`] when it is unset or blank.
    pub fn from_env(env: &dyn Environment) -> Result<CredentialStore> {
        match env.get(env::CREDENTIAL_STORE) {
            None => Ok(CredentialStore::Auto),
            Some(value) => CredentialStore::parse(&value).map_err(|e| {
                Error::new(
                    ErrorKind::InvalidEnvironment,
                    format!("{}: {}", env::CREDENTIAL_STORE, e.message()),
                )
            }),
        }
    }

    /// `explicit`, else the environment's choice.
    pub fn chosen(explicit: Option<CredentialStore>, env: &dyn Environment) -> Result<Self> {
        match explicit {
            Some(store) => Ok(store),
            None => CredentialStore::from_env(env),
        }
    }
}

impl fmt::Display for CredentialStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where the secret of loaded or saved credentials lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Storage {
    /// In the OS keychain; the file holds a reference to the item.
    Keychain,
    /// In the file itself, in plain text (mode 0600).
    File,
}

impl Storage {
    /// `keychain` or `file`.
    pub fn name(self) -> &'static str {
        match self {
            Storage::Keychain => "keychain",
            Storage::File => "file",
        }
    }
}

impl fmt::Display for Storage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The process's keychain: the platform's store (when compiled in), the timeout, and whether
/// the fallback to files was announced yet.
pub(crate) struct Keychain {
    backend: Option<Arc<dyn Backend>>,
    timeout: Duration,
    announced: AtomicBool,
    /// Calls cut off at the timeout that have not returned yet (see `deadline`).
    abandoned: Arc<AtomicUsize>,
}

impl fmt::Debug for Keychain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

/// Why a keychain operation did not happen, as a message for the user: the keychain's own
/// words, bounded, and never a secret (none is ever given to a failure).
fn reason(failure: &Failure) -> String {
    match failure {
        Failure::NoEntry => "the item does not exist".to_owned(),
        Failure::Unavailable(why) | Failure::Other(why) => crate::text::excerpt::plain(why),
        Failure::TimedOut => format!("the keychain did not answer within {} s", TIMEOUT.as_secs()),
    }
}

impl Keychain {
    /// A keychain over `backend` (`None`: none compiled in).
    pub(crate) fn new(backend: Option<Arc<dyn Backend>>, timeout: Duration) -> Keychain {
        Keychain {
            backend,
            timeout,
            announced: AtomicBool::new(false),
            abandoned: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// "the Secret Service", "the macOS Keychain", ... or why there is none.
    pub(crate) fn describe(&self) -> String {
        match &self.backend {
            Some(backend) => backend.name().to_owned(),
            None => "no keychain (this build of cartoauth has no keychain support)".to_owned(),
        }
    }

    /// Runs `op` on the backend within the timeout.
    fn run<T: Send + 'static>(
        &self,
        op: impl FnOnce(&dyn Backend) -> std::result::Result<T, Failure> + Send + 'static,
    ) -> std::result::Result<T, Failure> {
        let Some(backend) = self.backend.clone() else {
            return Err(Failure::Unavailable(
                "this build of cartoauth has no keychain support (cargo feature keychain)"
                    .to_owned(),
            ));
        };
        deadline::run(self.timeout, &self.abandoned, move || op(backend.as_ref()))
    }

    /// Stores `secret` as item `account` (replacing one of that name).
    pub(crate) fn put(
        &self,
        account: &str,
        label: &str,
        secret: Zeroizing<String>,
    ) -> std::result::Result<(), Failure> {
        let (account, label) = (account.to_owned(), label.to_owned());
        self.run(move |b| b.set(SERVICE, &account, &label, secret.as_bytes()))
    }

    /// The secret of item `account`; [`Failure::NoEntry`] when there is none.
    pub(crate) fn get(&self, account: &str) -> std::result::Result<Zeroizing<String>, Failure> {
        let account = account.to_owned();
        let bytes = self.run(move |b| b.get(SERVICE, &account))?;
        match String::from_utf8(bytes.to_vec()) {
            Ok(text) => Ok(Zeroizing::new(text)),
            Err(e) => {
                let mut raw = e.into_bytes();
                zeroize::Zeroize::zeroize(&mut raw);
                Err(Failure::Other(
                    "the item's secret is not UTF-8 text".to_owned(),
                ))
            }
        }
    }

    /// Deletes item `account`; `Ok(false)` when there was none.
    pub(crate) fn delete(&self, account: &str) -> std::result::Result<bool, Failure> {
        let account = account.to_owned();
        match self.run(move |b| b.delete(SERVICE, &account)) {
            Ok(()) => Ok(true),
            Err(Failure::NoEntry) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The error a failure becomes when the keychain was required: its own kind for a
    /// keychain that did not answer, another for one that is missing or refused.
    pub(crate) fn error(&self, doing: &str, failure: &Failure) -> Error {
        let kind = match failure {
            Failure::TimedOut => ErrorKind::KeychainTimeout,
            Failure::NoEntry => ErrorKind::KeychainItemNotFound,
            Failure::Unavailable(_) | Failure::Other(_) => ErrorKind::KeychainUnavailable,
        };
        Error::new(
            kind,
            format!("{doing} in {}: {}", self.describe(), reason(failure)),
        )
    }

    /// The warning that a secret went to `file` because the keychain failed, the first time
    /// in this process (`None` after that: the fallback is announced once).
    pub(crate) fn announce_fallback(&self, failure: &Failure, file: &str) -> Option<String> {
        if self.announced.swap(true, Ordering::SeqCst) {
            return None;
        }
        Some(format!(
            "no OS keychain could take the secret ({}: {}), so it is stored in plain text in {file} (mode 0600); set {}=file to choose files without this warning, or, once a keychain answers, move it there (cartoauth move --to keychain)",
            self.describe(),
            reason(failure),
            env::CREDENTIAL_STORE
        ))
    }
}

/// What this build's keychain is called in messages: "the Secret Service", "the macOS
/// Keychain", "the Windows Credential Manager", or why there is none.
pub fn keychain_name() -> String {
    process().describe()
}

/// The process's keychain. Unit tests get their thread's own (see `memory`), or none: they
/// never reach the keychain of the machine running them.
pub(crate) fn process() -> Arc<Keychain> {
    #[cfg(test)]
    return INSTALLED
        .with(|k| k.borrow().clone())
        .unwrap_or_else(|| Arc::new(Keychain::new(None, TIMEOUT)));
    #[cfg(not(test))]
    static PROCESS: std::sync::OnceLock<Arc<Keychain>> = std::sync::OnceLock::new();
    #[cfg(not(test))]
    PROCESS
        .get_or_init(|| Arc::new(Keychain::new(platform_backend(), TIMEOUT)))
        .clone()
}

#[cfg(test)]
thread_local! {
    static INSTALLED: std::cell::RefCell<Option<Arc<Keychain>>> =
        const { std::cell::RefCell::new(None) };
}

/// Makes a keychain in memory this test thread's keychain (until the guard drops).
#[cfg(test)]
pub(crate) fn install_memory(timeout: Duration) -> (Arc<memory::Memory>, Installed) {
    let memory = Arc::new(memory::Memory::default());
    let keychain = Arc::new(Keychain::new(Some(memory.clone()), timeout));
    INSTALLED.with(|k| *k.borrow_mut() = Some(keychain));
    (memory, Installed)
}

/// Makes "no keychain compiled in" this test thread's keychain.
#[cfg(test)]
pub(crate) fn install_none() -> Installed {
    let keychain = Arc::new(Keychain::new(None, TIMEOUT));
    INSTALLED.with(|k| *k.borrow_mut() = Some(keychain));
    Installed
}

/// Uninstalls a test's keychain when dropped.
#[cfg(test)]
pub(crate) struct Installed;

#[cfg(test)]
impl Drop for Installed {
    fn drop(&mut self) {
        INSTALLED.with(|k| *k.borrow_mut() = None);
    }
}

#[cfg(feature = "keychain")]
#[cfg_attr(test, allow(dead_code))]
fn platform_backend() -> Option<Arc<dyn Backend>> {
    os::backend()
}

#[cfg(not(feature = "keychain"))]
#[cfg_attr(test, allow(dead_code))]
fn platform_backend() -> Option<Arc<dyn Backend>> {
    None
}

/// A new random item id: 16 hex digits (64 bits; a collision would need billions of items).
pub(crate) fn new_item_id() -> Result<String> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| {
        Error::new(
            ErrorKind::Io,
            format!("no random numbers for a keychain item id: {e}"),
        )
    })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::MapEnvironment;

    #[test]
    fn the_choice_comes_from_the_caller_then_the_environment() {
        let env = MapEnvironment::new().with(env::CREDENTIAL_STORE, " File ");
        assert_eq!(
            CredentialStore::chosen(None, &env).unwrap(),
            CredentialStore::File
        );
        assert_eq!(
            CredentialStore::chosen(Some(CredentialStore::Keychain), &env).unwrap(),
            CredentialStore::Keychain
        );
        assert_eq!(
            CredentialStore::chosen(None, &MapEnvironment::new()).unwrap(),
            CredentialStore::Auto
        );
        let env = MapEnvironment::new().with(env::CREDENTIAL_STORE, "vault");
        let err = CredentialStore::chosen(None, &env).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidEnvironment);
        assert!(err.message().contains(env::CREDENTIAL_STORE), "{err}");
        assert!(err.message().contains("auto, keychain, file"), "{err}");
    }

    #[test]
    fn the_fallback_is_announced_once_and_names_the_reason() {
        let keychain = Keychain::new(None, TIMEOUT);
        let failure = Failure::Unavailable("no session bus".into());
        let first = keychain.announce_fallback(&failure, "/h/c.json").unwrap();
        assert!(first.contains("no session bus"), "{first}");
        assert!(first.contains("/h/c.json"), "{first}");
        assert!(first.contains(env::CREDENTIAL_STORE), "{first}");
        assert_eq!(keychain.announce_fallback(&failure, "/h/c.json"), None);
    }

    #[test]
    fn without_a_backend_every_operation_is_unavailable() {
        let keychain = Keychain::new(None, TIMEOUT);
        let started = std::time::Instant::now();
        let failure = keychain.get("x").unwrap_err();
        assert!(matches!(failure, Failure::Unavailable(_)), "{failure:?}");
        assert!(started.elapsed() < Duration::from_millis(50));
        assert_eq!(
            keychain.error("reading", &failure).kind(),
            ErrorKind::KeychainUnavailable
        );
    }

    #[test]
    fn item_ids_are_random_hex() {
        let (a, b) = (new_item_id().unwrap(), new_item_id().unwrap());
        assert_eq!(a.len(), 16);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
