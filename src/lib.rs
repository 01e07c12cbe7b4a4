//! cartoauth: CARTO credentials (CARTOframes semantics) and authenticated requests, as a Rust
//! library and, through [`ffi`], a C ABI for C/C++, R and Julia.
//!
//! Flow goes one way: the C boundary ([`ffi`]) → the core (credentials, config, resolution,
//! client) → files, environment and HTTP. The core knows nothing about C.

#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]
#![warn(missing_docs)]

mod base_url;
pub mod client;
pub mod config;
mod credentials;
mod defaults;
pub mod env;
mod error;
mod excerpt;
pub mod ffi;
#[doc(hidden)]
pub mod fuzzing;
mod origin;
mod redact;
mod resolve;
pub mod result;
mod secret;

pub use client::{Client, ClientOptions, KeyTransport, Request, Response};
pub use config::{FileFormat, FileUpdate, Location};
pub use credentials::{Credentials, CredentialsBuilder};
pub use defaults::{
    default_credentials, set_default_credentials, set_default_from, unset_default_credentials,
};
pub use error::{Error, ErrorKind, Result};
pub use origin::{Origin, Source};
pub use resolve::{resolve, resolve_explained_with, resolve_with};
pub use result::ResultSet;
pub use secret::{ApiKey, DEFAULT_PUBLIC_KEY};
