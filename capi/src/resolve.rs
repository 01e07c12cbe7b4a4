//! Credential resolution through the C ABI.

use super::boundary::ffi_call;
use super::credentials::{self, carto_credentials};
use super::handles;
use super::raw;
use super::status::carto_status;

/// Resolves the credentials to use, in this order:
/// 1. `explicit_credentials`, when not NULL;
/// 2. the process default (carto_default_credentials_set);
/// 3. the environment: CARTO_USERNAME and/or CARTO_BASE_URL (with CARTO_API_KEY and
///    CARTO_ALLOW_NON_SECURE); else CARTO_CREDENTIALS_FILE (a file); else CARTO_PROFILE (a
///    profile); blank values count as unset;
/// 4. the default files: cartocreds.json, then CARTOframes' creds.json, in the config
///    directory (carto_config_dir);
/// 5. otherwise CARTO_ERR_NOT_RESOLVED, whose message lists every place tried.
///
/// A source that was named but is broken is an error, not skipped: CARTO_API_KEY without
/// CARTO_USERNAME/CARTO_BASE_URL, a bad URL in CARTO_BASE_URL (CARTO_ERR_INVALID_ENVIRONMENT),
/// CARTO_CREDENTIALS_FILE naming a missing or corrupt file, a missing profile, a corrupt
/// default file. A missing default file is skipped quietly.
///
/// The result tells where it came from (carto_credentials_source, _origin, _origin_path,
/// _origin_profile) and carries warnings (carto_credentials_warning).
///
/// - `explicit_credentials`: NULL or a live handle (the caller keeps ownership).
/// - `out`: receives a new handle owned by the caller; written only on success.
///
/// Errors: CARTO_ERR_NOT_RESOLVED, CARTO_ERR_INVALID_ENVIRONMENT, the file errors of
/// carto_credentials_load, CARTO_ERR_INVALID_HANDLE, CARTO_ERR_NULL_ARGUMENT. Thread safety:
/// any thread (reads the environment; do not change it concurrently from C).
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_resolve(
    explicit_credentials: *const carto_credentials,
    out: *mut *mut carto_credentials,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        let explicit = handles::get_optional::<credentials::CredentialsHandle>(
            explicit_credentials,
            "explicit_credentials",
        )?;
        let resolved = cartoauth_core::resolve(explicit.as_ref().map(|h| &h.credentials))?;
        credentials::hand_out(resolved, out);
        Ok(())
    })
}
