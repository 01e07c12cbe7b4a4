/*
 * Library-wide facts: versions, where the shared library was loaded from, live handles,
 * and the status codes of the header this package was compiled against.
 */
#if !defined(_WIN32) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* dladdr() on glibc */
#endif
#if !defined(_WIN32)
#include <dlfcn.h>
#endif

#include "cartoauth_r.h"

SEXP C_abi_version(void)
{
    return Rf_ScalarInteger((int)carto_abi_version());
}

SEXP C_header_abi_version(void)
{
    return Rf_ScalarInteger(CARTO_ABI_VERSION);
}

SEXP C_library_version(void)
{
    return cr_string_or_null(carto_version());
}

/* The file libcartoauth was loaded from, or NULL when the platform cannot tell. */
SEXP C_library_path(void)
{
#if !defined(_WIN32)
    Dl_info info;
    if (dladdr((void *)&carto_abi_version, &info) != 0 && info.dli_fname != NULL)
        return Rf_mkString(info.dli_fname);
#endif
    return R_NilValue;
}

SEXP C_handle_count(void)
{
    return Rf_ScalarReal((double)carto_handle_count());
}

SEXP C_status_str(SEXP status)
{
    if (TYPEOF(status) != INTSXP || XLENGTH(status) != 1 || INTEGER(status)[0] == NA_INTEGER)
        cr_raise(CARTO_ERR_INVALID_ARGUMENT, "'status' must be a single integer");
    return cr_string_or_null(carto_status_str(INTEGER(status)[0]));
}

/* Every code of the carto_status enum in the header, so the R table of condition classes
 * can be checked against it (tests/testthat/test-errors.R). */
SEXP C_status_codes(void)
{
    static const int32_t all[] = carto_status_ALL;
    size_t n = sizeof all / sizeof all[0];
    SEXP out = PROTECT(Rf_allocVector(INTSXP, (R_xlen_t)n));
    for (size_t i = 0; i < n; i++)
        INTEGER(out)[i] = all[i];
    UNPROTECT(1);
    return out;
}
