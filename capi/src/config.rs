//! Credentials files and profiles through the C ABI.
//!
//! Every function takes a location as (`path`, `profile`): both NULL means the default files of
//! the config directory; a path names a file; a profile names `<config dir>/profiles/<name>.json`;
//! both given is CARTO_ERR_INVALID_ARGUMENT.

use super::boundary::ffi_call;
use super::credentials::{self, carto_credentials};
use super::raw::{self, optional_str_arg};
use super::status::{carto_status, FfiError};
use cartoauth_core::config::{self, FileFormat, FileUpdate, Location, SaveOptions};
use cartoauth_core::CredentialStore;
use std::ffi::c_char;
use zeroize::Zeroize;

/// Let the library choose: cartocreds layout for files, CARTOframes 1.x layout for profiles.
pub const CARTO_FILE_FORMAT_AUTO: i32 = 0;
/// {"APIKEY", "USERNAME", "USERURL"}: the native cartocreds.json layout.
pub const CARTO_FILE_FORMAT_CARTOCREDS: i32 = 1;
/// {"username", "api_key", "base_url", "allow_non_secure"}: Python CARTOframes 1.x creds.json.
pub const CARTO_FILE_FORMAT_CARTOFRAMES: i32 = 2;

/// Where a saved secret goes: CARTO_CREDENTIAL_STORE, else CARTO_STORE_AUTO.
pub const CARTO_STORE_DEFAULT: i32 = -1;
/// The OS keychain when one answers, else the file (a warning on the saved credentials says
/// so, once per process, and carto_credentials_storage says "file").
pub const CARTO_STORE_AUTO: i32 = 0;
/// The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager), or
/// CARTO_ERR_KEYCHAIN_UNAVAILABLE / CARTO_ERR_KEYCHAIN_TIMEOUT; never the file.
pub const CARTO_STORE_KEYCHAIN: i32 = 1;
/// The file, the secret in plain text (0600): what Python CARTOframes and carto-auth read.
pub const CARTO_STORE_FILE: i32 = 2;

/// Keep the stored allow_non_secure value (carto_credentials_file_update).
pub const CARTO_KEEP: i32 = -1;

/// # Safety
/// Both are NULL or NUL-terminated strings.
unsafe fn location(path: *const c_char, profile: *const c_char) -> Result<Location, FfiError> {
    // SAFETY: forwarded caller contract.
    let (path, profile) = unsafe {
        (
            optional_str_arg(path, "path")?,
            optional_str_arg(profile, "profile")?,
        )
    };
    Ok(Location::from_parts(path, profile)?)
}

fn file_format(format: i32) -> Result<Option<FileFormat>, FfiError> {
    match format {
        CARTO_FILE_FORMAT_AUTO => Ok(None),
        CARTO_FILE_FORMAT_CARTOCREDS => Ok(Some(FileFormat::CartoCreds)),
        CARTO_FILE_FORMAT_CARTOFRAMES => Ok(Some(FileFormat::CartoFrames)),
        other => Err(FfiError::new(
            carto_status::CARTO_ERR_INVALID_ARGUMENT,
            format!("format {other} is not one of CARTO_FILE_FORMAT_AUTO (0), _CARTOCREDS (1), _CARTOFRAMES (2)"),
        )),
    }
}

fn credential_store(store: i32) -> Result<Option<CredentialStore>, FfiError> {
    match store {
        CARTO_STORE_DEFAULT => Ok(None),
        CARTO_STORE_AUTO => Ok(Some(CredentialStore::Auto)),
        CARTO_STORE_KEYCHAIN => Ok(Some(CredentialStore::Keychain)),
        CARTO_STORE_FILE => Ok(Some(CredentialStore::File)),
        other => Err(FfiError::new(
            carto_status::CARTO_ERR_INVALID_ARGUMENT,
            format!("store {other} is not one of CARTO_STORE_DEFAULT (-1), _AUTO (0), _KEYCHAIN (1), _FILE (2)"),
        )),
    }
}

/// Loads credentials from a file or profile. The layout is detected from the keys: cartocreds
/// (APIKEY/USERNAME/USERURL, with {username} expanded in USERURL), CARTOframes 1.x creds.json
/// (username/api_key/base_url/allow_non_secure) and the 2019 layouts (key/username/base_url,
/// username/api_key/base_url). With no path and no profile, reads cartocreds.json, else
/// creds.json, from the config directory. A file that others can read loads with a warning
/// (carto_credentials_warning). A file whose secret is in the OS keychain (a "keychain"
/// reference, see carto_credentials_save_as) gets it from there (carto_credentials_storage
/// says "keychain"). The file is never modified.
///
/// - `path`, `profile`: which file. Both NULL: the default files of the config directory
///   (carto_config_dir). A path: that file (a leading "~/" is the home directory). A profile:
///   "<config dir>/profiles/<profile>.json". Both given: CARTO_ERR_INVALID_ARGUMENT. The other
///   file functions take `path` and `profile` the same way. The caller keeps ownership.
/// - `out`: receives a new handle owned by the caller; written only on success.
///
/// Errors: CARTO_ERR_FILE_NOT_FOUND, CARTO_ERR_FILE_SYNTAX (message has path:line:column),
/// CARTO_ERR_FILE_CONTENT (message names the field), CARTO_ERR_INSECURE_BASE_URL and the other
/// credentials errors (message names the file and field), CARTO_ERR_IO,
/// CARTO_ERR_INVALID_ARGUMENT, CARTO_ERR_INVALID_UTF8, CARTO_ERR_NULL_ARGUMENT,
/// CARTO_ERR_KEYCHAIN_UNAVAILABLE, CARTO_ERR_KEYCHAIN_TIMEOUT (3 s),
/// CARTO_ERR_KEYCHAIN_ITEM_NOT_FOUND. Thread safety: any thread; concurrent writers never
/// expose a partial file.
///
/// # Safety
/// `path` and `profile` are NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_credentials_load(
    path: *const c_char,
    profile: *const c_char,
    out: *mut *mut carto_credentials,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        // SAFETY: forwarded caller contract.
        let location = unsafe { location(path, profile) }?;
        credentials::hand_out(config::load(&location)?, out);
        Ok(())
    })
}

/// Saves credentials to a file or profile, atomically (temporary file in the same directory,
/// fsync, rename) with mode 0600, creating missing directories with mode 0700, under an
/// advisory lock shared with every other cartoauth writer. An existing file is replaced.
/// The secret goes where CARTO_CREDENTIAL_STORE says: by default the OS keychain when one
/// answers, else the file (carto_credentials_save_as takes the choice and tells where it went).
/// Symbolic links: a link at the path is resolved once and the real file is replaced next to
/// itself (the link stays); a link in a directory that group or others can write is refused
/// (CARTO_ERR_IO), and the lock file is never created through a link.
///
/// - `format`: CARTO_FILE_FORMAT_AUTO (cartocreds for files, CARTOframes 1.x for profiles so
///   Python can load them), _CARTOCREDS or _CARTOFRAMES. With no path and no profile,
///   _CARTOFRAMES writes CARTOframes' own creds.json and the others write cartocreds.json.
/// - `out_path`: NULL, or receives the path written as an owned string (free with
///   carto_string_free).
///
/// Errors: CARTO_ERR_IO, CARTO_ERR_LOCK_TIMEOUT, CARTO_ERR_INVALID_ARGUMENT,
/// CARTO_ERR_INVALID_HANDLE, CARTO_ERR_INVALID_UTF8, CARTO_ERR_NULL_ARGUMENT. On error the
/// previous file, if any, is intact. Thread safety: any thread and any process.
///
/// # Safety
/// Strings are NULL or NUL-terminated; `out_path` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_credentials_save(
    credentials: *const carto_credentials,
    path: *const c_char,
    profile: *const c_char,
    format: i32,
    out_path: *mut *mut c_char,
) -> carto_status {
    ffi_call!(|| {
        let out_path = raw::optional_out(out_path);
        let handle = credentials::get(credentials, "credentials")?;
        // SAFETY: forwarded caller contract.
        let location = unsafe { location(path, profile) }?;
        let written = config::save(&handle.credentials, &location, file_format(format)?)?;
        if let Some(out) = out_path {
            out.write(raw::owned_string(&written.display().to_string()));
        }
        Ok(())
    })
}

/// Saves credentials like carto_credentials_save, choosing where the secret goes, and returns
/// them as stored: their origin names the file (carto_credentials_origin_path) and profile,
/// carto_credentials_storage says "keychain" or "file", carto_credentials_keychain_item names
/// the item, and a warning (carto_credentials_warning) tells when CARTO_STORE_AUTO found no
/// keychain and put the secret in the file (once per process). The old file's keychain item,
/// if any, is deleted.
///
/// - `format`: as for carto_credentials_save.
/// - `store`: CARTO_STORE_DEFAULT (CARTO_CREDENTIAL_STORE, else auto), CARTO_STORE_AUTO,
///   CARTO_STORE_KEYCHAIN or CARTO_STORE_FILE (the plain file Python CARTOframes reads: an
///   explicit choice).
/// - `out`: receives a new handle owned by the caller (carto_credentials_free); written only
///   on success.
///
/// Errors: CARTO_ERR_KEYCHAIN_UNAVAILABLE and CARTO_ERR_KEYCHAIN_TIMEOUT (CARTO_STORE_KEYCHAIN
/// only; nothing is written then), CARTO_ERR_INVALID_ENVIRONMENT (a bad CARTO_CREDENTIAL_STORE),
/// CARTO_ERR_IO, CARTO_ERR_LOCK_TIMEOUT, CARTO_ERR_INVALID_ARGUMENT, CARTO_ERR_INVALID_HANDLE,
/// CARTO_ERR_INVALID_UTF8, CARTO_ERR_NULL_ARGUMENT. A keychain call is cut off after 3 s.
/// Thread safety: any thread and any process.
///
/// # Safety
/// Strings are NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_credentials_save_as(
    credentials: *const carto_credentials,
    path: *const c_char,
    profile: *const c_char,
    format: i32,
    store: i32,
    out: *mut *mut carto_credentials,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        let handle = credentials::get(credentials, "credentials")?;
        // SAFETY: forwarded caller contract.
        let location = unsafe { location(path, profile) }?;
        let options = SaveOptions {
            format: file_format(format)?,
            store: credential_store(store)?,
        };
        let saved = config::save_as(&handle.credentials, &location, options)?;
        credentials::hand_out(saved, out);
        Ok(())
    })
}

/// Moves the secret of stored credentials between the OS keychain and the file: with
/// CARTO_STORE_KEYCHAIN into the keychain (the file keeps a reference to the item), with
/// CARTO_STORE_FILE back into the file in plain text (the item is deleted). The file keeps its
/// layout, other fields and unknown keys; credentials already there, or without a secret, are
/// left as they are. With no path and no profile: the default file carto_credentials_load
/// reads.
///
/// - `store`: CARTO_STORE_KEYCHAIN or CARTO_STORE_FILE (anything else:
///   CARTO_ERR_INVALID_ARGUMENT).
/// - `out`: receives the credentials as now stored (a new handle owned by the caller), or
///   NULL when the caller does not want them.
///
/// Errors: CARTO_ERR_FILE_NOT_FOUND, CARTO_ERR_KEYCHAIN_UNAVAILABLE, CARTO_ERR_KEYCHAIN_TIMEOUT,
/// CARTO_ERR_KEYCHAIN_ITEM_NOT_FOUND (the file is unchanged in each case), CARTO_ERR_FILE_SYNTAX,
/// CARTO_ERR_FILE_CONTENT, CARTO_ERR_IO, CARTO_ERR_LOCK_TIMEOUT, CARTO_ERR_INVALID_ARGUMENT,
/// CARTO_ERR_INVALID_UTF8. Thread safety: any thread and any process.
///
/// # Safety
/// Strings are NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_credentials_move(
    path: *const c_char,
    profile: *const c_char,
    store: i32,
    out: *mut *mut carto_credentials,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::optional_out(out);
        // SAFETY: forwarded caller contract.
        let location = unsafe { location(path, profile) }?;
        let to = match store {
            CARTO_STORE_KEYCHAIN => CredentialStore::Keychain,
            CARTO_STORE_FILE => CredentialStore::File,
            other => {
                return Err(FfiError::new(
                    carto_status::CARTO_ERR_INVALID_ARGUMENT,
                    format!("store {other} is not CARTO_STORE_KEYCHAIN (1) or CARTO_STORE_FILE (2): say where the secret goes"),
                ))
            }
        };
        let moved = config::move_to(&location, to)?;
        if let Some(out) = out {
            credentials::hand_out(moved, out);
        }
        Ok(())
    })
}

/// Updates a stored file in place, e.g. to rotate its API key, keeping its layout, its other
/// fields, their order and any unknown keys. The result must still be valid credentials (or
/// nothing is written). Atomic, locked and 0600 like carto_credentials_save. With no path and
/// no profile, updates the default file that carto_credentials_load would read.
///
/// - `username`, `api_key`, `base_url`: NULL keeps the stored value; a string replaces it.
/// - `allow_non_secure`: CARTO_KEEP (-1) keeps it, 0 sets false, 1 sets true.
/// - `out_path`: NULL, or receives the path written (owned; free with carto_string_free).
///
/// Errors: CARTO_ERR_FILE_NOT_FOUND, CARTO_ERR_FILE_SYNTAX, CARTO_ERR_FILE_CONTENT (a broken
/// file is never overwritten), credentials errors for the updated values, CARTO_ERR_IO,
/// CARTO_ERR_LOCK_TIMEOUT, CARTO_ERR_INVALID_ARGUMENT, CARTO_ERR_INVALID_UTF8. Thread safety:
/// any thread and any process (concurrent updates are serialised, none is lost).
///
/// # Safety
/// Strings are NULL or NUL-terminated; `out_path` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_credentials_file_update(
    path: *const c_char,
    profile: *const c_char,
    username: *const c_char,
    api_key: *const c_char,
    base_url: *const c_char,
    allow_non_secure: i32,
    out_path: *mut *mut c_char,
) -> carto_status {
    ffi_call!(|| {
        let out_path = raw::optional_out(out_path);
        // SAFETY: forwarded caller contract.
        let (location, username, api_key, base_url) = unsafe {
            (
                location(path, profile)?,
                optional_str_arg(username, "username")?,
                optional_str_arg(api_key, "api_key")?,
                optional_str_arg(base_url, "base_url")?,
            )
        };
        let allow_non_secure = match allow_non_secure {
            CARTO_KEEP => None,
            0 => Some(false),
            1 => Some(true),
            other => {
                return Err(FfiError::new(
                    carto_status::CARTO_ERR_INVALID_ARGUMENT,
                    format!("allow_non_secure {other} is not CARTO_KEEP (-1), 0 or 1"),
                ))
            }
        };
        let mut update = FileUpdate {
            username: username.map(str::to_owned),
            api_key: api_key.map(str::to_owned),
            base_url: base_url.map(str::to_owned),
            allow_non_secure,
        };
        let written = config::update(&location, &update);
        update.api_key.zeroize();
        let written = written?;
        if let Some(out) = out_path {
            out.write(raw::owned_string(&written.display().to_string()));
        }
        Ok(())
    })
}

/// Deletes a credentials file or profile. With no path and no profile, deletes both default
/// files (cartocreds.json and creds.json) so that no default credentials remain. The OS
/// keychain item a file refers to is deleted first; a keychain that cannot delete it
/// (CARTO_ERR_KEYCHAIN_UNAVAILABLE, CARTO_ERR_KEYCHAIN_TIMEOUT) keeps the file too.
///
/// Errors: CARTO_ERR_FILE_NOT_FOUND when there was nothing to delete (its own status, so
/// "already gone" can be told from a failure), CARTO_ERR_IO, CARTO_ERR_LOCK_TIMEOUT,
/// CARTO_ERR_INVALID_ARGUMENT, CARTO_ERR_INVALID_UTF8. Thread safety: any thread and process.
///
/// # Safety
/// `path` and `profile` are NULL or NUL-terminated.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_credentials_file_delete(
    path: *const c_char,
    profile: *const c_char,
) -> carto_status {
    ffi_call!(|| {
        // SAFETY: forwarded caller contract.
        let location = unsafe { location(path, profile) }?;
        config::delete(&location)?;
        Ok(())
    })
}

/// The file a location designates (for messages like "saved to …"): the path itself, the
/// profile's file, or the default file that carto_credentials_load would read
/// (cartocreds.json when neither default file exists). Nothing is read or created.
///
/// - `out`: receives an owned string (free with carto_string_free); written only on success.
///
/// Errors: CARTO_ERR_INVALID_ARGUMENT, CARTO_ERR_INVALID_UTF8, CARTO_ERR_NULL_ARGUMENT,
/// CARTO_ERR_IO (no home directory). Thread safety: any thread.
///
/// # Safety
/// `path` and `profile` are NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_credentials_file_path(
    path: *const c_char,
    profile: *const c_char,
    out: *mut *mut c_char,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        // SAFETY: forwarded caller contract.
        let location = unsafe { location(path, profile) }?;
        let path = config::path_of(&location)?;
        out.write(raw::owned_string(&path.display().to_string()));
        Ok(())
    })
}

/// The configuration directory: CARTO_CONFIG_DIR, else CARTOframes' directory
/// (appdirs user_config_dir('cartoframes'): $XDG_CONFIG_HOME/cartoframes or
/// ~/.config/cartoframes on Linux, ~/Library/Application Support/cartoframes on macOS,
/// %LOCALAPPDATA%\cartoframes\cartoframes on Windows).
///
/// - `out`: receives an owned string (free with carto_string_free).
///
/// Errors: CARTO_ERR_IO (no home directory), CARTO_ERR_NULL_ARGUMENT. Thread safety: any
/// thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_config_dir(out: *mut *mut c_char) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        out.write(raw::owned_string(
            &config::config_dir()?.display().to_string(),
        ));
        Ok(())
    })
}

/// The names of saved profiles, sorted, one per line ("" when there are none).
///
/// - `out`: receives an owned string (free with carto_string_free).
///
/// Errors: CARTO_ERR_IO, CARTO_ERR_NULL_ARGUMENT. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_profiles_list(out: *mut *mut c_char) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        out.write(raw::owned_string(&config::profiles()?.join("\n")));
        Ok(())
    })
}
