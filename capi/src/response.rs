//! `carto_response`: an answer of the server, immutable.

use super::boundary::{call_void, ffi_call};
use super::handles::{self, opaque_handle};
use super::raw::{self, str_arg_required};
use super::status::{carto_status, FfiError};
use super::to_cstring;
use cartoauth_core::capi_support;
use cartoauth_core::client::Response;
use cartoauth_core::Error;
use std::ffi::{c_char, CString};
use std::sync::{Arc, OnceLock};

opaque_handle! {
    /// Opaque response: status, headers, body (unless streamed), CARTO's error message, rate-limit
    /// headers. Immutable, so any thread may read it; freed with carto_response_free.
    carto_response => ResponseHandle
}

/// The response plus the C views handed out as borrowed pointers, built once.
pub(crate) struct ResponseHandle {
    response: Response,
    check: Result<(), Error>,
    /// The headers as C strings, made on first use: converting them for every response cost
    /// more than the rest of handing it out, and most callers only read the body.
    c_headers: OnceLock<Vec<(CString, CString)>>,
    /// The body followed by one NUL byte (not counted in its length), so text bodies can be
    /// used as C strings.
    body: Vec<u8>,
    /// Parsed from the body on first use: most callers never ask, and a large answer would
    /// otherwise be parsed as JSON a second time just to look for an "error" key.
    error_message: OnceLock<Option<CString>>,
}

pub(crate) fn hand_out(mut response: Response, out: raw::Out<*mut carto_response>) {
    let check = response.check();
    let mut body = capi_support::take_body(&mut response);
    body.push(0);
    out.write(handles::register(ResponseHandle {
        response,
        check,
        c_headers: OnceLock::new(),
        body,
        error_message: OnceLock::new(),
    }));
}

impl ResponseHandle {
    fn c_headers(&self) -> &[(CString, CString)] {
        self.c_headers.get_or_init(|| {
            self.response
                .headers()
                .iter()
                .map(|(k, v)| (to_cstring(k), to_cstring(v)))
                .collect()
        })
    }
}

fn get(response: *const carto_response) -> Result<Arc<ResponseHandle>, FfiError> {
    handles::get::<ResponseHandle>(response, "response")
}

/// Reads the body (without its trailing NUL) of a response whose HTTP status is below 400;
/// an HTTP error is returned as the error of its status.
pub(crate) fn read_checked_body<R>(
    response: *const carto_response,
    read: impl FnOnce(&[u8]) -> R,
) -> Result<R, FfiError> {
    let handle = get(response)?;
    handle.check.clone().map_err(FfiError::from)?;
    Ok(read(&handle.body[..handle.body.len() - 1]))
}

/// Releases a response; pointers borrowed from it become invalid. NULL, freed and foreign
/// handles are ignored.
///
/// Thread safety: any thread. Does not change the last error.
#[no_mangle]
pub extern "C" fn carto_response_free(response: *mut carto_response) {
    call_void(|| {
        handles::release::<ResponseHandle>(response);
    });
}

/// The HTTP status code (200, 401, ...).
///
/// - `out`: caller-provided storage, written only on success.
///
/// Errors: CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_response_status(
    response: *const carto_response,
    out: *mut u16,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        out.write(get(response)?.response.status());
        Ok(())
    })
}

/// Maps the HTTP status onto cartoauth's statuses: CARTO_OK below 400, else
/// CARTO_ERR_HTTP_UNAUTHORIZED (401), _FORBIDDEN (403), _NOT_FOUND (404), _RATE_LIMITED (429),
/// _CLIENT_ERROR (other 4xx), _SERVER_ERROR (5xx). For an error, carto_last_error() then says
/// e.g. "HTTP 403 Forbidden: permission denied for table t (GET https://…/api/v2/sql)".
///
/// Errors: the HTTP statuses above, CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread
/// safety: any thread. Ownership: nothing is handed out.
#[no_mangle]
#[must_use]
pub extern "C" fn carto_response_check(response: *const carto_response) -> carto_status {
    ffi_call!(|| { get(response)?.check.clone().map_err(FfiError::from) })
}

/// The value of the first header called `name` (case-insensitive), or NULL in `*out` when
/// there is none.
///
/// Ownership: `*out` is borrowed from the response, valid until it is freed. Errors:
/// CARTO_ERR_INVALID_UTF8, CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety:
/// any thread.
///
/// # Safety
/// `name` is NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_response_header(
    response: *const carto_response,
    name: *const c_char,
    out: *mut *const c_char,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        // SAFETY: forwarded caller contract.
        let name = unsafe { str_arg_required(name, "name") }?;
        let handle = get(response)?;
        let found = handle
            .c_headers()
            .iter()
            .find(|(n, _)| n.to_bytes().eq_ignore_ascii_case(name.as_bytes()));
        out.write(found.map_or(std::ptr::null(), |(_, value)| value.as_ptr()));
        Ok(())
    })
}

/// The number of headers, for carto_response_header_at.
///
/// - `out`: caller-provided storage, written only on success.
///
/// Errors: CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_response_header_count(
    response: *const carto_response,
    out: *mut usize,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        out.write(get(response)?.response.headers().len());
        Ok(())
    })
}

/// Header number `index` (0-based, in received order, names lowercase).
///
/// Ownership: `*out_name` and `*out_value` are borrowed from the response, valid until it is
/// freed. Errors: CARTO_ERR_INVALID_ARGUMENT (index out of range), CARTO_ERR_NULL_ARGUMENT,
/// CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// The out pointers are NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_response_header_at(
    response: *const carto_response,
    index: usize,
    out_name: *mut *const c_char,
    out_value: *mut *const c_char,
) -> carto_status {
    ffi_call!(|| {
        let (out_name, out_value) = (
            raw::out(out_name, "out_name")?,
            raw::out(out_value, "out_value")?,
        );
        let handle = get(response)?;
        let headers = handle.c_headers();
        let Some((name, value)) = headers.get(index) else {
            return Err(FfiError::new(
                carto_status::CARTO_ERR_INVALID_ARGUMENT,
                format!(
                    "header index {index} is out of range (there are {})",
                    headers.len()
                ),
            ));
        };
        out_name.write(name.as_ptr());
        out_value.write(value.as_ptr());
        Ok(())
    })
}

/// The response body: `*out_data` points to `*out_length` bytes, followed by a NUL byte that is
/// not counted (so JSON or CSV text can be used as a C string). Empty when the body was
/// streamed to a response writer.
///
/// Ownership: borrowed from the response, valid until it is freed. Errors:
/// CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// The out pointers are NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_response_body(
    response: *const carto_response,
    out_data: *mut *const u8,
    out_length: *mut usize,
) -> carto_status {
    ffi_call!(|| {
        let (out_data, out_length) = (
            raw::out(out_data, "out_data")?,
            raw::out(out_length, "out_length")?,
        );
        let handle = get(response)?;
        out_data.write(handle.body.as_ptr());
        out_length.write(handle.body.len() - 1);
        Ok(())
    })
}

/// CARTO's error message from an {"error": [...]} (SQL API) or {"errors": ...} (Auth API) body,
/// or NULL in `*out` when the body has none.
///
/// Ownership: borrowed from the response, valid until it is freed. Errors:
/// CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_response_error_message(
    response: *const carto_response,
    out: *mut *const c_char,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        let handle = get(response)?;
        let message = handle.error_message.get_or_init(|| {
            let body = &handle.body[..handle.body.len() - 1]; // without the NUL
            capi_support::carto_error_message_of(body).map(|m| to_cstring(&m))
        });
        out.write(raw::ptr_or_null(message));
        Ok(())
    })
}

/// CARTO's rate-limit headers: Carto-Rate-Limit-Limit, -Remaining, -Reset (seconds) and
/// Retry-After (seconds), each -1 when absent or not an integer.
///
/// - Each out pointer may be NULL (that value is not wanted); the others are caller-provided
///   storage written on success.
///
/// Errors: CARTO_ERR_INVALID_HANDLE, CARTO_ERR_NULL_ARGUMENT (response). Thread safety: any
/// thread.
///
/// # Safety
/// Each out pointer is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_response_rate_limit(
    response: *const carto_response,
    out_limit: *mut i64,
    out_remaining: *mut i64,
    out_reset: *mut i64,
    out_retry_after: *mut i64,
) -> carto_status {
    ffi_call!(|| {
        let limits = get(response)?.response.rate_limit();
        for (out, value) in [
            (out_limit, limits.limit),
            (out_remaining, limits.remaining),
            (out_reset, limits.reset),
            (out_retry_after, limits.retry_after),
        ] {
            if let Some(out) = raw::optional_out(out) {
                out.write(value.unwrap_or(-1));
            }
        }
        Ok(())
    })
}

/// How many attempts the request took (more than 1 after automatic retries).
///
/// - `out`: caller-provided storage, written only on success.
///
/// Errors: CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_response_attempts(
    response: *const carto_response,
    out: *mut u32,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        out.write(get(response)?.response.attempts());
        Ok(())
    })
}

/// How many body bytes were delivered to the response writer (0 when not streaming).
///
/// - `out`: caller-provided storage, written only on success.
///
/// Errors: CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_response_streamed_bytes(
    response: *const carto_response,
    out: *mut u64,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        out.write(get(response)?.response.streamed_bytes());
        Ok(())
    })
}
