/*
 * What every glue file needs: classed R conditions built from the library's status and
 * last error, argument conversion to UTF-8, owned strings, and external-pointer handles.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cartoauth_r.h"

/* ---- conditions ---------------------------------------------------------------------- */

/* Evaluates cartoauth:::.carto_abort(status, message), which signals the classed condition
 * (R/errors.R builds the class vector and fields). `message` is a CHARSXP. The namespace is
 * looked up each time: errors are rare, and a cached environment would go stale if the
 * namespace were unloaded and loaded again while this DLL stayed mapped. */
static void NORET raise_charsxp(int status, SEXP message)
{
    PROTECT(message);
    SEXP name = PROTECT(Rf_mkString("cartoauth"));
    SEXP ns = PROTECT(R_FindNamespace(name));
    SEXP r_status = PROTECT(Rf_ScalarInteger(status));
    SEXP r_message = PROTECT(Rf_ScalarString(message));
    SEXP call = PROTECT(Rf_lang3(Rf_install(".carto_abort"), r_status, r_message));
    Rf_eval(call, ns);
    UNPROTECT(6);
    /* .carto_abort() always signals an error; this is only reached if it were redefined. */
    Rf_error("cartoauth: internal error: .carto_abort() returned");
}

void NORET cr_raise(int status, const char *message)
{
    raise_charsxp(status, Rf_mkCharCE(message ? message : "", CE_UTF8));
}

void NORET cr_raise_last(carto_status status)
{
    /* Read the message right away. Only failing cartoauth calls replace it, so finalizers
     * freeing handles while R allocates the copy cannot change it either. */
    const char *detail = carto_last_error();
    if (detail == NULL || detail[0] == '\0' || carto_last_error_status() != status)
        detail = carto_status_str(status);
    cr_raise(status, detail);
}

void cr_check(carto_status status)
{
    if (status != CARTO_OK)
        cr_raise_last(status);
}

void NORET cr_raisef(int status, const char *format, ...)
{
    char buffer[1024];
    va_list args;
    va_start(args, format);
    vsnprintf(buffer, sizeof buffer, format, args);
    va_end(args);
    cr_raise(status, buffer);
}

/* ---- arguments ----------------------------------------------------------------------- */

/* "NULL", "NA", "a character vector of length 2", "a double", ... for messages. */
static const char *describe_value(SEXP x, char *buffer, size_t size)
{
    if (Rf_isNull(x))
        return "NULL";
    if (Rf_xlength(x) == 1 && TYPEOF(x) == STRSXP && STRING_ELT(x, 0) == NA_STRING)
        return "NA";
    if (Rf_xlength(x) == 1 && TYPEOF(x) == LGLSXP && LOGICAL(x)[0] == NA_LOGICAL)
        return "NA";
    if (Rf_xlength(x) != 1) {
        snprintf(buffer, size, "a %s vector of length %lld", Rf_type2char(TYPEOF(x)),
                 (long long)Rf_xlength(x));
        return buffer;
    }
    snprintf(buffer, size, "a %s value", Rf_type2char(TYPEOF(x)));
    return buffer;
}

const char *cr_string_arg(SEXP x, const char *name, bool optional)
{
    if (optional && Rf_isNull(x))
        return NULL;
    if (TYPEOF(x) != STRSXP || XLENGTH(x) != 1 || STRING_ELT(x, 0) == NA_STRING) {
        char buffer[96];
        cr_raisef(CARTO_ERR_INVALID_ARGUMENT, "'%s' must be a single string%s, not %s", name,
                  optional ? " or NULL" : "", describe_value(x, buffer, sizeof buffer));
    }
    SEXP s = STRING_ELT(x, 0);
    /* Strings marked "bytes" have no declared encoding: hand the bytes over unchanged and
     * let the library check that they are UTF-8 (CARTO_ERR_INVALID_UTF8 otherwise). UTF-8
     * and ASCII strings come back as they are, also unchanged; native and latin1 strings
     * are translated. */
    if (Rf_getCharCE(s) == CE_BYTES)
        return CHAR(s);
    return Rf_translateCharUTF8(s);
}

bool cr_flag_arg(SEXP x, const char *name)
{
    if (TYPEOF(x) != LGLSXP || XLENGTH(x) != 1 || LOGICAL(x)[0] == NA_LOGICAL) {
        char buffer[96];
        cr_raisef(CARTO_ERR_INVALID_ARGUMENT, "'%s' must be TRUE or FALSE, not %s", name,
                  describe_value(x, buffer, sizeof buffer));
    }
    return LOGICAL(x)[0] != 0;
}

/* ---- results ------------------------------------------------------------------------- */

SEXP cr_string_or_null(const char *borrowed)
{
    if (borrowed == NULL)
        return R_NilValue;
    SEXP c = PROTECT(Rf_mkCharCE(borrowed, CE_UTF8));
    SEXP out = Rf_ScalarString(c);
    UNPROTECT(1);
    return out;
}

static SEXP take_string_body(void *data)
{
    return cr_string_or_null((const char *)data);
}

static void take_string_cleanup(void *data, Rboolean jump)
{
    (void)jump;
    carto_string_free((char *)data); /* on success and on an allocation error alike */
}

SEXP cr_take_string(char *owned)
{
    if (owned == NULL)
        return R_NilValue;
    /* Only this allocation could still leak the string (if R is already out of memory). */
    SEXP token = PROTECT(R_MakeUnwindCont());
    SEXP out = R_UnwindProtect(take_string_body, owned, take_string_cleanup, owned, token);
    UNPROTECT(1);
    return out;
}

/* ---- handles ------------------------------------------------------------------------- */

struct wrap {
    void *handle;
    SEXP tag;
    R_CFinalizer_t finalizer;
    cr_free_fn free_fn;
};

static SEXP wrap_body(void *data)
{
    struct wrap *w = data;
    SEXP ptr = PROTECT(R_MakeExternalPtr(w->handle, w->tag, R_NilValue));
    R_RegisterCFinalizerEx(ptr, w->finalizer, TRUE);
    UNPROTECT(1);
    return ptr;
}

static void wrap_cleanup(void *data, Rboolean jump)
{
    struct wrap *w = data;
    if (jump) /* R could not allocate: nobody owns the handle, release it */
        w->free_fn(w->handle);
}

SEXP cr_wrap_handle(void *handle, SEXP tag, R_CFinalizer_t finalizer, cr_free_fn free_fn)
{
    struct wrap w = {handle, tag, finalizer, free_fn};
    SEXP token = PROTECT(R_MakeUnwindCont());
    SEXP ptr = R_UnwindProtect(wrap_body, &w, wrap_cleanup, &w, token);
    UNPROTECT(1);
    return ptr;
}

void cr_finalize_with(SEXP ptr, cr_free_fn free_fn)
{
    void *handle = R_ExternalPtrAddr(ptr);
    if (handle == NULL)
        return;
    R_ClearExternalPtr(ptr);
    free_fn(handle);
}

bool cr_is_handle(SEXP x, SEXP tag)
{
    return TYPEOF(x) == EXTPTRSXP && R_ExternalPtrTag(x) == tag;
}

void *cr_handle(SEXP x, SEXP tag, const char *what)
{
    if (!cr_is_handle(x, tag))
        cr_raisef(CARTO_ERR_INVALID_ARGUMENT, "expected a %s object", what);
    void *handle = R_ExternalPtrAddr(x);
    if (handle == NULL)
        cr_raisef(CARTO_ERR_INVALID_HANDLE,
                  "this %s object is no longer usable: it was freed with carto_free() or "
                  "restored from a saved R session (library handles do not survive "
                  "saveRDS()/load()); create it again",
                  what);
    return handle;
}

SEXP cr_tag_credentials(void)
{
    static SEXP tag = NULL;
    if (tag == NULL)
        tag = Rf_install("cartoauth_credentials"); /* symbols are never collected */
    return tag;
}

SEXP cr_tag_client(void)
{
    static SEXP tag = NULL;
    if (tag == NULL)
        tag = Rf_install("cartoauth_client");
    return tag;
}

SEXP cr_tag_request(void)
{
    static SEXP tag = NULL;
    if (tag == NULL)
        tag = Rf_install("cartoauth_request");
    return tag;
}

SEXP cr_tag_response(void)
{
    static SEXP tag = NULL;
    if (tag == NULL)
        tag = Rf_install("cartoauth_response");
    return tag;
}

/* ---- more arguments ------------------------------------------------------------------ */

const char *cr_string_elt(SEXP x, R_xlen_t i, const char *name)
{
    if (TYPEOF(x) != STRSXP || i >= XLENGTH(x))
        cr_raisef(CARTO_ERR_INVALID_ARGUMENT, "'%s' must be a character vector", name);
    SEXP s = STRING_ELT(x, i);
    if (s == NA_STRING)
        cr_raisef(CARTO_ERR_INVALID_ARGUMENT, "'%s' must not contain NA (element %lld)", name,
                  (long long)i + 1);
    if (Rf_getCharCE(s) == CE_BYTES)
        return CHAR(s);
    return Rf_translateCharUTF8(s);
}

uint64_t cr_uint64_arg(SEXP x, const char *name)
{
    double v = NA_REAL;
    if (XLENGTH(x) == 1 && TYPEOF(x) == INTSXP && INTEGER(x)[0] != NA_INTEGER)
        v = INTEGER(x)[0];
    else if (XLENGTH(x) == 1 && TYPEOF(x) == REALSXP)
        v = REAL(x)[0];
    /* 2^53: every whole number up to it is exact in a double */
    if (!R_FINITE(v) || v < 0 || v > 9007199254740992.0 || v != (double)(uint64_t)v) {
        char buffer[96];
        cr_raisef(CARTO_ERR_INVALID_ARGUMENT, "'%s' must be a non-negative whole number, not %s",
                  name, describe_value(x, buffer, sizeof buffer));
    }
    return (uint64_t)v;
}

int cr_int_arg(SEXP x, const char *name)
{
    if (XLENGTH(x) == 1 && TYPEOF(x) == INTSXP && INTEGER(x)[0] != NA_INTEGER)
        return INTEGER(x)[0];
    if (XLENGTH(x) == 1 && TYPEOF(x) == REALSXP && R_FINITE(REAL(x)[0]) &&
        REAL(x)[0] >= -2147483647.0 && REAL(x)[0] <= 2147483647.0 &&
        REAL(x)[0] == (double)(int)REAL(x)[0])
        return (int)REAL(x)[0];
    char buffer[96];
    cr_raisef(CARTO_ERR_INVALID_ARGUMENT, "'%s' must be a single whole number, not %s", name,
              describe_value(x, buffer, sizeof buffer));
}
