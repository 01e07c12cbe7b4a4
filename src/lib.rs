//! cartoauth: CARTO credentials (CARTOframes semantics) and authenticated requests, as a Rust
//! library and, through [`ffi`], a C ABI for C/C++, R and Julia.
//!
//! Flow goes one way: the C boundary ([`ffi`]) → the core (credentials, config, resolution,
//! client) → files, environment and HTTP. The core knows nothing about C.
//!
//! The modules, each using only those before it (scripts/import-cycles.py checks that no two
//! modules use each other, at any depth):
//! - `text`: secrets removed from messages, bounded excerpts of values;
//! - `error`: the one error type;
//! - [`env`]: the environment variables cartoauth reads;
//! - `credentials`: username, API key (a masking secret type), base URL rules, provenance;
//! - [`config`]: credential files: locations, formats, atomic private writes, profiles;
//! - `resolve`: the resolution chain and the process default;
//! - [`result`]: typed SQL API result sets;
//! - [`client`]: authenticated requests and the platform APIs;
//! - [`ffi`]: the C ABI over all of the above.

#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]
#![warn(missing_docs)]

pub mod client;
pub mod config;
mod credentials;
pub mod env;
mod error;
pub mod ffi;
#[doc(hidden)]
pub mod fuzzing;
mod resolve;
pub mod result;
#[cfg(test)]
mod test_support;
mod text;

pub use client::{Client, ClientOptions, KeyTransport, Request, Response};
pub use config::{FileFormat, FileUpdate, Location};
pub use credentials::origin::{Origin, Source};
pub use credentials::secret::{ApiKey, DEFAULT_PUBLIC_KEY};
pub use credentials::{Credentials, CredentialsBuilder};
pub use error::{Error, ErrorKind, Result};
pub use resolve::defaults::{
    default_credentials, set_default_credentials, set_default_from, unset_default_credentials,
};
pub use resolve::{
    resolve, resolve_explained_with, resolve_with, shadowing, shadowing_with, Explanation, Shadowed,
};
pub use result::ResultSet;
