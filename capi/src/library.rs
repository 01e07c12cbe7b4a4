//! Library-wide functions: versions, status descriptions, the last error, owned strings.

use super::boundary::{call_value, call_void, with_last_error};
use super::raw;
use super::status::carto_status;
use std::ffi::c_char;

pub use super::abi_version::CARTO_ABI_VERSION;

const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");

/// The library version, e.g. "0.1.0" (the same as the CARTO_VERSION macro of the header the
/// caller was compiled with, unless a different library is loaded at run time).
///
/// Ownership: a static string; never free it. Thread safety: any thread. Never fails.
#[no_mangle]
pub extern "C" fn carto_version() -> *const c_char {
    VERSION.as_ptr().cast()
}

/// The ABI version of the loaded library (CARTO_ABI_VERSION of the header it was built
/// with). Bindings compare it with the version they were written for and refuse to run on a
/// mismatch.
///
/// Thread safety: any thread. Never fails.
#[no_mangle]
pub extern "C" fn carto_abi_version() -> u32 {
    CARTO_ABI_VERSION
}

/// A short static description of a status code ("HTTP 401: unauthorized (wrong API key)").
/// Unknown numbers give "unknown status code".
///
/// Ownership: a static string; never free it. Thread safety: any thread. Never fails.
#[no_mangle]
pub extern "C" fn carto_status_str(status: i32) -> *const c_char {
    carto_status::from_raw(status)
        .map_or(c"unknown status code", carto_status::description)
        .as_ptr()
}

/// The name of a status code as written in this header, e.g. "CARTO_ERR_FILE_NOT_FOUND" for
/// 300 (for bindings that name their error classes after it). Unknown numbers give
/// "CARTO_UNKNOWN_STATUS". Every code lies in 0..=999, so a binding builds its table of names
/// at load time by asking for each of those numbers, and can never miss a code of the library.
///
/// Ownership: a static string; never free it. Thread safety: any thread. Never fails.
#[no_mangle]
pub extern "C" fn carto_status_name(status: i32) -> *const c_char {
    carto_status::from_raw(status)
        .map_or(c"CARTO_UNKNOWN_STATUS", carto_status::name)
        .as_ptr()
}

/// The detailed message of the last failed cartoauth call on the calling thread (e.g.
/// "/home/jo/.config/cartoframes/cartocreds.json:3:5: not valid JSON: ..."), or "" if no call
/// has failed on this thread. Messages never contain an API key.
///
/// Only failing calls replace the message: successful calls and the `_free` functions leave it
/// unchanged, so a garbage-collector finalizer running between a failing call and this one
/// cannot clobber it. Read it right after the failing call, on the same thread (Julia: in the
/// same task without yielding in between; R: always the case).
///
/// Ownership: borrowed; valid until the next failing call on this thread. Copy it to keep it,
/// or use carto_last_error_copy. Thread safety: per thread. Never fails.
#[no_mangle]
pub extern "C" fn carto_last_error() -> *const c_char {
    call_value(c"".as_ptr(), || {
        with_last_error(|_, message| message.as_ptr())
    })
}

/// The status of the last failed cartoauth call on the calling thread, or CARTO_OK if none
/// has failed. Same lifetime rules as carto_last_error.
///
/// Thread safety: per thread. Never fails.
#[no_mangle]
pub extern "C" fn carto_last_error_status() -> carto_status {
    call_value(carto_status::CARTO_OK, || {
        with_last_error(|status, _| status)
    })
}

/// Copies the last error message of the calling thread into `buffer` (`capacity` bytes),
/// truncated and always NUL-terminated when `capacity > 0`, and returns the full message
/// length in bytes without the NUL (like snprintf: call with NULL/0 to learn the size).
///
/// Ownership: the caller owns `buffer`. NULL `buffer` writes nothing. Thread safety: per
/// thread. Never fails.
///
/// # Safety
/// `buffer` is NULL or points to `capacity` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn carto_last_error_copy(buffer: *mut c_char, capacity: usize) -> usize {
    call_value(0, || {
        with_last_error(|_, message| {
            // SAFETY: forwarded caller contract on `buffer`/`capacity`.
            unsafe { raw::copy_to_buffer(message.as_bytes(), buffer, capacity) }
        })
    })
}

/// Frees a string that cartoauth returned as owned (`char **` out-parameters).
///
/// NULL, strings not returned by cartoauth, and strings already freed are ignored (never a
/// crash, and such a pointer is never read): cartoauth hands out each address at most once per
/// process, so a stale pointer freed again never names a newer string. The string is wiped at
/// once (it may be a key or token). Memory: on Unix, strings sit in address space reserved for
/// them and never reused, whose pages go back to the system as their strings are freed, so only
/// live strings take memory (a stale pointer reads zeros, or faults as after free()); elsewhere
/// about 16 bytes are kept per string ever freed. Never pass such a string to free(). Thread
/// safety: any thread. Does not change the last error.
#[no_mangle]
pub extern "C" fn carto_string_free(string: *mut c_char) {
    call_void(|| {
        raw::free_owned_string(string);
    });
}

/// The number of live handles of every type in the process (credentials, clients, requests,
/// responses, options). For leak checks in tests and bindings: it returns to its previous value
/// once every handle created since was freed.
///
/// Thread safety: any thread (the count is a snapshot). Never fails.
#[no_mangle]
pub extern "C" fn carto_handle_count() -> usize {
    call_value(0, super::handles::live_count)
}
