/*
 * Library-wide facts: versions, where the shared library was loaded from, live handles,
 * and the status codes of the loaded library.
 */
#if !defined(_WIN32) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* dladdr() on glibc */
#endif
#if !defined(_WIN32)
#include <dlfcn.h>
#endif
#include <string.h>

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

/* Every status code of the loaded library, named: codes lie in 0..999 (carto_status_name's
 * contract), so asking for each number finds them all and the R table (.carto_status, filled
 * in by .onLoad) can never lack one. */
SEXP C_status_codes(void)
{
    int32_t codes[1000];
    const char *names[1000];
    R_xlen_t n = 0;
    for (int32_t code = 0; code < 1000; code++) {
        const char *name = carto_status_name(code);
        if (name != NULL && strcmp(name, "CARTO_UNKNOWN_STATUS") != 0) {
            codes[n] = code;
            names[n] = name;
            n++;
        }
    }
    SEXP out = PROTECT(Rf_allocVector(INTSXP, n));
    SEXP out_names = PROTECT(Rf_allocVector(STRSXP, n));
    for (R_xlen_t i = 0; i < n; i++) {
        INTEGER(out)[i] = codes[i];
        SET_STRING_ELT(out_names, i, Rf_mkCharCE(names[i], CE_UTF8));
    }
    Rf_setAttrib(out, R_NamesSymbol, out_names);
    UNPROTECT(2);
    return out;
}
