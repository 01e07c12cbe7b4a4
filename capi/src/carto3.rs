//! CARTO 3 through the C ABI: credentials of each kind, tokens for the caller, SQL API v3
//! jobs, `POST /v3/tokens`, connections, the Data Warehouse token and the Maps API.
//!
//! Rules live in the core; this file converts arguments and results.

use super::batch::{carto_batch_wait_fn, carto_job_status};
use super::boundary::{call_void, ffi_call, function_name};
use super::client::{self, carto_client};
use super::credentials::{self, carto_credentials, hand_out as hand_out_credentials};
use super::enums::core_enum;
use super::handles::{self, opaque_handle};
use super::raw::{self, optional_str_arg, str_arg_required, Callback};
use super::status::carto_status;
use super::to_cstring;
use cartoauth_core::client::{MapSource, SqlJob, TokenGrants, WaitOptions};
use cartoauth_core::kind::{CredentialKind, Platform};
use cartoauth_core::Credentials;
use std::ffi::{c_char, c_void, CString};
use std::time::Duration;

core_enum! {
    /// The kind of credential a carto_credentials holds (carto_credentials_kind).
    carto_credential_kind = CredentialKind, variants CARTO_KIND_ {
        /// A CARTO 3 user who signs in with a browser (carto_signin_begin).
        OAuthUser: OAUTH_USER,
    }
}

/// The common tail of the CARTO 3 constructors: platform, http, OAuth server.
fn carto3_builder(
    api_base_url: &str,
    auth_url: Option<&str>,
    declare_carto3: bool,
    allow_non_secure: bool,
) -> cartoauth_core::CredentialsBuilder {
    let mut builder = Credentials::builder()
        .base_url(api_base_url)
        .allow_non_secure(allow_non_secure);
    if declare_carto3 {
        builder = builder.platform(Platform::Carto3);
    }
    if let Some(url) = auth_url {
        builder = builder.auth_url(url);
    }
    builder
}

/// Creates CARTO 3 credentials that send `token` as given (an API access token, or a token
/// obtained elsewhere).
///
/// - `api_base_url`: the API base URL (https://gcp-us-east1.api.carto.com, a self-hosted
///   https://host/api). A URL that does not say CARTO 3 (neither `*.api.carto.com` nor a path
///   ending in `/api`) is refused unless `declare_carto3`: a token never goes to a CARTO 2 host.
/// - `token`: the token; it is copied (and wiped from cartoauth's memory when freed).
/// - `out`: receives a new handle owned by the caller (carto_credentials_free), written only on
///   success.
///
/// Errors: CARTO_ERR_MISSING_ACCOUNT, CARTO_ERR_INVALID_BASE_URL, CARTO_ERR_INSECURE_BASE_URL,
/// CARTO_ERR_INVALID_ARGUMENT (a CARTO 2 URL, a blank token), CARTO_ERR_INVALID_UTF8,
/// CARTO_ERR_NULL_ARGUMENT. Thread safety: any thread.
///
/// # Safety
/// The strings are NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_credentials_new_access_token(
    api_base_url: *const c_char,
    token: *const c_char,
    declare_carto3: bool,
    allow_non_secure: bool,
    out: *mut *mut carto_credentials,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        // SAFETY: forwarded caller contract.
        let (url, token) = unsafe {
            (
                str_arg_required(api_base_url, "api_base_url")?,
                str_arg_required(token, "token")?,
            )
        };
        let credentials = carto3_builder(url, None, declare_carto3, allow_non_secure)
            .access_token(token)
            .build()?;
        hand_out_credentials(credentials, out);
        Ok(())
    })
}

/// Creates CARTO 3 machine-to-machine credentials: tokens are minted with `client_id` and
/// `client_secret` at the OAuth server (`auth_url`, NULL for https://auth.carto.com), cached
/// and refreshed before they expire.
///
/// - `api_base_url`, `declare_carto3`, `allow_non_secure`: as in
///   carto_credentials_new_access_token (`allow_non_secure` also admits an http:// `auth_url`).
/// - `client_id`, `client_secret`: the application's; copied.
/// - `out`: receives a new handle owned by the caller (carto_credentials_free).
///
/// Errors: as carto_credentials_new_access_token. Thread safety: any thread.
///
/// # Safety
/// The strings are NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_credentials_new_m2m(
    api_base_url: *const c_char,
    client_id: *const c_char,
    client_secret: *const c_char,
    auth_url: *const c_char,
    declare_carto3: bool,
    allow_non_secure: bool,
    out: *mut *mut carto_credentials,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        // SAFETY: forwarded caller contract.
        let (url, id, secret, auth) = unsafe {
            (
                str_arg_required(api_base_url, "api_base_url")?,
                str_arg_required(client_id, "client_id")?,
                str_arg_required(client_secret, "client_secret")?,
                optional_str_arg(auth_url, "auth_url")?,
            )
        };
        let credentials = carto3_builder(url, auth, declare_carto3, allow_non_secure)
            .m2m_client(id, secret)
            .build()?;
        hand_out_credentials(credentials, out);
        Ok(())
    })
}

/// Creates CARTO 3 credentials of a user who signs in with a browser (carto_signin_begin).
/// Their token comes from the token cache, where a sign-in (in this process or another) left
/// it; a request without one fails with CARTO_ERR_SIGNIN_REQUIRED.
///
/// - `client_id`: the OAuth application; NULL for CARTO's public one (carto-auth's).
/// - `organization`: the SSO organization to sign in through, or NULL.
/// - `auth_url`, `api_base_url`, `declare_carto3`, `allow_non_secure`: as in
///   carto_credentials_new_m2m.
/// - `out`: receives a new handle owned by the caller (carto_credentials_free).
///
/// Errors: as carto_credentials_new_access_token. Thread safety: any thread.
///
/// # Safety
/// The strings are NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_credentials_new_oauth_user(
    api_base_url: *const c_char,
    client_id: *const c_char,
    organization: *const c_char,
    auth_url: *const c_char,
    declare_carto3: bool,
    allow_non_secure: bool,
    out: *mut *mut carto_credentials,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        // SAFETY: forwarded caller contract.
        let (url, id, org, auth) = unsafe {
            (
                str_arg_required(api_base_url, "api_base_url")?,
                optional_str_arg(client_id, "client_id")?,
                optional_str_arg(organization, "organization")?,
                optional_str_arg(auth_url, "auth_url")?,
            )
        };
        let mut builder =
            carto3_builder(url, auth, declare_carto3, allow_non_secure).oauth_user(id);
        if let Some(org) = org {
            builder = builder.organization(org);
        }
        hand_out_credentials(builder.build()?, out);
        Ok(())
    })
}

/// The kind of credential (`*out`): CARTO_KIND_API_KEY (CARTO 2), or a CARTO 3 kind.
///
/// Errors: CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
/// Ownership: nothing is handed out.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_credentials_kind(
    credentials: *const carto_credentials,
    out: *mut carto_credential_kind,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        let handle = credentials::get(credentials, "credentials")?;
        out.write(handle.credentials.kind());
        Ok(())
    })
}

/// The platform generation of the base URL (`*out`): 2 (CARTO 2) or 3 (CARTO 3).
///
/// Errors: CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
/// Ownership: nothing is handed out.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_credentials_platform(
    credentials: *const carto_credentials,
    out: *mut i32,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        let handle = credentials::get(credentials, "credentials")?;
        out.write(handle.credentials.platform() as i32);
        Ok(())
    })
}

/// The OAuth client id of M2M and sign-in credentials, or NULL in `*out`.
///
/// Ownership: `*out` is borrowed from the handle and valid until it is freed. Errors:
/// CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_credentials_client_id(
    credentials: *const carto_credentials,
    out: *mut *const c_char,
) -> carto_status {
    credentials::borrowed(function_name!(), credentials, out, |h| {
        raw::ptr_or_null(&h.client_id)
    })
}

/// A CARTO 3 token valid now, for the caller to send itself (GDAL headers, a browser map):
/// from the token cache, minted first when it holds none that needs no refresh. Never a token
/// in its mandatory refresh window.
///
/// - `token_out`: receives the token, owned by the caller: release it with carto_string_free
///   (which wipes it).
/// - `expires_at_out`: NULL, or receives the expiry in seconds since the epoch (-1 for a
///   static token that is not a JWT).
///
/// Errors: CARTO_ERR_INVALID_ARGUMENT (CARTO 2 credentials), CARTO_ERR_SIGNIN_REQUIRED,
/// CARTO_ERR_TOKEN_EXPIRED, the token endpoint's HTTP and transport errors,
/// CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread; threads and
/// processes sharing the cache mint once.
///
/// # Safety
/// `token_out` is NULL or writable; `expires_at_out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_client_access_token(
    client: *const carto_client,
    token_out: *mut *mut c_char,
    expires_at_out: *mut i64,
) -> carto_status {
    ffi_call!(|| {
        let token_out = raw::out(token_out, "token_out")?;
        let expires_out = raw::optional_out(expires_at_out);
        let token = client::get(client)?.access_token()?;
        token_out.write(raw::owned_string(token.token.expose()));
        if let Some(out) = expires_out {
            out.write(token.expires_at.unwrap_or(-1));
        }
        Ok(())
    })
}

/// When the token the cache holds for the client's CARTO 3 credentials expires (`*out`,
/// seconds since the epoch), without asking any server; -1 when none is known.
///
/// Errors: CARTO_ERR_INVALID_ARGUMENT (CARTO 2 credentials), CARTO_ERR_IO (an unreadable
/// cache), CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
/// Ownership: nothing is handed out.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_client_token_expiry(
    client: *const carto_client,
    out: *mut i64,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        let status = client::get(client)?.token_status()?;
        out.write(status.expires_at.unwrap_or(-1));
        Ok(())
    })
}

/// Forgets the client's cached CARTO 3 token, here and in the cache (signing out);
/// `*had_out` (NULL allowed) says whether the cache held one.
///
/// Errors: CARTO_ERR_INVALID_ARGUMENT (CARTO 2 credentials), CARTO_ERR_IO,
/// CARTO_ERR_LOCK_TIMEOUT, CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety:
/// any thread. Ownership: nothing is handed out.
///
/// # Safety
/// `had_out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_client_forget_token(
    client: *const carto_client,
    had_out: *mut bool,
) -> carto_status {
    ffi_call!(|| {
        let had = client::get(client)?.forget_token()?;
        if let Some(out) = raw::optional_out(had_out) {
            out.write(had);
        }
        Ok(())
    })
}

opaque_handle! {
    /// Opaque SQL API v3 job (carto_client_sql_job_create, _status, _cancel, _wait); freed with
    /// carto_sql_job_free. Immutable: any thread may read it.
    carto_sql_job => SqlJobHandle
}

struct SqlJobHandle {
    job: SqlJob,
    id: CString,
    error: Option<CString>,
}

fn hand_out_job(job: SqlJob, out: raw::Out<*mut carto_sql_job>) {
    out.write(handles::register(SqlJobHandle {
        id: to_cstring(&job.id),
        error: job.error.as_deref().map(to_cstring),
        job,
    }));
}

/// Starts a SQL API v3 job on `connection` (a query the server runs in the background).
///
/// - `connection`: the connection name (e.g. carto_dw); `query`: the SQL; `parameters_json`:
///   NULL, or a JSON array (`$1` placeholders) or object (`@name`).
/// - `out`: receives a new job owned by the caller (carto_sql_job_free).
///
/// Errors: CARTO_ERR_INVALID_ARGUMENT (a blank query, bad parameters, CARTO 2 credentials), the
/// HTTP and transport errors, CARTO_ERR_INVALID_UTF8, CARTO_ERR_NULL_ARGUMENT,
/// CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// The strings are NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_client_sql_job_create(
    client: *const carto_client,
    connection: *const c_char,
    query: *const c_char,
    parameters_json: *const c_char,
    out: *mut *mut carto_sql_job,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        // SAFETY: forwarded caller contract.
        let (connection, query, parameters) = unsafe {
            (
                str_arg_required(connection, "connection")?,
                str_arg_required(query, "query")?,
                optional_str_arg(parameters_json, "parameters_json")?,
            )
        };
        let job = client::get(client)?.sql_job_create(connection, query, parameters)?;
        hand_out_job(job, out);
        Ok(())
    })
}

/// Reads a SQL API v3 job's status (`job_id` as carto_sql_job_id gives it).
///
/// - `out`: receives a new job owned by the caller (carto_sql_job_free).
///
/// Errors: as carto_client_sql_job_create; a malformed id is CARTO_ERR_INVALID_ARGUMENT,
/// without a request. Thread safety: any thread.
///
/// # Safety
/// The strings are NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_client_sql_job_status(
    client: *const carto_client,
    connection: *const c_char,
    job_id: *const c_char,
    out: *mut *mut carto_sql_job,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        // SAFETY: forwarded caller contract.
        let (connection, id) = unsafe {
            (
                str_arg_required(connection, "connection")?,
                str_arg_required(job_id, "job_id")?,
            )
        };
        hand_out_job(client::get(client)?.sql_job_status(connection, id)?, out);
        Ok(())
    })
}

/// Cancels a SQL API v3 job and returns its status afterwards.
///
/// - `out`: NULL, or receives a new job owned by the caller (carto_sql_job_free).
///
/// Errors: as carto_client_sql_job_status. Thread safety: any thread, also while another
/// thread waits for the job.
///
/// # Safety
/// The strings are NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_client_sql_job_cancel(
    client: *const carto_client,
    connection: *const c_char,
    job_id: *const c_char,
    out: *mut *mut carto_sql_job,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::optional_out(out);
        // SAFETY: forwarded caller contract.
        let (connection, id) = unsafe {
            (
                str_arg_required(connection, "connection")?,
                str_arg_required(job_id, "job_id")?,
            )
        };
        let job = client::get(client)?.sql_job_cancel(connection, id)?;
        if let Some(out) = out {
            hand_out_job(job, out);
        }
        Ok(())
    })
}

type WaitCFn = unsafe extern "C" fn(*mut c_void, carto_job_status, u32) -> i32;

/// Waits for a SQL API v3 job to end, polling with backoff (250 ms growing to 5 s), at most
/// `timeout_ms` (0: one hour). `callback` (NULL allowed) is called after each poll on this
/// thread with the status and the number of polls; a non-zero return stops the wait.
///
/// - `out`: NULL, or receives the finished job, owned by the caller (carto_sql_job_free).
///
/// Errors: CARTO_ERR_BATCH_JOB_FAILED (the server's reason in the message),
/// CARTO_ERR_BATCH_JOB_CANCELLED, CARTO_ERR_WAIT_TIMEOUT and CARTO_ERR_CANCELLED (the job
/// goes on), those of carto_client_sql_job_status. Thread safety: any thread; `user_data` is
/// used only on this thread, during this call.
///
/// # Safety
/// The strings are NULL or NUL-terminated; `out` is NULL or writable; `callback`, when not
/// NULL, may be called with `user_data` on this thread until the call returns.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_client_sql_job_wait(
    client: *const carto_client,
    connection: *const c_char,
    job_id: *const c_char,
    timeout_ms: u64,
    callback: carto_batch_wait_fn,
    user_data: *mut c_void,
    out: *mut *mut carto_sql_job,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::optional_out(out);
        // SAFETY: forwarded caller contract.
        let (connection, id) = unsafe {
            (
                str_arg_required(connection, "connection")?,
                str_arg_required(job_id, "job_id")?,
            )
        };
        let options = WaitOptions {
            timeout: if timeout_ms == 0 {
                WaitOptions::default().timeout
            } else {
                Duration::from_millis(timeout_ms)
            },
            ..WaitOptions::default()
        };
        let callback = callback.map(|function| Callback::<WaitCFn> {
            function,
            user_data,
        });
        let mut polls = 0u32;
        let mut report = |job: &SqlJob| -> bool {
            polls = polls.saturating_add(1);
            match &callback {
                // SAFETY: the caller supplied a valid function and a user_data it may use on
                // this thread (the contract above).
                Some(cb) => unsafe { (cb.function)(cb.user_data, job.status, polls) == 0 },
                None => true,
            }
        };
        let job = client::get(client)?.sql_job_wait(connection, id, &options, Some(&mut report))?;
        if let Some(out) = out {
            hand_out_job(job, out);
        }
        Ok(())
    })
}

/// Frees a job; NULL and freed handles are ignored.
///
/// Ownership: releases the caller's handle. Never fails; does not change the last error.
/// Thread safety: any thread, once.
#[no_mangle]
pub extern "C" fn carto_sql_job_free(job: *mut carto_sql_job) {
    call_void(|| {
        handles::release::<SqlJobHandle>(job);
    });
}

/// The job's id (`*out`), borrowed from the handle until it is freed.
///
/// Errors: CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_sql_job_id(
    job: *const carto_sql_job,
    out: *mut *const c_char,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        let handle = handles::get::<SqlJobHandle>(job, "job")?;
        out.write(handle.id.as_ptr());
        Ok(())
    })
}

/// The job's status (`*out`) when it was read, and (`error_out`, NULL allowed) why it failed
/// or NULL, borrowed from the handle until it is freed.
///
/// Errors: CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or writable; `error_out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_sql_job_status(
    job: *const carto_sql_job,
    out: *mut carto_job_status,
    error_out: *mut *const c_char,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        let handle = handles::get::<SqlJobHandle>(job, "job")?;
        out.write(handle.job.status);
        if let Some(error_out) = raw::optional_out(error_out) {
            error_out.write(raw::ptr_or_null(&handle.error));
        }
        Ok(())
    })
}

/// Mints a least-privilege API access token with `POST /v3/tokens`.
///
/// - `grants_json`: the body CARTO takes: `{"grants": [{"connection_name": "carto_dw",
///   "source": "SELECT ..."}], "referers": [], "allowed_apis": ["sql", "maps"]}` (the lists
///   optional).
/// - `token_out`: receives the new token, owned by the caller (carto_string_free).
///
/// Errors: CARTO_ERR_INVALID_ARGUMENT (bad grants), the HTTP errors (403: the caller's token
/// may not mint), CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_UTF8, CARTO_ERR_INVALID_HANDLE.
/// Thread safety: any thread.
///
/// # Safety
/// `grants_json` is NULL or NUL-terminated; `token_out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_client_create_token(
    client: *const carto_client,
    grants_json: *const c_char,
    token_out: *mut *mut c_char,
) -> carto_status {
    ffi_call!(|| {
        let token_out = raw::out(token_out, "token_out")?;
        // SAFETY: forwarded caller contract.
        let text = unsafe { str_arg_required(grants_json, "grants_json") }?;
        let grants = TokenGrants::from_json(text)?;
        let token = client::get(client)?.create_token(&grants)?;
        token_out.write(raw::owned_string(token.expose()));
        Ok(())
    })
}

/// The CARTO Data Warehouse's BigQuery project and short-lived token
/// (`GET /v3/connections/carto-dw/token`).
///
/// - `project_out`, `token_out`: receive strings owned by the caller (carto_string_free).
///
/// Errors: the HTTP and transport errors, CARTO_ERR_PROTOCOL (an answer without them),
/// CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `project_out` and `token_out` are NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_client_dw_token(
    client: *const carto_client,
    project_out: *mut *mut c_char,
    token_out: *mut *mut c_char,
) -> carto_status {
    ffi_call!(|| {
        let project_out = raw::out(project_out, "project_out")?;
        let token_out = raw::out(token_out, "token_out")?;
        let dw = client::get(client)?.dw_token()?;
        project_out.write(raw::owned_string(&dw.project_id));
        token_out.write(raw::owned_string(dw.token.expose()));
        Ok(())
    })
}

/// The account's connections (`GET /v3/connections`) as a JSON array of CARTO's entries
/// (`name`, provider, ...).
///
/// - `json_out`: receives the JSON text, owned by the caller (carto_string_free).
///
/// Errors: the HTTP and transport errors, CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE.
/// Thread safety: any thread.
///
/// # Safety
/// `json_out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_client_connections(
    client: *const carto_client,
    json_out: *mut *mut c_char,
) -> carto_status {
    ffi_call!(|| {
        let json_out = raw::out(json_out, "json_out")?;
        let connections = client::get(client)?.connections()?;
        let items: Vec<serde_json::Value> = connections
            .iter()
            .filter_map(|c| serde_json::from_str(&c.raw).ok())
            .collect();
        json_out.write(raw::owned_string(
            &serde_json::Value::Array(items).to_string(),
        ));
        Ok(())
    })
}

/// Instantiates a map (`POST /v3/maps/{connection}/{query|table}`) and gives CARTO's answer
/// (`tilejson.url`, `geojson.url`, `schema`, ...) as JSON text; fetch its data URLs with
/// carto_client_send (they are on the API base URL's origin, where the token goes).
///
/// - `table`: false for a SQL query in `source`, true for a table name.
/// - `options_json`: NULL, or a JSON object of extra parameters (`spatialDataColumn`, ...).
/// - `json_out`: receives the answer, owned by the caller (carto_string_free).
///
/// Errors: CARTO_ERR_INVALID_ARGUMENT, the HTTP and transport errors, CARTO_ERR_INVALID_UTF8,
/// CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// The strings are NULL or NUL-terminated; `json_out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_client_map_instantiate(
    client: *const carto_client,
    connection: *const c_char,
    table: bool,
    source: *const c_char,
    options_json: *const c_char,
    json_out: *mut *mut c_char,
) -> carto_status {
    ffi_call!(|| {
        let json_out = raw::out(json_out, "json_out")?;
        // SAFETY: forwarded caller contract.
        let (connection, source, options) = unsafe {
            (
                str_arg_required(connection, "connection")?,
                str_arg_required(source, "source")?,
                optional_str_arg(options_json, "options_json")?,
            )
        };
        let kind = if table {
            MapSource::Table
        } else {
            MapSource::Query
        };
        let map = client::get(client)?.map_instantiate(connection, kind, source, options)?;
        json_out.write(raw::owned_string(&map.raw));
        Ok(())
    })
}
