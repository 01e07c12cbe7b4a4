/*
 * The process-wide default credentials and resolution (explicit, default, environment,
 * files).
 */
#include "cartoauth_r.h"

SEXP C_default_set(SEXP credentials)
{
    cr_check(carto_default_credentials_set(cr_credentials(credentials)));
    return R_NilValue;
}

/* CARTOframes' positional dispatch (file, URL or username first; API key second). Returns
 * the credentials now set. */
SEXP C_default_set_from(SEXP first, SEXP second, SEXP allow_non_secure)
{
    const char *f = cr_string_arg(first, "first", true);
    const char *s = cr_string_arg(second, "second", true);
    bool ans = cr_flag_arg(allow_non_secure, "allow_non_secure");
    carto_credentials *out = NULL;
    cr_check(carto_default_credentials_set_from(f, s, ans, &out));
    return cr_wrap_credentials(out);
}

/* The default, or NULL when none is set (not an error in R). */
SEXP C_default_get(void)
{
    carto_credentials *out = NULL;
    carto_status status = carto_default_credentials_get(&out);
    if (status == CARTO_ERR_NO_DEFAULT_CREDENTIALS)
        return R_NilValue;
    cr_check(status);
    return cr_wrap_credentials(out);
}

SEXP C_default_unset(void)
{
    carto_default_credentials_unset();
    return R_NilValue;
}

SEXP C_resolve(SEXP credentials)
{
    carto_credentials *explicit_credentials = cr_credentials_or_null(credentials);
    carto_credentials *out = NULL;
    cr_check(carto_resolve(explicit_credentials, &out));
    return cr_wrap_credentials(out);
}
