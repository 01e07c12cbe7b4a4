/*
 * CARTO's platform APIs: Batch SQL jobs, API keys (Auth API) and Data Observatory
 * credentials. Every library handle these calls produce is turned into plain R lists at once
 * and released: the conversion runs under R_UnwindProtect, whose cleanup frees the handles
 * (and wipes/frees a token string) also when R cannot allocate.
 */
#include <setjmp.h>
#include <string.h>

#include "cartoauth_r.h"

/* What one conversion holds: the library resources released after it, whatever happens. */
struct held {
    carto_batch_job *job;
    carto_api_key *key;
    carto_api_key_list *list;
    carto_do_credentials *do_creds;
    char *token;
};

static void release_held(void *data, Rboolean jump)
{
    (void)jump;
    struct held *h = data;
    carto_batch_job_free(h->job);
    carto_api_key_free(h->key);
    carto_api_key_list_free(h->list);
    carto_do_credentials_free(h->do_creds);
    if (h->token != NULL) {
        memset(h->token, 0, strlen(h->token));
        carto_string_free(h->token);
    }
}

static SEXP convert(SEXP (*body)(void *), struct held *h)
{
    SEXP token = PROTECT(R_MakeUnwindCont());
    SEXP out = R_UnwindProtect(body, h, release_held, h, token);
    UNPROTECT(1);
    return out;
}

static SEXP string_or_na(const char *s)
{
    return s == NULL ? NA_STRING : Rf_mkCharCE(s, CE_UTF8);
}

/* A named list from parallel arrays of names and values (values already protected by the
 * caller's list). */
static SEXP named_list(int n, const char **names, SEXP *values)
{
    SEXP out = PROTECT(Rf_allocVector(VECSXP, n));
    SEXP nm = PROTECT(Rf_allocVector(STRSXP, n));
    for (int i = 0; i < n; i++) {
        SET_VECTOR_ELT(out, i, values[i]);
        SET_STRING_ELT(nm, i, Rf_mkChar(names[i]));
    }
    Rf_setAttrib(out, R_NamesSymbol, nm);
    UNPROTECT(2);
    return out;
}

static SEXP scalar_string(const char *s)
{
    SEXP out = PROTECT(Rf_allocVector(STRSXP, 1));
    SET_STRING_ELT(out, 0, string_or_na(s));
    UNPROTECT(1);
    return out;
}

/* ---- Batch SQL ------------------------------------------------------------------------- */

/* list(id, status, failed_reason, queries = list(query, status, failed_reason)) */
static SEXP job_body(void *data)
{
    const carto_batch_job *job = ((struct held *)data)->job;
    const char *id = NULL, *reason = NULL;
    carto_job_status status = CARTO_JOB_UNKNOWN;
    size_t n = 0;
    cr_check(carto_batch_job_id(job, &id));
    cr_check(carto_batch_job_status(job, &status));
    cr_check(carto_batch_job_failed_reason(job, &reason));
    cr_check(carto_batch_job_query_count(job, &n));
    SEXP sql = PROTECT(Rf_allocVector(STRSXP, (R_xlen_t)n));
    SEXP statuses = PROTECT(Rf_allocVector(STRSXP, (R_xlen_t)n));
    SEXP reasons = PROTECT(Rf_allocVector(STRSXP, (R_xlen_t)n));
    for (size_t i = 0; i < n; i++) {
        const char *q = NULL, *r = NULL;
        carto_job_status s = CARTO_JOB_UNKNOWN;
        cr_check(carto_batch_job_query(job, i, &q, &s, &r));
        SET_STRING_ELT(sql, (R_xlen_t)i, string_or_na(q));
        SET_STRING_ELT(statuses, (R_xlen_t)i, Rf_mkChar(carto_job_status_str(s)));
        SET_STRING_ELT(reasons, (R_xlen_t)i, string_or_na(r));
    }
    const char *qnames[] = {"query", "status", "failed_reason"};
    SEXP qvalues[] = {sql, statuses, reasons};
    SEXP queries = PROTECT(named_list(3, qnames, qvalues));
    SEXP id_s = PROTECT(scalar_string(id));
    SEXP status_s = PROTECT(scalar_string(carto_job_status_str(status)));
    SEXP reason_s = PROTECT(scalar_string(reason));
    const char *user = NULL, *created = NULL, *updated = NULL;
    cr_check(carto_batch_job_describe(job, &user, &created, &updated));
    SEXP user_s = PROTECT(scalar_string(user));
    SEXP created_s = PROTECT(scalar_string(created));
    SEXP updated_s = PROTECT(scalar_string(updated));
    const char *names[] = {"id", "status", "failed_reason", "queries", "user", "created_at",
                           "updated_at"};
    SEXP values[] = {id_s, status_s, reason_s, queries, user_s, created_s, updated_s};
    SEXP out = named_list(7, names, values);
    UNPROTECT(10);
    return out;
}

static SEXP job_to_r(carto_batch_job *job)
{
    struct held h = {0};
    h.job = job;
    return convert(job_body, &h);
}

SEXP C_batch_create(SEXP client_ptr, SEXP queries, SEXP onsuccess, SEXP onerror)
{
    carto_client *client = cr_client(client_ptr);
    if (TYPEOF(queries) != STRSXP || XLENGTH(queries) == 0)
        cr_raisef(CARTO_ERR_INVALID_ARGUMENT, "'queries' must be a non-empty character vector");
    R_xlen_t n = XLENGTH(queries);
    const char **sql = (const char **)R_alloc((size_t)n, sizeof(char *));
    for (R_xlen_t i = 0; i < n; i++)
        sql[i] = cr_string_elt(queries, i, "queries");
    const char *on_ok = cr_string_arg(onsuccess, "onsuccess", true);
    const char *on_err = cr_string_arg(onerror, "onerror", true);
    carto_batch_job *job = NULL;
    cr_check(carto_batch_create(client, sql, (size_t)n, on_ok, on_err, &job));
    return job_to_r(job);
}

SEXP C_batch_status(SEXP client_ptr, SEXP id)
{
    carto_client *client = cr_client(client_ptr);
    const char *job_id = cr_string_arg(id, "job", false);
    carto_batch_job *job = NULL;
    cr_check(carto_batch_status(client, job_id, &job));
    return job_to_r(job);
}

SEXP C_batch_cancel(SEXP client_ptr, SEXP id)
{
    carto_client *client = cr_client(client_ptr);
    const char *job_id = cr_string_arg(id, "job", false);
    carto_batch_job *job = NULL;
    cr_check(carto_batch_cancel(client, job_id, &job));
    return job_to_r(job);
}

/* ---- Waiting for a job: carto_batch_wait with a callback that runs R ---------------------
 *
 * The library polls and backs off; after each poll the callback checks for a user interrupt
 * (Ctrl-C) and, when R code gave a progress function, calls it through
 * cartoauth:::.carto_wait_progress(), which turns an R error into a returned condition and
 * FALSE into "stop". As in transfer.c, the R code runs under R_UnwindProtect and a jump out of
 * it (an interrupt, an error, a restart) is stopped with a C longjmp back into the callback's
 * own frame, never across the library's Rust frames; once carto_batch_wait has returned and
 * the job handle is released, R_ContinueUnwind() resumes it. */

struct waiting {
    SEXP call;  /* .carto_wait_progress(fn, id, status, polls), or R_NilValue */
    SEXP env;   /* the package namespace, where `call` is evaluated */
    SEXP token; /* R_UnwindProtect's continuation token */
    SEXP keep;  /* list(condition): an R error caught by .carto_wait_progress() */
    carto_job_status status;
    uint32_t polls;
    bool jumped; /* an R jump was intercepted; resume it after the library returns */
    bool stop;   /* the wait is being stopped: answer "stop" without running R */
    jmp_buf back;
};

static SEXP wait_body(void *data)
{
    struct waiting *w = data;
    R_CheckUserInterrupt();
    if (w->call == R_NilValue)
        return R_NilValue;
    SEXP arg = CDR(CDR(CDR(w->call)));
    SETCAR(arg, Rf_mkString(carto_job_status_str((int32_t)w->status)));
    SETCAR(CDR(arg), Rf_ScalarReal((double)w->polls));
    return Rf_eval(w->call, w->env);
}

static void wait_cleanup(void *data, Rboolean jump)
{
    if (jump)
        longjmp(((struct waiting *)data)->back, 1);
}

static int32_t on_poll(void *user_data, carto_job_status status, uint32_t polls)
{
    struct waiting *w = user_data;
    if (w->stop)
        return 1;
    w->status = status;
    w->polls = polls;
    if (setjmp(w->back) != 0) {
        /* Back from wait_cleanup: R wanted to jump out of the callback. */
        w->jumped = true;
        w->stop = true;
        return 1;
    }
    SEXP result = R_UnwindProtect(wait_body, w, wait_cleanup, w, w->token);
    if (result == R_NilValue)
        return 0; /* only the interrupt check ran */
    if (TYPEOF(result) == LGLSXP && XLENGTH(result) == 1 && LOGICAL(result)[0] == TRUE)
        return 0;
    if (TYPEOF(result) != LGLSXP)
        SET_VECTOR_ELT(w->keep, 0, result); /* the condition, re-raised by the R caller */
    w->stop = true;
    return 1;
}

/* Waits for job `id` at most `timeout_ms`, calling `progress` (NULL or an R function of the
 * job's id, status and polls so far) after each poll. Returns list(status, message, job,
 * condition): the library's status and message, the finished job (NULL unless done), and the
 * R error the progress function raised. Any other jump out of the callback is resumed once
 * the library has returned. */
SEXP C_batch_wait(SEXP client_ptr, SEXP id, SEXP timeout_ms, SEXP progress)
{
    carto_client *client = cr_client(client_ptr);
    const char *job_id = cr_string_arg(id, "job", false);
    uint64_t ms = cr_uint64_arg(timeout_ms, "timeout");
    if (!Rf_isNull(progress) && !Rf_isFunction(progress))
        cr_raise(CARTO_ERR_INVALID_ARGUMENT, "'progress' must be a function or NULL");

    struct waiting w;
    memset(&w, 0, sizeof w);
    w.token = PROTECT(R_MakeUnwindCont());
    w.keep = PROTECT(Rf_allocVector(VECSXP, 1));
    SEXP ns_name = PROTECT(Rf_mkString("cartoauth"));
    w.env = PROTECT(R_FindNamespace(ns_name));
    w.call = R_NilValue;
    if (!Rf_isNull(progress))
        w.call = Rf_lang5(Rf_install(".carto_wait_progress"), progress, id, R_NilValue,
                          R_NilValue);
    PROTECT(w.call);

    /* No R call and no R allocation from here until the library returns, except the
     * protected callback. */
    carto_batch_job *job = NULL;
    carto_status status = carto_batch_wait(client, job_id, ms, on_poll, &w, &job);
    char message[4096] = "";
    if (status != CARTO_OK)
        carto_last_error_copy(message, sizeof message);
    if (w.jumped) {
        carto_batch_job_free(job);
        R_ContinueUnwind(w.token); /* never returns */
    }

    SEXP r_job = PROTECT(job != NULL ? job_to_r(job) : R_NilValue);
    static const char *names[] = {"status", "message", "job", "condition"};
    SEXP values[] = {PROTECT(Rf_ScalarInteger((int)status)),
                     PROTECT(status != CARTO_OK ? scalar_string(message) : R_NilValue), r_job,
                     VECTOR_ELT(w.keep, 0)};
    SEXP out = named_list(4, names, values);
    UNPROTECT(8);
    return out;
}

/* ---- API keys -------------------------------------------------------------------------- */

/* list(name, type, created_at, updated_at, apis, services (character vectors),
 *      tables = list(schema, table, permissions), schemas = list(schema, permissions)) */
static SEXP key_fields(const carto_api_key *key)
{
    const char *name = NULL, *type = NULL, *created = NULL, *updated = NULL;
    size_t n_apis = 0, n_services = 0, n_tables = 0, n_schemas = 0;
    cr_check(carto_api_key_describe(key, &name, &type, &created, &updated));
    cr_check(carto_api_key_api_count(key, &n_apis));
    cr_check(carto_api_key_service_count(key, &n_services));
    cr_check(carto_api_key_grant_counts(key, &n_tables, &n_schemas));
    SEXP apis = PROTECT(Rf_allocVector(STRSXP, (R_xlen_t)n_apis));
    for (size_t i = 0; i < n_apis; i++) {
        const char *api = NULL;
        cr_check(carto_api_key_api(key, i, &api));
        SET_STRING_ELT(apis, (R_xlen_t)i, string_or_na(api));
    }
    SEXP services = PROTECT(Rf_allocVector(STRSXP, (R_xlen_t)n_services));
    for (size_t i = 0; i < n_services; i++) {
        const char *service = NULL;
        cr_check(carto_api_key_service(key, i, &service));
        SET_STRING_ELT(services, (R_xlen_t)i, string_or_na(service));
    }
    SEXP t_schema = PROTECT(Rf_allocVector(STRSXP, (R_xlen_t)n_tables));
    SEXP t_name = PROTECT(Rf_allocVector(STRSXP, (R_xlen_t)n_tables));
    SEXP t_perms = PROTECT(Rf_allocVector(STRSXP, (R_xlen_t)n_tables));
    for (size_t i = 0; i < n_tables; i++) {
        const char *s = NULL, *t = NULL, *p = NULL;
        cr_check(carto_api_key_table(key, i, &s, &t, &p));
        SET_STRING_ELT(t_schema, (R_xlen_t)i, string_or_na(s));
        SET_STRING_ELT(t_name, (R_xlen_t)i, string_or_na(t));
        SET_STRING_ELT(t_perms, (R_xlen_t)i, string_or_na(p));
    }
    SEXP s_name = PROTECT(Rf_allocVector(STRSXP, (R_xlen_t)n_schemas));
    SEXP s_perms = PROTECT(Rf_allocVector(STRSXP, (R_xlen_t)n_schemas));
    for (size_t i = 0; i < n_schemas; i++) {
        const char *s = NULL, *p = NULL;
        cr_check(carto_api_key_schema(key, i, &s, &p));
        SET_STRING_ELT(s_name, (R_xlen_t)i, string_or_na(s));
        SET_STRING_ELT(s_perms, (R_xlen_t)i, string_or_na(p));
    }
    const char *tnames[] = {"schema", "table", "permissions"};
    SEXP tvalues[] = {t_schema, t_name, t_perms};
    SEXP tables = PROTECT(named_list(3, tnames, tvalues));
    const char *snames[] = {"schema", "permissions"};
    SEXP svalues[] = {s_name, s_perms};
    SEXP schemas = PROTECT(named_list(2, snames, svalues));
    SEXP v0 = PROTECT(scalar_string(name));
    SEXP v1 = PROTECT(scalar_string(type));
    SEXP v2 = PROTECT(scalar_string(created));
    SEXP v3 = PROTECT(scalar_string(updated));
    const char *names[] = {"name", "type", "created_at", "updated_at",
                           "apis", "services", "tables", "schemas"};
    SEXP values[] = {v0, v1, v2, v3, apis, services, tables, schemas};
    SEXP out = named_list(8, names, values);
    UNPROTECT(13);
    return out;
}

static SEXP key_body(void *data)
{
    return key_fields(((struct held *)data)->key);
}

/* list(key, token) */
static SEXP new_key_body(void *data)
{
    struct held *h = data;
    SEXP key = PROTECT(key_fields(h->key));
    SEXP token = PROTECT(scalar_string(h->token));
    const char *names[] = {"key", "token"};
    SEXP values[] = {key, token};
    SEXP out = named_list(2, names, values);
    UNPROTECT(2);
    return out;
}

/* Each key of the list, as key_fields. Each handle handed out is released right after its
 * conversion; an R failure in between is covered by h->key. */
static SEXP list_body(void *data)
{
    struct held *h = data;
    size_t n = 0;
    cr_check(carto_api_key_list_count(h->list, &n));
    SEXP out = PROTECT(Rf_allocVector(VECSXP, (R_xlen_t)n));
    for (size_t i = 0; i < n; i++) {
        cr_check(carto_api_key_list_get(h->list, i, &h->key));
        SET_VECTOR_ELT(out, (R_xlen_t)i, key_fields(h->key));
        carto_api_key_free(h->key);
        h->key = NULL;
    }
    UNPROTECT(1);
    return out;
}

SEXP C_api_keys_list(SEXP client_ptr)
{
    carto_client *client = cr_client(client_ptr);
    struct held h = {0};
    cr_check(carto_api_keys_list(client, &h.list));
    return convert(list_body, &h);
}

SEXP C_api_key_get(SEXP client_ptr, SEXP name)
{
    carto_client *client = cr_client(client_ptr);
    const char *key_name = cr_string_arg(name, "name", false);
    struct held h = {0};
    cr_check(carto_api_key_get(client, key_name, &h.key));
    return convert(key_body, &h);
}

/* Fills a grants builder from R vectors; returns the first failing status. */
static carto_status fill_grants(carto_grants *g, const char **apis, R_xlen_t n_apis,
                                const char **services, R_xlen_t n_services,
                                const char **t_schema, const char **t_name,
                                const char **t_perms, R_xlen_t n_tables, const char **s_name,
                                const char **s_perms, R_xlen_t n_schemas)
{
    carto_status st = CARTO_OK;
    for (R_xlen_t i = 0; st == CARTO_OK && i < n_apis; i++)
        st = carto_grants_add_api(g, apis[i]);
    for (R_xlen_t i = 0; st == CARTO_OK && i < n_services; i++)
        st = carto_grants_add_service(g, services[i]);
    for (R_xlen_t i = 0; st == CARTO_OK && i < n_tables; i++)
        st = carto_grants_add_table(g, t_schema[i], t_name[i], t_perms[i]);
    for (R_xlen_t i = 0; st == CARTO_OK && i < n_schemas; i++)
        st = carto_grants_add_schema(g, s_name[i], s_perms[i]);
    return st;
}

static const char **strings_arg(SEXP x, const char *name, R_xlen_t *n)
{
    if (x == R_NilValue) {
        *n = 0;
        return NULL;
    }
    if (TYPEOF(x) != STRSXP)
        cr_raisef(CARTO_ERR_INVALID_ARGUMENT, "'%s' must be a character vector", name);
    *n = XLENGTH(x);
    const char **out = (const char **)R_alloc((size_t)(*n > 0 ? *n : 1), sizeof(char *));
    for (R_xlen_t i = 0; i < *n; i++)
        out[i] = cr_string_elt(x, i, name);
    return out;
}

/* tables: list(schema, table, permissions) of equal-length character vectors (schema "" for
 * the account's); schemas: list(schema, permissions). */
SEXP C_api_key_create(SEXP client_ptr, SEXP name, SEXP apis, SEXP services, SEXP tables,
                      SEXP schemas)
{
    carto_client *client = cr_client(client_ptr);
    const char *key_name = cr_string_arg(name, "name", false);
    R_xlen_t n_apis, n_services, n_ts, n_tt, n_tp, n_ss, n_sp;
    const char **a = strings_arg(apis, "apis", &n_apis);
    const char **sv = strings_arg(services, "services", &n_services);
    const char **ts = strings_arg(VECTOR_ELT(tables, 0), "tables$schema", &n_ts);
    const char **tt = strings_arg(VECTOR_ELT(tables, 1), "tables$table", &n_tt);
    const char **tp = strings_arg(VECTOR_ELT(tables, 2), "tables$permissions", &n_tp);
    const char **ss = strings_arg(VECTOR_ELT(schemas, 0), "schemas$schema", &n_ss);
    const char **sp = strings_arg(VECTOR_ELT(schemas, 1), "schemas$permissions", &n_sp);
    if (n_ts != n_tt || n_tt != n_tp || n_ss != n_sp)
        cr_raisef(CARTO_ERR_INVALID_ARGUMENT, "the columns of 'tables' or 'schemas' differ in length");
    carto_grants *g = NULL;
    cr_check(carto_grants_new(&g));
    struct held h = {0};
    carto_status st = fill_grants(g, a, n_apis, sv, n_services, ts, tt, tp, n_tt, ss, sp, n_ss);
    if (st == CARTO_OK)
        st = carto_api_key_create(client, key_name, g, &h.key, &h.token);
    carto_grants_free(g);
    cr_check(st);
    return convert(new_key_body, &h);
}

SEXP C_api_key_regenerate(SEXP client_ptr, SEXP name)
{
    carto_client *client = cr_client(client_ptr);
    const char *key_name = cr_string_arg(name, "name", false);
    struct held h = {0};
    cr_check(carto_api_key_regenerate(client, key_name, &h.key, &h.token));
    return convert(new_key_body, &h);
}

SEXP C_api_key_delete(SEXP client_ptr, SEXP name)
{
    carto_client *client = cr_client(client_ptr);
    const char *key_name = cr_string_arg(name, "name", false);
    cr_check(carto_api_key_delete(client, key_name));
    return R_NilValue;
}

/* ---- Data Observatory ------------------------------------------------------------------ */

static SEXP do_body(void *data)
{
    const carto_do_credentials *c = ((struct held *)data)->do_creds;
    const char *token = NULL, *pub = NULL, *exec = NULL, *project = NULL, *dataset = NULL,
               *bucket = NULL;
    bool instant = false;
    cr_check(carto_do_credentials_access_token(c, &token));
    cr_check(carto_do_credentials_places(c, &pub, &exec, &project, &dataset, &bucket));
    cr_check(carto_do_credentials_instant_licensing(c, &instant));
    SEXP v0 = PROTECT(scalar_string(token));
    SEXP v1 = PROTECT(scalar_string(pub));
    SEXP v2 = PROTECT(scalar_string(exec));
    SEXP v3 = PROTECT(scalar_string(project));
    SEXP v4 = PROTECT(scalar_string(dataset));
    SEXP v5 = PROTECT(scalar_string(bucket));
    SEXP v6 = PROTECT(Rf_ScalarLogical(instant ? TRUE : FALSE));
    const char *names[] = {"access_token", "bq_public_project", "gcp_execution_project",
                           "bq_project", "bq_dataset", "gcs_bucket", "instant_licensing"};
    SEXP values[] = {v0, v1, v2, v3, v4, v5, v6};
    SEXP out = named_list(7, names, values);
    UNPROTECT(7);
    return out;
}

SEXP C_do_credentials(SEXP client_ptr)
{
    carto_client *client = cr_client(client_ptr);
    struct held h = {0};
    cr_check(carto_do_credentials_get(client, &h.do_creds));
    return convert(do_body, &h);
}
