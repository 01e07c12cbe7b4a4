/*
 * carto_response: read everything R needs (status, headers, CARTO's error message, rate
 * limits, the check of the HTTP status) and the body. R/request.R copies a response into a
 * plain R object and frees the handle at once; the finalizer covers every other path.
 */
#include <limits.h>
#include <string.h>

#include "cartoauth_r.h"

static void free_response(void *handle)
{
    carto_response_free((carto_response *)handle);
}

static void finalize_response(SEXP ptr)
{
    cr_finalize_with(ptr, free_response);
}

static carto_response *cr_response(SEXP x)
{
    return (carto_response *)cr_handle(x, cr_tag_response(), "carto_response");
}

SEXP cr_wrap_response(carto_response *r)
{
    return cr_wrap_handle(r, cr_tag_response(), finalize_response, free_response);
}

static double count_or_na(int64_t v)
{
    return v < 0 ? NA_REAL : (double)v;
}

/* list(status, headers, error_message, rate_limit, attempts, streamed_bytes, check_status,
 * check_message): every field but the body. `check_*` is carto_response_check's verdict
 * (0 below 400) and the library's message for it ("HTTP 403 Forbidden: ... (GET ...)"). */
SEXP C_response_meta(SEXP ptr)
{
    carto_response *response = cr_response(ptr);
    uint16_t status = 0;
    size_t count = 0;
    const char *error_message = NULL;
    int64_t limit = -1, remaining = -1, reset = -1, retry_after = -1;
    uint32_t attempts = 0;
    uint64_t streamed = 0;
    cr_check(carto_response_status(response, &status));
    cr_check(carto_response_header_count(response, &count));
    cr_check(carto_response_error_message(response, &error_message));
    cr_check(carto_response_rate_limit(response, &limit, &remaining, &reset, &retry_after));
    cr_check(carto_response_attempts(response, &attempts));
    cr_check(carto_response_streamed_bytes(response, &streamed));

    static const char *names[] = {"status", "headers", "error_message", "rate_limit",
                                  "attempts", "streamed_bytes", "check_status",
                                  "check_message"};
    const int n = (int)(sizeof names / sizeof names[0]);
    SEXP out = PROTECT(Rf_allocVector(VECSXP, n));
    SEXP out_names = PROTECT(Rf_allocVector(STRSXP, n));
    for (int i = 0; i < n; i++)
        SET_STRING_ELT(out_names, i, Rf_mkChar(names[i]));
    Rf_setAttrib(out, R_NamesSymbol, out_names);

    SET_VECTOR_ELT(out, 0, Rf_ScalarInteger((int)status));

    SEXP headers = PROTECT(Rf_allocVector(STRSXP, (R_xlen_t)count));
    SEXP header_names = PROTECT(Rf_allocVector(STRSXP, (R_xlen_t)count));
    for (size_t i = 0; i < count; i++) {
        const char *name = NULL, *value = NULL;
        cr_check(carto_response_header_at(response, i, &name, &value));
        SET_STRING_ELT(header_names, (R_xlen_t)i, Rf_mkCharCE(name ? name : "", CE_UTF8));
        SET_STRING_ELT(headers, (R_xlen_t)i, Rf_mkCharCE(value ? value : "", CE_UTF8));
    }
    Rf_setAttrib(headers, R_NamesSymbol, header_names);
    SET_VECTOR_ELT(out, 1, headers);
    UNPROTECT(2);

    SET_VECTOR_ELT(out, 2, cr_string_or_null(error_message));

    SEXP rate = PROTECT(Rf_allocVector(REALSXP, 4));
    REAL(rate)[0] = count_or_na(limit);
    REAL(rate)[1] = count_or_na(remaining);
    REAL(rate)[2] = count_or_na(reset);
    REAL(rate)[3] = count_or_na(retry_after);
    SEXP rate_names = PROTECT(Rf_allocVector(STRSXP, 4));
    SET_STRING_ELT(rate_names, 0, Rf_mkChar("limit"));
    SET_STRING_ELT(rate_names, 1, Rf_mkChar("remaining"));
    SET_STRING_ELT(rate_names, 2, Rf_mkChar("reset"));
    SET_STRING_ELT(rate_names, 3, Rf_mkChar("retry_after"));
    Rf_setAttrib(rate, R_NamesSymbol, rate_names);
    SET_VECTOR_ELT(out, 3, rate);
    UNPROTECT(2);

    SET_VECTOR_ELT(out, 4, Rf_ScalarInteger((int)attempts));
    SET_VECTOR_ELT(out, 5, Rf_ScalarReal((double)streamed));

    carto_status verdict = carto_response_check(response);
    SET_VECTOR_ELT(out, 6, Rf_ScalarInteger((int)verdict));
    if (verdict != CARTO_OK) {
        /* Read right away: nothing in between can fail inside the library. */
        const char *detail = carto_last_error();
        if (detail == NULL || detail[0] == '\0' || carto_last_error_status() != verdict)
            detail = carto_status_str(verdict);
        SET_VECTOR_ELT(out, 7, cr_string_or_null(detail));
    }
    UNPROTECT(2);
    return out;
}

/* Whether `data` is valid UTF-8 without NUL bytes (so it can be an R string). */
static bool is_text(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c == 0)
            return false;
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t cp;
        if ((c & 0xE0) == 0xC0) {
            len = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + len > n)
            return false;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += len;
    }
    return true;
}

/* The body: a string when `as_text` is TRUE and the bytes are UTF-8 text (no NUL, under
 * R's string size limit), else a raw vector. */
SEXP C_response_body(SEXP ptr, SEXP as_text)
{
    carto_response *response = cr_response(ptr);
    bool text = cr_flag_arg(as_text, "as_text");
    const uint8_t *data = NULL;
    size_t length = 0;
    cr_check(carto_response_body(response, &data, &length));
    if (text && length <= INT_MAX && is_text(data, length)) {
        SEXP c = PROTECT(Rf_mkCharLenCE((const char *)data, (int)length, CE_UTF8));
        SEXP out = Rf_ScalarString(c);
        UNPROTECT(1);
        return out;
    }
    if (length > (size_t)R_XLEN_T_MAX)
        cr_raise(CARTO_ERR_INVALID_ARGUMENT, "the response body is too large for an R vector");
    SEXP out = PROTECT(Rf_allocVector(RAWSXP, (R_xlen_t)length));
    if (length > 0)
        memcpy(RAW(out), data, length);
    UNPROTECT(1);
    return out;
}

SEXP C_response_free(SEXP ptr)
{
    if (!cr_is_handle(ptr, cr_tag_response()))
        cr_raise(CARTO_ERR_INVALID_ARGUMENT, "expected a carto_response handle");
    finalize_response(ptr);
    return R_NilValue;
}
