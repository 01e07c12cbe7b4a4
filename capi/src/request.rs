//! `carto_request`: a request to build once and send (possibly many times) with
//! carto_client_send.

use super::boundary::{call, call_void, ffi_call, function_name};
use super::handles::{self, opaque_handle};
use super::raw::{
    self, bytes_arg, carto_progress_fn, carto_read_fn, carto_write_fn, optional_str_arg,
    str_arg_required, Callback,
};
use super::status::{carto_status, FfiError};
use cartoauth_core::client::{Body, ProgressFactory, Request, WriterFactory};
use std::ffi::{c_char, c_void};
use std::sync::{Arc, Mutex, PoisonError};

opaque_handle! {
    /// Opaque request: method, path, query, headers, body and callbacks. Created by
    /// carto_request_new / _new_sql / _new_copy_to / _new_copy_from, freed with carto_request_free.
    /// The setters lock the handle, so any thread may use it; sending does not consume it.
    carto_request => RequestHandle
}

type WriteFn = unsafe extern "C" fn(*mut c_void, *const u8, usize) -> usize;
type ReadFn = unsafe extern "C" fn(*mut c_void, *mut u8, usize) -> i64;

/// The core request; carto_client_send sends a copy, so the handle can be sent again.
pub(crate) struct RequestHandle(Mutex<Request>);

/// A copy of the request for one send, taken under the lock so setters on other threads
/// (and callbacks of this send) never wait for the transfer.
pub(crate) fn for_send(request: *const carto_request) -> Result<Request, FfiError> {
    let handle = handles::get::<RequestHandle>(request, "request")?;
    let request = handle.0.lock().unwrap_or_else(PoisonError::into_inner);
    Ok(request.try_clone()?)
}

fn register(request: Request, out: raw::Out<*mut carto_request>) {
    out.write(handles::register(RequestHandle(Mutex::new(request))));
}

/// Shared body of the setters: arguments are read inside `change`, within the panic boundary.
fn update(
    name: &str,
    request: *mut carto_request,
    change: impl FnOnce(&mut Request) -> Result<(), FfiError>,
) -> carto_status {
    call(name, || {
        let handle = handles::get::<RequestHandle>(request, "request")?;
        let mut request = handle.0.lock().unwrap_or_else(PoisonError::into_inner);
        change(&mut request)
    })
}

/// Creates a request.
///
/// - `method`: "GET", "POST", "PUT", "DELETE", ... (any case).
/// - `path`: relative to the credentials' base URL; "api/v3/me" and "/api/v3/me" both keep an
///   on-premises "/user/{u}" prefix. An absolute URL is accepted only on the base URL's own
///   scheme, host and port (the key is never sent elsewhere).
/// - `out`: receives a new handle owned by the caller (free with carto_request_free).
///
/// Errors: CARTO_ERR_INVALID_ARGUMENT (empty or malformed method), CARTO_ERR_INVALID_UTF8,
/// CARTO_ERR_NULL_ARGUMENT. Thread safety: any thread.
///
/// # Safety
/// `method` and `path` are NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_request_new(
    method: *const c_char,
    path: *const c_char,
    out: *mut *mut carto_request,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        // SAFETY: forwarded caller contract.
        let (method, path) = unsafe {
            (
                str_arg_required(method, "method")?,
                str_arg_required(path, "path")?,
            )
        };
        register(Request::try_new(method, path)?, out);
        Ok(())
    })
}

/// Creates a SQL API request (api/v2/sql): GET for queries shorter than 1024 bytes, POST
/// (form) for longer ones. `format`: NULL or "json" (default), "geojson", "csv", ... Add
/// optional parameters (skipfields, dp, filename, page, rows_per_page) with
/// carto_request_add_param, which puts them where the query went.
///
/// - `out`: receives a new handle owned by the caller (free with carto_request_free).
///
/// Errors: CARTO_ERR_INVALID_UTF8, CARTO_ERR_NULL_ARGUMENT. Thread safety: any thread.
///
/// # Safety
/// `query` and `format` are NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_request_new_sql(
    query: *const c_char,
    format: *const c_char,
    out: *mut *mut carto_request,
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
        register(Request::sql(query, format), out);
        Ok(())
    })
}

/// Creates a COPY TO request (api/v2/sql/copyto) for `copy_query`, e.g.
/// "COPY (SELECT * FROM t) TO STDOUT WITH (FORMAT csv, HEADER true)". Stream large answers with
/// carto_request_set_response_writer.
///
/// - `out`: receives a new handle owned by the caller (free with carto_request_free).
///
/// Errors: CARTO_ERR_INVALID_UTF8, CARTO_ERR_NULL_ARGUMENT. Thread safety: any thread.
///
/// # Safety
/// `copy_query` is NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_request_new_copy_to(
    copy_query: *const c_char,
    out: *mut *mut carto_request,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        // SAFETY: forwarded caller contract.
        let query = unsafe { str_arg_required(copy_query, "copy_query") }?;
        register(Request::copy_to(query), out);
        Ok(())
    })
}

/// Creates a COPY FROM request (POST api/v2/sql/copyfrom) for `copy_query`, e.g.
/// "COPY t (a, b) FROM STDIN WITH (FORMAT csv, HEADER true)". Give the data with
/// carto_request_set_body or, streamed, carto_request_set_body_reader; gzip it with
/// carto_request_set_gzip.
///
/// - `out`: receives a new handle owned by the caller (free with carto_request_free).
///
/// Errors: CARTO_ERR_INVALID_UTF8, CARTO_ERR_NULL_ARGUMENT. Thread safety: any thread.
///
/// # Safety
/// `copy_query` is NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_request_new_copy_from(
    copy_query: *const c_char,
    out: *mut *mut carto_request,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        // SAFETY: forwarded caller contract.
        let query = unsafe { str_arg_required(copy_query, "copy_query") }?;
        register(Request::copy_from(query, Body::Empty), out);
        Ok(())
    })
}

/// Releases a request. NULL, freed and foreign handles are ignored.
///
/// Thread safety: any thread. Does not change the last error.
#[no_mangle]
pub extern "C" fn carto_request_free(request: *mut carto_request) {
    call_void(|| {
        handles::release::<RequestHandle>(request);
    });
}

/// # Safety
/// Both are NULL or NUL-terminated.
unsafe fn pair<'a>(
    name: *const c_char,
    value: *const c_char,
) -> Result<(&'a str, &'a str), FfiError> {
    // SAFETY: forwarded caller contract.
    unsafe {
        Ok((
            str_arg_required(name, "name")?,
            str_arg_required(value, "value")?,
        ))
    }
}

/// Adds a query-string parameter (URL-encoded when sent).
///
/// Errors: CARTO_ERR_INVALID_UTF8, CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread
/// safety: any thread. Ownership: the strings are copied.
///
/// # Safety
/// `name` and `value` are NULL or NUL-terminated.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_request_add_query(
    request: *mut carto_request,
    name: *const c_char,
    value: *const c_char,
) -> carto_status {
    update(function_name!(), request, |request| {
        // SAFETY: forwarded caller contract.
        let (name, value) = unsafe { pair(name, value) }?;
        request.add_query(name, value);
        Ok(())
    })
}

/// Adds an API parameter where the API expects it: a form field when the body is a form (a
/// long SQL query sent by POST), otherwise a query-string parameter.
///
/// Errors: CARTO_ERR_INVALID_UTF8, CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread
/// safety: any thread. Ownership: the strings are copied.
///
/// # Safety
/// `name` and `value` are NULL or NUL-terminated.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_request_add_param(
    request: *mut carto_request,
    name: *const c_char,
    value: *const c_char,
) -> carto_status {
    update(function_name!(), request, |request| {
        // SAFETY: forwarded caller contract.
        let (name, value) = unsafe { pair(name, value) }?;
        request.add_param(name, value);
        Ok(())
    })
}

/// Adds a request header. Authorization is refused: cartoauth sets it from the credentials and
/// keeps it away from other hosts. Added headers go only to the origin the request was made
/// for: a redirect to another scheme, host or port drops them.
///
/// Errors: CARTO_ERR_INVALID_ARGUMENT (Authorization, or characters not allowed in headers),
/// CARTO_ERR_INVALID_UTF8, CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety:
/// any thread. Ownership: the strings are copied.
///
/// # Safety
/// `name` and `value` are NULL or NUL-terminated.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_request_add_header(
    request: *mut carto_request,
    name: *const c_char,
    value: *const c_char,
) -> carto_status {
    update(function_name!(), request, |request| {
        // SAFETY: forwarded caller contract.
        let (name, value) = unsafe { pair(name, value) }?;
        Ok(request.add_header(name, value)?)
    })
}

/// Sets the body to `length` bytes at `data` (copied) with a content type (NULL:
/// "application/octet-stream"). Replaces any previous body.
///
/// Errors: CARTO_ERR_NULL_ARGUMENT (`data` NULL with `length` > 0), CARTO_ERR_INVALID_UTF8,
/// CARTO_ERR_INVALID_HANDLE. Thread safety: any thread. Ownership: the bytes are copied.
///
/// # Safety
/// `data` is NULL or points to `length` readable bytes; `content_type` is NULL or
/// NUL-terminated.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_request_set_body(
    request: *mut carto_request,
    data: *const u8,
    length: usize,
    content_type: *const c_char,
) -> carto_status {
    update(function_name!(), request, |request| {
        // SAFETY: forwarded caller contract.
        let (data, content_type) = unsafe {
            (
                bytes_arg(data, length, "data")?,
                optional_str_arg(content_type, "content_type")?,
            )
        };
        request.set_body(Body::Bytes {
            data: data.to_vec(),
            content_type: content_type
                .unwrap_or("application/octet-stream")
                .to_owned(),
        });
        Ok(())
    })
}

/// Adds a form field; the body becomes an application/x-www-form-urlencoded form (replacing a
/// body of another kind).
///
/// Errors: CARTO_ERR_INVALID_UTF8, CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread
/// safety: any thread. Ownership: the strings are copied.
///
/// # Safety
/// `name` and `value` are NULL or NUL-terminated.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_request_add_form_field(
    request: *mut carto_request,
    name: *const c_char,
    value: *const c_char,
) -> carto_status {
    update(function_name!(), request, |request| {
        // SAFETY: forwarded caller contract.
        let (name, value) = unsafe { pair(name, value) }?;
        request.add_form_field(name, value);
        Ok(())
    })
}

/// Sets an application/json body. The text must be valid JSON.
///
/// Errors: CARTO_ERR_INVALID_ARGUMENT (not JSON; the message gives line and column),
/// CARTO_ERR_INVALID_UTF8, CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety:
/// any thread. Ownership: the text is copied.
///
/// # Safety
/// `json` is NULL or NUL-terminated.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_request_set_json_body(
    request: *mut carto_request,
    json: *const c_char,
) -> carto_status {
    update(function_name!(), request, |request| {
        // SAFETY: forwarded caller contract.
        let json = unsafe { str_arg_required(json, "json") }?;
        Ok(request.set_json_body(json)?)
    })
}

/// Streams the body from a callback as it is sent, in constant memory (uploads, COPY FROM).
/// `read(user_data, buffer, capacity)` fills `buffer` and returns the byte count, 0 at the end,
/// or a negative value to abort (carto_client_send then fails with CARTO_ERR_CALLBACK).
///
/// - `content_length`: the total size when known, or -1 (the body is then sent chunked).
/// - `content_type`: NULL for "application/octet-stream".
///
/// A streamed body is never retried and cannot follow a 307/308 redirect. Errors:
/// CARTO_ERR_NULL_ARGUMENT (`read` NULL), CARTO_ERR_INVALID_ARGUMENT (length below -1),
/// CARTO_ERR_INVALID_UTF8, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread; the callback is
/// called only on the thread running carto_client_send, with `user_data` passed back unchanged
/// (the caller owns it and keeps it valid while the request may be sent). Callbacks may call
/// other cartoauth functions, even the `_free` ones: objects in use stay alive until
/// carto_client_send returns. They must return normally (no longjmp, no C++ exception).
///
/// # Safety
/// `read` is NULL or a function of this signature; `content_type` is NULL or NUL-terminated.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_request_set_body_reader(
    request: *mut carto_request,
    read: carto_read_fn,
    user_data: *mut c_void,
    content_length: i64,
    content_type: *const c_char,
) -> carto_status {
    update(function_name!(), request, |request| {
        // SAFETY: forwarded caller contract.
        let content_type = unsafe { optional_str_arg(content_type, "content_type") }?;
        let function = read.ok_or_else(|| {
            FfiError::new(
                carto_status::CARTO_ERR_NULL_ARGUMENT,
                "argument 'read' is NULL",
            )
        })?;
        let length = match content_length {
            -1 => None,
            n if n >= 0 => Some(n as u64),
            n => {
                return Err(FfiError::invalid(format!(
                    "content_length {n} is neither -1 nor a size"
                )))
            }
        };
        let reader: Callback<ReadFn> = Callback {
            function,
            user_data,
        };
        request.set_body_source(
            Arc::new(move || Box::new(reader)),
            length,
            content_type.unwrap_or("application/octet-stream"),
        );
        Ok(())
    })
}

/// Compresses the request body with gzip (Content-Encoding: gzip, level 1, chunked), which
/// CARTO's COPY FROM accepts.
///
/// Errors: CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
/// Ownership: nothing is handed out.
#[no_mangle]
#[must_use]
pub extern "C" fn carto_request_set_gzip(
    request: *mut carto_request,
    enabled: bool,
) -> carto_status {
    update(function_name!(), request, |request| {
        request.set_gzip(enabled);
        Ok(())
    })
}

/// Streams a successful (2xx) response body to a callback instead of keeping it in memory:
/// `write(user_data, data, length)` (never called with `length` 0) must return `length` to
/// continue; anything else aborts
/// the transfer (carto_client_send fails with CARTO_ERR_CALLBACK). Error bodies are kept in the
/// response so carto_response_check can report CARTO's message. NULL `write` turns streaming
/// off.
///
/// Errors: CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread; the
/// callback runs only on the thread running carto_client_send, with `user_data` passed back
/// unchanged (owned by the caller). Callbacks may call other cartoauth functions, even the
/// `_free` ones, and must return normally (no longjmp, no C++ exception).
///
/// # Safety
/// `write` is NULL or a function of this signature.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_request_set_response_writer(
    request: *mut carto_request,
    write: carto_write_fn,
    user_data: *mut c_void,
) -> carto_status {
    update(function_name!(), request, |request| {
        request.set_response_writer(write.map(|function| -> WriterFactory {
            let writer: Callback<WriteFn> = Callback {
                function,
                user_data,
            };
            Arc::new(move || Box::new(writer))
        }));
        Ok(())
    })
}

/// Reports progress while the request is sent and its answer received:
/// `progress(user_data, uploaded, upload_total, downloaded, download_total)` with totals -1
/// when unknown; returning non-zero cancels (carto_client_send fails with
/// CARTO_ERR_CANCELLED). NULL turns reporting off. It is called as bytes move and also at least
/// every 250 ms while the call waits without any (the server computing an answer, a wait
/// between retries), with unchanged numbers: a cancel button or an interrupt check placed
/// there is honoured within about 250 ms.
///
/// Errors: CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread; the
/// callback runs only on the thread running carto_client_send, with `user_data` passed back
/// unchanged (owned by the caller). Callbacks may call other cartoauth functions, even the
/// `_free` ones, and must return normally (no longjmp, no C++ exception).
///
/// # Safety
/// `progress` is NULL or a function of this signature.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_request_set_progress(
    request: *mut carto_request,
    progress: carto_progress_fn,
    user_data: *mut c_void,
) -> carto_status {
    update(function_name!(), request, |request| {
        request.set_progress(progress.map(|function| -> ProgressFactory {
            let callback = Callback {
                function,
                user_data,
            };
            Arc::new(move || raw::progress_fn(callback))
        }));
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_while_reading_arguments_is_a_status_and_the_handle_survives() {
        let mut request = std::ptr::null_mut();
        // SAFETY: valid NUL-terminated strings and a writable out pointer.
        let status = unsafe { carto_request_new(c"GET".as_ptr(), c"p".as_ptr(), &mut request) };
        assert_eq!(status, carto_status::CARTO_OK);
        let status = update(function_name!(), request, |_| {
            panic!("reading an argument failed")
        });
        assert_eq!(status, carto_status::CARTO_ERR_PANIC);
        // SAFETY: valid NUL-terminated strings.
        let status = unsafe { carto_request_add_query(request, c"a".as_ptr(), c"1".as_ptr()) };
        assert_eq!(status, carto_status::CARTO_OK);
        assert_eq!(
            for_send(request).unwrap().try_clone().unwrap().method(),
            "GET"
        );
        carto_request_free(request);
    }
}
