//! `carto_result_reader`: a query's result read in chunks of typed rows as its answer arrives
//! (the core's `ResultReader`), in the spirit of libpq's chunked mode. Each chunk is a
//! `carto_result`, read with the same getters and bulk fills.

use super::boundary::{call_void, ffi_call};
use super::client::{self, carto_client};
use super::handles::{self, opaque_handle};
use super::raw::{self, carto_progress_fn, str_arg_required, Callback};
use super::request::{self, carto_request};
use super::response::{self, carto_response};
use super::result::{self, carto_result};
use super::status::{carto_status, FfiError};
use cartoauth_core::ResultReader;
use std::ffi::{c_char, c_void};
use std::sync::{Arc, Mutex, TryLockError};

opaque_handle! {
    /// Opaque result reader: an open query whose rows are read in chunks with
    /// carto_result_reader_next. Created by carto_client_sql_reader, carto_client_open_reader or
    /// carto_client_sql_v3_reader, freed with carto_result_reader_free (which closes the
    /// connection and so stops the query on the server when rows remain). Used by one thread at a
    /// time (it may move between threads).
    carto_result_reader => ReaderHandle
}

struct ReaderHandle(Mutex<ResultReader>);

fn hand_out(reader: ResultReader, out: raw::Out<*mut carto_result_reader>) {
    out.write(handles::register(ReaderHandle(Mutex::new(reader))));
}

fn get(reader: *const carto_result_reader) -> Result<Arc<ReaderHandle>, FfiError> {
    handles::get::<ReaderHandle>(reader, "reader")
}

/// Runs `f` on the reader; another thread's call in progress is an error, not a wait (a
/// progress callback that reads the same reader would otherwise wait for itself).
fn with_reader<T>(
    reader: *const carto_result_reader,
    f: impl FnOnce(&mut ResultReader) -> Result<T, FfiError>,
) -> Result<T, FfiError> {
    let handle = get(reader)?;
    let mut guard = match handle.0.try_lock() {
        Ok(guard) => guard,
        Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
        Err(TryLockError::WouldBlock) => {
            return Err(FfiError::invalid(
                "the result reader is in use by another call (a reader is read by one thread at a time)",
            ))
        }
    };
    f(&mut guard)
}

/// Opens a SQL API query (GET for queries shorter than 1024 bytes, POST otherwise, as
/// carto_client_sql_result) for reading in chunks: the query is sent here and its answer is
/// read, as it arrives, by carto_result_reader_next. An answer of any size reads in full, with
/// only a chunk (and what one row needs) in memory.
///
/// - `query`: the SQL, UTF-8.
/// - `out`: receives a new reader owned by the caller (free with carto_result_reader_free),
///   written only on success.
///
/// Errors: those of carto_client_sql (transport and HTTP statuses with CARTO's message: a
/// query that fails before its first row fails here); CARTO_ERR_NULL_ARGUMENT,
/// CARTO_ERR_INVALID_UTF8, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread; one client may
/// have many readers open at once.
///
/// # Safety
/// `query` is NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_client_sql_reader(
    client: *const carto_client,
    query: *const c_char,
    out: *mut *mut carto_result_reader,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        // SAFETY: forwarded caller contract.
        let query = unsafe { str_arg_required(query, "query") }?;
        let client = client::get(client)?;
        hand_out(client.sql_reader(query)?, out);
        Ok(())
    })
}

/// Opens a SQL API request made with carto_request_new_sql (format NULL or "json") and its
/// parameters (carto_request_add_param: skipfields, page, rows_per_page, ...) for reading in
/// chunks, as carto_client_sql_reader does. The request's progress callback reports the
/// opening only (carto_result_reader_next takes its own).
///
/// - `request`: a live request; it is not consumed.
/// - `out`: receives a new reader owned by the caller (free with carto_result_reader_free),
///   written only on success.
/// - `error_response`: NULL, or where the server's answer to a refused query (an HTTP error
///   status) goes: a new response owned by the caller (free with carto_response_free), with
///   CARTO's message, headers and rate limits, as carto_client_send gives it. Written only
///   when the call fails with such a status (then `*out` is not written); otherwise left
///   untouched.
///
/// Errors: the HTTP statuses (carto_response_check's status and message),
/// CARTO_ERR_INVALID_ARGUMENT (not a SQL API request with a query, another format), those of
/// carto_client_send; CARTO_ERR_NULL_ARGUMENT,
/// CARTO_ERR_INVALID_HANDLE. Thread safety: any thread; the request's callbacks run on the
/// calling thread, during this call.
///
/// # Safety
/// `out` and `error_response` are NULL or writable; the request's callbacks and user data
/// are valid for this call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_client_open_reader(
    client: *const carto_client,
    request: *const carto_request,
    out: *mut *mut carto_result_reader,
    error_response: *mut *mut carto_response,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        let error_out = raw::optional_out(error_response);
        let client = client::get(client)?;
        let request = request::for_send(request)?;
        match client.result_reader_or_refusal(request)? {
            Ok(reader) => {
                hand_out(reader, out);
                Ok(())
            }
            Err(refusal) => {
                let error = refusal.check().err().map(FfiError::from);
                if let Some(error_out) = error_out {
                    response::hand_out(refusal, error_out);
                }
                Err(error.unwrap_or_else(|| {
                    FfiError::new(carto_status::CARTO_ERR_PROTOCOL, "the query was refused")
                }))
            }
        }
    })
}

/// Opens a SQL API v3 query on `connection` (as carto_client_sql_v3 sends it) for reading in
/// chunks. CARTO returns at most 200,000 rows for a synchronous query: an answer that reaches
/// that many ends with CARTO_ERR_QUERY_FAILED (it may have been cut there); run larger queries
/// as a SQL job into a table, or page them with LIMIT and OFFSET.
///
/// - `connection`: the connection name (e.g. carto_dw); `query`: the SQL;
///   `parameters_json`: NULL, or a JSON array (`$1` placeholders) or object (`@name`).
/// - `out`: receives a new reader owned by the caller (free with carto_result_reader_free),
///   written only on success.
///
/// Errors: those of carto_client_sql_v3 that happen before the first row;
/// CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_UTF8, CARTO_ERR_INVALID_HANDLE. Thread safety:
/// any thread.
///
/// # Safety
/// The strings are NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_client_sql_v3_reader(
    client: *const carto_client,
    connection: *const c_char,
    query: *const c_char,
    parameters_json: *const c_char,
    out: *mut *mut carto_result_reader,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        // SAFETY: forwarded caller contract.
        let (connection, query, parameters) = unsafe {
            (
                str_arg_required(connection, "connection")?,
                str_arg_required(query, "query")?,
                raw::optional_str_arg(parameters_json, "parameters_json")?,
            )
        };
        let client = client::get(client)?;
        hand_out(client.sql_v3_reader(connection, query, parameters)?, out);
        Ok(())
    })
}

/// Reads the next chunk of at most `max_rows` rows (1 or more) from the answer as it arrives,
/// typed as carto_result types them: `*out` is a new result, or NULL once the result has ended
/// (and at every later call). The first call always gives a result, of 0 rows for an empty
/// result or a statement without rows (its columns and total_rows are there all the same);
/// the result with the last rows carries the answer's total_rows, time and notices. Every
/// chunk has the same columns. Stopping early is carto_result_reader_free.
///
/// - `progress`: NULL, or called as bytes arrive and at least every 250 ms while the server
///   sends nothing, during this call only (`downloaded` counts from the answer's start);
///   returning non-zero cancels the read (CARTO_ERR_CANCELLED).
/// - `out`: receives a new result owned by the caller (free with carto_result_free), or NULL
///   at the end; written only on success.
///
/// Errors: CARTO_ERR_QUERY_FAILED (the answer ends with CARTO's error: the query failed after
/// rows were sent), CARTO_ERR_RESULT_FORMAT (an answer that breaks off, is not a SQL API
/// result or changes its columns), CARTO_ERR_BODY_TOO_LARGE (a row larger than max_body_size,
/// or a statement whose columns cannot be known before its rows and whose answer is larger),
/// CARTO_ERR_TIMEOUT (idle timeout, or the call's total_timeout), CARTO_ERR_CONNECTION,
/// CARTO_ERR_CANCELLED (the progress callback), CARTO_ERR_INVALID_ARGUMENT (`max_rows` 0, the
/// reader in use by another thread), CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. The
/// rows of a chunk that fails are not given, and after an error every call fails again: a
/// result is never silently cut short.
///
/// Thread safety: one thread at a time per reader (a concurrent call fails); `progress` runs
/// on the calling thread, with `user_data` passed back unchanged (owned by the caller).
///
/// # Safety
/// `out` is NULL or writable; `progress` is NULL or a function of this signature, valid with
/// `user_data` for this call.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_result_reader_next(
    reader: *mut carto_result_reader,
    max_rows: usize,
    progress: carto_progress_fn,
    user_data: *mut c_void,
    out: *mut *mut carto_result,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        let chunk = with_reader(reader, |reader| {
            reader.set_progress(progress.map(|function| {
                raw::progress_fn(Callback {
                    function,
                    user_data,
                })
            }));
            let chunk = reader.next_chunk(max_rows);
            reader.set_progress(None);
            Ok(chunk?)
        })?;
        match chunk {
            Some(chunk) => result::hand_out(chunk, out),
            None => out.write(std::ptr::null_mut()),
        }
        Ok(())
    })
}

/// Whether the result has been read to its end, or the reader stopped at an error (`*out`):
/// no chunk comes any more.
///
/// - `out`: caller-provided storage, written only on success.
///
/// Errors: CARTO_ERR_INVALID_ARGUMENT (the reader in use by another thread),
/// CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: one thread at a time per
/// reader.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_result_reader_done(
    reader: *const carto_result_reader,
    out: *mut bool,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        out.write(with_reader(reader, |reader| Ok(reader.is_done()))?);
        Ok(())
    })
}

/// The number of rows handed out so far, in all chunks (`*out`).
///
/// - `out`: caller-provided storage, written only on success.
///
/// Errors: CARTO_ERR_INVALID_ARGUMENT (the reader in use by another thread),
/// CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: one thread at a time per
/// reader.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_result_reader_rows_read(
    reader: *const carto_result_reader,
    out: *mut u64,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        out.write(with_reader(reader, |reader| Ok(reader.rows_read()))?);
        Ok(())
    })
}

/// Releases a reader: when rows remain, the connection is closed, which stops the query on
/// the server. Chunks already handed out stay valid (free each with carto_result_free). NULL,
/// freed and foreign handles are ignored.
///
/// Thread safety: any thread; a call in progress on another thread finishes first. Does not
/// change the last error.
#[no_mangle]
pub extern "C" fn carto_result_reader_free(reader: *mut carto_result_reader) {
    call_void(|| {
        handles::release::<ReaderHandle>(reader);
    });
}
