/*
 * carto_credentials: create, read fields, describe (masked), compare, free.
 */
#include <string.h>

#include "cartoauth_r.h"

static void free_credentials(void *handle)
{
    carto_credentials_free((carto_credentials *)handle);
}

static void finalize_credentials(SEXP ptr)
{
    cr_finalize_with(ptr, free_credentials);
}

carto_credentials *cr_credentials(SEXP x)
{
    return (carto_credentials *)cr_handle(x, cr_tag_credentials(), "carto_credentials");
}

carto_credentials *cr_credentials_or_null(SEXP x)
{
    return Rf_isNull(x) ? NULL : cr_credentials(x);
}

SEXP cr_wrap_credentials(carto_credentials *c)
{
    return cr_wrap_handle(c, cr_tag_credentials(), finalize_credentials, free_credentials);
}

SEXP C_credentials_new(SEXP username, SEXP api_key, SEXP base_url, SEXP allow_non_secure)
{
    const char *u = cr_string_arg(username, "username", true);
    const char *k = cr_string_arg(api_key, "api_key", true);
    const char *b = cr_string_arg(base_url, "base_url", true);
    bool ans = cr_flag_arg(allow_non_secure, "allow_non_secure");
    carto_credentials *out = NULL;
    cr_check(carto_credentials_new(u, k, b, ans, &out));
    return cr_wrap_credentials(out);
}

/* carto_free(): release now instead of at the next garbage collection. Idempotent. */
SEXP C_credentials_free(SEXP ptr)
{
    if (!cr_is_handle(ptr, cr_tag_credentials()))
        cr_raise(CARTO_ERR_INVALID_ARGUMENT, "expected a carto_credentials object");
    finalize_credentials(ptr);
    return R_NilValue;
}

/* Whether the handle is usable (FALSE after carto_free() or a save/restore cycle). */
SEXP C_credentials_live(SEXP ptr)
{
    return Rf_ScalarLogical(cr_is_handle(ptr, cr_tag_credentials()) &&
                            R_ExternalPtrAddr(ptr) != NULL);
}

static const char *source_name(carto_source source)
{
    switch (source) {
    case CARTO_SOURCE_EXPLICIT: return "explicit";
    case CARTO_SOURCE_DEFAULT: return "default";
    case CARTO_SOURCE_ENVIRONMENT: return "environment";
    case CARTO_SOURCE_FILE: return "file";
    case CARTO_SOURCE_PROFILE: return "profile";
    }
    return "unknown";
}

static SEXP warnings_of(const carto_credentials *c)
{
    size_t n = 0;
    cr_check(carto_credentials_warning_count(c, &n));
    SEXP out = PROTECT(Rf_allocVector(STRSXP, (R_xlen_t)n));
    for (size_t i = 0; i < n; i++) {
        const char *w = NULL;
        cr_check(carto_credentials_warning(c, i, &w));
        SET_STRING_ELT(out, (R_xlen_t)i, Rf_mkCharCE(w ? w : "", CE_UTF8));
    }
    UNPROTECT(1);
    return out;
}

/* One field of the credentials, by name (R/credentials.R lists the names). Borrowed strings
 * are copied before anything else can free the handle. */
SEXP C_credentials_field(SEXP ptr, SEXP field)
{
    const char *name = cr_string_arg(field, "field", false);
    carto_credentials *c = cr_credentials(ptr);
    const char *s = NULL;
    bool flag = false;

    if (strcmp(name, "username") == 0) {
        cr_check(carto_credentials_username(c, &s));
        return cr_string_or_null(s);
    }
    if (strcmp(name, "api_key") == 0) {
        cr_check(carto_credentials_api_key(c, &s));
        return cr_string_or_null(s);
    }
    if (strcmp(name, "base_url") == 0) {
        cr_check(carto_credentials_base_url(c, &s));
        return cr_string_or_null(s);
    }
    if (strcmp(name, "allow_non_secure") == 0) {
        cr_check(carto_credentials_allow_non_secure(c, &flag));
        return Rf_ScalarLogical(flag);
    }
    if (strcmp(name, "source") == 0) {
        carto_source source = CARTO_SOURCE_EXPLICIT;
        cr_check(carto_credentials_source(c, &source));
        return Rf_mkString(source_name(source));
    }
    if (strcmp(name, "origin") == 0) {
        cr_check(carto_credentials_origin(c, &s));
        return cr_string_or_null(s);
    }
    if (strcmp(name, "path") == 0) {
        cr_check(carto_credentials_origin_path(c, &s));
        return cr_string_or_null(s);
    }
    if (strcmp(name, "profile") == 0) {
        cr_check(carto_credentials_origin_profile(c, &s));
        return cr_string_or_null(s);
    }
    if (strcmp(name, "storage") == 0) {
        cr_check(carto_credentials_storage(c, &s));
        return cr_string_or_null(s);
    }
    if (strcmp(name, "keychain_item") == 0) {
        cr_check(carto_credentials_keychain_item(c, &s));
        return cr_string_or_null(s);
    }
    if (strcmp(name, "warnings") == 0)
        return warnings_of(c);
    if (strcmp(name, "description") == 0) {
        cr_check(carto_credentials_describe(c, &s));
        return cr_string_or_null(s);
    }
    cr_raisef(CARTO_ERR_INVALID_ARGUMENT, "carto_credentials have no field '%s'", name);
}

SEXP C_credentials_equal(SEXP a, SEXP b)
{
    carto_credentials *x = cr_credentials(a);
    carto_credentials *y = cr_credentials(b);
    bool equal = false;
    cr_check(carto_credentials_equal(x, y, &equal));
    return Rf_ScalarLogical(equal);
}
