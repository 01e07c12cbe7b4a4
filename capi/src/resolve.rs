//! Credential resolution through the C ABI.

use super::boundary::ffi_call;
use super::credentials::{self, carto_credentials};
use super::handles;
use super::raw;
use super::status::carto_status;

/// Resolves the credentials to use, in this order:
/// 1. `explicit_credentials`, when not NULL;
/// 2. the process default (carto_default_credentials_set);
/// 3. the environment: CARTO 3's CARTO_API_TOKEN, else CARTO_M2M_CLIENT_ID +
///    CARTO_M2M_CLIENT_SECRET (with CARTO_API_BASE_URL or CARTO_BASE_URL); else CARTO_USERNAME
///    and/or CARTO_BASE_URL (with CARTO_API_KEY and CARTO_ALLOW_NON_SECURE); else
///    CARTO_CREDENTIALS_FILE (a file, carto-auth's carto_credentials.json included); else
///    CARTO_PROFILE (a profile, or one of the CARTO CLI's); blank values count as unset;
/// 4. the default files: cartocreds.json, then CARTOframes' creds.json, in the config
///    directory (carto_config_dir); then the CARTO CLI's ~/.carto_credentials.json and
///    carto-auth's token caches ~/.carto-auth/token_oauth.json and token_m2m.json;
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

/// A situation report of credential resolution, as JSON text, for tools and bindings that
/// explain it (as R's situation report does): the credentials resolution would use
/// (`credentials`: masked description, `kind`, `platform`, `base_url`, `origin`, `warnings`)
/// or why there are none (`error`, `error_status`), the sources tried before (`tried`) and
/// the ones hidden behind the answer (`shadowed`), and for CARTO 3 credentials what the token
/// cache holds (`token`: `cache`, `expires_at` in seconds since the epoch or null). Nothing
/// is sent to any server; no secret is included.
///
/// - `json_out`: receives the JSON text, owned by the caller (carto_string_free).
///
/// Errors: CARTO_ERR_NULL_ARGUMENT (a failed resolution is reported in the JSON, not as an
/// error). Thread safety: any thread (reads the environment).
///
/// # Safety
/// `json_out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_resolve_explained(
    json_out: *mut *mut std::ffi::c_char,
) -> carto_status {
    ffi_call!(|| {
        let json_out = raw::out(json_out, "json_out")?;
        let (result, explanation) = cartoauth_core::resolve_explained_with(
            None,
            cartoauth_core::default_credentials(),
            &cartoauth_core::env::ProcessEnvironment,
        );
        let shadowed: Vec<String> = explanation
            .shadowed
            .iter()
            .map(|s| s.description.clone())
            .collect();
        let mut doc = serde_json::json!({
            "credentials": null, "error": null, "error_status": null,
            "tried": explanation.tried, "shadowed": shadowed, "token": null,
        });
        match result {
            Ok(credentials) => {
                let origin = credentials.origin();
                doc["credentials"] = serde_json::json!({
                    "description": credentials.to_string(),
                    "kind": credentials.kind().name(),
                    "platform": credentials.platform() as i32,
                    "base_url": credentials.base_url(),
                    "origin": origin.to_string(),
                    "warnings": origin.warnings(),
                });
                if credentials.platform() == cartoauth_core::Platform::Carto3 {
                    let status = cartoauth_core::Client::new(
                        credentials,
                        cartoauth_core::ClientOptions::default(),
                    )
                    .and_then(|client| client.token_status());
                    doc["token"] = match status {
                        Ok(status) => serde_json::json!({
                            "cache": status.store, "expires_at": status.expires_at,
                        }),
                        Err(e) => serde_json::json!({"cache": null, "expires_at": null,
                            "error": e.message()}),
                    };
                }
            }
            Err(e) => {
                doc["error"] = e.message().into();
                doc["error_status"] = super::status::carto_status::from(e.kind())
                    .name()
                    .to_string_lossy()
                    .into_owned()
                    .into();
            }
        }
        json_out.write(raw::owned_string(&doc.to_string()));
        Ok(())
    })
}
