/*
 * carto_request: generic, SQL API and COPY requests, their parameters, headers and bodies.
 * Requests are internal to the package (R/request.R builds one per call and transfer.c
 * releases it right after sending, since it may hold pointers into that call's C frame).
 */
#include "cartoauth_r.h"

static void free_request(void *handle)
{
    carto_request_free((carto_request *)handle);
}

static void finalize_request(SEXP ptr)
{
    cr_finalize_with(ptr, free_request);
}

carto_request *cr_request(SEXP x)
{
    return (carto_request *)cr_handle(x, cr_tag_request(), "carto_request");
}

void cr_request_release(SEXP x)
{
    if (cr_is_handle(x, cr_tag_request()))
        finalize_request(x);
}

static SEXP wrap_request(carto_request *r)
{
    return cr_wrap_handle(r, cr_tag_request(), finalize_request, free_request);
}

SEXP C_request_new(SEXP method, SEXP path)
{
    const char *m = cr_string_arg(method, "method", false);
    const char *p = cr_string_arg(path, "path", false);
    carto_request *out = NULL;
    cr_check(carto_request_new(m, p, &out));
    return wrap_request(out);
}

SEXP C_request_new_sql(SEXP query, SEXP format)
{
    const char *q = cr_string_arg(query, "query", false);
    const char *f = cr_string_arg(format, "format", true);
    carto_request *out = NULL;
    cr_check(carto_request_new_sql(q, f, &out));
    return wrap_request(out);
}

SEXP C_request_new_copy_to(SEXP query)
{
    const char *q = cr_string_arg(query, "query", false);
    carto_request *out = NULL;
    cr_check(carto_request_new_copy_to(q, &out));
    return wrap_request(out);
}

SEXP C_request_new_copy_from(SEXP query)
{
    const char *q = cr_string_arg(query, "query", false);
    carto_request *out = NULL;
    cr_check(carto_request_new_copy_from(q, &out));
    return wrap_request(out);
}

enum { ADD_QUERY = 0, ADD_PARAM = 1, ADD_HEADER = 2, ADD_FORM = 3 };

/* Adds name/value pairs (two character vectors of equal length) as query parameters (0),
 * API parameters (1), headers (2) or form fields (3), in order. */
SEXP C_request_add(SEXP ptr, SEXP where, SEXP names, SEXP values)
{
    carto_request *request = cr_request(ptr);
    int kind = cr_int_arg(where, "where");
    if (TYPEOF(names) != STRSXP || TYPEOF(values) != STRSXP || XLENGTH(names) != XLENGTH(values))
        cr_raise(CARTO_ERR_INVALID_ARGUMENT, "names and values must be character vectors of the same length");
    const char *what = kind == ADD_HEADER  ? "headers"
                       : kind == ADD_FORM  ? "body"
                       : kind == ADD_PARAM ? "parameters"
                                           : "query";
    for (R_xlen_t i = 0; i < XLENGTH(names); i++) {
        const char *name = cr_string_elt(names, i, what);
        const char *value = cr_string_elt(values, i, what);
        carto_status status;
        switch (kind) {
        case ADD_QUERY: status = carto_request_add_query(request, name, value); break;
        case ADD_PARAM: status = carto_request_add_param(request, name, value); break;
        case ADD_HEADER: status = carto_request_add_header(request, name, value); break;
        case ADD_FORM: status = carto_request_add_form_field(request, name, value); break;
        default: cr_raise(CARTO_ERR_INVALID_ARGUMENT, "unknown place for a request parameter");
        }
        cr_check(status);
    }
    return R_NilValue;
}

/* The body: a raw vector, with a content type (NULL: application/octet-stream). */
SEXP C_request_set_body(SEXP ptr, SEXP body, SEXP content_type)
{
    carto_request *request = cr_request(ptr);
    if (TYPEOF(body) != RAWSXP)
        cr_raise(CARTO_ERR_INVALID_ARGUMENT, "the body must be a raw vector");
    const char *type = cr_string_arg(content_type, "content_type", true);
    cr_check(carto_request_set_body(request, RAW(body), (size_t)XLENGTH(body), type));
    return R_NilValue;
}

/* An application/json body; the library checks that the text is JSON. */
SEXP C_request_set_json_body(SEXP ptr, SEXP json)
{
    carto_request *request = cr_request(ptr);
    const char *text = cr_string_arg(json, "body", false);
    cr_check(carto_request_set_json_body(request, text));
    return R_NilValue;
}

SEXP C_request_set_gzip(SEXP ptr, SEXP enabled)
{
    carto_request *request = cr_request(ptr);
    bool on = cr_flag_arg(enabled, "gzip");
    cr_check(carto_request_set_gzip(request, on));
    return R_NilValue;
}

SEXP C_request_free(SEXP ptr)
{
    if (!cr_is_handle(ptr, cr_tag_request()))
        cr_raise(CARTO_ERR_INVALID_ARGUMENT, "expected a carto_request object");
    finalize_request(ptr);
    return R_NilValue;
}

SEXP C_request_live(SEXP ptr)
{
    return Rf_ScalarLogical(cr_is_handle(ptr, cr_tag_request()) &&
                            R_ExternalPtrAddr(ptr) != NULL);
}
