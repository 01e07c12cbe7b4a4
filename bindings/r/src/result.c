/*
 * carto_result: carto_sql()'s JSON answer read by the library into typed columns, and each
 * column built here straight from the bulk calls (one crossing per column, not per cell).
 *
 * The result handle is wrapped in an external pointer before any R allocation, so an R error
 * (out of memory, a string R cannot hold) frees it through the finalizer instead of leaking.
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

/* list(columns = named list, kinds, pgtypes, srids (NA when none), total_rows, time,
 * notices (character, "severity: message"), rows, types (CARTO's)). int64: int8 as bit64::integer64. */
SEXP C_result_from_json(SEXP body, SEXP int64_arg)
{
    if (TYPEOF(body) != RAWSXP)
        cr_raisef(CARTO_ERR_INVALID_ARGUMENT, "the SQL API body must be a raw vector");
    bool int64 = cr_flag_arg(int64_arg, "int64");
    carto_result *r = NULL;
    cr_check(carto_result_from_json(RAW(body), (size_t)XLENGTH(body), &r));
    SEXP handle = PROTECT(cr_wrap_handle(r, Rf_install("carto_result"), finalize_result,
                                         free_result));
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
    cr_finalize_with(handle, free_result); /* done with it: free now, not at the next GC */
    UNPROTECT(9);
    return out;
}
