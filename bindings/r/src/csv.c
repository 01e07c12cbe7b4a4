/*
 * The CSV that dbWriteTable() and dbAppendTable() upload with COPY ... FROM STDIN WITH
 * (FORMAT csv), written straight from the data frame's columns into a file. Formatting every
 * cell in R made one string per cell (a CHARSXP, hashed into R's global cache), which cost
 * more than the upload itself; here each row goes into one buffer.
 *
 * The columns come ready from R (R/dbi-write.R): integer, double, logical and character
 * vectors, and character vectors already holding each field's CSV text (dates, times, blobs,
 * geometries: whatever R formats better). The rules are COPY's:
 *   - an empty unquoted field is NULL; text is always quoted, so "" is the empty string;
 *   - doubles with 17 significant digits (every double read back exactly), NaN, Infinity;
 *   - logicals as true/false.
 * No library call is involved. The file is closed on every exit, an interrupt included
 * (R_ExecWithCleanup), and the user can interrupt between rows.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cartoauth_r.h"

/* How each column is written: the values of R/dbi-write.R's .csv_kinds. */
enum csv_kind { CSV_TEXT = 0, CSV_INTEGER = 1, CSV_DOUBLE = 2, CSV_LOGICAL = 3, CSV_FIELD = 4 };

struct csv_job {
    SEXP columns;
    const int *kinds;
    R_xlen_t ncol, nrow;
    const char *path;
    FILE *file;
    int write_errno;
};

static void csv_put(struct csv_job *job, const char *s, size_t n)
{
    if (job->write_errno == 0 && n && fwrite(s, 1, n, job->file) != n)
        job->write_errno = errno ? errno : EIO;
}

/* A quoted field: the text between double quotes, each quote doubled. */
static void csv_quoted(struct csv_job *job, const char *s)
{
    csv_put(job, "\"", 1);
    for (;;) {
        const char *quote = strchr(s, '"');
        if (!quote) break;
        csv_put(job, s, (size_t)(quote - s) + 1);
        csv_put(job, "\"", 1);
        s = quote + 1;
    }
    csv_put(job, s, strlen(s));
    csv_put(job, "\"", 1);
}

static void csv_cell(struct csv_job *job, R_xlen_t c, R_xlen_t r)
{
    SEXP column = VECTOR_ELT(job->columns, c);
    char buffer[40];
    switch (job->kinds[c]) {
    case CSV_INTEGER: {
        int v = INTEGER(column)[r];
        if (v != NA_INTEGER) csv_put(job, buffer, (size_t)snprintf(buffer, sizeof buffer, "%d", v));
        break;
    }
    case CSV_DOUBLE: {
        double v = REAL(column)[r];
        if (ISNA(v)) break; /* NA (not NaN) is NULL */
        if (isnan(v)) csv_put(job, "NaN", 3);
        else if (isinf(v)) csv_put(job, v > 0 ? "Infinity" : "-Infinity", v > 0 ? 8 : 9);
        else csv_put(job, buffer, (size_t)snprintf(buffer, sizeof buffer, "%.17g", v));
        break;
    }
    case CSV_LOGICAL: {
        int v = LOGICAL(column)[r];
        if (v != NA_LOGICAL) csv_put(job, v ? "true" : "false", v ? 4 : 5);
        break;
    }
    case CSV_TEXT: {
        SEXP v = STRING_ELT(column, r);
        if (v != NA_STRING) csv_quoted(job, Rf_translateCharUTF8(v));
        break;
    }
    default: { /* CSV_FIELD: the field's text as R wrote it ("" for NULL) */
        SEXP v = STRING_ELT(column, r);
        if (v != NA_STRING) {
            const char *s = CHAR(v);
            csv_put(job, s, strlen(s));
        }
        break;
    }
    }
}

static SEXP csv_rows(void *data)
{
    struct csv_job *job = data;
    for (R_xlen_t r = 0; r < job->nrow; r++) {
        if (r % 10000 == 9999) R_CheckUserInterrupt();
        const void *vmax = vmaxget(); /* translateCharUTF8's copies, freed row by row */
        for (R_xlen_t c = 0; c < job->ncol; c++) {
            if (c) csv_put(job, ",", 1);
            csv_cell(job, c, r);
        }
        vmaxset(vmax);
        csv_put(job, "\n", 1);
        if (job->write_errno) break;
    }
    return R_NilValue;
}

static void csv_close(void *data)
{
    struct csv_job *job = data;
    if (job->file && fclose(job->file) != 0 && job->write_errno == 0)
        job->write_errno = errno ? errno : EIO;
    job->file = NULL;
}

/* Writes the rows of `columns` (a list of equally long vectors) with `kinds` (one per column)
 * to `path`; returns the number of rows. An unwritable file is a carto_error_io. */
SEXP C_csv_write(SEXP columns, SEXP kinds, SEXP path)
{
    if (TYPEOF(columns) != VECSXP || TYPEOF(kinds) != INTSXP || XLENGTH(kinds) != XLENGTH(columns))
        cr_raisef(CARTO_ERR_INVALID_ARGUMENT, "C_csv_write: columns must be a list with one kind each");
    struct csv_job job = {columns, INTEGER(kinds), XLENGTH(columns), 0,
                          cr_string_arg(path, "path", false), NULL, 0};
    for (R_xlen_t c = 0; c < job.ncol; c++) {
        SEXP column = VECTOR_ELT(columns, c);
        int kind = job.kinds[c];
        SEXPTYPE want = kind == CSV_INTEGER ? INTSXP : kind == CSV_DOUBLE ? REALSXP
                        : kind == CSV_LOGICAL ? LGLSXP : STRSXP;
        if (kind < CSV_TEXT || kind > CSV_FIELD || TYPEOF(column) != want)
            cr_raisef(CARTO_ERR_INVALID_ARGUMENT, "C_csv_write: column %lld has the wrong type",
                      (long long)c + 1);
        if (c == 0) job.nrow = XLENGTH(column);
        else if (XLENGTH(column) != job.nrow)
            cr_raisef(CARTO_ERR_INVALID_ARGUMENT, "C_csv_write: the columns differ in length");
    }
    job.file = fopen(job.path, "wb");
    if (!job.file)
        cr_raisef(CARTO_ERR_IO, "cannot write '%s': %s", job.path, strerror(errno));
    R_ExecWithCleanup(csv_rows, &job, csv_close, &job);
    if (job.write_errno)
        cr_raisef(CARTO_ERR_IO, "cannot write '%s': %s", job.path, strerror(job.write_errno));
    return Rf_ScalarReal((double)job.nrow);
}
