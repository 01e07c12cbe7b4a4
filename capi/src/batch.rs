//! Batch SQL jobs: `carto_batch_create/_status/_cancel/_wait` and the immutable
//! `carto_batch_job` they hand out.

use super::boundary::{call_value, call_void, ffi_call};
use super::client::{self, carto_client};
use super::enums::core_enum;
use super::handles::{self, opaque_handle};
use super::raw::{self, optional_str_arg, str_arg_required, Callback};
use super::status::{carto_status, FfiError};
use super::to_cstring;
use cartoauth_core::client::{BatchJob, BatchJobSpec, BatchQuery, JobStatus, WaitOptions};
use std::ffi::{c_char, c_void, CString};
use std::sync::Arc;
use std::time::Duration;

opaque_handle! {
    /// Opaque Batch SQL job as the server last reported it (id, status, failure reason, each
    /// query's status). Immutable, so any thread may read it; freed with carto_batch_job_free.
    carto_batch_job => JobHandle
}

core_enum! {
    /// The status of a job or of one of its queries.
    carto_job_status = JobStatus, variants CARTO_JOB_ {
        /// A query failed (see carto_batch_job_failed_reason).
        Failed,
    }
}

/// Called by carto_batch_wait after each poll with the job's status and the number of polls
/// so far; return 0 to keep waiting, anything else to stop (CARTO_ERR_CANCELLED).
pub type carto_batch_wait_fn = Option<
    unsafe extern "C" fn(user_data: *mut c_void, status: carto_job_status, polls: u32) -> i32,
>;

type WaitCFn = unsafe extern "C" fn(*mut c_void, carto_job_status, u32) -> i32;

impl Callback<WaitCFn> {
    /// Tells the callback; false means it asked to stop.
    fn report(&self, status: carto_job_status, polls: u32) -> bool {
        // SAFETY: the caller supplied a valid function for this signature and a user_data it
        // may use on this thread (carto_batch_wait's contract).
        unsafe { (self.function)(self.user_data, status, polls) == 0 }
    }
}

/// A job plus the C strings handed out as borrowed pointers.
struct JobHandle {
    status: carto_job_status,
    id: CString,
    failed_reason: Option<CString>,
    queries: Vec<(CString, carto_job_status, Option<CString>)>,
    user: Option<CString>,
    created_at: Option<CString>,
    updated_at: Option<CString>,
}

fn hand_out(job: BatchJob, out: raw::Out<*mut carto_batch_job>) {
    let queries = job
        .queries
        .iter()
        .map(|q| {
            (
                to_cstring(&q.query),
                q.status,
                q.failed_reason.as_deref().map(to_cstring),
            )
        })
        .collect();
    out.write(handles::register(JobHandle {
        status: job.status,
        id: to_cstring(&job.id),
        failed_reason: job.failed_reason.as_deref().map(to_cstring),
        queries,
        user: job.user.as_deref().map(to_cstring),
        created_at: job.created_at.as_deref().map(to_cstring),
        updated_at: job.updated_at.as_deref().map(to_cstring),
    }));
}

fn get(job: *const carto_batch_job) -> Result<Arc<JobHandle>, FfiError> {
    handles::get::<JobHandle>(job, "job")
}

/// Reads the caller's array of `count` query strings.
///
/// # Safety
/// `queries` is NULL or points to `count` pointers, each NULL or NUL-terminated.
unsafe fn query_array(
    queries: *const *const c_char,
    count: usize,
) -> Result<Vec<BatchQuery>, FfiError> {
    if queries.is_null() {
        return Err(FfiError::new(
            carto_status::CARTO_ERR_NULL_ARGUMENT,
            "argument 'queries' is NULL",
        ));
    }
    // Before reading anything: a huge count must not be read first and refused after.
    BatchJobSpec::check_query_count(count)?;
    // SAFETY: non-NULL and, per the contract, `count` readable pointers.
    let pointers = unsafe { std::slice::from_raw_parts(queries, count) };
    pointers
        .iter()
        .enumerate()
        .map(|(i, &p)| {
            // SAFETY: each pointer is NULL or NUL-terminated, per the contract.
            let sql = unsafe { str_arg_required(p, &format!("queries[{i}]")) }?;
            Ok(BatchQuery::new(sql))
        })
        .collect()
}

/// Creates a Batch SQL job that runs `queries` in order on the server (CARTO allows this to
/// the master key only: others get CARTO_ERR_HTTP_FORBIDDEN). The first failing query stops
/// the job.
///
/// - `queries`, `query_count`: an array of 1 to 4096 SQL strings (copied).
/// - `onsuccess`, `onerror`: NULL, or SQL that CARTO runs after the whole job succeeded or
///   after a query failed (CARTO's "fallback" hooks; `<%= job_id %>` and
///   `<%= error_message %>` are replaced by the server).
/// - `out`: receives a new job owned by the caller (free with carto_batch_job_free), usually
///   CARTO_JOB_PENDING; written only on success.
///
/// Errors: CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_UTF8, CARTO_ERR_INVALID_ARGUMENT (no
/// query, a blank query, too many), CARTO_ERR_INVALID_HANDLE, the HTTP errors (e.g. 400 "Your
/// payload is too large"), the transport errors of carto_client_send. Thread safety: any
/// thread.
///
/// # Safety
/// `queries` is NULL or points to `query_count` pointers, each NULL or NUL-terminated;
/// `onsuccess` and `onerror` are NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_batch_create(
    client: *const carto_client,
    queries: *const *const c_char,
    query_count: usize,
    onsuccess: *const c_char,
    onerror: *const c_char,
    out: *mut *mut carto_batch_job,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        // SAFETY: forwarded caller contract.
        let spec = unsafe {
            BatchJobSpec {
                queries: query_array(queries, query_count)?,
                onsuccess: optional_str_arg(onsuccess, "onsuccess")?.map(str::to_owned),
                onerror: optional_str_arg(onerror, "onerror")?.map(str::to_owned),
            }
        };
        let client = client::get(client)?;
        hand_out(client.batch_create(&spec)?, out);
        Ok(())
    })
}

/// Reads a job's current status from the server.
///
/// - `job_id`: the id (carto_batch_job_id). An unknown id is CARTO_ERR_HTTP_CLIENT_ERROR
///   (CARTO answers 400 "Job with id ... not found"); a malformed one
///   CARTO_ERR_INVALID_ARGUMENT, without a request.
/// - `out`: receives a new job owned by the caller (free with carto_batch_job_free).
///
/// Errors: as carto_batch_create. Thread safety: any thread.
///
/// # Safety
/// `job_id` is NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_batch_status(
    client: *const carto_client,
    job_id: *const c_char,
    out: *mut *mut carto_batch_job,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        // SAFETY: forwarded caller contract.
        let job_id = unsafe { str_arg_required(job_id, "job_id") }?;
        hand_out(client::get(client)?.batch_status(job_id)?, out);
        Ok(())
    })
}

/// Cancels a pending or running job and returns it (CARTO_JOB_CANCELLED). A job that already
/// finished is returned as it is, not as an error.
///
/// - `out`: NULL, or receives a new job owned by the caller (free with carto_batch_job_free).
///
/// Errors: as carto_batch_status. Thread safety: any thread, also while another thread is in
/// carto_batch_wait for the same job (which then returns CARTO_ERR_BATCH_JOB_CANCELLED).
///
/// # Safety
/// `job_id` is NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_batch_cancel(
    client: *const carto_client,
    job_id: *const c_char,
    out: *mut *mut carto_batch_job,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::optional_out(out);
        // SAFETY: forwarded caller contract.
        let job_id = unsafe { str_arg_required(job_id, "job_id") }?;
        let job = client::get(client)?.batch_cancel(job_id)?;
        if let Some(out) = out {
            hand_out(job, out);
        }
        Ok(())
    })
}

/// Waits for a job to finish, polling its status after 250 ms, then half as long again each
/// time, at most every 5 s, for at most `timeout_ms` (0: poll once). Stopping the wait never
/// cancels the job (use carto_batch_cancel).
///
/// - `callback`: NULL, or called on this thread after each poll; returning non-zero stops
///   the wait while the job is pending or running (a finished job is still reported).
/// - `user_data`: passed to `callback` unchanged.
/// - `out`: receives the finished job (CARTO_JOB_DONE), owned by the caller; written only on
///   success.
///
/// Errors: CARTO_ERR_BATCH_JOB_FAILED (the job failed or ended `unknown`; carto_last_error()
/// holds the server's reason, carto_batch_status the per-query details),
/// CARTO_ERR_BATCH_JOB_CANCELLED, CARTO_ERR_WAIT_TIMEOUT (the job is still pending or
/// running), CARTO_ERR_CANCELLED (the callback stopped the wait), and those of
/// carto_batch_status. Thread safety: any thread; blocks the calling thread.
///
/// # Safety
/// `job_id` is NULL or NUL-terminated; `callback` is NULL or a valid function that may be
/// called with `user_data` on this thread; `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_batch_wait(
    client: *const carto_client,
    job_id: *const c_char,
    timeout_ms: u64,
    callback: carto_batch_wait_fn,
    user_data: *mut c_void,
    out: *mut *mut carto_batch_job,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        // SAFETY: forwarded caller contract.
        let job_id = unsafe { str_arg_required(job_id, "job_id") }?;
        let client = client::get(client)?;
        let options = WaitOptions {
            timeout: Duration::from_millis(timeout_ms),
            ..WaitOptions::default()
        };
        let callback = callback.map(|function| Callback {
            function,
            user_data,
        });
        let mut polls = 0u32;
        let mut on_poll = |job: &BatchJob| {
            polls = polls.saturating_add(1);
            callback.is_none_or(|c| c.report(job.status, polls))
        };
        hand_out(
            client.batch_wait(job_id, &options, Some(&mut on_poll))?,
            out,
        );
        Ok(())
    })
}

/// Releases a job; pointers borrowed from it become invalid. NULL, freed and foreign handles
/// are ignored.
///
/// Thread safety: any thread. Does not change the last error.
#[no_mangle]
pub extern "C" fn carto_batch_job_free(job: *mut carto_batch_job) {
    call_void(|| {
        handles::release::<JobHandle>(job);
    });
}

/// The job's id.
///
/// Ownership: `*out` is borrowed from the job, valid until it is freed. Errors:
/// CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_batch_job_id(
    job: *const carto_batch_job,
    out: *mut *const c_char,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        out.write(get(job)?.id.as_ptr());
        Ok(())
    })
}

/// The job's status when it was read.
///
/// - `out`: caller-provided storage, written only on success.
///
/// Errors: CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_batch_job_status(
    job: *const carto_batch_job,
    out: *mut carto_job_status,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        out.write(get(job)?.status);
        Ok(())
    })
}

/// The server's reason when the job failed, else NULL in `*out`.
///
/// Ownership: borrowed from the job, valid until it is freed. Errors: CARTO_ERR_NULL_ARGUMENT,
/// CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_batch_job_failed_reason(
    job: *const carto_batch_job,
    out: *mut *const c_char,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        out.write(raw::ptr_or_null(&get(job)?.failed_reason));
        Ok(())
    })
}

/// Who owns the job and when it was created and last changed, as the server wrote them
/// (CARTO sends its times as ISO 8601 text, e.g. "2026-12-08T05:40:00.000Z").
///
/// - Each out pointer: NULL (not wanted), or receives a string borrowed from the job (valid
///   until it is freed), or NULL when the server did not send that field.
///
/// Errors: CARTO_ERR_INVALID_HANDLE, CARTO_ERR_NULL_ARGUMENT (`job`). Outputs are written only
/// on success. Thread safety: any thread.
///
/// # Safety
/// The out pointers are NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_batch_job_describe(
    job: *const carto_batch_job,
    out_user: *mut *const c_char,
    out_created_at: *mut *const c_char,
    out_updated_at: *mut *const c_char,
) -> carto_status {
    ffi_call!(|| {
        let job = get(job)?;
        for (out, value) in [
            (out_user, &job.user),
            (out_created_at, &job.created_at),
            (out_updated_at, &job.updated_at),
        ] {
            if let Some(out) = raw::optional_out(out) {
                out.write(raw::ptr_or_null(value));
            }
        }
        Ok(())
    })
}

/// The number of queries of the job.
///
/// - `out`: caller-provided storage, written only on success.
///
/// Errors: CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_batch_job_query_count(
    job: *const carto_batch_job,
    out: *mut usize,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        out.write(get(job)?.queries.len());
        Ok(())
    })
}

/// Query `index` of the job (0-based): its SQL, its status, and the server's reason when it
/// failed (NULL otherwise). A one-query job reports the job's status for its query.
///
/// - `out_sql`, `out_failed_reason`: NULL, or receive strings borrowed from the job (valid
///   until it is freed).
/// - `out_status`: NULL, or receives the query's status.
///
/// Errors: CARTO_ERR_INVALID_ARGUMENT (index out of range), CARTO_ERR_NULL_ARGUMENT,
/// CARTO_ERR_INVALID_HANDLE. Outputs are written only on success. Thread safety: any thread.
///
/// # Safety
/// The out pointers are NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_batch_job_query(
    job: *const carto_batch_job,
    index: usize,
    out_sql: *mut *const c_char,
    out_status: *mut carto_job_status,
    out_failed_reason: *mut *const c_char,
) -> carto_status {
    ffi_call!(|| {
        let handle = get(job)?;
        let (sql, status, reason) = handle.queries.get(index).ok_or_else(|| {
            FfiError::new(
                carto_status::CARTO_ERR_INVALID_ARGUMENT,
                format!(
                    "argument 'index' is {index} but the job has {} queries",
                    handle.queries.len()
                ),
            )
        })?;
        if let Some(out) = raw::optional_out(out_sql) {
            out.write(sql.as_ptr());
        }
        if let Some(out) = raw::optional_out(out_status) {
            out.write(*status);
        }
        if let Some(out) = raw::optional_out(out_failed_reason) {
            out.write(raw::ptr_or_null(reason));
        }
        Ok(())
    })
}

/// CARTO's name of a job status ("pending", "running", "done", "failed", "cancelled",
/// "skipped", "unknown"); "unknown" for a number that is no status.
///
/// Ownership: a static string, never freed. Thread safety: any thread. Never fails.
#[no_mangle]
pub extern "C" fn carto_job_status_str(status: i32) -> *const c_char {
    static NAMES: std::sync::LazyLock<Vec<(i32, CString)>> = std::sync::LazyLock::new(|| {
        JobStatus::ALL
            .iter()
            .map(|s| (*s as i32, to_cstring(s.as_str())))
            .collect()
    });
    call_value(c"unknown".as_ptr(), || {
        NAMES
            .iter()
            .find(|(number, _)| *number == status)
            .map_or(c"unknown".as_ptr(), |(_, name)| name.as_ptr())
    })
}
