//! The seam between the keychain rules and a platform's store.

use zeroize::Zeroizing;

/// Why a keychain operation did not happen. Never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// There is no such item.
    #[cfg_attr(not(any(test, feature = "keychain")), allow(dead_code))]
    NoEntry,
    /// No keychain answers: no session bus, no Secret Service on it, a locked keychain with
    /// no one to unlock it, no keychain compiled in. The operation can go to a file instead.
    Unavailable(String),
    /// The keychain did not answer in time (it may still do what was asked, later).
    TimedOut,
    /// The keychain answered with an error.
    Other(String),
}

/// A place secrets are stored by (service, account). Implementations are called on a worker
/// thread, one operation at a time per call, and may block: the caller cuts them off.
pub(crate) trait Backend: Send + Sync {
    /// What messages call it: "the Secret Service", "the macOS Keychain", ...
    fn name(&self) -> &str;

    /// Stores `secret`, replacing the item's secret if it exists. `label` is what keychain
    /// browsers show, where the platform has labels.
    fn set(&self, service: &str, account: &str, label: &str, secret: &[u8]) -> Result<(), Failure>;

    /// The item's secret.
    fn get(&self, service: &str, account: &str) -> Result<Zeroizing<Vec<u8>>, Failure>;

    /// Deletes the item ([`Failure::NoEntry`] when there is none).
    fn delete(&self, service: &str, account: &str) -> Result<(), Failure>;
}
