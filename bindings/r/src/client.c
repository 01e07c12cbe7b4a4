/*
 * carto_client: options, creation, its credentials, /api/v3/me and key validation.
 * Sending requests is in transfer.c.
 */
#include "cartoauth_r.h"

static void free_client(void *handle)
{
    carto_client_free((carto_client *)handle);
}

static void finalize_client(SEXP ptr)
{
    cr_finalize_with(ptr, free_client);
}

carto_client *cr_client(SEXP x)
{
    return (carto_client *)cr_handle(x, cr_tag_client(), "carto_client");
}

/* Creates a client from credentials (NULL: resolve now) and every option. R/client.R checks
 * ranges and converts seconds to milliseconds; the library checks them again. The options
 * handle is released before any error is raised. */
SEXP C_client_new(SEXP credentials, SEXP connect_timeout_ms, SEXP timeout_ms,
                  SEXP idle_timeout_ms, SEXP key_transport, SEXP trust, SEXP ca_bundle,
                  SEXP max_attempts, SEXP max_wait_ms, SEXP user_agent, SEXP proxy_from_env,
                  SEXP max_body_size)
{
    carto_credentials *creds = cr_credentials_or_null(credentials);
    uint64_t connect_ms = cr_uint64_arg(connect_timeout_ms, "connect_timeout");
    uint64_t overall_ms = cr_uint64_arg(timeout_ms, "timeout");
    uint64_t idle_ms = cr_uint64_arg(idle_timeout_ms, "idle_timeout");
    int transport = cr_int_arg(key_transport, "key_transport");
    int trust_kind = cr_int_arg(trust, "trust");
    const char *bundle = cr_string_arg(ca_bundle, "ca_bundle", true);
    uint64_t attempts = cr_uint64_arg(max_attempts, "retries");
    uint64_t wait_ms = cr_uint64_arg(max_wait_ms, "retry_wait");
    const char *suffix = cr_string_arg(user_agent, "user_agent", true);
    bool proxy = cr_flag_arg(proxy_from_env, "proxy_from_env");
    uint64_t body_limit = cr_uint64_arg(max_body_size, "max_body_size");
    if (attempts > UINT32_MAX)
        cr_raise(CARTO_ERR_INVALID_ARGUMENT, "'retries' is too large");

    /* No R call from here until the options are freed. */
    carto_client_options *options = NULL;
    carto_client *client = NULL;
    carto_status status = carto_client_options_new(&options);
    if (status == CARTO_OK)
        status = carto_client_options_set_connect_timeout(options, connect_ms);
    if (status == CARTO_OK)
        status = carto_client_options_set_timeout(options, overall_ms);
    if (status == CARTO_OK)
        status = carto_client_options_set_idle_timeout(options, idle_ms);
    if (status == CARTO_OK)
        status = carto_client_options_set_key_transport(options, transport);
    if (status == CARTO_OK)
        status = carto_client_options_set_trust(options, trust_kind, bundle);
    if (status == CARTO_OK)
        status = carto_client_options_set_retry(options, (uint32_t)attempts, wait_ms);
    if (status == CARTO_OK)
        status = carto_client_options_set_user_agent_suffix(options, suffix);
    if (status == CARTO_OK)
        status = carto_client_options_set_proxy_from_env(options, proxy);
    if (status == CARTO_OK)
        status = carto_client_options_set_max_body_size(options, body_limit);
    if (status == CARTO_OK)
        status = carto_client_new(creds, options, &client);
    carto_client_options_free(options); /* does not change the last error */
    cr_check(status);
    return cr_wrap_handle(client, cr_tag_client(), finalize_client, free_client);
}

SEXP C_client_free(SEXP ptr)
{
    if (!cr_is_handle(ptr, cr_tag_client()))
        cr_raise(CARTO_ERR_INVALID_ARGUMENT, "expected a carto_client object");
    finalize_client(ptr);
    return R_NilValue;
}

SEXP C_client_live(SEXP ptr)
{
    return Rf_ScalarLogical(cr_is_handle(ptr, cr_tag_client()) && R_ExternalPtrAddr(ptr) != NULL);
}

/* A new credentials handle holding the client's credentials. */
SEXP C_client_credentials(SEXP ptr)
{
    carto_client *client = cr_client(ptr);
    carto_credentials *out = NULL;
    cr_check(carto_client_credentials(client, &out));
    return cr_wrap_credentials(out);
}

struct two_strings {
    char *a;
    char *b;
};

static SEXP two_strings_body(void *data)
{
    struct two_strings *s = data;
    SEXP out = PROTECT(Rf_allocVector(VECSXP, 2));
    SET_VECTOR_ELT(out, 0, cr_string_or_null(s->a));
    SET_VECTOR_ELT(out, 1, cr_string_or_null(s->b));
    UNPROTECT(1);
    return out;
}

static void two_strings_cleanup(void *data, Rboolean jump)
{
    (void)jump;
    struct two_strings *s = data;
    carto_string_free(s->a);
    carto_string_free(s->b);
}

/* list(username, user_id): either may be NULL. Both owned strings are freed, also when R
 * cannot allocate the copies. */
SEXP C_client_me(SEXP ptr)
{
    carto_client *client = cr_client(ptr);
    struct two_strings s = {NULL, NULL};
    cr_check(carto_client_me(client, &s.a, &s.b));
    SEXP token = PROTECT(R_MakeUnwindCont());
    SEXP out = R_UnwindProtect(two_strings_body, &s, two_strings_cleanup, &s, token);
    UNPROTECT(1);
    return out;
}

/* CARTO_KEY_UNKNOWN (0), CARTO_KEY_VALID (1) or CARTO_KEY_INVALID (2). */
SEXP C_client_validate_key(SEXP ptr)
{
    carto_client *client = cr_client(ptr);
    carto_key_validity validity = CARTO_KEY_UNKNOWN;
    cr_check(carto_client_validate_key(client, &validity));
    return Rf_ScalarInteger((int)validity);
}
