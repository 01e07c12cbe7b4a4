/*
 * Credentials files and profiles: load, save, update in place, delete, and where they live.
 * A location is (path, profile); both NULL means the default files of the config directory.
 */
#include "cartoauth_r.h"

SEXP C_credentials_load(SEXP path, SEXP profile)
{
    const char *p = cr_string_arg(path, "path", true);
    const char *n = cr_string_arg(profile, "profile", true);
    carto_credentials *out = NULL;
    cr_check(carto_credentials_load(p, n, &out));
    return cr_wrap_credentials(out);
}

/* Returns the path written. `format` is one of the CARTO_FILE_FORMAT_* numbers. */
SEXP C_credentials_save(SEXP credentials, SEXP path, SEXP profile, SEXP format)
{
    const char *p = cr_string_arg(path, "path", true);
    const char *n = cr_string_arg(profile, "profile", true);
    if (TYPEOF(format) != INTSXP || XLENGTH(format) != 1 || INTEGER(format)[0] == NA_INTEGER)
        cr_raise(CARTO_ERR_INVALID_ARGUMENT, "'format' must be a single integer");
    carto_credentials *c = cr_credentials(credentials);
    char *written = NULL;
    cr_check(carto_credentials_save(c, p, n, INTEGER(format)[0], &written));
    return cr_take_string(written);
}

/* Saves and returns the credentials as stored (where the secret went, a fallback warning).
 * `store` is one of the CARTO_STORE_* numbers. */
SEXP C_credentials_save_as(SEXP credentials, SEXP path, SEXP profile, SEXP format, SEXP store)
{
    const char *p = cr_string_arg(path, "path", true);
    const char *n = cr_string_arg(profile, "profile", true);
    if (TYPEOF(format) != INTSXP || XLENGTH(format) != 1 || INTEGER(format)[0] == NA_INTEGER)
        cr_raise(CARTO_ERR_INVALID_ARGUMENT, "'format' must be a single integer");
    if (TYPEOF(store) != INTSXP || XLENGTH(store) != 1 || INTEGER(store)[0] == NA_INTEGER)
        cr_raise(CARTO_ERR_INVALID_ARGUMENT, "'store' must be a single integer");
    carto_credentials *c = cr_credentials(credentials);
    carto_credentials *out = NULL;
    cr_check(carto_credentials_save_as(c, p, n, INTEGER(format)[0], INTEGER(store)[0], &out));
    return cr_wrap_credentials(out);
}

/* Moves the stored secret to CARTO_STORE_KEYCHAIN or CARTO_STORE_FILE; returns the
 * credentials as now stored. */
SEXP C_credentials_move(SEXP path, SEXP profile, SEXP store)
{
    const char *p = cr_string_arg(path, "path", true);
    const char *n = cr_string_arg(profile, "profile", true);
    if (TYPEOF(store) != INTSXP || XLENGTH(store) != 1 || INTEGER(store)[0] == NA_INTEGER)
        cr_raise(CARTO_ERR_INVALID_ARGUMENT, "'to' must be a single integer");
    carto_credentials *out = NULL;
    cr_check(carto_credentials_move(p, n, INTEGER(store)[0], &out));
    return cr_wrap_credentials(out);
}

/* NULL keeps a stored field; allow_non_secure NULL keeps it too (CARTO_KEEP). Returns the
 * path written. */
SEXP C_credentials_file_update(SEXP path, SEXP profile, SEXP username, SEXP api_key,
                               SEXP base_url, SEXP allow_non_secure)
{
    const char *p = cr_string_arg(path, "path", true);
    const char *n = cr_string_arg(profile, "profile", true);
    const char *u = cr_string_arg(username, "username", true);
    const char *k = cr_string_arg(api_key, "api_key", true);
    const char *b = cr_string_arg(base_url, "base_url", true);
    int32_t ans = Rf_isNull(allow_non_secure)
                      ? CARTO_KEEP
                      : (cr_flag_arg(allow_non_secure, "allow_non_secure") ? 1 : 0);
    char *written = NULL;
    cr_check(carto_credentials_file_update(p, n, u, k, b, ans, &written));
    return cr_take_string(written);
}

SEXP C_credentials_file_delete(SEXP path, SEXP profile)
{
    const char *p = cr_string_arg(path, "path", true);
    const char *n = cr_string_arg(profile, "profile", true);
    cr_check(carto_credentials_file_delete(p, n));
    return R_NilValue;
}

SEXP C_credentials_file_path(SEXP path, SEXP profile)
{
    const char *p = cr_string_arg(path, "path", true);
    const char *n = cr_string_arg(profile, "profile", true);
    char *out = NULL;
    cr_check(carto_credentials_file_path(p, n, &out));
    return cr_take_string(out);
}

SEXP C_config_dir(void)
{
    char *out = NULL;
    cr_check(carto_config_dir(&out));
    return cr_take_string(out);
}

/* One name per line from the library; split in R. */
SEXP C_profiles_list(void)
{
    char *out = NULL;
    cr_check(carto_profiles_list(&out));
    return cr_take_string(out);
}
