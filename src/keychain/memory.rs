//! A keychain in memory for unit tests (installed per test thread by `install_memory`), that
//! can also refuse or hang like a real one.

use super::backend::{Backend, Failure};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use zeroize::Zeroizing;

/// How the memory keychain behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Stores and answers.
    Working,
    /// Answers every call with [`Failure::Unavailable`].
    Unavailable,
    /// Never answers (until the test ends).
    Hanging,
}

/// Secrets by (service, account).
type Items = HashMap<(String, String), Zeroizing<Vec<u8>>>;

#[derive(Default)]
pub(crate) struct Memory {
    items: Mutex<Items>,
    mode: Mutex<Option<Mode>>,
}

impl Memory {
    pub(crate) fn set_mode(&self, mode: Mode) {
        *self.mode.lock().unwrap() = Some(mode);
    }

    fn mode(&self) -> Mode {
        self.mode.lock().unwrap().unwrap_or(Mode::Working)
    }

    fn check(&self) -> Result<(), Failure> {
        match self.mode() {
            Mode::Working => Ok(()),
            Mode::Unavailable => Err(Failure::Unavailable("the test's keychain is off".into())),
            Mode::Hanging => {
                std::thread::sleep(Duration::from_secs(3));
                Err(Failure::Other("hung".into()))
            }
        }
    }

    /// The secret stored as `account`, as text.
    pub(crate) fn secret(&self, account: &str) -> Option<String> {
        self.items
            .lock()
            .unwrap()
            .iter()
            .find(|((_, a), _)| a == account)
            .map(|(_, s)| String::from_utf8(s.to_vec()).unwrap())
    }

    /// Every account stored.
    pub(crate) fn accounts(&self) -> Vec<String> {
        let mut accounts: Vec<String> = self
            .items
            .lock()
            .unwrap()
            .keys()
            .map(|(_, a)| a.clone())
            .collect();
        accounts.sort();
        accounts
    }
}

impl Backend for Memory {
    fn name(&self) -> &str {
        "the test keychain"
    }

    fn set(
        &self,
        service: &str,
        account: &str,
        _label: &str,
        secret: &[u8],
    ) -> Result<(), Failure> {
        self.check()?;
        self.items.lock().unwrap().insert(
            (service.to_owned(), account.to_owned()),
            Zeroizing::new(secret.to_vec()),
        );
        Ok(())
    }

    fn get(&self, service: &str, account: &str) -> Result<Zeroizing<Vec<u8>>, Failure> {
        self.check()?;
        self.items
            .lock()
            .unwrap()
            .get(&(service.to_owned(), account.to_owned()))
            .cloned()
            .ok_or(Failure::NoEntry)
    }

    fn delete(&self, service: &str, account: &str) -> Result<(), Failure> {
        self.check()?;
        self.items
            .lock()
            .unwrap()
            .remove(&(service.to_owned(), account.to_owned()))
            .map(|_| ())
            .ok_or(Failure::NoEntry)
    }
}
