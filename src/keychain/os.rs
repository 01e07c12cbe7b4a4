//! The platform's keychain through keyring-core: the Secret Service (zbus, pure Rust) on Linux
//! and the BSDs, the login Keychain on macOS, the Credential Manager on Windows.
//!
//! A store is opened for each operation, on the worker thread that runs it: a connection to a
//! session bus that has gone away is never reused, and nothing holds a connection between
//! saves. Opening costs a D-Bus handshake (a few ms), once per save, load or delete.
//!
//! Only the Secret Service store is built and tested here (Debian 12, gnome-keyring); the macOS
//! and Windows stores are compiled on those platforms only, and are untested by this project.

use super::backend::{Backend, Failure};
use keyring_core::api::CredentialStoreApi;
use keyring_core::Error as StoreError;
use std::collections::HashMap;
use std::sync::Arc;
use zeroize::Zeroizing;

/// The platform's store, when this platform has one that cartoauth supports.
pub(super) fn backend() -> Option<Arc<dyn Backend>> {
    platform::backend()
}

/// keyring-core's errors as failures. Variants that carry secret bytes (`BadEncoding`,
/// `BadDataFormat`) are described without them.
fn failure(error: StoreError) -> Failure {
    match error {
        StoreError::NoEntry => Failure::NoEntry,
        StoreError::NoStorageAccess(e) => {
            Failure::Unavailable(format!("the keychain is locked or refuses access ({e})"))
        }
        StoreError::PlatformFailure(e) => Failure::Unavailable(e.to_string()),
        StoreError::BadEncoding(_) | StoreError::BadDataFormat(..) => {
            Failure::Other("the item's data is malformed".to_owned())
        }
        StoreError::Ambiguous(items) => Failure::Other(format!(
            "{} items match; remove the duplicates in a keychain browser",
            items.len()
        )),
        other => Failure::Other(other.to_string()),
    }
}

/// A backend over a keyring-core store that `open` creates for each operation.
struct Store {
    name: &'static str,
    open: fn() -> Result<Arc<dyn CredentialStoreApi + Send + Sync>, StoreError>,
    /// Whether the store takes a `label` modifier (the Secret Service does).
    labels: bool,
}

impl Store {
    fn entry(
        &self,
        service: &str,
        account: &str,
        label: Option<&str>,
    ) -> Result<keyring_core::Entry, Failure> {
        let store = (self.open)().map_err(failure)?;
        let mut modifiers = HashMap::new();
        if let Some(label) = label.filter(|l| self.labels && !l.is_empty()) {
            modifiers.insert("label", label);
        }
        store
            .build(service, account, Some(&modifiers))
            .map_err(failure)
    }
}

impl Backend for Store {
    fn name(&self) -> &str {
        self.name
    }

    fn set(&self, service: &str, account: &str, label: &str, secret: &[u8]) -> Result<(), Failure> {
        self.entry(service, account, Some(label))?
            .set_secret(secret)
            .map_err(failure)
    }

    fn get(&self, service: &str, account: &str) -> Result<Zeroizing<Vec<u8>>, Failure> {
        self.entry(service, account, None)?
            .get_secret()
            .map(Zeroizing::new)
            .map_err(failure)
    }

    fn delete(&self, service: &str, account: &str) -> Result<(), Failure> {
        self.entry(service, account, None)?
            .delete_credential()
            .map_err(failure)
    }
}

#[cfg(all(
    unix,
    not(any(target_os = "macos", target_os = "ios", target_os = "android"))
))]
mod platform {
    use super::*;

    fn open() -> Result<Arc<dyn CredentialStoreApi + Send + Sync>, StoreError> {
        Ok(zbus_secret_service_keyring_store::Store::new()?)
    }

    pub(super) fn backend() -> Option<Arc<dyn Backend>> {
        Some(Arc::new(Store {
            name: "the Secret Service",
            open,
            labels: true,
        }))
    }
}

#[cfg(target_os = "macos")]
mod platform {
    use super::*;

    fn open() -> Result<Arc<dyn CredentialStoreApi + Send + Sync>, StoreError> {
        Ok(apple_native_keyring_store::keychain::Store::new()?)
    }

    pub(super) fn backend() -> Option<Arc<dyn Backend>> {
        Some(Arc::new(Store {
            name: "the macOS Keychain",
            open,
            labels: false,
        }))
    }
}

#[cfg(windows)]
mod platform {
    use super::*;

    fn open() -> Result<Arc<dyn CredentialStoreApi + Send + Sync>, StoreError> {
        Ok(windows_native_keyring_store::Store::new()?)
    }

    pub(super) fn backend() -> Option<Arc<dyn Backend>> {
        Some(Arc::new(Store {
            name: "the Windows Credential Manager",
            open,
            labels: false,
        }))
    }
}

#[cfg(any(target_os = "ios", target_os = "android", not(any(unix, windows))))]
mod platform {
    use super::*;

    pub(super) fn backend() -> Option<Arc<dyn Backend>> {
        None
    }
}
