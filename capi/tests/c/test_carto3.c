/* CARTO 3 through the C ABI against carto-emulator --carto3: M2M tokens minted once and
 * shared by threads, a token for the caller (owned, wiped on free), the paste and loopback
 * sign-ins with a state mismatch refused, the never-cross rules, jobs and SQL v3 misuse, and
 * misuse of every new handle (NULLs, freed and wrong-type handles, invalid UTF-8).
 *
 * The runner (tests/c_api.rs) passes CARTO_TEST_API_BASE_URL, CARTO_TEST_AUTH_URL,
 * CARTO_TEST_M2M_ID, CARTO_TEST_M2M_SECRET_KEY, CARTO_TEST_SPA_ID and CARTO_TEST_CACHE_DIR. */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static const char *api_base_url, *auth_url, *m2m_id, *m2m_secret, *spa_id, *cache_dir;

static carto_client *client_for(carto_credentials *creds) {
    carto_client_options *options = NULL;
    carto_client *client = NULL;
    CHECK_OK(carto_client_options_new(&options));
    CHECK_OK(carto_client_options_set_token_cache(options, CARTO_TOKEN_CACHE_DIRECTORY, cache_dir));
    CHECK_OK(carto_client_new(creds, options, &client));
    carto_client_options_free(options);
    return client;
}

static carto_client *m2m_client(void) {
    carto_credentials *creds = NULL;
    CHECK_OK(carto_credentials_new_m2m(api_base_url, m2m_id, m2m_secret, auth_url, true, true,
                                       &creds));
    carto_client *client = client_for(creds);
    carto_credentials_free(creds);
    return client;
}

static void *query_accounts(void *arg) {
    carto_client *client = arg;
    for (int i = 0; i < 5; i++) {
        carto_request *request = NULL;
        carto_response *response = NULL;
        uint16_t status = 0;
        CHECK_OK(carto_request_new("GET", "accounts", &request));
        CHECK_OK(carto_client_send(client, request, &response));
        CHECK_OK(carto_response_status(response, &status));
        CHECK(status == 200);
        carto_response_free(response);
        carto_request_free(request);
    }
    return NULL;
}

static void m2m_tokens_are_minted_and_shared(void) {
    carto_client *client = m2m_client();
    pthread_t threads[4];
    for (int i = 0; i < 4; i++)
        CHECK(pthread_create(&threads[i], NULL, query_accounts, client) == 0);
    for (int i = 0; i < 4; i++)
        pthread_join(threads[i], NULL);

    char *token = NULL;
    int64_t expires_at = 0, known = 0;
    CHECK_OK(carto_client_access_token(client, &token, &expires_at));
    CHECK(token != NULL && strncmp(token, "eyJ", 3) == 0);
    CHECK(expires_at > (int64_t)time(NULL) + 60);
    CHECK_OK(carto_client_token_expiry(client, &known));
    CHECK(known == expires_at);
    carto_string_free(token);

    carto_credentials *creds = NULL;
    carto_credential_kind kind = CARTO_KIND_API_KEY;
    int platform = 0;
    const char *id = NULL;
    CHECK_OK(carto_client_credentials(client, &creds));
    CHECK_OK(carto_credentials_kind(creds, &kind));
    CHECK(kind == CARTO_KIND_M2M);
    CHECK_OK(carto_credentials_platform(creds, &platform));
    CHECK(platform == 3);
    CHECK_OK(carto_credentials_client_id(creds, &id));
    CHECK_STR(id, m2m_id);
    carto_credentials_free(creds);

    bool had = false;
    CHECK_OK(carto_client_forget_token(client, &had));
    CHECK(had);
    CHECK_OK(carto_client_token_expiry(client, &known));
    CHECK(known == -1);
    carto_client_free(client);
}

static void wrong_secrets_and_crossed_platforms_are_refused(void) {
    carto_credentials *creds = NULL;
    carto_client *client = NULL;
    char *token = (char *)1;
    CHECK_OK(carto_credentials_new_m2m(api_base_url, m2m_id, "not-the-SEKRIT-value", auth_url,
                                       true, true, &creds));
    client = client_for(creds);
    CHECK_STATUS(carto_client_access_token(client, &token, NULL), CARTO_ERR_HTTP_UNAUTHORIZED);
    CHECK(token == (char *)1); /* written only on success */
    CHECK_ERROR_MENTIONS("access_denied");
    carto_client_free(client);
    carto_credentials_free(creds);

    /* The emulator's root says nothing of CARTO 3: without declaring it, a token is refused. */
    creds = NULL;
    CHECK_STATUS(carto_credentials_new_access_token(api_base_url, "tok", false, true, &creds),
                 CARTO_ERR_INVALID_ARGUMENT);
    CHECK(creds == NULL);
    CHECK_ERROR_MENTIONS("CARTO 2 host");
    /* A CARTO 2 key is never a Bearer token. */
    CHECK_STATUS(carto_credentials_new(NULL, "k", "https://gcp-us-east1.api.carto.com", false,
                                       &creds),
                 CARTO_ERR_INVALID_ARGUMENT);

    /* CARTO 3 calls with CARTO 2 credentials fail before any request. */
    CHECK_OK(carto_credentials_new("alice", "keySEKRIT1234", NULL, false, &creds));
    CHECK_OK(carto_client_new(creds, NULL, &client));
    carto_result *result = NULL;
    CHECK_STATUS(carto_client_sql_v3(client, "carto_dw", "select 1", NULL, &result),
                 CARTO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(carto_client_access_token(client, &token, NULL), CARTO_ERR_INVALID_ARGUMENT);
    carto_sql_job *job = NULL;
    CHECK_STATUS(carto_client_sql_job_status(client, "carto_dw", "../x", &job),
                 CARTO_ERR_INVALID_ARGUMENT);
    carto_client_free(client);
    carto_credentials_free(creds);
}

/* A browser that asks for `url` (http://127.0.0.1:PORT/...) and copies the redirect's
 * Location into `location`. */
static int fetch_location(const char *url, char *location, size_t capacity) {
    unsigned port = 0;
    char path[4096];
    if (sscanf(url, "http://127.0.0.1:%u%4095s", &port, path) != 2)
        return -1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {0};
    address.sin_family = AF_INET;
    address.sin_port = htons((uint16_t)port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        close(fd);
        return -1;
    }
    char request[4200];
    int n = snprintf(request, sizeof request, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path);
    if (write(fd, request, (size_t)n) != n) {
        close(fd);
        return -1;
    }
    static char answer[65536];
    size_t got = 0;
    ssize_t r;
    while (got < sizeof answer - 1 && (r = read(fd, answer + got, sizeof answer - 1 - got)) > 0)
        got += (size_t)r;
    answer[got] = 0;
    close(fd);
    const char *start = strstr(answer, "\r\nlocation: ");
    if (start == NULL)
        start = strstr(answer, "\r\nLocation: ");
    if (start == NULL)
        return -1;
    start += strlen("\r\nlocation: ");
    size_t len = strcspn(start, "\r\n");
    if (len >= capacity)
        return -1;
    memcpy(location, start, len);
    location[len] = 0;
    return 0;
}

static carto_client *user_client(void) {
    carto_credentials *creds = NULL;
    CHECK_OK(carto_credentials_new_oauth_user(api_base_url, spa_id, NULL, auth_url, true, true,
                                              &creds));
    carto_client *client = client_for(creds);
    carto_credentials_free(creds);
    return client;
}

static void paste_sign_in_checks_the_state(void) {
    carto_client *client = user_client();
    carto_signin *signin = NULL;
    const char *url = NULL, *state = NULL;
    int flow = 0;
    char location[8192];
    CHECK_OK(carto_client_forget_token(client, NULL));
    /* No sign-in yet: a request is refused before it is sent. */
    carto_request *request = NULL;
    carto_response *response = NULL;
    CHECK_OK(carto_request_new("GET", "accounts", &request));
    CHECK_STATUS(carto_client_send(client, request, &response), CARTO_ERR_SIGNIN_REQUIRED);

    CHECK_OK(carto_signin_begin(client, CARTO_SIGNIN_PASTE, &signin));
    CHECK_OK(carto_signin_flow(signin, &flow));
    CHECK(flow == CARTO_SIGNIN_PASTE);
    CHECK_OK(carto_signin_authorize_url(signin, &url));
    CHECK_OK(carto_signin_state(signin, &state));
    CHECK(strstr(url, "code_challenge_method=S256") != NULL);
    CHECK(strstr(url, state) != NULL);
    CHECK(fetch_location(url, location, sizeof location) == 0);

    /* Another sign-in's answer: the state is replaced by a forged one of the same length. */
    char forged[8192];
    strcpy(forged, location);
    char *at = strstr(forged, state);
    CHECK(at != NULL);
    if (at != NULL)
        at[0] = at[0] == 'A' ? 'B' : 'A';
    CHECK_STATUS(carto_signin_finish_pasted(signin, forged, NULL), CARTO_ERR_SIGNIN_FAILED);
    CHECK_ERROR_MENTIONS("state");

    int64_t expires_at = 0;
    CHECK_OK(carto_signin_finish_pasted(signin, location, &expires_at));
    CHECK(expires_at > (int64_t)time(NULL));
    CHECK_OK(carto_client_send(client, request, &response));
    carto_response_free(response);
    carto_request_free(request);
    /* A sign-in finishes once. */
    CHECK_STATUS(carto_signin_finish_pasted(signin, location, NULL), CARTO_ERR_SIGNIN_FAILED);
    carto_signin_free(signin);
    carto_signin_free(signin); /* a second free is harmless */
    carto_client_free(client);
}

struct browser {
    char url[8192];
    int ok;
};

static void *browse(void *arg) {
    struct browser *b = arg;
    char location[8192], ignored[16];
    b->ok = fetch_location(b->url, location, sizeof location) == 0;
    /* The listener answers the redirect with a page (no further Location). */
    if (b->ok)
        fetch_location(location, ignored, sizeof ignored);
    return NULL;
}

static int keep_waiting(void *user_data) {
    (*(int *)user_data)++;
    return 0;
}

static void loopback_sign_in_completes(void) {
    carto_client *client = user_client();
    carto_signin *signin = NULL;
    const char *url = NULL;
    CHECK_OK(carto_signin_begin(client, CARTO_SIGNIN_BROWSER, &signin));
    CHECK_OK(carto_signin_authorize_url(signin, &url));
    struct browser b = {{0}, 0};
    snprintf(b.url, sizeof b.url, "%s", url);
    pthread_t thread;
    CHECK(pthread_create(&thread, NULL, browse, &b) == 0);
    int calls = 0;
    CHECK_OK(carto_signin_wait(signin, 30000, keep_waiting, &calls, NULL));
    pthread_join(thread, NULL);
    CHECK(b.ok);
    /* The listener served its one redirect: waiting again only times out. */
    CHECK_STATUS(carto_signin_wait(signin, 100, NULL, NULL, NULL), CARTO_ERR_TIMEOUT);
    carto_signin_free(signin);
    carto_client_free(client);
}

static int stop_at_once(void *user_data) {
    (void)user_data;
    return 1;
}

static void misuse_is_an_error_never_a_crash(void) {
    carto_client *client = user_client();
    carto_signin *signin = NULL;
    const char *s = NULL;
    CHECK_STATUS(carto_signin_begin(NULL, CARTO_SIGNIN_PASTE, &signin), CARTO_ERR_NULL_ARGUMENT);
    CHECK_STATUS(carto_signin_begin(client, 7, &signin), CARTO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(carto_signin_begin(client, CARTO_SIGNIN_PASTE, NULL), CARTO_ERR_NULL_ARGUMENT);
    /* A client handle is not a sign-in. */
    CHECK_STATUS(carto_signin_authorize_url((const carto_signin *)client, &s),
                 CARTO_ERR_INVALID_HANDLE);
    CHECK_OK(carto_signin_begin(client, CARTO_SIGNIN_BROWSER, &signin));
    CHECK_STATUS(carto_signin_wait(signin, 30000, stop_at_once, NULL, NULL), CARTO_ERR_CANCELLED);
    CHECK_STATUS(carto_signin_finish_pasted(signin, "\xff\xfe", NULL), CARTO_ERR_INVALID_UTF8);
    CHECK_STATUS(carto_signin_finish_pasted(signin, NULL, NULL), CARTO_ERR_NULL_ARGUMENT);
    CHECK_STATUS(carto_signin_finish_pasted(signin, "   ", NULL), CARTO_ERR_SIGNIN_FAILED);
    carto_signin_free(signin);
    CHECK_STATUS(carto_signin_state(signin, &s), CARTO_ERR_INVALID_HANDLE);
    carto_signin_free(NULL);
    carto_sql_job_free(NULL);

    carto_client_options *options = NULL;
    CHECK_OK(carto_client_options_new(&options));
    CHECK_STATUS(carto_client_options_set_token_cache(options, CARTO_TOKEN_CACHE_DIRECTORY, NULL),
                 CARTO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(carto_client_options_set_token_cache(options, CARTO_TOKEN_CACHE_OFF, "/tmp"),
                 CARTO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(carto_client_options_set_token_cache(options, 9, NULL), CARTO_ERR_INVALID_ARGUMENT);
    CHECK_OK(carto_client_options_set_token_cache(options, CARTO_TOKEN_CACHE_OFF, NULL));
    CHECK_STATUS(carto_client_options_set_refresh_windows(options, 1000, 2000),
                 CARTO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(carto_client_options_set_refresh_windows(options, 1000, 0),
                 CARTO_ERR_INVALID_ARGUMENT);
    CHECK_OK(carto_client_options_set_refresh_windows(options, 60000, 30000));
    carto_client_options_free(options);

    carto_credentials *creds = NULL;
    CHECK_STATUS(carto_credentials_new_m2m(api_base_url, NULL, "x", NULL, true, true, &creds),
                 CARTO_ERR_NULL_ARGUMENT);
    CHECK_STATUS(carto_credentials_new_m2m(api_base_url, "a b", "x", NULL, true, true, &creds),
                 CARTO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(carto_credentials_new_access_token(api_base_url, "two words", true, true, &creds),
                 CARTO_ERR_INVALID_ARGUMENT);
    char *text = NULL;
    CHECK_STATUS(carto_client_create_token(client, "{\"grants\": 5}", &text),
                 CARTO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(carto_client_create_token(client, "not json", &text), CARTO_ERR_INVALID_ARGUMENT);
    carto_result *result = NULL;
    CHECK_STATUS(carto_client_sql_v3(client, "carto_dw", "select 1", "[1", &result),
                 CARTO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(carto_client_sql_v3(client, "a/b", "select 1", NULL, &result),
                 CARTO_ERR_INVALID_ARGUMENT);
    carto_client_free(client);
}

int main(void) {
    api_base_url = getenv("CARTO_TEST_API_BASE_URL");
    auth_url = getenv("CARTO_TEST_AUTH_URL");
    m2m_id = getenv("CARTO_TEST_M2M_ID");
    m2m_secret = getenv("CARTO_TEST_M2M_SECRET_KEY");
    spa_id = getenv("CARTO_TEST_SPA_ID");
    cache_dir = getenv("CARTO_TEST_CACHE_DIR");
    if (!api_base_url || !auth_url || !m2m_id || !m2m_secret || !spa_id || !cache_dir) {
        fprintf(stderr, "set CARTO_TEST_API_BASE_URL, _AUTH_URL, _M2M_ID, _M2M_SECRET_KEY, "
                        "_SPA_ID and _CACHE_DIR\n");
        return 2;
    }
    m2m_tokens_are_minted_and_shared();
    wrong_secrets_and_crossed_platforms_are_refused();
    paste_sign_in_checks_the_state();
    loopback_sign_in_completes();
    misuse_is_an_error_never_a_crash();
    return finish("test_carto3");
}
