//! cartoauth: CARTO credentials (CARTOframes semantics) and authenticated requests, as a Rust
//! library. The C ABI for C/C++, R and Julia (libcartoauth) is a separate crate over this one
//! (`capi/` in the repository).
//!
//! Flow goes one way: the C boundary (capi) → this core (credentials, config, resolution,
//! client) → files, environment and HTTP. The core knows nothing about C: it does not depend on
//! the C crate, so the compiler keeps it that way.
//!
//! The modules, each using only those before it (scripts/import-cycles.py checks that no two
//! modules use each other, at any depth):
//! - `text`: secrets removed from messages, bounded excerpts of values;
//! - `error`: the one error type;
//! - [`env`]: the environment variables cartoauth reads;
//! - `keychain`: secrets in the OS keychain (Secret Service, macOS Keychain, Windows Credential
//!   Manager), with a timeout and an announced fallback to files;
//! - `credentials`: username, API key and CARTO 3 kinds (masking secret types), base URL and
//!   platform rules, provenance;
//! - [`config`]: credential files: locations, formats, atomic private writes, profiles, and the
//!   references to keychain items that stand in for their secrets;
//! - `resolve`: the resolution chain and the process default;
//! - [`result`]: typed SQL API result sets;
//! - [`token`]: CARTO 3 tokens: expiry, refresh windows, minting, the cross-process cache;
//! - [`client`]: authenticated requests and the platform APIs;
//! - [`signin`]: CARTO 3 user sign-in (PKCE) in steps a GUI or a session can drive.

#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]
#![warn(missing_docs)]

pub mod client;
pub mod config;
mod credentials;
pub mod env;
mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod keychain;
mod resolve;
pub mod result;
pub mod signin;
#[cfg(test)]
mod test_support;
mod text;
pub mod token;

#[cfg(feature = "capi")]
#[doc(hidden)]
pub mod capi_support;

pub use client::{Client, ClientOptions, KeyTransport, Request, Response, ResultReader};
pub use config::{FileFormat, FileUpdate, Location, SaveOptions};
pub use credentials::kind::{self as kind, AuthServer, CredentialKind, Platform};
pub use credentials::origin::{Origin, Source};
pub use credentials::secret::{ApiKey, Secret, DEFAULT_PUBLIC_KEY};
pub use credentials::{Credentials, CredentialsBuilder};
pub use error::{Error, ErrorKind, Result};
pub use keychain::{keychain_name, CredentialStore, Storage};
pub use resolve::defaults::{
    default_credentials, set_default_credentials, set_default_from, unset_default_credentials,
};
pub use resolve::{
    resolve, resolve_explained_with, resolve_with, shadowing, shadowing_with, Explanation, Shadowed,
};
pub use result::ResultSet;
