//! `carto_credentials`: create, inspect and compare credentials.

use super::boundary::{call, call_void, ffi_call, function_name};
use super::enums::core_enum;
use super::handles::{self, opaque_handle};
use super::raw::{self, optional_str_arg};
use super::status::{carto_status, FfiError};
use super::to_cstring;
use cartoauth_core::Credentials;
use cartoauth_core::Source;
use std::ffi::{c_char, CString};
use std::sync::Arc;
use zeroize::Zeroizing;

opaque_handle! {
    /// Opaque, immutable credentials: username, API key, base URL, and where they came from.
    /// Created by carto_credentials_new, carto_credentials_load, carto_resolve or
    /// carto_default_credentials_get; freed with carto_credentials_free. Immutable, so one handle
    /// may be used by any number of threads at once.
    carto_credentials => CredentialsHandle
}

core_enum! {
    /// Where credentials came from (carto_credentials_source).
    carto_source = Source, variants CARTO_SOURCE_ {
        /// Built by the caller (carto_credentials_new).
        Explicit,
        /// The process-wide default (carto_default_credentials_set).
        ProcessDefault: DEFAULT,
    }
}

/// Credentials plus the C strings handed out as borrowed pointers, built once.
pub(crate) struct CredentialsHandle {
    pub credentials: Credentials,
    username: Option<CString>,
    pub(crate) client_id: Option<CString>,
    api_key: Zeroizing<Vec<u8>>,
    base_url: CString,
    description: CString,
    origin: CString,
    origin_path: Option<CString>,
    origin_profile: Option<CString>,
    storage: Option<CString>,
    keychain_item: Option<CString>,
    warnings: Vec<CString>,
}

impl CredentialsHandle {
    pub(crate) fn new(credentials: Credentials) -> Self {
        let origin = credentials.origin();
        let mut api_key = Zeroizing::new(credentials.api_key().expose().as_bytes().to_vec());
        api_key.retain(|b| *b != 0);
        api_key.push(0);
        CredentialsHandle {
            username: credentials.username().map(to_cstring),
            client_id: credentials.client_id().map(to_cstring),
            api_key,
            base_url: to_cstring(credentials.base_url()),
            description: to_cstring(&credentials.to_string()),
            origin: to_cstring(&origin.to_string()),
            origin_path: origin.path().map(|p| to_cstring(&p.display().to_string())),
            origin_profile: origin.profile().map(to_cstring),
            storage: origin.storage().map(|s| to_cstring(s.name())),
            keychain_item: origin.keychain_item().map(to_cstring),
            warnings: origin.warnings().iter().map(|w| to_cstring(w)).collect(),
            credentials,
        }
    }
}

/// Registers credentials and writes the new handle to `out`.
pub(crate) fn hand_out(credentials: Credentials, out: raw::Out<*mut carto_credentials>) {
    out.write(handles::register(CredentialsHandle::new(credentials)));
}

pub(crate) fn borrowed(
    name: &str,
    credentials: *const carto_credentials,
    out: *mut *const c_char,
    pick: impl FnOnce(&CredentialsHandle) -> *const c_char,
) -> carto_status {
    borrowed_string(name, credentials, out, pick)
}

pub(crate) fn get(
    handle: *const carto_credentials,
    argument: &str,
) -> Result<Arc<CredentialsHandle>, FfiError> {
    handles::get::<CredentialsHandle>(handle, argument)
}

/// Creates credentials with CARTOframes' rules: from a username the base URL is
/// https://{username}.carto.com; from a base URL the username is derived where possible
/// (/user/{u}, /u/{u}, {u}.carto.com); no API key means "default_public"; the base URL must be
/// https unless `allow_non_secure`; trailing slashes are removed.
///
/// - `username`, `api_key`, `base_url`: UTF-8 strings, each may be NULL; NULL and "" count as
///   not given. The strings are copied; the caller keeps ownership.
/// - `out`: on success receives a new handle owned by the caller (free it with
///   carto_credentials_free). Written only on success.
///
/// Errors: CARTO_ERR_MISSING_ACCOUNT (neither username nor base URL),
/// CARTO_ERR_INVALID_USERNAME, CARTO_ERR_INVALID_BASE_URL, CARTO_ERR_INSECURE_BASE_URL,
/// CARTO_ERR_INVALID_UTF8, CARTO_ERR_NULL_ARGUMENT (out is NULL); details in
/// carto_last_error(). Thread safety: any thread.
///
/// # Safety
/// Each string is NULL or NUL-terminated; `out` is NULL or points to writable memory.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_credentials_new(
    username: *const c_char,
    api_key: *const c_char,
    base_url: *const c_char,
    allow_non_secure: bool,
    out: *mut *mut carto_credentials,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        // SAFETY: forwarded caller contract on the string arguments.
        let (username, api_key, base_url) = unsafe {
            (
                optional_str_arg(username, "username")?,
                optional_str_arg(api_key, "api_key")?,
                optional_str_arg(base_url, "base_url")?,
            )
        };
        hand_out(
            Credentials::new(username, api_key, base_url, allow_non_secure)?,
            out,
        );
        Ok(())
    })
}

/// Releases a credentials handle. NULL, already-freed and foreign handles are ignored.
/// Strings borrowed from the handle become invalid. Another handle to the same credentials
/// (carto_credentials_clone) stays valid.
///
/// Thread safety: any thread; a call still running with this handle on another thread finishes
/// safely. Does not change the last error.
#[no_mangle]
pub extern "C" fn carto_credentials_free(credentials: *mut carto_credentials) {
    call_void(|| {
        handles::release::<CredentialsHandle>(credentials);
    });
}

/// Creates a second handle to the same immutable credentials; each handle is freed separately.
///
/// - `credentials`: a live handle.
/// - `out`: receives the new handle (owned by the caller) on success.
///
/// Errors: CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or points to writable memory.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_credentials_clone(
    credentials: *const carto_credentials,
    out: *mut *mut carto_credentials,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        let shared = get(credentials, "credentials")?;
        out.write(handles::register_shared(shared));
        Ok(())
    })
}

/// Shared body of the borrowed-string accessors.
fn borrowed_string(
    name: &str,
    credentials: *const carto_credentials,
    out: *mut *const c_char,
    pick: impl FnOnce(&CredentialsHandle) -> *const c_char,
) -> carto_status {
    call(name, || {
        let out = raw::out(out, "out")?;
        let handle = get(credentials, "credentials")?;
        out.write(pick(&handle));
        Ok(())
    })
}

/// The username (given, or derived from the base URL), or NULL in `*out` when unknown (e.g.
/// base URL http://127.0.0.1:8080 with no /user/ part).
///
/// Ownership: `*out` is borrowed from the handle and valid until the handle is freed.
/// Errors: CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or points to writable memory.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_credentials_username(
    credentials: *const carto_credentials,
    out: *mut *const c_char,
) -> carto_status {
    borrowed_string(function_name!(), credentials, out, |h| {
        raw::ptr_or_null(&h.username)
    })
}

/// The API key itself, in full. Call this only to hand the key to something that needs it;
/// for display use carto_credentials_describe, which masks it.
///
/// Ownership: `*out` is borrowed from the handle and valid until the handle is freed (the
/// memory is wiped then). Errors: CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread
/// safety: any thread.
///
/// # Safety
/// `out` is NULL or points to writable memory.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_credentials_api_key(
    credentials: *const carto_credentials,
    out: *mut *const c_char,
) -> carto_status {
    borrowed_string(function_name!(), credentials, out, |h| {
        h.api_key.as_ptr().cast()
    })
}

/// The normalised base URL (no trailing slash), e.g. "https://johnsmith.carto.com".
///
/// Ownership: borrowed from the handle, valid until it is freed. Errors:
/// CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or points to writable memory.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_credentials_base_url(
    credentials: *const carto_credentials,
    out: *mut *const c_char,
) -> carto_status {
    borrowed_string(function_name!(), credentials, out, |h| h.base_url.as_ptr())
}

/// Whether an http:// base URL is accepted for these credentials.
///
/// - `out`: caller-provided storage for the answer, written only on success.
///
/// Errors: CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or points to writable memory.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_credentials_allow_non_secure(
    credentials: *const carto_credentials,
    out: *mut bool,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        out.write(
            get(credentials, "credentials")?
                .credentials
                .allow_non_secure(),
        );
        Ok(())
    })
}

/// A description safe to print or log, in CARTOframes' layout with the key masked (first 4
/// characters and an ellipsis; short keys fully masked; "default_public" shown since it is
/// public): "Credentials(username='jo', api_key='a1b2…', base_url='https://jo.carto.com')".
///
/// Ownership: borrowed from the handle, valid until it is freed. Errors:
/// CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or points to writable memory.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_credentials_describe(
    credentials: *const carto_credentials,
    out: *mut *const c_char,
) -> carto_status {
    borrowed_string(function_name!(), credentials, out, |h| {
        h.description.as_ptr()
    })
}

/// Whether two credentials are equal: same username, API key and base URL (as CARTOframes
/// compares; origin and allow_non_secure are ignored).
///
/// - `out`: caller-provided storage for the answer, written only on success.
///
/// Errors: CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or points to writable memory.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_credentials_equal(
    a: *const carto_credentials,
    b: *const carto_credentials,
    out: *mut bool,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        let (a, b) = (get(a, "a")?, get(b, "b")?);
        out.write(a.credentials == b.credentials);
        Ok(())
    })
}

/// Where the credentials came from: one of CARTO_SOURCE_*.
///
/// - `out`: caller-provided storage for the answer, written only on success.
///
/// Errors: CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or points to writable memory.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_credentials_source(
    credentials: *const carto_credentials,
    out: *mut carto_source,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        out.write(
            get(credentials, "credentials")?
                .credentials
                .origin()
                .source(),
        );
        Ok(())
    })
}

/// Where the credentials came from, for people: "given by the caller",
/// "/home/jo/.config/cartoframes/cartocreds.json", "profile 'work' (/…/profiles/work.json)",
/// "environment (CARTO_USERNAME, CARTO_API_KEY)", "the process default (loaded from …)".
///
/// Ownership: borrowed from the handle, valid until it is freed. Errors:
/// CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or points to writable memory.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_credentials_origin(
    credentials: *const carto_credentials,
    out: *mut *const c_char,
) -> carto_status {
    borrowed_string(function_name!(), credentials, out, |h| h.origin.as_ptr())
}

/// The file the credentials were read from, or NULL in `*out` when they did not come from a
/// file.
///
/// Ownership: borrowed from the handle, valid until it is freed. Errors:
/// CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or points to writable memory.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_credentials_origin_path(
    credentials: *const carto_credentials,
    out: *mut *const c_char,
) -> carto_status {
    borrowed_string(function_name!(), credentials, out, |h| {
        raw::ptr_or_null(&h.origin_path)
    })
}

/// The profile name the credentials were read from, or NULL in `*out`.
///
/// Ownership: borrowed from the handle, valid until it is freed. Errors:
/// CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or points to writable memory.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_credentials_origin_profile(
    credentials: *const carto_credentials,
    out: *mut *const c_char,
) -> carto_status {
    borrowed_string(function_name!(), credentials, out, |h| {
        raw::ptr_or_null(&h.origin_profile)
    })
}

/// Where the secret of stored credentials lives: "keychain" (the file refers to an OS keychain
/// item), "file" (the file holds it in plain text, or holds no secret), or NULL in `*out` for
/// credentials that were not stored (the environment, the caller).
///
/// Ownership: borrowed from the handle, valid until it is freed. Errors:
/// CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or points to writable memory.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_credentials_storage(
    credentials: *const carto_credentials,
    out: *mut *const c_char,
) -> carto_status {
    borrowed_string(function_name!(), credentials, out, |h| {
        raw::ptr_or_null(&h.storage)
    })
}

/// The keychain item holding the secret, for "keychain" storage: its account name under the
/// service "cartoauth" (what secret-tool or a keychain browser finds); NULL in `*out`
/// otherwise. The item's secret is not given here (carto_credentials_api_key gives the key).
///
/// Ownership: borrowed from the handle, valid until it is freed. Errors:
/// CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or points to writable memory.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_credentials_keychain_item(
    credentials: *const carto_credentials,
    out: *mut *const c_char,
) -> carto_status {
    borrowed_string(function_name!(), credentials, out, |h| {
        raw::ptr_or_null(&h.keychain_item)
    })
}

/// The number of warnings about where the credentials came from (e.g. a credentials file
/// that other users can read).
///
/// - `out`: caller-provided storage for the count, written only on success.
///
/// Errors: CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or points to writable memory.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_credentials_warning_count(
    credentials: *const carto_credentials,
    out: *mut usize,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        out.write(get(credentials, "credentials")?.warnings.len());
        Ok(())
    })
}

/// Warning number `index` (0-based, below carto_credentials_warning_count).
///
/// Ownership: borrowed from the handle, valid until it is freed. Errors:
/// CARTO_ERR_INVALID_ARGUMENT (index out of range), CARTO_ERR_NULL_ARGUMENT,
/// CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or points to writable memory.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_credentials_warning(
    credentials: *const carto_credentials,
    index: usize,
    out: *mut *const c_char,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        let handle = get(credentials, "credentials")?;
        let warning = handle.warnings.get(index).ok_or_else(|| {
            FfiError::new(
                carto_status::CARTO_ERR_INVALID_ARGUMENT,
                format!(
                    "warning index {index} is out of range (there are {})",
                    handle.warnings.len()
                ),
            )
        })?;
        out.write(warning.as_ptr());
        Ok(())
    })
}
