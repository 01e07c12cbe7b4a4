/*
 * carto_result_reader: a query's result read in chunks as its answer arrives. Opening and
 * reading a chunk are waits with the progress callback (transfer.c: C_reader_open,
 * C_reader_next); this file holds the handle. Freeing a reader before its end closes the
 * connection, which stops the query on the server.
 */
#include "cartoauth_r.h"

static SEXP reader_tag(void)
{
    static SEXP tag = NULL;
    if (tag == NULL) tag = Rf_install("carto_result_reader");
    return tag;
}

static void free_reader(void *handle)
{
    carto_result_reader_free((carto_result_reader *)handle);
}

static void finalize_reader(SEXP ptr)
{
    cr_finalize_with(ptr, free_reader);
}

SEXP cr_wrap_reader(carto_result_reader *r)
{
    return cr_wrap_handle(r, reader_tag(), finalize_reader, free_reader);
}

carto_result_reader *cr_reader(SEXP x)
{
    return (carto_result_reader *)cr_handle(x, reader_tag(), "carto_result_reader");
}

/* Frees the reader now (idempotent): the query stops if rows remain. */
SEXP C_reader_free(SEXP ptr)
{
    if (cr_is_handle(ptr, reader_tag()))
        cr_finalize_with(ptr, free_reader);
    return R_NilValue;
}

/* Whether the answer has been read to its end (or the reader stopped at an error). */
SEXP C_reader_done(SEXP ptr)
{
    bool done = false;
    cr_check(carto_result_reader_done(cr_reader(ptr), &done));
    return Rf_ScalarLogical(done);
}
