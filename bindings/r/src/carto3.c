/*
 * CARTO 3: credentials of each kind, tokens, the browser sign-in, SQL API v3, and the
 * situation report. The rules are the library's; this converts arguments and results.
 *
 * carto_signin_wait checks for a user interrupt every 50 ms through its callback, which runs
 * R_CheckUserInterrupt() under R_ToplevelExec: an interrupt is caught there (it never jumps
 * across the library's frames), the wait stops with CARTO_ERR_CANCELLED, and the glue raises
 * it as an R condition once the library has returned.
 */
#include <string.h>

#include "cartoauth_r.h"

SEXP C_credentials_new_carto3(SEXP kind, SEXP api_base_url, SEXP token, SEXP client_id,
                              SEXP client_secret, SEXP organization, SEXP auth_url,
                              SEXP declare_carto3, SEXP allow_non_secure)
{
    const char *k = cr_string_arg(kind, "kind", false);
    const char *url = cr_string_arg(api_base_url, "api_base_url", false);
    const char *t = cr_string_arg(token, "token", true);
    const char *id = cr_string_arg(client_id, "client_id", true);
    const char *secret = cr_string_arg(client_secret, "client_secret", true);
    const char *org = cr_string_arg(organization, "organization", true);
    const char *auth = cr_string_arg(auth_url, "auth_url", true);
    bool declare = cr_flag_arg(declare_carto3, "declare_carto3");
    bool ans = cr_flag_arg(allow_non_secure, "allow_non_secure");
    carto_credentials *out = NULL;
    if (strcmp(k, "access_token") == 0)
        cr_check(carto_credentials_new_access_token(url, t, declare, ans, &out));
    else if (strcmp(k, "m2m") == 0)
        cr_check(carto_credentials_new_m2m(url, id, secret, auth, declare, ans, &out));
    else if (strcmp(k, "oauth_user") == 0)
        cr_check(carto_credentials_new_oauth_user(url, id, org, auth, declare, ans, &out));
    else
        cr_raisef(CARTO_ERR_INVALID_ARGUMENT, "kind must be access_token, m2m or oauth_user");
    return cr_wrap_credentials(out);
}

/* list(kind, platform, client_id) of any credentials. */
SEXP C_credentials_carto3_fields(SEXP credentials)
{
    const carto_credentials *c = cr_credentials(credentials);
    carto_credential_kind kind = CARTO_KIND_API_KEY;
    int platform = 0;
    const char *id = NULL;
    cr_check(carto_credentials_kind(c, &kind));
    cr_check(carto_credentials_platform(c, &platform));
    cr_check(carto_credentials_client_id(c, &id));
    static const char *kinds[] = {"api_key", "access_token", "oauth_user", "m2m"};
    const char *names[] = {"kind", "platform", "client_id", ""};
    SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
    SET_VECTOR_ELT(out, 0, Rf_mkString(kinds[(int)kind & 3]));
    SET_VECTOR_ELT(out, 1, Rf_ScalarInteger(platform));
    SET_VECTOR_ELT(out, 2, cr_string_or_null(id));
    UNPROTECT(1);
    return out;
}

static SEXP expiry(int64_t expires_at)
{
    return Rf_ScalarReal(expires_at < 0 ? NA_REAL : (double)expires_at);
}

/* list(token, expires_at): a token valid now (the caller asked for the secret). */
SEXP C_client_access_token(SEXP client)
{
    const carto_client *c = cr_client(client);
    char *token = NULL;
    int64_t expires_at = -1;
    cr_check(carto_client_access_token(c, &token, &expires_at));
    const char *names[] = {"token", "expires_at", ""};
    SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
    SET_VECTOR_ELT(out, 1, expiry(expires_at));
    SET_VECTOR_ELT(out, 0, cr_take_string(token)); /* frees (and wipes) the library's copy */
    UNPROTECT(1);
    return out;
}

SEXP C_client_token_expiry(SEXP client)
{
    int64_t expires_at = -1;
    cr_check(carto_client_token_expiry(cr_client(client), &expires_at));
    return expiry(expires_at);
}

SEXP C_client_forget_token(SEXP client)
{
    bool had = false;
    cr_check(carto_client_forget_token(cr_client(client), &had));
    return Rf_ScalarLogical(had);
}

SEXP C_client_sql_v3(SEXP client, SEXP connection, SEXP query, SEXP parameters, SEXP int64)
{
    const carto_client *c = cr_client(client);
    const char *conn = cr_string_arg(connection, "connection", false);
    const char *q = cr_string_arg(query, "query", false);
    const char *params = cr_string_arg(parameters, "parameters", true);
    bool wide = cr_flag_arg(int64, "int64");
    carto_result *r = NULL;
    cr_check(carto_client_sql_v3(c, conn, q, params, &r));
    SEXP handle = PROTECT(cr_wrap_result(r));
    SEXP out = PROTECT(cr_result_list(r, wide));
    cr_result_release(handle); /* done with it: free now, not at the next GC */
    UNPROTECT(2);
    return out;
}

/* ---- the sign-in ---------------------------------------------------------------------- */

static SEXP tag_signin(void)
{
    static SEXP tag = NULL;
    if (tag == NULL)
        tag = Rf_install("carto_signin");
    return tag;
}

static void free_signin(void *handle)
{
    carto_signin_free((carto_signin *)handle);
}

static void finalize_signin(SEXP ptr)
{
    cr_finalize_with(ptr, free_signin);
}

static carto_signin *signin_of(SEXP x)
{
    return (carto_signin *)cr_handle(x, tag_signin(), "carto_signin");
}

SEXP C_signin_begin(SEXP client, SEXP flow)
{
    const carto_client *c = cr_client(client);
    int f = cr_int_arg(flow, "flow");
    carto_signin *s = NULL;
    cr_check(carto_signin_begin(c, f, &s));
    return cr_wrap_handle(s, tag_signin(), finalize_signin, free_signin);
}

/* list(url, state, flow) */
SEXP C_signin_info(SEXP signin)
{
    const carto_signin *s = signin_of(signin);
    const char *url = NULL, *state = NULL;
    int flow = 0;
    cr_check(carto_signin_authorize_url(s, &url));
    cr_check(carto_signin_state(s, &state));
    cr_check(carto_signin_flow(s, &flow));
    const char *names[] = {"url", "state", "flow", ""};
    SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
    SET_VECTOR_ELT(out, 0, cr_string_or_null(url));
    SET_VECTOR_ELT(out, 1, cr_string_or_null(state));
    SET_VECTOR_ELT(out, 2, Rf_mkString(flow == CARTO_SIGNIN_PASTE ? "paste" : "browser"));
    UNPROTECT(1);
    return out;
}

static void check_interrupt(void *unused)
{
    (void)unused;
    R_CheckUserInterrupt();
}

/* Keep waiting unless R has a pending interrupt (caught here, never propagated). */
static int keep_waiting(void *user_data)
{
    if (!R_ToplevelExec(check_interrupt, NULL)) {
        *(bool *)user_data = true;
        return 1;
    }
    return 0;
}

SEXP C_signin_wait(SEXP signin, SEXP timeout_ms)
{
    const carto_signin *s = signin_of(signin);
    uint64_t ms = cr_uint64_arg(timeout_ms, "timeout_ms");
    bool interrupted = false;
    int64_t expires_at = -1;
    carto_status status = carto_signin_wait(s, ms, keep_waiting, &interrupted, &expires_at);
    if (interrupted)
        cr_raise(CARTO_ERR_CANCELLED, "the sign-in was interrupted");
    cr_check(status);
    return expiry(expires_at);
}

SEXP C_signin_finish(SEXP signin, SEXP pasted)
{
    const carto_signin *s = signin_of(signin);
    const char *text = cr_string_arg(pasted, "pasted", false);
    int64_t expires_at = -1;
    cr_check(carto_signin_finish_pasted(s, text, &expires_at));
    return expiry(expires_at);
}

SEXP C_signin_free(SEXP ptr)
{
    if (!cr_is_handle(ptr, tag_signin()))
        cr_raise(CARTO_ERR_INVALID_ARGUMENT, "expected a carto_signin object");
    finalize_signin(ptr);
    return R_NilValue;
}

SEXP C_signin_recommended_flow(void)
{
    int flow = 0;
    cr_check(carto_signin_recommended_flow(&flow));
    return Rf_mkString(flow == CARTO_SIGNIN_PASTE ? "paste" : "browser");
}

/* The situation report, as the library's JSON text. */
SEXP C_resolve_explained(void)
{
    char *json = NULL;
    cr_check(carto_resolve_explained(&json));
    return cr_take_string(json);
}
