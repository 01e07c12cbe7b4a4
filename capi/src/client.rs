//! `carto_client_options` and `carto_client`: how to reach CARTO, and sending requests.

use super::boundary::{call, call_void, ffi_call, function_name};
use super::credentials::{self, carto_credentials, CredentialsHandle};
use super::enums::core_enum;
use super::handles::{self, opaque_handle};
use super::raw::{self, optional_str_arg, str_arg_required};
use super::request::{self, carto_request};
use super::response::{self, carto_response};
use super::status::{carto_status, FfiError};
use cartoauth_core::client::{Client, ClientOptions, KeyTransport, KeyValidity, Request, Trust};
use std::ffi::c_char;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

opaque_handle! {
    /// Opaque client options (timeouts, trust, key transport, retries, User-Agent). Created with
    /// carto_client_options_new, read by carto_client_new (which copies them), freed with
    /// carto_client_options_free. Setters lock the handle, so any thread may use it.
    carto_client_options => OptionsHandle
}

opaque_handle! {
    /// Opaque client: credentials, options and a pool of kept-alive connections. Immutable once
    /// created, so one client may send requests from any number of threads at once.
    carto_client => Client
}

/// Send the API key as `Authorization: Basic base64(username:key)` (the default; the key never
/// appears in a URL).
pub const CARTO_KEY_TRANSPORT_BASIC: i32 = 0;
/// Send the API key as an `api_key` query parameter (as carto-python and GDAL do).
pub const CARTO_KEY_TRANSPORT_QUERY: i32 = 1;

/// Trust the Mozilla root certificates built into the library (the default).
pub const CARTO_TRUST_WEBPKI: i32 = 0;
/// Trust the operating system's certificate store.
pub const CARTO_TRUST_SYSTEM: i32 = 1;
/// Trust only the certificates of a PEM bundle file.
pub const CARTO_TRUST_CA_BUNDLE: i32 = 2;

core_enum! {
    /// The answer of carto_client_validate_key.
    carto_key_validity = KeyValidity, variants CARTO_KEY_
}

pub(crate) struct OptionsHandle(Mutex<ClientOptions>);

pub(crate) fn get(client: *const carto_client) -> Result<Arc<Client>, FfiError> {
    handles::get::<Client>(client, "client")
}

/// Creates client options with the defaults: connect timeout 10 s, overall timeout 300 s per
/// attempt, idle timeout 120 s, 300 s for the whole call (all attempts), built-in Mozilla
/// roots, Basic key transport, 3 attempts with at most 30 s of waiting for 429 Retry-After and
/// connection failures, proxy from the environment, User-Agent "cartoauth/<version>",
/// response bodies kept in memory up to 256 MiB.
///
/// - `out`: receives a new handle owned by the caller (free with carto_client_options_free).
///
/// Errors: CARTO_ERR_NULL_ARGUMENT. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_client_options_new(
    out: *mut *mut carto_client_options,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        out.write(handles::register(OptionsHandle(Mutex::new(
            ClientOptions::default(),
        ))));
        Ok(())
    })
}

/// Releases client options. NULL, freed and foreign handles are ignored. Clients created from
/// them keep their own copy.
///
/// Thread safety: any thread. Does not change the last error.
#[no_mangle]
pub extern "C" fn carto_client_options_free(options: *mut carto_client_options) {
    call_void(|| {
        handles::release::<OptionsHandle>(options);
    });
}

/// Shared body of the option setters.
fn update_options(
    name: &str,
    options: *mut carto_client_options,
    change: impl FnOnce(&mut ClientOptions) -> Result<(), FfiError>,
) -> carto_status {
    call(name, || {
        let handle = handles::get::<OptionsHandle>(options, "options")?;
        let mut guard = handle.0.lock().unwrap_or_else(PoisonError::into_inner);
        change(&mut guard)
    })
}

/// CARTO 3 tokens are cached in a file per token in the user's cache directory (the default).
pub const CARTO_TOKEN_CACHE_DEFAULT: i32 = 0;
/// CARTO 3 tokens are cached in a file per token in a given directory.
pub const CARTO_TOKEN_CACHE_DIRECTORY: i32 = 1;
/// CARTO 3 tokens are kept in this process only (each process mints its own).
pub const CARTO_TOKEN_CACHE_OFF: i32 = 2;

/// Chooses where CARTO 3 tokens (M2M, user sign-in) are kept between processes:
/// CARTO_TOKEN_CACHE_DEFAULT (`dir` NULL), CARTO_TOKEN_CACHE_DIRECTORY (`dir` the directory)
/// or CARTO_TOKEN_CACHE_OFF (`dir` NULL). Sharing the cache is what lets N processes mint one
/// token, not N (minting is quota-limited).
///
/// Errors: CARTO_ERR_INVALID_ARGUMENT (an unknown mode, a directory with another mode or
/// none with CARTO_TOKEN_CACHE_DIRECTORY), CARTO_ERR_INVALID_UTF8, CARTO_ERR_NULL_ARGUMENT,
/// CARTO_ERR_INVALID_HANDLE. Thread safety: any thread. Ownership: `dir` is copied.
///
/// # Safety
/// `dir` is NULL or NUL-terminated.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_client_options_set_token_cache(
    options: *mut carto_client_options,
    mode: i32,
    dir: *const c_char,
) -> carto_status {
    // SAFETY: forwarded caller contract.
    let dir = unsafe { super::raw::optional_str_arg(dir, "dir") };
    update_options(function_name!(), options, |o| {
        let dir = dir?.filter(|d| !d.trim().is_empty());
        o.token_cache = match (mode, dir) {
            (CARTO_TOKEN_CACHE_DEFAULT, None) => cartoauth_core::token::TokenCache::Default,
            (CARTO_TOKEN_CACHE_OFF, None) => cartoauth_core::token::TokenCache::Off,
            (CARTO_TOKEN_CACHE_DIRECTORY, Some(dir)) => {
                cartoauth_core::token::TokenCache::Directory(cartoauth_core::config::expand_home(
                    dir,
                ))
            }
            (CARTO_TOKEN_CACHE_DIRECTORY, None) => {
                return Err(FfiError::invalid(
                    "CARTO_TOKEN_CACHE_DIRECTORY needs a directory",
                ))
            }
            (CARTO_TOKEN_CACHE_DEFAULT | CARTO_TOKEN_CACHE_OFF, Some(_)) => {
                return Err(FfiError::invalid(
                    "only CARTO_TOKEN_CACHE_DIRECTORY takes a directory",
                ))
            }
            (other, _) => {
                return Err(FfiError::invalid(format!(
                    "token cache mode {other} is not a CARTO_TOKEN_CACHE_* value"
                )))
            }
        };
        Ok(())
    })
}

/// Sets the CARTO 3 refresh windows in milliseconds before a token's expiry: in the advisory
/// one a single caller refreshes while the others go on with the token; in the mandatory one
/// the token is no longer sent. Defaults 900000 and 600000 (AWS's 15 and 10 minutes); both are
/// shortened for short-lived tokens (to a quarter and a sixth of their lifetime).
///
/// Errors: CARTO_ERR_INVALID_ARGUMENT (mandatory 0 or above advisory),
/// CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread. Ownership:
/// nothing is handed out.
#[no_mangle]
#[must_use]
pub extern "C" fn carto_client_options_set_refresh_windows(
    options: *mut carto_client_options,
    advisory_ms: u64,
    mandatory_ms: u64,
) -> carto_status {
    update_options(function_name!(), options, |o| {
        o.refresh_windows = cartoauth_core::token::RefreshWindows::new(
            Duration::from_millis(advisory_ms),
            Duration::from_millis(mandatory_ms),
        )?;
        Ok(())
    })
}

/// Sets the connect timeout in milliseconds (must be > 0).
///
/// Errors: CARTO_ERR_INVALID_ARGUMENT (0), CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE.
/// Thread safety: any thread (the handle is locked). Ownership: nothing is handed out.
#[no_mangle]
#[must_use]
pub extern "C" fn carto_client_options_set_connect_timeout(
    options: *mut carto_client_options,
    milliseconds: u64,
) -> carto_status {
    update_options(function_name!(), options, |o| {
        o.set_connect_timeout(Duration::from_millis(milliseconds))?;
        Ok(())
    })
}

/// Sets the overall limit of one attempt (connect, send, wait and receive the whole body) in
/// milliseconds; 0 removes it (for very large streams; the idle timeout still applies).
///
/// Errors: CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
/// Ownership: nothing is handed out.
#[no_mangle]
#[must_use]
pub extern "C" fn carto_client_options_set_timeout(
    options: *mut carto_client_options,
    milliseconds: u64,
) -> carto_status {
    update_options(function_name!(), options, |o| {
        o.set_timeout(Some(Duration::from_millis(milliseconds)));
        Ok(())
    })
}

/// Sets the idle timeout in milliseconds (must be > 0): the longest wait for any data from the
/// server, including the first byte of the answer.
///
/// Errors: CARTO_ERR_INVALID_ARGUMENT (0), CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE.
/// Thread safety: any thread. Ownership: nothing is handed out.
#[no_mangle]
#[must_use]
pub extern "C" fn carto_client_options_set_idle_timeout(
    options: *mut carto_client_options,
    milliseconds: u64,
) -> carto_status {
    update_options(function_name!(), options, |o| {
        o.set_idle_timeout(Duration::from_millis(milliseconds))?;
        Ok(())
    })
}

/// Sets the limit of a whole call in milliseconds: every attempt, redirect and wait between
/// retries (default 300 000, 5 minutes); 0 removes it (for very large streams, with
/// carto_client_options_set_timeout 0). Past it the call fails with CARTO_ERR_TIMEOUT, even
/// when the server never answers.
///
/// Errors: CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
/// Ownership: nothing is handed out.
#[no_mangle]
#[must_use]
pub extern "C" fn carto_client_options_set_total_timeout(
    options: *mut carto_client_options,
    milliseconds: u64,
) -> carto_status {
    update_options(function_name!(), options, |o| {
        o.set_total_timeout(Some(Duration::from_millis(milliseconds)));
        Ok(())
    })
}

/// Sets the largest response body kept in memory, in bytes, counted after decompression (must
/// be > 0; default 256 MiB). A larger answer fails with CARTO_ERR_BODY_TOO_LARGE as soon as it
/// passes the limit, so an endless body or a gzip bomb never holds more than this. Answers
/// streamed to a write callback (carto_request_set_response_writer) have no limit.
///
/// Errors: CARTO_ERR_INVALID_ARGUMENT (0), CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE.
/// Thread safety: any thread. Ownership: nothing is handed out.
#[no_mangle]
#[must_use]
pub extern "C" fn carto_client_options_set_max_body_size(
    options: *mut carto_client_options,
    bytes: u64,
) -> carto_status {
    update_options(function_name!(), options, |o| {
        o.set_max_body_size(bytes)?;
        Ok(())
    })
}

/// Chooses which certificate authorities are trusted for https: CARTO_TRUST_WEBPKI (built-in
/// Mozilla roots, default), CARTO_TRUST_SYSTEM (the operating system's store) or
/// CARTO_TRUST_CA_BUNDLE with `ca_bundle_path`, a PEM file (e.g. an on-premises CA). The file
/// is read when the client is created.
///
/// - `ca_bundle_path`: required with CARTO_TRUST_CA_BUNDLE, must be NULL otherwise; copied.
///
/// Errors: CARTO_ERR_INVALID_ARGUMENT, CARTO_ERR_INVALID_UTF8, CARTO_ERR_NULL_ARGUMENT,
/// CARTO_ERR_INVALID_HANDLE. Thread safety: any thread. Ownership: nothing is handed out.
///
/// # Safety
/// `ca_bundle_path` is NULL or NUL-terminated.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_client_options_set_trust(
    options: *mut carto_client_options,
    trust: i32,
    ca_bundle_path: *const c_char,
) -> carto_status {
    update_options(function_name!(), options, |o| {
        // SAFETY: forwarded caller contract.
        let path = unsafe { optional_str_arg(ca_bundle_path, "ca_bundle_path") }?;
        o.trust = match (trust, path) {
            (CARTO_TRUST_WEBPKI, None) => Trust::WebPki,
            (CARTO_TRUST_SYSTEM, None) => Trust::System,
            (CARTO_TRUST_CA_BUNDLE, Some(path)) => Trust::ca_bundle(path)?,
            (CARTO_TRUST_CA_BUNDLE, None) => {
                return Err(FfiError::invalid(
                    "CARTO_TRUST_CA_BUNDLE needs ca_bundle_path",
                ))
            }
            (CARTO_TRUST_WEBPKI | CARTO_TRUST_SYSTEM, Some(_)) => {
                return Err(FfiError::invalid(
                    "ca_bundle_path is only used with CARTO_TRUST_CA_BUNDLE",
                ))
            }
            (other, _) => {
                return Err(FfiError::invalid(format!(
                    "trust {other} is not a CARTO_TRUST_* value"
                )))
            }
        };
        Ok(())
    })
}

/// Chooses how the API key travels: CARTO_KEY_TRANSPORT_BASIC (default; needs a username) or
/// CARTO_KEY_TRANSPORT_QUERY.
///
/// Errors: CARTO_ERR_INVALID_ARGUMENT, CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE.
/// Thread safety: any thread. Ownership: nothing is handed out.
#[no_mangle]
#[must_use]
pub extern "C" fn carto_client_options_set_key_transport(
    options: *mut carto_client_options,
    transport: i32,
) -> carto_status {
    update_options(function_name!(), options, |o| {
        o.key_transport = match transport {
            CARTO_KEY_TRANSPORT_BASIC => KeyTransport::Basic,
            CARTO_KEY_TRANSPORT_QUERY => KeyTransport::Query,
            other => {
                return Err(FfiError::invalid(format!(
                    "key transport {other} is not a CARTO_KEY_TRANSPORT_* value"
                )))
            }
        };
        Ok(())
    })
}

/// Sets automatic retries: `max_attempts` in all (1 disables retries; 1 to 101) and at most
/// `max_wait_ms` of waiting summed over all retries. Retried: 429/503 with Retry-After (for any
/// method), connection failures before the request was sent (any method) or after it (only
/// idempotent methods). Never retried: streamed request bodies, streamed responses already
/// delivered to the writer.
///
/// Errors: CARTO_ERR_INVALID_ARGUMENT (0 or more than 101 attempts), CARTO_ERR_NULL_ARGUMENT,
/// CARTO_ERR_INVALID_HANDLE. Thread safety: any thread. Ownership: nothing is handed out.
#[no_mangle]
#[must_use]
pub extern "C" fn carto_client_options_set_retry(
    options: *mut carto_client_options,
    max_attempts: u32,
    max_wait_ms: u64,
) -> carto_status {
    update_options(function_name!(), options, |o| {
        o.set_retry(max_attempts, Duration::from_millis(max_wait_ms))?;
        Ok(())
    })
}

/// Appends an application name to the User-Agent "cartoauth/<version>", e.g.
/// "my-qgis-plugin/2.1". NULL or "" removes it.
///
/// Errors: CARTO_ERR_INVALID_ARGUMENT (control characters), CARTO_ERR_INVALID_UTF8,
/// CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread. Ownership: the
/// string is copied.
///
/// # Safety
/// `suffix` is NULL or NUL-terminated.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_client_options_set_user_agent_suffix(
    options: *mut carto_client_options,
    suffix: *const c_char,
) -> carto_status {
    update_options(function_name!(), options, |o| {
        // SAFETY: forwarded caller contract.
        let suffix = unsafe { optional_str_arg(suffix, "suffix") }?;
        o.set_user_agent_suffix(suffix)?;
        Ok(())
    })
}

/// Whether HTTPS_PROXY / HTTP_PROXY / ALL_PROXY / NO_PROXY from the environment are used
/// (default true).
///
/// Errors: CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
/// Ownership: nothing is handed out.
#[no_mangle]
#[must_use]
pub extern "C" fn carto_client_options_set_proxy_from_env(
    options: *mut carto_client_options,
    enabled: bool,
) -> carto_status {
    update_options(function_name!(), options, |o| {
        o.proxy_from_env = enabled;
        Ok(())
    })
}

/// Creates a client.
///
/// - `credentials`: a live handle, or NULL to resolve credentials now in the standard order
///   (see carto_resolve). The client keeps its own copy.
/// - `options`: a live handle, or NULL for the defaults (see carto_client_options_new). Copied.
/// - `out`: receives a new handle owned by the caller (free with carto_client_free).
///
/// Errors: CARTO_ERR_INVALID_ARGUMENT (e.g. Basic key transport without a username),
/// CARTO_ERR_TLS (unreadable or empty CA bundle), the errors of carto_resolve,
/// CARTO_ERR_INVALID_HANDLE, CARTO_ERR_NULL_ARGUMENT. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_client_new(
    credentials: *const carto_credentials,
    options: *const carto_client_options,
    out: *mut *mut carto_client,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        let credentials =
            match handles::get_optional::<CredentialsHandle>(credentials, "credentials")? {
                Some(handle) => handle.credentials.clone(),
                None => cartoauth_core::resolve(None)?,
            };
        let options = match handles::get_optional::<OptionsHandle>(options, "options")? {
            Some(handle) => handle
                .0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
            None => ClientOptions::default(),
        };
        out.write(handles::register(Client::new(credentials, options)?));
        Ok(())
    })
}

/// Releases a client and its connections. NULL, freed and foreign handles are ignored; requests
/// still running on other threads finish first.
///
/// Thread safety: any thread. Does not change the last error.
#[no_mangle]
pub extern "C" fn carto_client_free(client: *mut carto_client) {
    call_void(|| {
        handles::release::<Client>(client);
    });
}

/// The client's credentials.
///
/// - `out`: receives a new credentials handle owned by the caller.
///
/// Errors: CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_client_credentials(
    client: *const carto_client,
    out: *mut *mut carto_credentials,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        credentials::hand_out(get(client)?.credentials().clone(), out);
        Ok(())
    })
}

/// Sends a request with the client's credentials (retrying as the options allow) and returns
/// the server's answer whatever its HTTP status: check it with carto_response_check, which maps
/// 401, 403, 404, 429, other 4xx and 5xx onto their statuses with CARTO's message.
///
/// - `request`: a live request; it is not consumed and may be sent again (a body read from a
///   callback is read again).
/// - `out`: receives a new response owned by the caller (free with carto_response_free);
///   written only when an answer was received.
///
/// Errors: (no answer was received) CARTO_ERR_TIMEOUT, CARTO_ERR_CONNECTION (a body that broke
/// off), CARTO_ERR_TLS, CARTO_ERR_CANCELLED (progress callback), CARTO_ERR_CALLBACK (read or
/// write callback), CARTO_ERR_PROTOCOL (bad redirect, https to http redirect),
/// CARTO_ERR_INVALID_ARGUMENT, CARTO_ERR_INVALID_HANDLE, CARTO_ERR_NULL_ARGUMENT. Messages name
/// the method and URL without its query string and never contain the key.
///
/// Thread safety: any thread; one client serves many threads at once. Callbacks of the request
/// run on the calling thread, during this call.
///
/// # Safety
/// `out` is NULL or writable; the request's callbacks and user data are valid for this call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_client_send(
    client: *const carto_client,
    request: *const carto_request,
    out: *mut *mut carto_response,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        let client = get(client)?;
        let request = request::for_send(request)?;
        response::hand_out(client.send(request)?, out);
        Ok(())
    })
}

/// Runs a SQL API query: GET for queries shorter than 1024 bytes, POST (form) otherwise, as
/// carto-python does. `format`: NULL or "json" (default), "geojson", "csv", or any format the
/// server offers (raw bytes). Like carto_client_send, any HTTP answer is returned; check it with
/// carto_response_check. For optional parameters (skipfields, dp, filename, page,
/// rows_per_page) or streaming, use carto_request_new_sql and carto_client_send.
///
/// - `out`: receives a new response owned by the caller (free with carto_response_free).
///
/// Errors: those of carto_client_send, CARTO_ERR_INVALID_UTF8. Thread safety: any thread.
///
/// # Safety
/// `query` and `format` are NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_client_sql(
    client: *const carto_client,
    query: *const c_char,
    format: *const c_char,
    out: *mut *mut carto_response,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        // SAFETY: forwarded caller contract.
        let (query, format) = unsafe {
            (
                str_arg_required(query, "query")?,
                optional_str_arg(format, "format")?,
            )
        };
        let client = get(client)?;
        response::hand_out(client.send(Request::sql(query, format))?, out);
        Ok(())
    })
}

/// Asks api/v3/me who the key belongs to.
///
/// - `out_username`: receives the username (owned; free with carto_string_free), or NULL when
///   the server did not say.
/// - `out_user_id`: NULL, or receives the user id (owned), which CARTO returns only to the
///   master key; NULL otherwise.
///
/// Errors: the HTTP errors of carto_response_check (e.g. CARTO_ERR_HTTP_UNAUTHORIZED), those
/// of carto_client_send, CARTO_ERR_PROTOCOL (not JSON). Outputs are written only on success.
/// Thread safety: any thread.
///
/// # Safety
/// The out pointers are NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_client_me(
    client: *const carto_client,
    out_username: *mut *mut c_char,
    out_user_id: *mut *mut c_char,
) -> carto_status {
    ffi_call!(|| {
        let out_username = raw::out(out_username, "out_username")?;
        let out_user_id = raw::optional_out(out_user_id);
        let me = get(client)?.me()?;
        let owned = |s: Option<String>| s.map_or(std::ptr::null_mut(), |s| raw::owned_string(&s));
        out_username.write(owned(me.username));
        if let Some(out) = out_user_id {
            out.write(owned(me.user_id));
        }
        Ok(())
    })
}

/// Asks the server whether the client's API key is valid (as carto-python does, through the
/// Auth API, falling back to a trivial SQL query on servers without it).
///
/// - `out`: caller-provided storage for CARTO_KEY_VALID, CARTO_KEY_INVALID or
///   CARTO_KEY_UNKNOWN (network failure, server error: could not tell).
///
/// Errors: CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE (a failed request is
/// CARTO_KEY_UNKNOWN, not an error). Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_client_validate_key(
    client: *const carto_client,
    out: *mut carto_key_validity,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        out.write(get(client)?.validate_key());
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_while_reading_arguments_is_a_status_and_the_handle_survives() {
        let mut options = std::ptr::null_mut();
        // SAFETY: a writable out pointer.
        let status = unsafe { carto_client_options_new(&mut options) };
        assert_eq!(status, carto_status::CARTO_OK);
        let status = update_options(function_name!(), options, |_| {
            panic!("reading an argument failed")
        });
        assert_eq!(status, carto_status::CARTO_ERR_PANIC);
        // SAFETY: NULL is allowed for the path.
        let status = unsafe { carto_client_options_set_trust(options, 0, std::ptr::null()) };
        assert_eq!(status, carto_status::CARTO_OK);
        carto_client_options_free(options);
    }
}
