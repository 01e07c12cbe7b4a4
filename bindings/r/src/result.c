/*
 * carto_result: carto_sql()'s JSON answer read by the library into typed columns, and each
 * column built here straight from the bulk calls (one crossing per column, not per cell).
 *
 * The result handle is wrapped in an external pointer before any R allocation, so an R error
 * (out of memory, a string R cannot hold) frees it through the finalizer instead of leaking.
 * A result reader's chunks (reader.c) are read the same way, then bound into one result
 * column by column (C_result_lists_bind).
 */
#include <limits.h>
#include <math.h>
#include <string.h>

#include "cartoauth_r.h"

static void free_result(void *handle)
{
    carto_result_free((carto_result *)handle);
}

static void finalize_result(SEXP ptr)
{
    cr_finalize_with(ptr, free_result);
}

/* Rows of a bulk call: the library writes values and a null mask into R_alloc'd buffers
 * (released by R at the end of the .Call). */
static uint8_t *null_mask(size_t rows)
{
    return (uint8_t *)R_alloc(rows ? rows : 1, 1);
}

static SEXP int_column(carto_result *r, size_t c, size_t rows, const char *pgtype, int int64)
{
    int64_t *values = (int64_t *)R_alloc(rows ? rows : 1, sizeof *values);
    uint8_t *nulls = null_mask(rows);
    cr_check(carto_result_column_int64(r, c, 0, rows, values, nulls));
    bool small = strcmp(pgtype, "int2") == 0 || strcmp(pgtype, "int4") == 0;
    for (size_t i = 0; small && i < rows; i++) {
        if (!nulls[i] && values[i] == INT64_C(-2147483648)) small = false; /* R's NA */
    }
    SEXP out;
    if (small) {
        out = PROTECT(Rf_allocVector(INTSXP, (R_xlen_t)rows));
        int *p = INTEGER(out);
        for (size_t i = 0; i < rows; i++) p[i] = nulls[i] ? NA_INTEGER : (int)values[i];
    } else if (int64) {
        /* bit64::integer64: the int64 bits in a double vector; NA is INT64_MIN. */
        out = PROTECT(Rf_allocVector(REALSXP, (R_xlen_t)rows));
        double *p = REAL(out);
        for (size_t i = 0; i < rows; i++) {
            int64_t v = nulls[i] ? INT64_MIN : values[i];
            memcpy(&p[i], &v, sizeof v);
        }
        Rf_setAttrib(out, R_ClassSymbol, Rf_mkString("integer64"));
    } else {
        /* Doubles, as jsonlite gives int8: exact up to 2^53. */
        out = PROTECT(Rf_allocVector(REALSXP, (R_xlen_t)rows));
        double *p = REAL(out);
        for (size_t i = 0; i < rows; i++) p[i] = nulls[i] ? NA_REAL : (double)values[i];
    }
    UNPROTECT(1);
    return out;
}

static SEXP double_column(carto_result *r, size_t c, size_t rows)
{
    SEXP out = PROTECT(Rf_allocVector(REALSXP, (R_xlen_t)rows));
    uint8_t *nulls = null_mask(rows);
    cr_check(carto_result_column_double(r, c, 0, rows, REAL(out), nulls));
    for (size_t i = 0; i < rows; i++) if (nulls[i]) REAL(out)[i] = NA_REAL;
    UNPROTECT(1);
    return out;
}

static SEXP bool_column(carto_result *r, size_t c, size_t rows)
{
    uint8_t *values = null_mask(rows), *nulls = null_mask(rows);
    cr_check(carto_result_column_bool(r, c, 0, rows, values, nulls));
    SEXP out = PROTECT(Rf_allocVector(LGLSXP, (R_xlen_t)rows));
    for (size_t i = 0; i < rows; i++) LOGICAL(out)[i] = nulls[i] ? NA_LOGICAL : values[i];
    UNPROTECT(1);
    return out;
}

static SEXP time_column(carto_result *r, size_t c, size_t rows)
{
    int64_t *values = (int64_t *)R_alloc(rows ? rows : 1, sizeof *values);
    uint8_t *nulls = null_mask(rows);
    cr_check(carto_result_column_time_micros(r, c, 0, rows, values, nulls));
    SEXP out = PROTECT(Rf_allocVector(REALSXP, (R_xlen_t)rows));
    double *p = REAL(out);
    for (size_t i = 0; i < rows; i++) {
        if (nulls[i]) p[i] = NA_REAL;
        else if (values[i] == CARTO_TIME_INFINITY) p[i] = R_PosInf;
        else if (values[i] == CARTO_TIME_MINUS_INFINITY) p[i] = R_NegInf;
        else p[i] = (double)(values[i] / 1000000) + (double)(values[i] % 1000000) / 1e6;
    }
    UNPROTECT(1);
    return out;
}

static SEXP date_column(carto_result *r, size_t c, size_t rows)
{
    int32_t *values = (int32_t *)R_alloc(rows ? rows : 1, sizeof *values);
    uint8_t *nulls = null_mask(rows);
    cr_check(carto_result_column_date_days(r, c, 0, rows, values, nulls));
    SEXP out = PROTECT(Rf_allocVector(REALSXP, (R_xlen_t)rows));
    for (size_t i = 0; i < rows; i++) REAL(out)[i] = nulls[i] ? NA_REAL : (double)values[i];
    UNPROTECT(1);
    return out;
}

static SEXP text_column(carto_result *r, size_t c, size_t rows, const char *name)
{
    const char **values = (const char **)R_alloc(rows ? rows : 1, sizeof *values);
    size_t *lengths = (size_t *)R_alloc(rows ? rows : 1, sizeof *lengths);
    uint8_t *nulls = null_mask(rows);
    cr_check(carto_result_column_text(r, c, 0, rows, values, lengths, nulls));
    SEXP out = PROTECT(Rf_allocVector(STRSXP, (R_xlen_t)rows));
    for (size_t i = 0; i < rows; i++) {
        if (nulls[i]) {
            SET_STRING_ELT(out, (R_xlen_t)i, NA_STRING);
            continue;
        }
        if (lengths[i] > INT_MAX || memchr(values[i], 0, lengths[i]) != NULL)
            cr_raisef(CARTO_ERR_RESULT_TYPE,
                      "row %zu of column '%s' holds a NUL byte or is too long for an R string",
                      i + 1, name);
        SET_STRING_ELT(out, (R_xlen_t)i, Rf_mkCharLenCE(values[i], (int)lengths[i], CE_UTF8));
    }
    UNPROTECT(1);
    return out;
}

/* A list of raw vectors (NULL for NULL cells) with attribute "srid" (each cell's SRID). */
static SEXP wkb_column(carto_result *r, size_t c, size_t rows)
{
    const uint8_t **values = (const uint8_t **)R_alloc(rows ? rows : 1, sizeof *values);
    size_t *lengths = (size_t *)R_alloc(rows ? rows : 1, sizeof *lengths);
    uint8_t *nulls = null_mask(rows);
    SEXP srids = PROTECT(Rf_allocVector(INTSXP, (R_xlen_t)rows));
    cr_check(carto_result_column_wkb(r, c, 0, rows, values, lengths, INTEGER(srids), nulls));
    SEXP out = PROTECT(Rf_allocVector(VECSXP, (R_xlen_t)rows));
    for (size_t i = 0; i < rows; i++) {
        if (nulls[i]) {
            INTEGER(srids)[i] = NA_INTEGER;
            continue;
        }
        SEXP cell = Rf_allocVector(RAWSXP, (R_xlen_t)lengths[i]);
        SET_VECTOR_ELT(out, (R_xlen_t)i, cell);
        memcpy(RAW(cell), values[i], lengths[i]);
    }
    Rf_setAttrib(out, Rf_install("srid"), srids);
    UNPROTECT(2);
    return out;
}

SEXP cr_wrap_result(carto_result *r)
{
    return cr_wrap_handle(r, Rf_install("carto_result"), finalize_result, free_result);
}

void cr_result_release(SEXP handle)
{
    cr_finalize_with(handle, free_result);
}

SEXP cr_result_list(carto_result *r, bool int64)
{
    size_t rows = 0, ncol = 0, nnotices = 0;
    int64_t total = -1;
    double seconds = -1;
    cr_check(carto_result_row_count(r, &rows));
    cr_check(carto_result_column_count(r, &ncol));
    cr_check(carto_result_total_rows(r, &total));
    cr_check(carto_result_time(r, &seconds));
    cr_check(carto_result_notice_count(r, &nnotices));
    if (rows > (size_t)R_XLEN_T_MAX)
        cr_raisef(CARTO_ERR_RESULT_TYPE, "%zu rows are more than R can hold", rows);

    SEXP columns = PROTECT(Rf_allocVector(VECSXP, (R_xlen_t)ncol));
    SEXP names = PROTECT(Rf_allocVector(STRSXP, (R_xlen_t)ncol));
    SEXP kinds = PROTECT(Rf_allocVector(INTSXP, (R_xlen_t)ncol));
    SEXP pgtypes = PROTECT(Rf_allocVector(STRSXP, (R_xlen_t)ncol));
    SEXP types = PROTECT(Rf_allocVector(STRSXP, (R_xlen_t)ncol));
    SEXP srids = PROTECT(Rf_allocVector(INTSXP, (R_xlen_t)ncol));
    for (size_t c = 0; c < ncol; c++) {
        const char *name = NULL, *type = NULL, *pgtype = NULL;
        carto_column_kind kind = CARTO_COLUMN_TEXT;
        cr_check(carto_result_column_info(r, c, &name, &type, &pgtype));
        SET_STRING_ELT(types, (R_xlen_t)c, Rf_mkCharCE(type, CE_UTF8));
        cr_check(carto_result_column_kind(r, c, &kind));
        SET_STRING_ELT(names, (R_xlen_t)c, Rf_mkCharCE(name, CE_UTF8));
        SET_STRING_ELT(pgtypes, (R_xlen_t)c, Rf_mkCharCE(pgtype, CE_UTF8));
        INTEGER(kinds)[c] = (int)kind;
        int32_t srid = 0;
        INTEGER(srids)[c] = kind == CARTO_COLUMN_GEOMETRY &&
                                    carto_result_column_srid(r, c, &srid) == CARTO_OK
                                ? srid
                                : NA_INTEGER;
        SEXP column;
        switch (kind) {
        case CARTO_COLUMN_INT: column = int_column(r, c, rows, pgtype, int64); break;
        case CARTO_COLUMN_FLOAT: column = double_column(r, c, rows); break;
        case CARTO_COLUMN_BOOL: column = bool_column(r, c, rows); break;
        case CARTO_COLUMN_TIMESTAMP: column = time_column(r, c, rows); break;
        case CARTO_COLUMN_DATE: column = date_column(r, c, rows); break;
        case CARTO_COLUMN_GEOMETRY: column = wkb_column(r, c, rows); break;
        default: column = text_column(r, c, rows, name); break;
        }
        SET_VECTOR_ELT(columns, (R_xlen_t)c, column);
    }
    Rf_setAttrib(columns, R_NamesSymbol, names);
    SEXP notices = PROTECT(Rf_allocVector(STRSXP, (R_xlen_t)nnotices));
    for (size_t i = 0; i < nnotices; i++) {
        const char *severity = NULL, *message = NULL;
        cr_check(carto_result_notice(r, i, &severity, &message));
        size_t n = strlen(severity) + strlen(message) + 3;
        char *text = R_alloc(n, 1);
        snprintf(text, n, "%s: %s", severity, message);
        SET_STRING_ELT(notices, (R_xlen_t)i, Rf_mkCharCE(text, CE_UTF8));
    }
    const char *fields[] = {"columns", "kinds", "pgtypes", "srids", "total_rows", "time",
                            "notices", "rows", "types", ""};
    SEXP out = PROTECT(Rf_mkNamed(VECSXP, fields));
    SET_VECTOR_ELT(out, 0, columns);
    SET_VECTOR_ELT(out, 1, kinds);
    SET_VECTOR_ELT(out, 2, pgtypes);
    SET_VECTOR_ELT(out, 3, srids);
    SET_VECTOR_ELT(out, 4, Rf_ScalarReal(total < 0 ? NA_REAL : (double)total));
    SET_VECTOR_ELT(out, 5, Rf_ScalarReal(seconds < 0 ? NA_REAL : seconds));
    SET_VECTOR_ELT(out, 6, notices);
    SET_VECTOR_ELT(out, 7, Rf_ScalarReal((double)rows));
    SET_VECTOR_ELT(out, 8, types);
    UNPROTECT(8);
    return out;
}

/* cr_result_list of a whole SQL API JSON answer. */
SEXP C_result_from_json(SEXP body, SEXP int64_arg)
{
    if (TYPEOF(body) != RAWSXP)
        cr_raisef(CARTO_ERR_INVALID_ARGUMENT, "the SQL API body must be a raw vector");
    bool int64 = cr_flag_arg(int64_arg, "int64");
    carto_result *r = NULL;
    cr_check(carto_result_from_json(RAW(body), (size_t)XLENGTH(body), &r));
    SEXP handle = PROTECT(cr_wrap_result(r));
    SEXP out = PROTECT(cr_result_list(r, int64));
    cr_result_release(handle); /* done with it: free now, not at the next GC */
    UNPROTECT(2);
    return out;
}

/* ---- chunks of a result reader bound into one ------------------------------------------- */

static bool is_integer64(SEXP x)
{
    return TYPEOF(x) == REALSXP && Rf_inherits(x, "integer64");
}

/* Column `c` of every chunk in one vector, each chunk's part released once copied (so that
 * the peak is the bound columns plus the chunks' columns not yet copied). An int2/int4
 * column is integer, or double (bit64::integer64 with int64) in a chunk holding R's NA
 * value; the bound column is integer only when every chunk's is. */
static SEXP bind_column(SEXP chunks, R_xlen_t c, R_xlen_t rows)
{
    R_xlen_t n = XLENGTH(chunks);
    SEXP first = VECTOR_ELT(VECTOR_ELT(VECTOR_ELT(chunks, 0), 0), c);
    SEXPTYPE type = TYPEOF(first);
    bool as_integer64 = false;
    for (R_xlen_t k = 0; k < n; k++) {
        SEXP part = VECTOR_ELT(VECTOR_ELT(VECTOR_ELT(chunks, k), 0), c);
        if (TYPEOF(part) == REALSXP && type == INTSXP) type = REALSXP;
        if (is_integer64(part)) as_integer64 = true;
    }
    SEXP out = PROTECT(Rf_allocVector(type, rows));
    SEXP srids = R_NilValue;
    if (type == VECSXP) srids = PROTECT(Rf_allocVector(INTSXP, rows));
    R_xlen_t at = 0;
    for (R_xlen_t k = 0; k < n; k++) {
        SEXP columns = VECTOR_ELT(VECTOR_ELT(chunks, k), 0);
        SEXP part = VECTOR_ELT(columns, c);
        R_xlen_t len = XLENGTH(part);
        if (at + len > rows)
            cr_raisef(CARTO_ERR_RESULT_FORMAT, "the chunks hold more rows than they said");
        switch (type) {
        case INTSXP: memcpy(INTEGER(out) + at, INTEGER(part), (size_t)len * sizeof(int)); break;
        case LGLSXP: memcpy(LOGICAL(out) + at, LOGICAL(part), (size_t)len * sizeof(int)); break;
        case REALSXP:
            if (TYPEOF(part) == REALSXP) {
                memcpy(REAL(out) + at, REAL(part), (size_t)len * sizeof(double));
            } else { /* an integer part of a double or integer64 column */
                for (R_xlen_t i = 0; i < len; i++) {
                    int v = INTEGER(part)[i];
                    if (as_integer64) {
                        int64_t bits = v == NA_INTEGER ? INT64_MIN : (int64_t)v;
                        memcpy(REAL(out) + at + i, &bits, sizeof bits);
                    } else {
                        REAL(out)[at + i] = v == NA_INTEGER ? NA_REAL : (double)v;
                    }
                }
            }
            break;
        case STRSXP:
            for (R_xlen_t i = 0; i < len; i++) SET_STRING_ELT(out, at + i, STRING_ELT(part, i));
            break;
        case VECSXP: {
            SEXP part_srids = Rf_getAttrib(part, Rf_install("srid"));
            for (R_xlen_t i = 0; i < len; i++) {
                SET_VECTOR_ELT(out, at + i, VECTOR_ELT(part, i));
                INTEGER(srids)[at + i] = TYPEOF(part_srids) == INTSXP && XLENGTH(part_srids) == len
                                             ? INTEGER(part_srids)[i]
                                             : NA_INTEGER;
            }
            break;
        }
        default:
            cr_raisef(CARTO_ERR_RESULT_TYPE, "a column of an unexpected R type (%d)", (int)type);
        }
        at += len;
        if (!MAYBE_SHARED(columns))
            SET_VECTOR_ELT(columns, c, R_NilValue); /* copied: let R reclaim it */
    }
    if (at != rows)
        cr_raisef(CARTO_ERR_RESULT_FORMAT, "the chunks hold fewer rows than they said");
    if (as_integer64) Rf_setAttrib(out, R_ClassSymbol, Rf_mkString("integer64"));
    if (type == VECSXP) {
        Rf_setAttrib(out, Rf_install("srid"), srids);
        UNPROTECT(1);
    }
    UNPROTECT(1);
    return out;
}

/* The cr_result_list()s of a reader's chunks (a non-empty list, in order) as one: the
 * columns bound, the rest (total_rows, time, notices) from the last chunk. The chunks'
 * columns are consumed. */
SEXP C_result_lists_bind(SEXP chunks)
{
    if (TYPEOF(chunks) != VECSXP || XLENGTH(chunks) == 0)
        cr_raisef(CARTO_ERR_INVALID_ARGUMENT, "the chunks must be a non-empty list");
    R_xlen_t n = XLENGTH(chunks);
    SEXP last = VECTOR_ELT(chunks, n - 1);
    R_xlen_t ncol = XLENGTH(VECTOR_ELT(last, 0));
    double total = 0;
    for (R_xlen_t k = 0; k < n; k++) {
        SEXP chunk = VECTOR_ELT(chunks, k);
        if (TYPEOF(chunk) != VECSXP || XLENGTH(chunk) != 9 ||
            XLENGTH(VECTOR_ELT(chunk, 0)) != ncol)
            cr_raisef(CARTO_ERR_INVALID_ARGUMENT, "chunk %lld is not a chunk of this result",
                      (long long)k + 1);
        total += REAL(VECTOR_ELT(chunk, 7))[0];
    }
    if (total > (double)R_XLEN_T_MAX)
        cr_raisef(CARTO_ERR_RESULT_TYPE, "%.0f rows are more than R can hold", total);
    SEXP out = PROTECT(Rf_shallow_duplicate(last));
    SEXP columns = PROTECT(Rf_allocVector(VECSXP, ncol));
    Rf_setAttrib(columns, R_NamesSymbol, Rf_getAttrib(VECTOR_ELT(last, 0), R_NamesSymbol));
    SET_VECTOR_ELT(out, 0, columns);
    for (R_xlen_t c = 0; c < ncol; c++)
        SET_VECTOR_ELT(columns, c, bind_column(chunks, c, (R_xlen_t)total));
    SET_VECTOR_ELT(out, 7, Rf_ScalarReal(total));
    UNPROTECT(2);
    return out;
}
