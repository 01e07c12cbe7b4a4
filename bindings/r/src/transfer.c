/*
 * Sending a request: carto_client_send with the request's callbacks; opening a result
 * reader and reading its chunks, with the progress callback.
 *
 * - write: streams a successful body into a file (fwrite), in constant memory;
 * - read: streams a file as the request body (fread), in constant memory;
 * - progress: always installed. It checks for a user interrupt (Ctrl-C) and, when R code
 *   gave a progress function, calls it through cartoauth:::.carto_progress(), which turns
 *   an R error into a returned condition and FALSE into "cancel".
 *
 * The write and read callbacks never touch R. The progress callback runs R code, which may
 * jump (an error, an interrupt, a restart, an exiting handler of an outer tryCatch()); a jump
 * must never cross the library's Rust frames, so the R code runs under R_UnwindProtect. Its
 * cleanup function stops a jump with a C longjmp back into the callback's own frame (the
 * pattern of cpp11's unwind_protect), the callback returns "cancel" normally, and once
 * carto_client_send has returned and everything is released, R_ContinueUnwind() resumes the
 * jump where it was going.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cartoauth_r.h"

struct transfer {
    SEXP call;  /* .carto_progress(fn, uploaded, upload_total, downloaded, download_total) */
    SEXP env;   /* the package namespace, where `call` is evaluated */
    SEXP token; /* R_UnwindProtect's continuation token */
    SEXP keep;  /* list(condition): an R error caught by .carto_progress() */
    double numbers[4];
    bool jumped; /* an R jump was intercepted; resume it after the library returns */
    bool stop;   /* the transfer is being cancelled: answer "cancel" without running R */
    jmp_buf back;
    FILE *out;
    int out_errno;
    FILE *in;
    int in_errno;
};

/* ---- progress (runs R code) ---------------------------------------------------------- */

static SEXP progress_body(void *data)
{
    struct transfer *t = data;
    R_CheckUserInterrupt();
    if (t->call == R_NilValue)
        return R_NilValue;
    SEXP arg = CDR(CDR(t->call));
    for (int i = 0; i < 4; i++, arg = CDR(arg))
        SETCAR(arg, Rf_ScalarReal(t->numbers[i])); /* fresh values: the function may keep them */
    return Rf_eval(t->call, t->env);
}

/* Called by R_UnwindProtect after its context is ended. On a jump, stop it here and go back
 * to the callback's frame (below the library's frames, which are never unwound by R). */
static void progress_cleanup(void *data, Rboolean jump)
{
    if (jump)
        longjmp(((struct transfer *)data)->back, 1);
}

static double total_or_na(int64_t total)
{
    return total < 0 ? NA_REAL : (double)total;
}

static int32_t on_progress(void *user_data, uint64_t uploaded, int64_t upload_total,
                           uint64_t downloaded, int64_t download_total)
{
    struct transfer *t = user_data;
    if (t->stop)
        return 1;
    t->numbers[0] = (double)uploaded;
    t->numbers[1] = total_or_na(upload_total);
    t->numbers[2] = (double)downloaded;
    t->numbers[3] = total_or_na(download_total);
    if (setjmp(t->back) != 0) {
        /* Back from progress_cleanup: R wanted to jump out of the callback. */
        t->jumped = true;
        t->stop = true;
        return 1;
    }
    SEXP result = R_UnwindProtect(progress_body, t, progress_cleanup, t, t->token);
    if (result == R_NilValue)
        return 0; /* only the interrupt check ran */
    if (TYPEOF(result) == LGLSXP && XLENGTH(result) == 1 && LOGICAL(result)[0] == TRUE)
        return 0;
    if (TYPEOF(result) != LGLSXP)
        SET_VECTOR_ELT(t->keep, 0, result); /* the condition, re-raised after the call */
    t->stop = true;
    return 1;
}

/* Sets up `t` for a call with the progress callback: `progress` is NULL or an R function.
 * Protects 5 objects. */
static void transfer_init(struct transfer *t, SEXP progress)
{
    if (!Rf_isNull(progress) && !Rf_isFunction(progress))
        cr_raise(CARTO_ERR_INVALID_ARGUMENT, "'progress' must be a function or NULL");
    memset(t, 0, sizeof *t);
    t->token = PROTECT(R_MakeUnwindCont());
    t->keep = PROTECT(Rf_allocVector(VECSXP, 1));
    SEXP ns_name = PROTECT(Rf_mkString("cartoauth"));
    t->env = PROTECT(R_FindNamespace(ns_name));
    t->call = R_NilValue;
    if (!Rf_isNull(progress)) {
        t->call = Rf_lang6(Rf_install(".carto_progress"), progress, R_NilValue, R_NilValue,
                           R_NilValue, R_NilValue);
    }
    PROTECT(t->call);
}

/* A named list of `n` elements. */
static SEXP named_list(const char **names, int n)
{
    SEXP out = PROTECT(Rf_allocVector(VECSXP, n));
    SEXP out_names = PROTECT(Rf_allocVector(STRSXP, n));
    for (int i = 0; i < n; i++)
        SET_STRING_ELT(out_names, i, Rf_mkChar(names[i]));
    Rf_setAttrib(out, R_NamesSymbol, out_names);
    UNPROTECT(2);
    return out;
}

/* ---- files (no R) -------------------------------------------------------------------- */

static size_t on_write(void *user_data, const uint8_t *data, size_t length)
{
    struct transfer *t = user_data;
    errno = 0;
    if (fwrite(data, 1, length, t->out) != length) {
        t->out_errno = errno != 0 ? errno : EIO;
        return 0;
    }
    return length;
}

static int64_t on_read(void *user_data, uint8_t *buffer, size_t capacity)
{
    struct transfer *t = user_data;
    errno = 0;
    size_t n = fread(buffer, 1, capacity, t->in);
    if (n == 0 && ferror(t->in)) {
        t->in_errno = errno != 0 ? errno : EIO;
        return -1;
    }
    return (int64_t)n;
}

/* The native file name to open (R has expanded "~" already) and its UTF-8 spelling for
 * messages. */
static const char *path_arg(SEXP x, const char *name, const char **utf8)
{
    if (Rf_isNull(x)) {
        *utf8 = NULL;
        return NULL;
    }
    *utf8 = cr_string_arg(x, name, false);
    return Rf_translateChar(STRING_ELT(x, 0));
}

static SEXP string_or_null_of_errno(int e)
{
    return e == 0 ? R_NilValue : cr_string_or_null(strerror(e));
}

/* Sends `request` with `client`. `progress`: NULL or an R function of (uploaded,
 * upload_total, downloaded, download_total); `out_path`: NULL, or a file that receives a
 * successful body; `in_path`: NULL, or a file sent as the body. The request is released
 * before returning (its callbacks point into this frame).
 *
 * Returns list(status, message, response, condition, write_error, read_error): the
 * library's status and message, the response handle (NULL when no answer was received),
 * the R error the progress function raised, and strerror() texts of file failures. Any
 * other jump out of the progress function is resumed once everything is released. */
SEXP C_client_send(SEXP client_ptr, SEXP request_ptr, SEXP progress, SEXP out_path,
                   SEXP in_path)
{
    carto_client *client = cr_client(client_ptr);
    carto_request *request = cr_request(request_ptr);
    const char *out_utf8 = NULL, *in_utf8 = NULL;
    const char *out_name = path_arg(out_path, "file", &out_utf8);
    const char *in_name = path_arg(in_path, "file", &in_utf8);

    struct transfer t;
    transfer_init(&t, progress); /* 5 protected */

    /* Files are opened last, so that no R error can leave them open. */
    int64_t content_length = -1;
    if (in_name != NULL) {
        t.in = fopen(in_name, "rb");
        if (t.in == NULL)
            cr_raisef(CARTO_ERR_IO, "cannot open '%s' for reading: %s", in_utf8, strerror(errno));
        struct stat info;
        if (fstat(fileno(t.in), &info) == 0 && S_ISREG(info.st_mode))
            content_length = (int64_t)info.st_size;
    }
    if (out_name != NULL) {
        t.out = fopen(out_name, "wb");
        if (t.out == NULL) {
            int e = errno;
            if (t.in != NULL)
                fclose(t.in);
            cr_raisef(CARTO_ERR_IO, "cannot open '%s' for writing: %s", out_utf8, strerror(e));
        }
    }

    /* No R call and no R allocation from here until the files are closed, except the
     * protected progress callback. */
    carto_response *response = NULL;
    carto_status status = carto_request_set_progress(request, on_progress, &t);
    if (status == CARTO_OK && t.out != NULL)
        status = carto_request_set_response_writer(request, on_write, &t);
    if (status == CARTO_OK && t.in != NULL)
        status = carto_request_set_body_reader(request, on_read, &t, content_length, NULL);
    if (status == CARTO_OK)
        status = carto_client_send(client, request, &response);
    char message[4096] = "";
    if (status != CARTO_OK)
        carto_last_error_copy(message, sizeof message);

    /* The request points at `t`: release it now, so it can never be sent again. */
    cr_request_release(request_ptr);
    if (t.in != NULL)
        fclose(t.in);
    if (t.out != NULL) {
        errno = 0;
        if (fclose(t.out) != 0 && t.out_errno == 0)
            t.out_errno = errno != 0 ? errno : EIO;
    }
    if (t.jumped) {
        carto_response_free(response);
        R_ContinueUnwind(t.token); /* never returns */
    }

    SEXP r_response = PROTECT(response != NULL ? cr_wrap_response(response) : R_NilValue);
    static const char *names[] = {"status",    "message",     "response",
                                  "condition", "write_error", "read_error"};
    SEXP out = PROTECT(Rf_allocVector(VECSXP, 6));
    SEXP out_names = PROTECT(Rf_allocVector(STRSXP, 6));
    for (int i = 0; i < 6; i++)
        SET_STRING_ELT(out_names, i, Rf_mkChar(names[i]));
    Rf_setAttrib(out, R_NamesSymbol, out_names);
    SET_VECTOR_ELT(out, 0, Rf_ScalarInteger((int)status));
    SET_VECTOR_ELT(out, 1, status != CARTO_OK ? cr_string_or_null(message) : R_NilValue);
    SET_VECTOR_ELT(out, 2, r_response);
    SET_VECTOR_ELT(out, 3, VECTOR_ELT(t.keep, 0));
    SET_VECTOR_ELT(out, 4, string_or_null_of_errno(t.out_errno));
    SET_VECTOR_ELT(out, 5, string_or_null_of_errno(t.in_errno));
    UNPROTECT(8);
    return out;
}

/* ---- result readers (reader.c holds the handle) ------------------------------------- */

/* Opens `request` (a SQL API JSON request) for reading in chunks, with the progress callback
 * during the wait for the answer. The request is released before returning.
 *
 * Returns list(status, message, reader, response, condition): the library's status and
 * message, the reader (NULL on failure), the server's answer to a refused query (an HTTP
 * error status; NULL otherwise) and the R error the progress function raised. */
SEXP C_reader_open(SEXP client_ptr, SEXP request_ptr, SEXP progress)
{
    carto_client *client = cr_client(client_ptr);
    carto_request *request = cr_request(request_ptr);
    struct transfer t;
    transfer_init(&t, progress); /* 5 protected */

    carto_result_reader *reader = NULL;
    carto_response *refusal = NULL;
    carto_status status = carto_request_set_progress(request, on_progress, &t);
    if (status == CARTO_OK)
        status = carto_client_open_reader(client, request, &reader, &refusal);
    char message[4096] = "";
    if (status != CARTO_OK)
        carto_last_error_copy(message, sizeof message);
    cr_request_release(request_ptr); /* it points at `t` */
    if (t.jumped) {
        carto_result_reader_free(reader);
        carto_response_free(refusal);
        R_ContinueUnwind(t.token); /* never returns */
    }
    SEXP r_reader = PROTECT(reader != NULL ? cr_wrap_reader(reader) : R_NilValue);
    SEXP r_refusal = PROTECT(refusal != NULL ? cr_wrap_response(refusal) : R_NilValue);
    static const char *names[] = {"status", "message", "reader", "response", "condition"};
    SEXP out = PROTECT(named_list(names, 5));
    SET_VECTOR_ELT(out, 0, Rf_ScalarInteger((int)status));
    SET_VECTOR_ELT(out, 1, status != CARTO_OK ? cr_string_or_null(message) : R_NilValue);
    SET_VECTOR_ELT(out, 2, r_reader);
    SET_VECTOR_ELT(out, 3, r_refusal);
    SET_VECTOR_ELT(out, 4, VECTOR_ELT(t.keep, 0));
    UNPROTECT(8);
    return out;
}

/* Reads the next chunk of at most `n` rows, with the progress callback during the wait.
 *
 * Returns list(status, message, chunk, condition): `chunk` is cr_result_list() of the
 * chunk, or NULL at the end (and on failure). */
SEXP C_reader_next(SEXP reader_ptr, SEXP n_arg, SEXP int64_arg, SEXP progress)
{
    carto_result_reader *reader = cr_reader(reader_ptr);
    uint64_t n = cr_uint64_arg(n_arg, "n"); /* the library refuses 0 */
    if (n > SIZE_MAX)
        n = SIZE_MAX;
    bool int64 = cr_flag_arg(int64_arg, "int64");
    struct transfer t;
    transfer_init(&t, progress); /* 5 protected */

    carto_result *chunk = NULL;
    carto_status status = carto_result_reader_next(reader, (size_t)n, on_progress, &t, &chunk);
    char message[4096] = "";
    if (status != CARTO_OK)
        carto_last_error_copy(message, sizeof message);
    if (t.jumped) {
        carto_result_free(chunk);
        R_ContinueUnwind(t.token); /* never returns */
    }
    SEXP handle = PROTECT(chunk != NULL ? cr_wrap_result(chunk) : R_NilValue);
    SEXP r_chunk = PROTECT(chunk != NULL ? cr_result_list(chunk, int64) : R_NilValue);
    if (chunk != NULL)
        cr_result_release(handle); /* copied into R: free it now, not at the next GC */
    static const char *names[] = {"status", "message", "chunk", "condition"};
    SEXP out = PROTECT(named_list(names, 4));
    SET_VECTOR_ELT(out, 0, Rf_ScalarInteger((int)status));
    SET_VECTOR_ELT(out, 1, status != CARTO_OK ? cr_string_or_null(message) : R_NilValue);
    SET_VECTOR_ELT(out, 2, r_chunk);
    SET_VECTOR_ELT(out, 3, VECTOR_ELT(t.keep, 0));
    UNPROTECT(8);
    return out;
}
