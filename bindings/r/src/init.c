/*
 * Routine registration. R code calls these through the symbols that
 * useDynLib(cartoauth, .registration = TRUE) creates; no symbol is looked up by name.
 */
#include <R_ext/Rdynload.h>
#include <R_ext/Visibility.h>

#include "cartoauth_r.h"

#define ENTRY(name, n) {#name, (DL_FUNC)&name, n}

static const R_CallMethodDef call_methods[] = {
    ENTRY(C_credentials_new, 4),
    ENTRY(C_credentials_free, 1),
    ENTRY(C_credentials_live, 1),
    ENTRY(C_credentials_field, 2),
    ENTRY(C_credentials_equal, 2),
    ENTRY(C_credentials_load, 2),
    ENTRY(C_credentials_save, 4),
    ENTRY(C_credentials_file_update, 6),
    ENTRY(C_credentials_file_delete, 2),
    ENTRY(C_credentials_file_path, 2),
    ENTRY(C_config_dir, 0),
    ENTRY(C_profiles_list, 0),
    ENTRY(C_default_set, 1),
    ENTRY(C_default_set_from, 3),
    ENTRY(C_default_get, 0),
    ENTRY(C_default_unset, 0),
    ENTRY(C_resolve, 1),
    ENTRY(C_abi_version, 0),
    ENTRY(C_header_abi_version, 0),
    ENTRY(C_library_version, 0),
    ENTRY(C_library_path, 0),
    ENTRY(C_handle_count, 0),
    ENTRY(C_status_str, 1),
    ENTRY(C_status_codes, 0),
    ENTRY(C_client_new, 11),
    ENTRY(C_client_free, 1),
    ENTRY(C_client_live, 1),
    ENTRY(C_client_credentials, 1),
    ENTRY(C_client_me, 1),
    ENTRY(C_client_validate_key, 1),
    ENTRY(C_request_new, 2),
    ENTRY(C_request_new_sql, 2),
    ENTRY(C_request_new_copy_to, 1),
    ENTRY(C_request_new_copy_from, 1),
    ENTRY(C_request_add, 4),
    ENTRY(C_request_set_body, 3),
    ENTRY(C_request_set_json_body, 2),
    ENTRY(C_request_set_gzip, 2),
    ENTRY(C_request_free, 1),
    ENTRY(C_request_live, 1),
    ENTRY(C_response_meta, 1),
    ENTRY(C_response_body, 2),
    ENTRY(C_response_free, 1),
    ENTRY(C_client_send, 5),
    ENTRY(C_batch_create, 4),
    ENTRY(C_batch_status, 2),
    ENTRY(C_batch_cancel, 2),
    ENTRY(C_api_keys_list, 1),
    ENTRY(C_api_key_get, 2),
    ENTRY(C_api_key_create, 6),
    ENTRY(C_api_key_regenerate, 2),
    ENTRY(C_api_key_delete, 2),
    ENTRY(C_do_credentials, 1),
    ENTRY(C_result_from_json, 2),
    {NULL, NULL, 0},
};

void attribute_visible R_init_cartoauth(DllInfo *dll)
{
    R_registerRoutines(dll, NULL, call_methods, NULL, NULL);
    R_useDynamicSymbols(dll, FALSE);
    R_forceSymbols(dll, TRUE);
}
