//! Where a set of credentials came from, and what was odd about that place.
//!
//! Like the GitHub CLI's (token, source) pair, every credentials value carries its origin so a
//! tool can say "johnsmith, from ~/.config/cartoframes/cartocreds.json" and show warnings such
//! as a credentials file that other users can read.

use crate::keychain::Storage;
use std::fmt;
use std::path::{Path, PathBuf};

/// The kind of place credentials came from. The numbers are stable (the C ABI hands them
/// out).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum Source {
    /// Built by the caller (`Credentials::new`, `carto_credentials_new`).
    Explicit = 0,
    /// The process-wide default set with `set_default_credentials`.
    ProcessDefault = 1,
    /// `CARTO_USERNAME` / `CARTO_BASE_URL` / `CARTO_API_KEY` environment variables.
    Environment = 2,
    /// A credentials file (explicit path, `CARTO_CREDENTIALS_FILE`, or a default file).
    File = 3,
    /// A named profile (a file under `<config dir>/profiles`).
    Profile = 4,
}

impl Source {
    /// A short lowercase name: `explicit`, `default`, `environment`, `file`, `profile`.
    pub fn name(self) -> &'static str {
        match self {
            Source::Explicit => "explicit",
            Source::ProcessDefault => "default",
            Source::Environment => "environment",
            Source::File => "file",
            Source::Profile => "profile",
        }
    }
}

/// Source plus details: file path, profile name, environment variables read, warnings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    source: Source,
    path: Option<PathBuf>,
    profile: Option<String>,
    variables: Vec<String>,
    warnings: Vec<String>,
    storage: Option<Storage>,
    keychain_item: Option<String>,
}

impl Origin {
    pub(crate) fn explicit() -> Self {
        Origin::with_source(Source::Explicit)
    }

    pub(crate) fn with_source(source: Source) -> Self {
        Origin {
            source,
            path: None,
            profile: None,
            variables: Vec::new(),
            warnings: Vec::new(),
            storage: None,
            keychain_item: None,
        }
    }

    pub(crate) fn file(path: &Path, warnings: Vec<String>) -> Self {
        Origin {
            path: Some(path.to_path_buf()),
            warnings,
            storage: Some(Storage::File),
            ..Origin::with_source(Source::File)
        }
    }

    /// Records that the secret lives in the keychain item `account` (the file refers to it).
    pub(crate) fn in_keychain(mut self, account: &str) -> Self {
        self.storage = Some(Storage::Keychain);
        self.keychain_item = Some(account.to_owned());
        self
    }

    /// Adds a warning (e.g. the announced fallback of a save to a file).
    pub(crate) fn with_warning(mut self, warning: String) -> Self {
        self.warnings.push(warning);
        self
    }

    pub(crate) fn for_profile(name: &str, path: &Path, warnings: Vec<String>) -> Self {
        Origin {
            profile: Some(name.to_owned()),
            ..Origin::file(path, warnings)
        }
        .with_source_kind(Source::Profile)
    }

    /// The same origin as profile `name`'s.
    pub(crate) fn for_the_profile(mut self, name: &str) -> Self {
        self.profile = Some(name.to_owned());
        self.source = Source::Profile;
        self
    }

    pub(crate) fn environment(variables: Vec<String>) -> Self {
        Origin {
            variables,
            ..Origin::with_source(Source::Environment)
        }
    }

    pub(crate) fn with_source_kind(mut self, source: Source) -> Self {
        self.source = source;
        self
    }

    /// Adds the names of environment variables that shaped the result (e.g. the variable that
    /// named the file).
    pub(crate) fn with_variable(mut self, name: &str) -> Self {
        self.variables.push(name.to_owned());
        self
    }

    /// The kind of place.
    pub fn source(&self) -> Source {
        self.source
    }

    /// The file read, for file and profile sources (and a default that came from a file).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The profile name, for profile sources.
    pub fn profile(&self) -> Option<&str> {
        self.profile.as_deref()
    }

    /// Environment variables that were read to produce these credentials.
    pub fn variables(&self) -> &[String] {
        &self.variables
    }

    /// Problems worth telling the user that did not stop loading (e.g. file permissions).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Where the secret of stored credentials lives: [`Storage::Keychain`] when the file
    /// refers to an OS keychain item, [`Storage::File`] when the file holds it (or holds no
    /// secret). `None` for credentials that were not stored (environment, the caller).
    pub fn storage(&self) -> Option<Storage> {
        self.storage
    }

    /// The keychain item's account name (under the service `cartoauth`), for keychain
    /// storage: what `secret-tool lookup service cartoauth username NAME` or a keychain
    /// browser finds.
    pub fn keychain_item(&self) -> Option<&str> {
        self.keychain_item.as_deref()
    }
}

impl fmt::Display for Origin {
    /// "given by the caller", "profile 'work' (/home/u/.config/cartoframes/profiles/work.json)",
    /// "environment (CARTO_USERNAME, CARTO_API_KEY)", ...
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.source, &self.path, &self.profile) {
            (Source::Explicit, _, _) => f.write_str("given by the caller"),
            (Source::ProcessDefault, Some(path), _) => {
                write!(f, "the process default (loaded from {})", path.display())
            }
            (Source::ProcessDefault, None, _) => f.write_str("the process default"),
            (Source::Environment, _, _) => {
                write!(f, "environment ({})", self.variables.join(", "))
            }
            (Source::Profile, Some(path), Some(name)) => {
                write!(f, "profile '{name}' ({})", path.display())
            }
            (_, Some(path), _) => write!(f, "{}", path.display()),
            (source, None, _) => f.write_str(source.name()),
        }
    }
}
