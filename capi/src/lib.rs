//! The C ABI of cartoauth (libcartoauth). All raw pointers from C are handled here, and it
//! holds no logic of its own: each function checks its arguments, calls the core crate, and
//! hands the result back. It is not meant to be used from Rust: Rust programs use the core.
//!
//! Conventions (also in the README):
//! - Opaque handles, created by `_new`/`_load`/... and released with `_free`; `_free(NULL)` and
//!   freeing twice are harmless; a freed or wrong-type handle gives CARTO_ERR_INVALID_HANDLE
//!   ([`handles`]).
//! - Every fallible function returns a [`carto_status`]; results come back through
//!   out-parameters written only on success; the detailed message is in `carto_last_error()`
//!   ([`boundary`]).
//! - Strings in are NUL-terminated UTF-8 and copied. Strings out are either borrowed from a
//!   handle (valid until it is freed) or owned and released with `carto_string_free`.
//! - No panic crosses the boundary; the library never prints.
//! - Raw pointers are read and written only in [`raw`].

#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]
#![warn(missing_docs)]
#![allow(non_camel_case_types)]

mod abi_version;
pub mod api_keys;
pub mod batch;
mod boundary;
pub mod carto3;
pub mod client;
pub mod config;
pub mod credentials;
pub mod defaults;
pub mod do_token;
mod enums;
mod handles;
pub mod library;
mod raw;
pub mod reader;
pub mod request;
pub mod resolve;
pub mod response;
pub mod result;
pub mod signin;
pub mod status;
mod strings;

pub use batch::carto_batch_wait_fn;
pub use raw::{carto_progress_fn, carto_read_fn, carto_write_fn};
pub use status::carto_status;

#[cfg(test)]
#[allow(clippy::undocumented_unsafe_blocks)] // test calls with local, valid pointers
mod tests;

use std::ffi::CString;

/// A C string for text that may contain NULs (they cannot cross into C; replace them).
pub(crate) fn to_cstring(text: &str) -> CString {
    CString::new(text.replace('\0', "\u{FFFD}")).unwrap_or_default()
}
