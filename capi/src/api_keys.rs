//! The Auth API: `carto_api_keys_list`, `carto_api_key_get/_create/_delete/_regenerate`, the
//! `carto_grants` builder and the immutable `carto_api_key` / `carto_api_key_list`.

use super::boundary::{call_void, ffi_call};
use super::client::{self, carto_client};
use super::handles::{self, opaque_handle};
use super::raw::{self, optional_str_arg, str_arg_required};
use super::status::{carto_status, FfiError};
use super::to_cstring;
use cartoauth_core::client::{ApiKeyInfo, Grants, NewApiKey};
use std::ffi::{c_char, CString};
use std::sync::{Arc, Mutex, PoisonError};

opaque_handle! {
    /// Opaque builder of the grants of a new key (APIs, tables, schemas, data services). Not for
    /// use by two threads at once; freed with carto_grants_free.
    carto_grants => GrantsHandle
}

opaque_handle! {
    /// Opaque API key as the Auth API describes it: name, type, grants, times. It never holds the
    /// key's token. Immutable, so any thread may read it; freed with carto_api_key_free.
    carto_api_key => KeyHandle
}

opaque_handle! {
    /// Opaque list of API keys (every page). Immutable; freed with carto_api_key_list_free.
    carto_api_key_list => ListHandle
}

struct GrantsHandle(Mutex<Grants>);

/// A key plus the C strings handed out as borrowed pointers.
struct KeyHandle {
    name: CString,
    key_type: CString,
    created_at: Option<CString>,
    updated_at: Option<CString>,
    apis: CString,
    services: CString,
    /// Each API and each data service, for the count + index accessors.
    api_list: Vec<CString>,
    service_list: Vec<CString>,
    /// (schema, name, permissions joined with ",")
    tables: Vec<(CString, CString, CString)>,
    /// (name, permissions joined with ",")
    schemas: Vec<(CString, CString)>,
}

impl KeyHandle {
    fn new(info: &ApiKeyInfo) -> Self {
        let joined = |items: &[String]| to_cstring(&items.join(","));
        KeyHandle {
            name: to_cstring(&info.name),
            key_type: to_cstring(info.key_type.as_str()),
            created_at: info.created_at.as_deref().map(to_cstring),
            updated_at: info.updated_at.as_deref().map(to_cstring),
            apis: joined(&info.grants.apis),
            services: joined(&info.grants.services),
            api_list: info.grants.apis.iter().map(|a| to_cstring(a)).collect(),
            service_list: info.grants.services.iter().map(|s| to_cstring(s)).collect(),
            tables: info
                .grants
                .tables
                .iter()
                .map(|t| {
                    (
                        to_cstring(&t.schema),
                        to_cstring(&t.name),
                        joined(&t.permissions),
                    )
                })
                .collect(),
            schemas: info
                .grants
                .schemas
                .iter()
                .map(|s| (to_cstring(&s.name), joined(&s.permissions)))
                .collect(),
        }
    }
}

struct ListHandle(Vec<ApiKeyInfo>);

fn get_key(key: *const carto_api_key) -> Result<Arc<KeyHandle>, FfiError> {
    handles::get::<KeyHandle>(key, "key")
}

fn get_grants(grants: *const carto_grants) -> Result<Arc<GrantsHandle>, FfiError> {
    handles::get::<GrantsHandle>(grants, "grants")
}

fn out_of_range(index: usize, len: usize, what: &str) -> FfiError {
    FfiError::new(
        carto_status::CARTO_ERR_INVALID_ARGUMENT,
        format!("argument 'index' is {index} but there are {len} {what}"),
    )
}

/// Hands out a new key and its token.
fn hand_out_new(
    new: NewApiKey,
    out_key: Option<raw::Out<*mut carto_api_key>>,
    out_token: raw::Out<*mut c_char>,
) {
    if let Some(out) = out_key {
        out.write(handles::register(KeyHandle::new(&new.info)));
    }
    out_token.write(raw::owned_string(new.token.expose()));
}

/// Creates an empty grants builder.
///
/// - `out`: receives a new builder owned by the caller (free with carto_grants_free).
///
/// Errors: CARTO_ERR_NULL_ARGUMENT. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_grants_new(out: *mut *mut carto_grants) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        out.write(handles::register(GrantsHandle(Mutex::new(
            Grants::default(),
        ))));
        Ok(())
    })
}

/// Releases a grants builder. NULL, freed and foreign handles are ignored.
///
/// Thread safety: any thread. Does not change the last error.
#[no_mangle]
pub extern "C" fn carto_grants_free(grants: *mut carto_grants) {
    call_void(|| {
        handles::release::<GrantsHandle>(grants);
    });
}

/// Grants an API: "sql", "maps" or "do" (the server checks the name). A key needs at least
/// one.
///
/// Errors: CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_UTF8, CARTO_ERR_INVALID_ARGUMENT (blank),
/// CARTO_ERR_INVALID_HANDLE. Thread safety: one thread at a time per builder.
///
/// # Safety
/// `api` is NULL or NUL-terminated.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_grants_add_api(
    grants: *mut carto_grants,
    api: *const c_char,
) -> carto_status {
    ffi_call!(|| {
        // SAFETY: forwarded caller contract.
        let api = unsafe { str_arg_required(api, "api") }?;
        let handle = get_grants(grants)?;
        let mut g = handle.0.lock().unwrap_or_else(PoisonError::into_inner);
        g.add_api(api)?;
        Ok(())
    })
}

/// Grants a data service: "geocoding", "routing", "isolines" or "observatory".
///
/// Ownership: the name is copied. Errors: as carto_grants_add_api. Thread safety: one thread
/// at a time per builder.
///
/// # Safety
/// `service` is NULL or NUL-terminated.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_grants_add_service(
    grants: *mut carto_grants,
    service: *const c_char,
) -> carto_status {
    ffi_call!(|| {
        // SAFETY: forwarded caller contract.
        let service = unsafe { str_arg_required(service, "service") }?;
        let handle = get_grants(grants)?;
        let mut g = handle.0.lock().unwrap_or_else(PoisonError::into_inner);
        g.add_service(service)?;
        Ok(())
    })
}

/// Grants access to a table.
///
/// - `schema`: NULL or "" for the account's schema.
/// - `table`: the table's name.
/// - `permissions`: a comma-separated list of "select", "insert", "update", "delete".
///
/// Errors: CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_UTF8, CARTO_ERR_INVALID_ARGUMENT (blank
/// table or no permission), CARTO_ERR_INVALID_HANDLE. Thread safety: one thread at a time per
/// builder.
///
/// # Safety
/// The strings are NULL or NUL-terminated.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_grants_add_table(
    grants: *mut carto_grants,
    schema: *const c_char,
    table: *const c_char,
    permissions: *const c_char,
) -> carto_status {
    ffi_call!(|| {
        // SAFETY: forwarded caller contract.
        let (schema, table, permissions) = unsafe {
            (
                optional_str_arg(schema, "schema")?,
                str_arg_required(table, "table")?,
                str_arg_required(permissions, "permissions")?,
            )
        };
        let handle = get_grants(grants)?;
        let mut g = handle.0.lock().unwrap_or_else(PoisonError::into_inner);
        g.add_table(schema, table, permissions)?;
        Ok(())
    })
}

/// Grants permissions on a schema (CARTO's schema permission is "create").
///
/// - `permissions`: a comma-separated list.
///
/// Errors: as carto_grants_add_table. Thread safety: one thread at a time per builder.
///
/// # Safety
/// The strings are NULL or NUL-terminated.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_grants_add_schema(
    grants: *mut carto_grants,
    schema: *const c_char,
    permissions: *const c_char,
) -> carto_status {
    ffi_call!(|| {
        // SAFETY: forwarded caller contract.
        let (schema, permissions) = unsafe {
            (
                str_arg_required(schema, "schema")?,
                str_arg_required(permissions, "permissions")?,
            )
        };
        let handle = get_grants(grants)?;
        let mut g = handle.0.lock().unwrap_or_else(PoisonError::into_inner);
        g.add_schema(schema, permissions)?;
        Ok(())
    })
}

/// Lists every key the client's key may see, fetching all pages: with the master key every
/// key of the account (master, default, then regular keys), with another key only itself.
///
/// - `out`: receives a new list owned by the caller (free with carto_api_key_list_free).
///
/// Errors: CARTO_ERR_HTTP_UNAUTHORIZED (wrong key), the other HTTP and transport errors of
/// carto_client_send, CARTO_ERR_PROTOCOL, CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE.
/// Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_api_keys_list(
    client: *const carto_client,
    out: *mut *mut carto_api_key_list,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        let keys = client::get(client)?.api_keys()?;
        out.write(handles::register(ListHandle(keys)));
        Ok(())
    })
}

/// Releases a key list. NULL, freed and foreign handles are ignored.
///
/// Thread safety: any thread. Does not change the last error.
#[no_mangle]
pub extern "C" fn carto_api_key_list_free(list: *mut carto_api_key_list) {
    call_void(|| {
        handles::release::<ListHandle>(list);
    });
}

/// The number of keys in a list.
///
/// - `out`: caller-provided storage, written only on success.
///
/// Errors: CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_api_key_list_count(
    list: *const carto_api_key_list,
    out: *mut usize,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        out.write(handles::get::<ListHandle>(list, "list")?.0.len());
        Ok(())
    })
}

/// Key `index` (0-based) of a list.
///
/// - `out`: receives a new key owned by the caller (free with carto_api_key_free); it stays
///   valid after the list is freed.
///
/// Errors: CARTO_ERR_INVALID_ARGUMENT (index out of range), CARTO_ERR_NULL_ARGUMENT,
/// CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_api_key_list_get(
    list: *const carto_api_key_list,
    index: usize,
    out: *mut *mut carto_api_key,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        let list = handles::get::<ListHandle>(list, "list")?;
        let info = list
            .0
            .get(index)
            .ok_or_else(|| out_of_range(index, list.0.len(), "keys in the list"))?;
        out.write(handles::register(KeyHandle::new(info)));
        Ok(())
    })
}

/// Reads one key by name. A key other than the master key may read only itself.
///
/// - `out`: receives a new key owned by the caller (free with carto_api_key_free).
///
/// Errors: CARTO_ERR_HTTP_NOT_FOUND ("API key not found: name"), CARTO_ERR_INVALID_ARGUMENT
/// (blank name), CARTO_ERR_INVALID_UTF8, and those of carto_api_keys_list. Thread safety: any
/// thread.
///
/// # Safety
/// `name` is NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_api_key_get(
    client: *const carto_client,
    name: *const c_char,
    out: *mut *mut carto_api_key,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        // SAFETY: forwarded caller contract.
        let name = unsafe { str_arg_required(name, "name") }?;
        let info = client::get(client)?.api_key(name)?;
        out.write(handles::register(KeyHandle::new(&info)));
        Ok(())
    })
}

/// Creates a regular key called `name` with `grants` (master key only) and returns its token,
/// the one time it is handed out.
///
/// - `grants`: a builder with at least one API (carto_grants_add_api); it is copied.
/// - `out_key`: NULL, or receives the new key owned by the caller (free with
///   carto_api_key_free).
/// - `out_token`: receives the key's token, owned by the caller (free with
///   carto_string_free). It is a secret: do not log it.
///
/// Errors: CARTO_ERR_HTTP_FORBIDDEN (the client's key is valid but not the master key),
/// CARTO_ERR_HTTP_UNAUTHORIZED (wrong key), CARTO_ERR_HTTP_CLIENT_ERROR (422: "Validation
/// failed: Name has already been taken", unknown API or permission), CARTO_ERR_INVALID_ARGUMENT
/// (blank name, no API), CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_UTF8,
/// CARTO_ERR_INVALID_HANDLE, the transport errors. Outputs are written only on success. Thread
/// safety: any thread (not while another thread changes the same builder).
///
/// # Safety
/// `name` is NULL or NUL-terminated; the out pointers are NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_api_key_create(
    client: *const carto_client,
    name: *const c_char,
    grants: *const carto_grants,
    out_key: *mut *mut carto_api_key,
    out_token: *mut *mut c_char,
) -> carto_status {
    ffi_call!(|| {
        let out_token = raw::out(out_token, "out_token")?;
        let out_key = raw::optional_out(out_key);
        // SAFETY: forwarded caller contract.
        let name = unsafe { str_arg_required(name, "name") }?;
        let grants = get_grants(grants)?
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let new = client::get(client)?.create_api_key(name, &grants)?;
        hand_out_new(new, out_key, out_token);
        Ok(())
    })
}

/// Gives the key `name` a new token (master key only) and returns it; the old token stops
/// working.
///
/// - `out_key`: NULL, or receives the key owned by the caller (free with carto_api_key_free).
/// - `out_token`: receives the new token, owned by the caller (free with carto_string_free).
///   It is a secret: do not log it.
///
/// Errors: CARTO_ERR_HTTP_FORBIDDEN (not the master key), CARTO_ERR_HTTP_NOT_FOUND, and those
/// of carto_api_key_create. Thread safety: any thread.
///
/// # Safety
/// `name` is NULL or NUL-terminated; the out pointers are NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_api_key_regenerate(
    client: *const carto_client,
    name: *const c_char,
    out_key: *mut *mut carto_api_key,
    out_token: *mut *mut c_char,
) -> carto_status {
    ffi_call!(|| {
        let out_token = raw::out(out_token, "out_token")?;
        let out_key = raw::optional_out(out_key);
        // SAFETY: forwarded caller contract.
        let name = unsafe { str_arg_required(name, "name") }?;
        let new = client::get(client)?.regenerate_api_key(name)?;
        hand_out_new(new, out_key, out_token);
        Ok(())
    })
}

/// Deletes the regular key `name` (master key only; the master and default keys cannot be
/// deleted: CARTO_ERR_HTTP_FORBIDDEN).
///
/// Errors: CARTO_ERR_HTTP_FORBIDDEN, CARTO_ERR_HTTP_NOT_FOUND, and those of
/// carto_api_key_create. Thread safety: any thread.
///
/// # Safety
/// `name` is NULL or NUL-terminated.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_api_key_delete(
    client: *const carto_client,
    name: *const c_char,
) -> carto_status {
    ffi_call!(|| {
        // SAFETY: forwarded caller contract.
        let name = unsafe { str_arg_required(name, "name") }?;
        client::get(client)?.delete_api_key(name)?;
        Ok(())
    })
}

/// Releases a key; pointers borrowed from it become invalid. NULL, freed and foreign handles
/// are ignored.
///
/// Thread safety: any thread. Does not change the last error.
#[no_mangle]
pub extern "C" fn carto_api_key_free(key: *mut carto_api_key) {
    call_void(|| {
        handles::release::<KeyHandle>(key);
    });
}

/// The key's name, its type ("master", "default", "regular", or "unknown"), and when it was
/// created and last changed (as the server wrote them; NULL when not sent).
///
/// - Each out pointer: NULL (not wanted), or receives a string borrowed from the key (valid
///   until it is freed).
///
/// Errors: CARTO_ERR_INVALID_HANDLE, CARTO_ERR_NULL_ARGUMENT (`key`). Outputs are written only
/// on success. Thread safety: any thread.
///
/// # Safety
/// The out pointers are NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_api_key_describe(
    key: *const carto_api_key,
    out_name: *mut *const c_char,
    out_type: *mut *const c_char,
    out_created_at: *mut *const c_char,
    out_updated_at: *mut *const c_char,
) -> carto_status {
    ffi_call!(|| {
        let key = get_key(key)?;
        if let Some(out) = raw::optional_out(out_name) {
            out.write(key.name.as_ptr());
        }
        if let Some(out) = raw::optional_out(out_type) {
            out.write(key.key_type.as_ptr());
        }
        if let Some(out) = raw::optional_out(out_created_at) {
            out.write(raw::ptr_or_null(&key.created_at));
        }
        if let Some(out) = raw::optional_out(out_updated_at) {
            out.write(raw::ptr_or_null(&key.updated_at));
        }
        Ok(())
    })
}

/// The key's granted APIs and data services, each as a comma-separated list ("sql,maps";
/// "" when none). Prefer carto_api_key_api and carto_api_key_service, which need no
/// splitting.
///
/// - Each out pointer: NULL, or receives a string borrowed from the key.
///
/// Errors: CARTO_ERR_INVALID_HANDLE, CARTO_ERR_NULL_ARGUMENT (`key`). Thread safety: any
/// thread.
///
/// # Safety
/// The out pointers are NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_api_key_apis(
    key: *const carto_api_key,
    out_apis: *mut *const c_char,
    out_services: *mut *const c_char,
) -> carto_status {
    ffi_call!(|| {
        let key = get_key(key)?;
        if let Some(out) = raw::optional_out(out_apis) {
            out.write(key.apis.as_ptr());
        }
        if let Some(out) = raw::optional_out(out_services) {
            out.write(key.services.as_ptr());
        }
        Ok(())
    })
}

/// The bodies of the grant-list accessors: the length of the key's list `pick`.
fn list_len(
    key: *const carto_api_key,
    out: *mut usize,
    pick: fn(&KeyHandle) -> &[CString],
) -> Result<(), FfiError> {
    let out = raw::out(out, "out")?;
    let key = get_key(key)?;
    out.write(pick(&key).len());
    Ok(())
}

/// ... and its item `index`, borrowed from the key (`what` names the list in errors).
fn list_item(
    key: *const carto_api_key,
    index: usize,
    out: *mut *const c_char,
    pick: fn(&KeyHandle) -> &[CString],
    what: &str,
) -> Result<(), FfiError> {
    let out = raw::out(out, "out")?;
    let key = get_key(key)?;
    let list = pick(&key);
    let item = list
        .get(index)
        .ok_or_else(|| out_of_range(index, list.len(), what))?;
    out.write(item.as_ptr());
    Ok(())
}

/// How many APIs the key is granted ("sql", "maps", "do"); carto_api_key_api reads each.
///
/// - `out`: caller-provided storage, written only on success.
///
/// Errors: CARTO_ERR_INVALID_HANDLE, CARTO_ERR_NULL_ARGUMENT. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_api_key_api_count(
    key: *const carto_api_key,
    out: *mut usize,
) -> carto_status {
    ffi_call!(|| list_len(key, out, |k| &k.api_list))
}

/// API `index` (0-based, below carto_api_key_api_count) the key is granted, e.g. "sql".
///
/// Ownership: `*out` is borrowed from the key, valid until it is freed. Errors:
/// CARTO_ERR_INVALID_ARGUMENT (index out of range), CARTO_ERR_INVALID_HANDLE,
/// CARTO_ERR_NULL_ARGUMENT. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_api_key_api(
    key: *const carto_api_key,
    index: usize,
    out: *mut *const c_char,
) -> carto_status {
    ffi_call!(|| list_item(key, index, out, |k| &k.api_list, "APIs granted"))
}

/// How many data services the key is granted ("geocoding", "routing", "isolines",
/// "observatory"); carto_api_key_service reads each.
///
/// - `out`: caller-provided storage, written only on success.
///
/// Errors: CARTO_ERR_INVALID_HANDLE, CARTO_ERR_NULL_ARGUMENT. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_api_key_service_count(
    key: *const carto_api_key,
    out: *mut usize,
) -> carto_status {
    ffi_call!(|| list_len(key, out, |k| &k.service_list))
}

/// Data service `index` (0-based, below carto_api_key_service_count) the key is granted.
///
/// Ownership: `*out` is borrowed from the key, valid until it is freed. Errors:
/// CARTO_ERR_INVALID_ARGUMENT (index out of range), CARTO_ERR_INVALID_HANDLE,
/// CARTO_ERR_NULL_ARGUMENT. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_api_key_service(
    key: *const carto_api_key,
    index: usize,
    out: *mut *const c_char,
) -> carto_status {
    ffi_call!(|| list_item(
        key,
        index,
        out,
        |k| &k.service_list,
        "data services granted"
    ))
}

/// The number of table grants and of schema grants of the key.
///
/// - Each out pointer: NULL, or caller-provided storage.
///
/// Errors: CARTO_ERR_INVALID_HANDLE, CARTO_ERR_NULL_ARGUMENT (`key`). Thread safety: any
/// thread.
///
/// # Safety
/// The out pointers are NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_api_key_grant_counts(
    key: *const carto_api_key,
    out_tables: *mut usize,
    out_schemas: *mut usize,
) -> carto_status {
    ffi_call!(|| {
        let key = get_key(key)?;
        if let Some(out) = raw::optional_out(out_tables) {
            out.write(key.tables.len());
        }
        if let Some(out) = raw::optional_out(out_schemas) {
            out.write(key.schemas.len());
        }
        Ok(())
    })
}

/// Table grant `index` (0-based): schema, table and permissions (comma-separated, e.g.
/// "insert,select").
///
/// - Each out pointer: NULL, or receives a string borrowed from the key.
///
/// Errors: CARTO_ERR_INVALID_ARGUMENT (index out of range), CARTO_ERR_INVALID_HANDLE,
/// CARTO_ERR_NULL_ARGUMENT (`key`). Thread safety: any thread.
///
/// # Safety
/// The out pointers are NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_api_key_table(
    key: *const carto_api_key,
    index: usize,
    out_schema: *mut *const c_char,
    out_table: *mut *const c_char,
    out_permissions: *mut *const c_char,
) -> carto_status {
    ffi_call!(|| {
        let key = get_key(key)?;
        let (schema, table, permissions) = key
            .tables
            .get(index)
            .ok_or_else(|| out_of_range(index, key.tables.len(), "table grants"))?;
        for (out, value) in [
            (out_schema, schema),
            (out_table, table),
            (out_permissions, permissions),
        ] {
            if let Some(out) = raw::optional_out(out) {
                out.write(value.as_ptr());
            }
        }
        Ok(())
    })
}

/// Schema grant `index` (0-based): schema and permissions (comma-separated).
///
/// - Each out pointer: NULL, or receives a string borrowed from the key.
///
/// Errors: CARTO_ERR_INVALID_ARGUMENT (index out of range), CARTO_ERR_INVALID_HANDLE,
/// CARTO_ERR_NULL_ARGUMENT (`key`). Thread safety: any thread.
///
/// # Safety
/// The out pointers are NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_api_key_schema(
    key: *const carto_api_key,
    index: usize,
    out_schema: *mut *const c_char,
    out_permissions: *mut *const c_char,
) -> carto_status {
    ffi_call!(|| {
        let key = get_key(key)?;
        let (schema, permissions) = key
            .schemas
            .get(index)
            .ok_or_else(|| out_of_range(index, key.schemas.len(), "schema grants"))?;
        if let Some(out) = raw::optional_out(out_schema) {
            out.write(schema.as_ptr());
        }
        if let Some(out) = raw::optional_out(out_permissions) {
            out.write(permissions.as_ptr());
        }
        Ok(())
    })
}
