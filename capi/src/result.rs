//! `carto_result`: a SQL API answer read into typed columns (the core's `ResultSet`), in the
//! spirit of libpq's `PGresult`. Immutable, so any thread may read it.

use super::boundary::{call_void, ffi_call};
use super::client::{self, carto_client};
use super::enums::core_enum;
use super::handles::{self, opaque_handle};
use super::raw::{self, str_arg_required, write_array};
use super::response::{self, carto_response};
use super::status::{carto_status, FfiError};
use super::to_cstring;
use cartoauth_core::capi_support::{ColumnText, PackedWithNul};
use cartoauth_core::result::{Column, ColumnKind, Packed, ResultSet};
use std::ffi::{c_char, CString};
use std::ops::Range;
use std::sync::{Arc, OnceLock};

opaque_handle! {
    /// Opaque result set: typed columns of a SQL API JSON answer, its row count, total_rows, time
    /// and notices. Created by carto_result_from_response or carto_client_sql_result, freed with
    /// carto_result_free. Immutable: any number of threads may read one at once.
    carto_result => ResultHandle
}

core_enum! {
    /// How a column's cells are stored (carto_result_column_kind), decided by its pgtype.
    carto_column_kind = ColumnKind, variants CARTO_COLUMN_ {
        /// Text, varchar, uuid, json, arrays, intervals and any other type: read with
        /// carto_result_text (non-string JSON values come as their JSON text).
        Text,
        /// bool: carto_result_bool.
        Bool,
        /// int2, int4, int8, oid: carto_result_int64 (exact).
        Int,
        /// float4, float8, numeric: carto_result_double (NaN and ±infinity included).
        Float,
        /// timestamp, timestamptz: carto_result_time_micros (microseconds since 1970-01-01
        /// UTC).
        Timestamp,
        /// date: carto_result_date_days (days since 1970-01-01), or carto_result_time_micros
        /// (microseconds at midnight UTC).
        Date,
        /// geometry, geography: carto_result_wkb (WKB without SRID, plus the SRID).
        Geometry,
    }
}

/// carto_result_time_micros's value for a timestamp of +infinity (INT64_MAX, as in PostgreSQL).
pub const CARTO_TIME_INFINITY: i64 = i64::MAX;
/// carto_result_time_micros's value for a timestamp of -infinity (INT64_MIN).
pub const CARTO_TIME_MINUS_INFINITY: i64 = i64::MIN;

/// The result plus the C strings handed out as borrowed pointers.
pub(crate) struct ResultHandle {
    set: ResultSet,
    names: Vec<CString>,
    carto_types: Vec<CString>,
    pgtypes: Vec<CString>,
    /// Text of the columns that do not store text, built on the first text read of the column.
    rendered: Vec<OnceLock<Packed>>,
    notices: Vec<(CString, CString)>,
}

pub(crate) fn hand_out(set: ResultSet, out: raw::Out<*mut carto_result>) {
    let columns = set.columns();
    let handle = ResultHandle {
        names: columns.iter().map(|c| to_cstring(c.name())).collect(),
        carto_types: columns.iter().map(|c| to_cstring(c.carto_type())).collect(),
        pgtypes: columns.iter().map(|c| to_cstring(c.pgtype())).collect(),
        rendered: columns.iter().map(|_| OnceLock::new()).collect(),
        notices: set
            .notices()
            .iter()
            .map(|n| (to_cstring(&n.severity), to_cstring(&n.message)))
            .collect(),
        set,
    };
    out.write(handles::register(handle));
}

fn get(result: *const carto_result) -> Result<Arc<ResultHandle>, FfiError> {
    handles::get::<ResultHandle>(result, "result")
}

impl ResultHandle {
    fn column(&self, index: usize) -> Result<&Column, FfiError> {
        self.set.column(index).ok_or_else(|| {
            FfiError::invalid(format!(
                "column index {index} is out of range (the result has {} columns)",
                self.set.columns().len()
            ))
        })
    }

    fn cell(&self, row: usize, column: usize) -> Result<&Column, FfiError> {
        let c = self.column(column)?;
        if row >= self.set.row_count() {
            return Err(FfiError::invalid(format!(
                "row index {row} is out of range (the result has {} rows)",
                self.set.row_count()
            )));
        }
        Ok(c)
    }

    /// Rows `first_row .. first_row + count` of a column, checked.
    fn rows(
        &self,
        column: usize,
        first_row: usize,
        count: usize,
    ) -> Result<(&Column, std::ops::Range<usize>), FfiError> {
        let c = self.column(column)?;
        let rows = self.set.row_count();
        match first_row.checked_add(count) {
            Some(end) if end <= rows => Ok((c, first_row..end)),
            _ => Err(FfiError::invalid(format!(
                "rows {first_row}+{count} are out of range (the result has {rows} rows)"
            ))),
        }
    }

    /// The packed text of a column: its own for text columns, else rendered once.
    fn text(&self, column: usize) -> &Packed {
        let c = &self.set.columns()[column];
        c.stored_text()
            .unwrap_or_else(|| self.rendered[column].get_or_init(|| c.render_text()))
    }
}

/// Releases a result; pointers borrowed from it become invalid. NULL, freed and foreign
/// handles are ignored.
///
/// Thread safety: any thread. Does not change the last error.
#[no_mangle]
pub extern "C" fn carto_result_free(result: *mut carto_result) {
    call_void(|| {
        handles::release::<ResultHandle>(result);
    });
}

/// Reads a response's SQL API JSON body (format json, the default) into a result.
///
/// - `response`: a live response; it is not changed and stays owned by the caller.
/// - `out`: receives a new result owned by the caller (free with carto_result_free), written
///   only on success.
///
/// Errors: the HTTP error statuses of carto_response_check when the status is 400 or more;
/// CARTO_ERR_RESULT_FORMAT when the body is not a SQL API JSON result or a value does not fit
/// its column's type (the message names row and column); CARTO_ERR_QUERY_FAILED when the query
/// failed after rows were sent (the message is the database's); CARTO_ERR_NULL_ARGUMENT,
/// CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_result_from_response(
    response: *const carto_response,
    out: *mut *mut carto_result,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        let set = response::read_checked_body(response, ResultSet::from_json)??;
        hand_out(set, out);
        Ok(())
    })
}

/// Reads a SQL API JSON answer the caller already holds (`length` bytes at `data`, not
/// NUL-terminated) into a result, as carto_result_from_response does with a response's body.
///
/// - `data`: read during the call only; NULL is accepted only with `length` 0 (which is not a
///   valid answer).
/// - `out`: receives a new result owned by the caller (free with carto_result_free), written
///   only on success.
///
/// Errors: CARTO_ERR_RESULT_FORMAT, CARTO_ERR_QUERY_FAILED (as carto_result_from_response),
/// CARTO_ERR_NULL_ARGUMENT. Thread safety: any thread.
///
/// # Safety
/// `data` is NULL or points to `length` readable bytes; `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_result_from_json(
    data: *const u8,
    length: usize,
    out: *mut *mut carto_result,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        // SAFETY: forwarded caller contract.
        let body = unsafe { raw::bytes_arg(data, length, "data") }?;
        hand_out(ResultSet::from_json(body)?, out);
        Ok(())
    })
}

/// Runs a SQL API query (GET for short queries, POST for long ones, as carto_client_sql) and
/// reads its JSON answer into a result; the body is released as soon as it has been read.
///
/// - `query`: the SQL, UTF-8.
/// - `out`: receives a new result owned by the caller (free with carto_result_free), written
///   only on success.
///
/// Errors: those of carto_client_sql (transport and HTTP statuses, with CARTO's message) and
/// of carto_result_from_response; CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_UTF8,
/// CARTO_ERR_INVALID_HANDLE. Thread safety: any thread; one client may run queries from many
/// threads at once.
///
/// # Safety
/// `query` is NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_client_sql_result(
    client: *const carto_client,
    query: *const c_char,
    out: *mut *mut carto_result,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        // SAFETY: forwarded caller contract.
        let query = unsafe { str_arg_required(query, "query") }?;
        let client = client::get(client)?;
        hand_out(client.sql_result(query)?, out);
        Ok(())
    })
}

/// Runs a SQL API v3 query on `connection` (GET while the URL stays within CARTO's 7000
/// characters, else POST with a JSON body) and reads CARTO 3's `{rows, schema, meta}` into a
/// result, typed as CARTO 2's are.
///
/// - `connection`: the connection name (e.g. carto_dw); `query`: the SQL;
///   `parameters_json`: NULL, or a JSON array (`$1` placeholders) or object (`@name`).
/// - `out`: receives a new result owned by the caller (free with carto_result_free), written
///   only on success.
///
/// Errors: CARTO_ERR_INVALID_ARGUMENT (CARTO 2 credentials, a blank query, bad parameters),
/// CARTO_ERR_SIGNIN_REQUIRED, CARTO_ERR_TOKEN_EXPIRED, the HTTP and transport errors, those of
/// carto_result_from_json; CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_UTF8,
/// CARTO_ERR_INVALID_HANDLE. Thread safety: any thread; one client may run queries from many
/// threads at once, sharing one token.
///
/// # Safety
/// The strings are NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_client_sql_v3(
    client: *const carto_client,
    connection: *const c_char,
    query: *const c_char,
    parameters_json: *const c_char,
    out: *mut *mut carto_result,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        // SAFETY: forwarded caller contract.
        let (connection, query, parameters) = unsafe {
            (
                str_arg_required(connection, "connection")?,
                str_arg_required(query, "query")?,
                super::raw::optional_str_arg(parameters_json, "parameters_json")?,
            )
        };
        let client = client::get(client)?;
        hand_out(client.sql_v3(connection, query, parameters)?, out);
        Ok(())
    })
}

/// The number of rows (`*out`) of the result.
///
/// - `out`: caller-provided storage, written only on success.
///
/// Errors: CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_result_row_count(
    result: *const carto_result,
    out: *mut usize,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        out.write(get(result)?.set.row_count());
        Ok(())
    })
}

/// The number of columns (`*out`); 0 for statements without a result (INSERT, ...).
///
/// - `out`: caller-provided storage, written only on success.
///
/// Errors: CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_result_column_count(
    result: *const carto_result,
    out: *mut usize,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        out.write(get(result)?.set.columns().len());
        Ok(())
    })
}

/// CARTO's `total_rows`: the rows returned, or the rows affected by INSERT/UPDATE/DELETE; -1
/// when the answer has none.
///
/// - `out`: caller-provided storage, written only on success.
///
/// Errors: CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_result_total_rows(
    result: *const carto_result,
    out: *mut i64,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        let total = get(result)?.set.total_rows();
        out.write(total.and_then(|t| i64::try_from(t).ok()).unwrap_or(-1));
        Ok(())
    })
}

/// CARTO's `time`: seconds the query took on the server; -1 when the answer has none.
///
/// - `out`: caller-provided storage, written only on success.
///
/// Errors: CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_result_time(
    result: *const carto_result,
    out: *mut f64,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        out.write(get(result)?.set.time().unwrap_or(-1.0));
        Ok(())
    })
}

/// The number of notices and warnings the database raised (for carto_result_notice).
///
/// - `out`: caller-provided storage, written only on success.
///
/// Errors: CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_result_notice_count(
    result: *const carto_result,
    out: *mut usize,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        out.write(get(result)?.notices.len());
        Ok(())
    })
}

/// Notice number `index` (0-based): its severity ("notice", "warning", "info", ...) and
/// message.
///
/// Ownership: both strings are borrowed from the result, valid until it is freed. Errors:
/// CARTO_ERR_INVALID_ARGUMENT (index out of range), CARTO_ERR_NULL_ARGUMENT,
/// CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// The out pointers are NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_result_notice(
    result: *const carto_result,
    index: usize,
    out_severity: *mut *const c_char,
    out_message: *mut *const c_char,
) -> carto_status {
    ffi_call!(|| {
        let (out_severity, out_message) = (
            raw::out(out_severity, "out_severity")?,
            raw::out(out_message, "out_message")?,
        );
        let handle = get(result)?;
        let (severity, message) = handle.notices.get(index).ok_or_else(|| {
            FfiError::invalid(format!(
                "notice index {index} is out of range (there are {})",
                handle.notices.len()
            ))
        })?;
        out_severity.write(severity.as_ptr());
        out_message.write(message.as_ptr());
        Ok(())
    })
}

/// The index of the first column called `name` (exact match), for the per-column calls.
///
/// - `out`: caller-provided storage, written only on success.
///
/// Errors: CARTO_ERR_INVALID_ARGUMENT (no such column, named in the message),
/// CARTO_ERR_INVALID_UTF8, CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety:
/// any thread.
///
/// # Safety
/// `name` is NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_result_column_index(
    result: *const carto_result,
    name: *const c_char,
    out: *mut usize,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        // SAFETY: forwarded caller contract.
        let name = unsafe { str_arg_required(name, "name") }?;
        let handle = get(result)?;
        out.write(handle.set.column_index(name)?);
        Ok(())
    })
}

/// Column `column`'s metadata: its name, CARTO type ("number", "string", "date", "boolean",
/// "geometry", ...) and PostgreSQL type ("int4", "timestamptz", ...; "geometry" or
/// "geography" for spatial columns). Each out pointer may be NULL when not wanted.
///
/// Ownership: the strings are borrowed from the result, valid until it is freed. Errors:
/// CARTO_ERR_INVALID_ARGUMENT (index out of range), CARTO_ERR_NULL_ARGUMENT (result),
/// CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// Each out pointer is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_result_column_info(
    result: *const carto_result,
    column: usize,
    out_name: *mut *const c_char,
    out_carto_type: *mut *const c_char,
    out_pgtype: *mut *const c_char,
) -> carto_status {
    ffi_call!(|| {
        let handle = get(result)?;
        handle.column(column)?;
        for (out, text) in [
            (out_name, &handle.names[column]),
            (out_carto_type, &handle.carto_types[column]),
            (out_pgtype, &handle.pgtypes[column]),
        ] {
            if let Some(out) = raw::optional_out(out) {
                out.write(text.as_ptr());
            }
        }
        Ok(())
    })
}

/// How column `column`'s cells are stored, which tells the typed call that reads them.
///
/// - `out`: caller-provided storage, written only on success.
///
/// Errors: CARTO_ERR_INVALID_ARGUMENT (index out of range), CARTO_ERR_NULL_ARGUMENT,
/// CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_result_column_kind(
    result: *const carto_result,
    column: usize,
    out: *mut carto_column_kind,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        let handle = get(result)?;
        out.write(handle.column(column)?.kind());
        Ok(())
    })
}

/// The SRID a geometry column's field declares (CARTO gives -1 or 0 for a column without a
/// type modifier; each cell's own SRID comes with carto_result_wkb).
///
/// - `out`: caller-provided storage, written only on success.
///
/// Errors: CARTO_ERR_RESULT_TYPE (not a geometry column, or the field has no SRID),
/// CARTO_ERR_INVALID_ARGUMENT (index out of range), CARTO_ERR_NULL_ARGUMENT,
/// CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_result_column_srid(
    result: *const carto_result,
    column: usize,
    out: *mut i32,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        let handle = get(result)?;
        let c = handle.column(column)?;
        let srid = c.srid().ok_or_else(|| {
            FfiError::new(
                carto_status::CARTO_ERR_RESULT_TYPE,
                format!(
                    "column '{}' ({}) has no SRID: it is not a geometry column, or its field gives none",
                    c.name(),
                    c.pgtype()
                ),
            )
        })?;
        out.write(srid);
        Ok(())
    })
}

/// Whether the cell at `row`, `column` is NULL.
///
/// - `out`: caller-provided storage, written only on success.
///
/// Errors: CARTO_ERR_INVALID_ARGUMENT (index out of range), CARTO_ERR_NULL_ARGUMENT,
/// CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_result_is_null(
    result: *const carto_result,
    row: usize,
    column: usize,
    out: *mut bool,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        let handle = get(result)?;
        out.write(handle.cell(row, column)?.nulls()[row]);
        Ok(())
    })
}

/// The cell as text, for any column: text as sent (JSON text for objects and arrays), integers
/// in decimal, doubles in shortest round-trip form ("NaN", "Infinity", "-Infinity"), booleans
/// "true"/"false", timestamps "1969-12-31T23:59:59.999000Z" (UTC), dates "1900-01-01",
/// geometries as hex WKB. `*out` is NUL-terminated; `*out_length` (may be NULL) is its length in
/// bytes, which tells a value with an embedded NUL from a shorter one.
///
/// Ownership: borrowed from the result, valid until it is freed (the first text read of a
/// non-text column renders that column once). Errors: CARTO_ERR_RESULT_NULL (NULL cell),
/// CARTO_ERR_INVALID_ARGUMENT (index out of range), CARTO_ERR_NULL_ARGUMENT,
/// CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or writable; `out_length` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_result_text(
    result: *const carto_result,
    row: usize,
    column: usize,
    out: *mut *const c_char,
    out_length: *mut usize,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        let handle = get(result)?;
        let c = handle.cell(row, column)?;
        if c.nulls()[row] {
            return Err(null_cell(c, row));
        }
        let packed = handle.text(column);
        out.write(packed.get_with_nul(row).as_ptr().cast());
        if let Some(out_length) = raw::optional_out(out_length) {
            out_length.write(packed.get(row).len());
        }
        Ok(())
    })
}

/// The body of the per-cell getters: cell (`row`, `column`) as `convert` reads it, into `*out`.
fn cell<T>(
    result: *const carto_result,
    row: usize,
    column: usize,
    out: *mut T,
    convert: impl FnOnce(&Column, usize) -> cartoauth_core::Result<T>,
) -> Result<(), FfiError> {
    let out = raw::out(out, "out")?;
    let handle = get(result)?;
    out.write(convert(handle.cell(row, column)?, row)?);
    Ok(())
}

fn null_cell(c: &Column, row: usize) -> FfiError {
    FfiError::new(
        carto_status::CARTO_ERR_RESULT_NULL,
        format!("row {row} of column '{}' is NULL", c.name()),
    )
}

/// The cell as an exact int64: integer columns, and whole doubles within ±2^53.
///
/// - `out`: caller-provided storage, written only on success.
///
/// Errors: CARTO_ERR_RESULT_NULL (NULL cell), CARTO_ERR_RESULT_TYPE (the value does not fit
/// this type; nothing is rounded or truncated), CARTO_ERR_INVALID_ARGUMENT (index out of
/// range), CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_result_int64(
    result: *const carto_result,
    row: usize,
    column: usize,
    out: *mut i64,
) -> carto_status {
    ffi_call!(|| cell(result, row, column, out, Column::int64))
}
/// The cell as a double: float/numeric columns (NaN and ±infinity included), and integers
/// a double holds exactly (within ±2^53).
///
/// - `out`: caller-provided storage, written only on success.
///
/// Errors: CARTO_ERR_RESULT_NULL (NULL cell), CARTO_ERR_RESULT_TYPE (the value does not fit
/// this type; nothing is rounded or truncated), CARTO_ERR_INVALID_ARGUMENT (index out of
/// range), CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_result_double(
    result: *const carto_result,
    row: usize,
    column: usize,
    out: *mut f64,
) -> carto_status {
    ffi_call!(|| cell(result, row, column, out, Column::double))
}
/// The cell as a boolean (bool columns).
///
/// - `out`: caller-provided storage, written only on success.
///
/// Errors: CARTO_ERR_RESULT_NULL (NULL cell), CARTO_ERR_RESULT_TYPE (the value does not fit
/// this type; nothing is rounded or truncated), CARTO_ERR_INVALID_ARGUMENT (index out of
/// range), CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_result_bool(
    result: *const carto_result,
    row: usize,
    column: usize,
    out: *mut bool,
) -> carto_status {
    ffi_call!(|| cell(result, row, column, out, Column::bool))
}
/// The cell as microseconds since 1970-01-01 UTC: timestamp and timestamptz columns
/// (+/-infinity give CARTO_TIME_INFINITY / CARTO_TIME_MINUS_INFINITY), and date columns
/// (midnight UTC).
///
/// - `out`: caller-provided storage, written only on success.
///
/// Errors: CARTO_ERR_RESULT_NULL (NULL cell), CARTO_ERR_RESULT_TYPE (the value does not fit
/// this type; nothing is rounded or truncated), CARTO_ERR_INVALID_ARGUMENT (index out of
/// range), CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_result_time_micros(
    result: *const carto_result,
    row: usize,
    column: usize,
    out: *mut i64,
) -> carto_status {
    ffi_call!(|| cell(result, row, column, out, Column::time_micros))
}
/// The cell as days since 1970-01-01 (date columns).
///
/// - `out`: caller-provided storage, written only on success.
///
/// Errors: CARTO_ERR_RESULT_NULL (NULL cell), CARTO_ERR_RESULT_TYPE (the value does not fit
/// this type; nothing is rounded or truncated), CARTO_ERR_INVALID_ARGUMENT (index out of
/// range), CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_result_date_days(
    result: *const carto_result,
    row: usize,
    column: usize,
    out: *mut i32,
) -> carto_status {
    ffi_call!(|| cell(result, row, column, out, Column::date_days))
}

/// The cell as WKB (geometry and geography columns): CARTO's hex EWKB decoded, with the SRID
/// removed from it (Z and M stay as EWKB flag bits, which GDAL, GEOS, wk and sf read) and given
/// in `*out_srid` (0 when the geometry has none; `out_srid` may be NULL).
///
/// Ownership: `*out_data` (`*out_length` bytes) is borrowed from the result, valid until it is
/// freed. Errors: CARTO_ERR_RESULT_NULL (NULL cell), CARTO_ERR_RESULT_TYPE (not a geometry
/// column), CARTO_ERR_INVALID_ARGUMENT (index out of range), CARTO_ERR_NULL_ARGUMENT,
/// CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out_data` and `out_length` are NULL or writable; `out_srid` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_result_wkb(
    result: *const carto_result,
    row: usize,
    column: usize,
    out_data: *mut *const u8,
    out_length: *mut usize,
    out_srid: *mut i32,
) -> carto_status {
    ffi_call!(|| {
        let (out_data, out_length) = (
            raw::out(out_data, "out_data")?,
            raw::out(out_length, "out_length")?,
        );
        let handle = get(result)?;
        let (wkb, srid) = handle.cell(row, column)?.wkb(row)?;
        out_data.write(wkb.as_ptr());
        out_length.write(wkb.len());
        if let Some(out_srid) = raw::optional_out(out_srid) {
            out_srid.write(srid);
        }
        Ok(())
    })
}

/// 1 for each NULL cell of `rows`, 0 for the others.
fn null_mask(c: &Column, rows: Range<usize>) -> Vec<u8> {
    c.nulls()[rows].iter().map(|&n| u8::from(n)).collect()
}

/// The bodies of the bulk getters of borrowed data (text, WKB): for each row, a pointer to
/// its bytes and their length (`cell`), NULL and 0 for NULL cells; written to `values`,
/// `lengths` and `nulls` (those two may be NULL).
///
/// # Safety
/// `values` is NULL or has room for `rows.len()` pointers, `lengths` for as many sizes,
/// `nulls` for as many bytes.
unsafe fn fill_borrowed<P>(
    c: &Column,
    rows: Range<usize>,
    cell: impl Fn(usize) -> (*const P, usize),
    values: *mut *const P,
    lengths: *mut usize,
    nulls: *mut u8,
) -> Result<(), FfiError> {
    let (pointers, sizes): (Vec<*const P>, Vec<usize>) = rows
        .clone()
        .map(|row| {
            if c.nulls()[row] {
                (std::ptr::null(), 0)
            } else {
                cell(row)
            }
        })
        .unzip();
    // SAFETY: the caller's contract gives `count` elements for each non-NULL array.
    unsafe {
        write_array(values, &pointers, "values")?;
        if !lengths.is_null() {
            write_array(lengths, &sizes, "lengths")?;
        }
        if !nulls.is_null() {
            write_array(nulls, &null_mask(c, rows), "nulls")?;
        }
    }
    Ok(())
}

/// Reads rows `first_row .. first_row + count` of a column with a per-cell conversion, then
/// writes values and mask; nothing is written unless every cell converts.
fn fill<T: Copy + Default>(
    result: *const carto_result,
    column: usize,
    first_row: usize,
    count: usize,
    values: *mut T,
    nulls: *mut u8,
    convert: impl Fn(&Column, usize) -> cartoauth_core::Result<T>,
) -> Result<(), FfiError> {
    let handle = get(result)?;
    let (c, rows) = handle.rows(column, first_row, count)?;
    let mut out = Vec::with_capacity(count);
    for row in rows.clone() {
        if c.nulls()[row] {
            if nulls.is_null() {
                return Err(FfiError::new(
                    carto_status::CARTO_ERR_RESULT_NULL,
                    format!(
                        "row {row} of column '{}' is NULL and no null mask was given",
                        c.name()
                    ),
                ));
            }
            out.push(T::default());
        } else {
            out.push(convert(c, row)?);
        }
    }
    // SAFETY: the caller's contract gives `count` elements for each non-NULL array.
    unsafe {
        write_array(values, &out, "values")?;
        if !nulls.is_null() {
            write_array(nulls, &null_mask(c, rows), "nulls")?;
        }
    }
    Ok(())
}

/// Fills `values` with rows `first_row .. first_row + count` of a column as exact int64s
/// (as carto_result_int64).
///
/// - `values`: caller's array of `count` elements; NULL cells get 0.
/// - `nulls`: caller's array of `count` bytes, set to 1 for NULL cells and 0 otherwise; may be
///   NULL only when no cell in the range is NULL.
///
/// Nothing is written unless every cell converts. Errors: CARTO_ERR_RESULT_TYPE (a value does
/// not fit; the message names the row), CARTO_ERR_RESULT_NULL (a NULL cell without a mask),
/// CARTO_ERR_INVALID_ARGUMENT (column or rows out of range), CARTO_ERR_NULL_ARGUMENT,
/// CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `values` is NULL or has room for `count` elements; `nulls` is NULL or has room for `count`
/// bytes.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_result_column_int64(
    result: *const carto_result,
    column: usize,
    first_row: usize,
    count: usize,
    values: *mut i64,
    nulls: *mut u8,
) -> carto_status {
    ffi_call!(|| {
        fill(
            result,
            column,
            first_row,
            count,
            values,
            nulls,
            Column::int64,
        )
    })
}
/// Fills `values` with rows `first_row .. first_row + count` of a column as doubles (as
/// carto_result_double).
///
/// - `values`: caller's array of `count` elements; NULL cells get 0.
/// - `nulls`: caller's array of `count` bytes, set to 1 for NULL cells and 0 otherwise; may be
///   NULL only when no cell in the range is NULL.
///
/// Nothing is written unless every cell converts. Errors: CARTO_ERR_RESULT_TYPE (a value does
/// not fit; the message names the row), CARTO_ERR_RESULT_NULL (a NULL cell without a mask),
/// CARTO_ERR_INVALID_ARGUMENT (column or rows out of range), CARTO_ERR_NULL_ARGUMENT,
/// CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `values` is NULL or has room for `count` elements; `nulls` is NULL or has room for `count`
/// bytes.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_result_column_double(
    result: *const carto_result,
    column: usize,
    first_row: usize,
    count: usize,
    values: *mut f64,
    nulls: *mut u8,
) -> carto_status {
    ffi_call!(|| {
        fill(
            result,
            column,
            first_row,
            count,
            values,
            nulls,
            Column::double,
        )
    })
}
/// Fills `values` with rows `first_row .. first_row + count` of a bool column, 1 for true
/// and 0 for false.
///
/// - `values`: caller's array of `count` elements; NULL cells get 0.
/// - `nulls`: caller's array of `count` bytes, set to 1 for NULL cells and 0 otherwise; may be
///   NULL only when no cell in the range is NULL.
///
/// Nothing is written unless every cell converts. Errors: CARTO_ERR_RESULT_TYPE (a value does
/// not fit; the message names the row), CARTO_ERR_RESULT_NULL (a NULL cell without a mask),
/// CARTO_ERR_INVALID_ARGUMENT (column or rows out of range), CARTO_ERR_NULL_ARGUMENT,
/// CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `values` is NULL or has room for `count` elements; `nulls` is NULL or has room for `count`
/// bytes.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_result_column_bool(
    result: *const carto_result,
    column: usize,
    first_row: usize,
    count: usize,
    values: *mut u8,
    nulls: *mut u8,
) -> carto_status {
    ffi_call!(|| {
        fill(
            result,
            column,
            first_row,
            count,
            values,
            nulls,
            |c: &Column, row| c.bool(row).map(u8::from),
        )
    })
}
/// Fills `values` with rows `first_row .. first_row + count` of a timestamp or date column
/// as microseconds since 1970-01-01 UTC (as carto_result_time_micros).
///
/// - `values`: caller's array of `count` elements; NULL cells get 0.
/// - `nulls`: caller's array of `count` bytes, set to 1 for NULL cells and 0 otherwise; may be
///   NULL only when no cell in the range is NULL.
///
/// Nothing is written unless every cell converts. Errors: CARTO_ERR_RESULT_TYPE (a value does
/// not fit; the message names the row), CARTO_ERR_RESULT_NULL (a NULL cell without a mask),
/// CARTO_ERR_INVALID_ARGUMENT (column or rows out of range), CARTO_ERR_NULL_ARGUMENT,
/// CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `values` is NULL or has room for `count` elements; `nulls` is NULL or has room for `count`
/// bytes.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_result_column_time_micros(
    result: *const carto_result,
    column: usize,
    first_row: usize,
    count: usize,
    values: *mut i64,
    nulls: *mut u8,
) -> carto_status {
    ffi_call!(|| {
        fill(
            result,
            column,
            first_row,
            count,
            values,
            nulls,
            Column::time_micros,
        )
    })
}
/// Fills `values` with rows `first_row .. first_row + count` of a date column as days since
/// 1970-01-01.
///
/// - `values`: caller's array of `count` elements; NULL cells get 0.
/// - `nulls`: caller's array of `count` bytes, set to 1 for NULL cells and 0 otherwise; may be
///   NULL only when no cell in the range is NULL.
///
/// Nothing is written unless every cell converts. Errors: CARTO_ERR_RESULT_TYPE (a value does
/// not fit; the message names the row), CARTO_ERR_RESULT_NULL (a NULL cell without a mask),
/// CARTO_ERR_INVALID_ARGUMENT (column or rows out of range), CARTO_ERR_NULL_ARGUMENT,
/// CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `values` is NULL or has room for `count` elements; `nulls` is NULL or has room for `count`
/// bytes.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_result_column_date_days(
    result: *const carto_result,
    column: usize,
    first_row: usize,
    count: usize,
    values: *mut i32,
    nulls: *mut u8,
) -> carto_status {
    ffi_call!(|| {
        fill(
            result,
            column,
            first_row,
            count,
            values,
            nulls,
            Column::date_days,
        )
    })
}

/// Fills `values` with pointers to the text of rows `first_row .. first_row + count` of any
/// column (as carto_result_text; NULL cells get NULL) and `lengths` (may be NULL) with their
/// lengths in bytes.
///
/// - `nulls`: caller's array of `count` bytes, 1 for NULL cells; may be NULL.
///
/// Ownership: the strings are borrowed from the result, valid until it is freed. Errors:
/// CARTO_ERR_INVALID_ARGUMENT (column or rows out of range), CARTO_ERR_NULL_ARGUMENT,
/// CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `values` is NULL or has room for `count` pointers; `lengths` is NULL or has room for
/// `count` sizes; `nulls` is NULL or has room for `count` bytes.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_result_column_text(
    result: *const carto_result,
    column: usize,
    first_row: usize,
    count: usize,
    values: *mut *const c_char,
    lengths: *mut usize,
    nulls: *mut u8,
) -> carto_status {
    ffi_call!(|| {
        let handle = get(result)?;
        let (c, rows) = handle.rows(column, first_row, count)?;
        let packed = handle.text(column);
        let text = |row| {
            let start = packed.get_with_nul(row).as_ptr().cast::<c_char>();
            (start, packed.get(row).len())
        };
        // SAFETY: the caller's contract, as for fill_borrowed.
        unsafe { fill_borrowed(c, rows, text, values, lengths, nulls) }
    })
}

/// Fills `values` with pointers to the WKB of rows `first_row .. first_row + count` of a
/// geometry column (as carto_result_wkb; NULL cells get NULL), `lengths` with their sizes, and
/// `srids` (may be NULL) with each geometry's SRID (0 for none and for NULL cells).
///
/// - `nulls`: caller's array of `count` bytes, 1 for NULL cells; may be NULL.
///
/// Ownership: the WKB is borrowed from the result, valid until it is freed. Errors:
/// CARTO_ERR_RESULT_TYPE (not a geometry column), CARTO_ERR_INVALID_ARGUMENT (column or rows
/// out of range), CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `values` is NULL or has room for `count` pointers, `lengths` for `count` sizes, `srids` for
/// `count` int32s, `nulls` for `count` bytes.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_result_column_wkb(
    result: *const carto_result,
    column: usize,
    first_row: usize,
    count: usize,
    values: *mut *const u8,
    lengths: *mut usize,
    srids: *mut i32,
    nulls: *mut u8,
) -> carto_status {
    ffi_call!(|| {
        let handle = get(result)?;
        let (c, rows) = handle.rows(column, first_row, count)?;
        if count > 0 && lengths.is_null() {
            return Err(FfiError::new(
                carto_status::CARTO_ERR_NULL_ARGUMENT,
                "argument 'lengths' is NULL",
            ));
        }
        let cartoauth_core::result::Values::Geometry {
            wkb,
            srids: cell_srids,
        } = c.values()
        else {
            return Err(FfiError::new(
                carto_status::CARTO_ERR_RESULT_TYPE,
                format!(
                    "column '{}' ({}) is not a geometry column",
                    c.name(),
                    c.pgtype()
                ),
            ));
        };
        let geometry = |row| (wkb.get(row).as_ptr(), wkb.get(row).len());
        // SAFETY: the caller's contract, as for fill_borrowed; `lengths` is not NULL.
        unsafe {
            fill_borrowed(c, rows.clone(), geometry, values, lengths, nulls)?;
            if !srids.is_null() {
                write_array(srids, &cell_srids[rows], "srids")?;
            }
        }
        Ok(())
    })
}
