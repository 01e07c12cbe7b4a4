//! The process-wide default credentials through the C ABI.

use super::boundary::{call_void, ffi_call};
use super::credentials::{self, carto_credentials};
use super::raw::{self, optional_str_arg};
use super::status::{carto_status, FfiError};
use std::ffi::c_char;

/// Makes `credentials` the process-wide default (a copy is kept: the caller may free its
/// handle afterwards). Later resolution (carto_resolve, clients created without credentials)
/// uses it before the environment and files.
///
/// Errors: CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread; the
/// default is shared by all threads.
#[no_mangle]
#[must_use]
pub extern "C" fn carto_default_credentials_set(
    credentials: *const carto_credentials,
) -> carto_status {
    ffi_call!(|| {
        let handle = credentials::get(credentials, "credentials")?;
        cartoauth_core::set_default_credentials(handle.credentials.clone());
        Ok(())
    })
}

/// CARTOframes' set_default_credentials(first, second) dispatch, then sets the default:
/// - `first` ends in ".json" (any case, trailing blanks allowed): load that file;
/// - `first` starts with "http://" or "https://": a base URL, `second` the API key;
/// - any other `first`: a username, `second` the API key;
/// - both NULL/"": load the default config file (cartocreds.json, else creds.json).
///
/// A NULL/"" `second` means "default_public". An API key that CARTOframes would silently
/// ignore (with a .json path, or with no first argument) is CARTO_ERR_INVALID_ARGUMENT.
///
/// - `out`: NULL, or receives a new handle (owned by the caller) to the credentials now set.
///
/// Errors: those of carto_credentials_new and carto_credentials_load. On error the previous
/// default is unchanged. Thread safety: any thread.
///
/// # Safety
/// `first` and `second` are NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_default_credentials_set_from(
    first: *const c_char,
    second: *const c_char,
    allow_non_secure: bool,
    out: *mut *mut carto_credentials,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::optional_out(out);
        // SAFETY: forwarded caller contract.
        let (first, second) = unsafe {
            (
                optional_str_arg(first, "first")?,
                optional_str_arg(second, "second")?,
            )
        };
        let set = cartoauth_core::set_default_from(first, second, allow_non_secure)?;
        if let Some(out) = out {
            credentials::hand_out(set, out);
        }
        Ok(())
    })
}

/// The process-wide default credentials, as they were set: their origin is where they came
/// from (e.g. CARTO_SOURCE_FILE for a file loaded by carto_default_credentials_set_from);
/// carto_resolve marks the same credentials CARTO_SOURCE_DEFAULT.
///
/// - `out`: receives a new handle owned by the caller; written only on success.
///
/// Errors: CARTO_ERR_NO_DEFAULT_CREDENTIALS when none is set, CARTO_ERR_NULL_ARGUMENT. Thread
/// safety: any thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_default_credentials_get(
    out: *mut *mut carto_credentials,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        let credentials = cartoauth_core::default_credentials().ok_or_else(|| {
            FfiError::new(
                carto_status::CARTO_ERR_NO_DEFAULT_CREDENTIALS,
                "no default credentials are set; call carto_default_credentials_set first",
            )
        })?;
        credentials::hand_out(credentials, out);
        Ok(())
    })
}

/// Clears the process-wide default. Never fails; does not change the last error. Thread
/// safety: any thread.
#[no_mangle]
pub extern "C" fn carto_default_credentials_unset() {
    call_void(cartoauth_core::unset_default_credentials);
}
