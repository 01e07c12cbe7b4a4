//! Data Observatory credentials: `carto_do_credentials_get` and the immutable
//! `carto_do_credentials` it hands out.

use super::boundary::{call_void, ffi_call};
use super::client::{self, carto_client};
use super::handles::{self, opaque_handle};
use super::raw;
use super::status::{carto_status, FfiError};
use super::to_cstring;
use cartoauth_core::client::DoCredentials;
use std::ffi::{c_char, CString};
use std::sync::Arc;
use zeroize::Zeroizing;

opaque_handle! {
    /// Opaque Data Observatory credentials (api/v4/do/token): a Google Cloud access token, the
    /// BigQuery projects and dataset, the GCS bucket, and whether instant licensing is active.
    /// Immutable, so any thread may read it; freed with carto_do_credentials_free, which wipes
    /// the token from memory.
    carto_do_credentials => DoHandle
}

struct DoHandle {
    access_token: Zeroizing<Vec<u8>>,
    bq_public_project: Option<CString>,
    gcp_execution_project: Option<CString>,
    bq_project: Option<CString>,
    bq_dataset: Option<CString>,
    gcs_bucket: Option<CString>,
    instant_licensing: bool,
}

fn get(credentials: *const carto_do_credentials) -> Result<Arc<DoHandle>, FfiError> {
    handles::get::<DoHandle>(credentials, "credentials")
}

/// Asks api/v4/do/token for the account's Data Observatory credentials (what CARTOframes'
/// get_gcloud_credentials() and is_instant_licensing_active() read). The master key, or a key
/// granted the "do" API, may ask.
///
/// - `out`: receives new credentials owned by the caller (free with
///   carto_do_credentials_free).
///
/// Errors: CARTO_ERR_HTTP_FORBIDDEN (a key without the DO grant), CARTO_ERR_HTTP_UNAUTHORIZED
/// (wrong key), CARTO_ERR_HTTP_SERVER_ERROR (e.g. "The user does not have Data Observatory
/// enabled"), CARTO_ERR_PROTOCOL (no access token in the answer), the transport errors of
/// carto_client_send, CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any
/// thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_do_credentials_get(
    client: *const carto_client,
    out: *mut *mut carto_do_credentials,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        let c: DoCredentials = client::get(client)?.do_credentials()?;
        let text = |t: &Option<String>| t.as_deref().map(to_cstring);
        let mut token = Zeroizing::new(c.access_token().as_bytes().to_vec());
        token.push(0);
        out.write(handles::register(DoHandle {
            access_token: token,
            bq_public_project: text(&c.bq_public_project),
            gcp_execution_project: text(&c.gcp_execution_project),
            bq_project: text(&c.bq_project),
            bq_dataset: text(&c.bq_dataset),
            gcs_bucket: text(&c.gcs_bucket),
            instant_licensing: c.instant_licensing,
        }));
        Ok(())
    })
}

/// Releases DO credentials (wiping the token); pointers borrowed from them become invalid.
/// NULL, freed and foreign handles are ignored.
///
/// Thread safety: any thread. Does not change the last error.
#[no_mangle]
pub extern "C" fn carto_do_credentials_free(credentials: *mut carto_do_credentials) {
    call_void(|| {
        handles::release::<DoHandle>(credentials);
    });
}

/// The Google Cloud access token. A secret: the only way to read it; do not log it.
///
/// Ownership: `*out` is borrowed from the credentials, valid until they are freed. Errors:
/// CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_do_credentials_access_token(
    credentials: *const carto_do_credentials,
    out: *mut *const c_char,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        out.write(get(credentials)?.access_token.as_ptr().cast());
        Ok(())
    })
}

/// Where the account's Data Observatory data lives. Each value is NULL when the server did not
/// send it.
///
/// - `out_bq_public_project`: the public BigQuery project of DO data.
/// - `out_gcp_execution_project`: the project queries run (and are billed) in.
/// - `out_bq_project`: the account's BigQuery project (CARTOframes' get_gcloud_credentials()
///   returns it with the access token).
/// - `out_bq_dataset`: the account's BigQuery dataset.
/// - `out_gcs_bucket`: the account's Google Cloud Storage bucket.
/// - Each out pointer: NULL (not wanted), or receives a string borrowed from the credentials.
///
/// Errors: CARTO_ERR_NULL_ARGUMENT (`credentials`), CARTO_ERR_INVALID_HANDLE. Outputs are
/// written only on success. Thread safety: any thread.
///
/// # Safety
/// The out pointers are NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_do_credentials_places(
    credentials: *const carto_do_credentials,
    out_bq_public_project: *mut *const c_char,
    out_gcp_execution_project: *mut *const c_char,
    out_bq_project: *mut *const c_char,
    out_bq_dataset: *mut *const c_char,
    out_gcs_bucket: *mut *const c_char,
) -> carto_status {
    ffi_call!(|| {
        let c = get(credentials)?;
        for (out, value) in [
            (out_bq_public_project, &c.bq_public_project),
            (out_gcp_execution_project, &c.gcp_execution_project),
            (out_bq_project, &c.bq_project),
            (out_bq_dataset, &c.bq_dataset),
            (out_gcs_bucket, &c.gcs_bucket),
        ] {
            if let Some(out) = raw::optional_out(out) {
                out.write(raw::ptr_or_null(value));
            }
        }
        Ok(())
    })
}

/// Whether instant licensing of DO datasets is active (CARTOframes'
/// is_instant_licensing_active()).
///
/// - `out`: caller-provided storage, written only on success.
///
/// Errors: CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_do_credentials_instant_licensing(
    credentials: *const carto_do_credentials,
    out: *mut bool,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        out.write(get(credentials)?.instant_licensing);
        Ok(())
    })
}
