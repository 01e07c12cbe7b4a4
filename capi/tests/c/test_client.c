/* The client ABI against carto-emulator: SQL, formats, every error class, faults injected per
 * request, streaming both ways through callbacks, progress and cancellation, threads, misuse.
 *
 * The runner (tests/c_api.rs) starts the emulator and passes CARTO_TEST_BASE_URL,
 * CARTO_TEST_ROOT_URL, CARTO_TEST_MASTER_KEY and CARTO_TEST_ADMIN_TOKEN. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdlib.h>

#include "check.h"

static const char *base_url, *root_url, *master_key, *admin_token;

static carto_client *make_client(const char *key, int transport, uint32_t attempts) {
    carto_credentials *creds = NULL;
    carto_client_options *options = NULL;
    carto_client *client = NULL;
    CHECK_OK(carto_credentials_new(NULL, key, base_url, true, &creds));
    CHECK_OK(carto_client_options_new(&options));
    CHECK_OK(carto_client_options_set_key_transport(options, transport));
    CHECK_OK(carto_client_options_set_retry(options, attempts, 5000));
    CHECK_OK(carto_client_options_set_user_agent_suffix(options, "c-test/1.0"));
    CHECK_OK(carto_client_new(creds, options, &client));
    carto_client_options_free(options);
    carto_credentials_free(creds);
    return client;
}

/* Sends `query` with a fault injected into this request only. */
static carto_status sql_with_fault(carto_client *client, const char *query, const char *fault,
                                   carto_response **out) {
    carto_request *request = NULL;
    carto_status st = carto_request_new_sql(query, NULL, &request);
    if (st == CARTO_OK && fault != NULL) {
        st = carto_request_add_header(request, "X-Emulator-Fault", fault);
        if (st == CARTO_OK) st = carto_request_add_header(request, "X-Emulator-Token", admin_token);
    }
    if (st == CARTO_OK) st = carto_client_send(client, request, out);
    carto_request_free(request);
    return st;
}

static const char *body_text(carto_response *response) {
    const uint8_t *data = NULL;
    size_t length = 0;
    if (carto_response_body(response, &data, &length) != CARTO_OK) return "";
    return (const char *)data; /* NUL-terminated by the library */
}

static void sql_and_formats(carto_client *client) {
    carto_response *response = NULL;
    uint16_t status = 0;
    const char *value = NULL;

    CHECK_OK(carto_client_sql(client, "select cartodb_id, name from points_private order by 1",
                              NULL, &response));
    CHECK_OK(carto_response_check(response));
    CHECK_OK(carto_response_status(response, &status));
    CHECK(status == 200);
    CHECK(strstr(body_text(response), "\"rows\":[{\"cartodb_id\":1") != NULL);
    CHECK_OK(carto_response_header(response, "Content-Type", &value));
    CHECK(value != NULL && strncmp(value, "application/json", 16) == 0);
    CHECK_OK(carto_response_header(response, "X-No-Such-Header", &value));
    CHECK(value == NULL);
    size_t count = 0;
    CHECK_OK(carto_response_header_count(response, &count));
    CHECK(count > 0);
    const char *name = NULL;
    CHECK_OK(carto_response_header_at(response, 0, &name, &value));
    CHECK_STATUS(carto_response_header_at(response, count, &name, &value),
                 CARTO_ERR_INVALID_ARGUMENT);
    carto_response_free(response);

    CHECK_OK(carto_client_sql(client, "select cartodb_id, name from points_public order by 1",
                              "csv", &response));
    CHECK(strncmp(body_text(response), "cartodb_id,name", 15) == 0);
    carto_response_free(response);

    carto_request *request = NULL;
    CHECK_OK(carto_request_new_sql("select cartodb_id, the_geom from points_public", "geojson",
                                   &request));
    CHECK_OK(carto_request_add_param(request, "rows_per_page", "1"));
    CHECK_OK(carto_client_send(client, request, &response));
    CHECK(strstr(body_text(response), "\"FeatureCollection\"") != NULL);
    carto_response_free(response);
    carto_request_free(request);

    /* A query of 1024 bytes or more goes by POST and still works. */
    char long_query[1400];
    memset(long_query, ' ', sizeof long_query);
    memcpy(long_query, "select 42 as answer", 19);
    long_query[sizeof long_query - 1] = '\0';
    CHECK_OK(carto_client_sql(client, long_query, NULL, &response));
    CHECK_OK(carto_response_check(response));
    CHECK(strstr(body_text(response), "\"answer\":42") != NULL);
    carto_response_free(response);
}

static void error_classes(carto_client *master) {
    carto_response *response = NULL;
    carto_client *wrong = make_client("wronSEKRIT-0123456789", CARTO_KEY_TRANSPORT_BASIC, 1);
    CHECK_OK(carto_client_sql(wrong, "select 1", NULL, &response));
    CHECK_STATUS(carto_response_check(response), CARTO_ERR_HTTP_UNAUTHORIZED);
    CHECK_ERROR_MENTIONS("HTTP 401");
    CHECK(strstr(carto_last_error(), "wrong-key") == NULL);
    carto_response_free(response);
    carto_client_free(wrong);

    carto_client *public_client = make_client(NULL, CARTO_KEY_TRANSPORT_BASIC, 1);
    CHECK_OK(carto_client_sql(public_client, "select * from points_private", NULL, &response));
    CHECK_STATUS(carto_response_check(response), CARTO_ERR_HTTP_FORBIDDEN);
    CHECK_ERROR_MENTIONS("permission denied for table points_private");
    const char *message = NULL;
    CHECK_OK(carto_response_error_message(response, &message));
    CHECK(message != NULL && strstr(message, "permission denied") != NULL);
    carto_response_free(response);

    CHECK_OK(carto_client_sql(public_client, "selct 1", NULL, &response));
    CHECK_STATUS(carto_response_check(response), CARTO_ERR_HTTP_CLIENT_ERROR);
    carto_response_free(response);
    carto_client_free(public_client);

    CHECK_OK(sql_with_fault(master, "select 1", "{\"status\":503}", &response));
    CHECK_STATUS(carto_response_check(response), CARTO_ERR_HTTP_SERVER_ERROR);
    carto_response_free(response);

    CHECK_OK(sql_with_fault(master, "select 1", "{\"status\":429,\"retry_after\":7}", &response));
    CHECK_STATUS(carto_response_check(response), CARTO_ERR_HTTP_RATE_LIMITED);
    int64_t limit = 0, remaining = 0, reset = 0, retry_after = 0;
    CHECK_OK(carto_response_rate_limit(response, &limit, &remaining, &reset, &retry_after));
    CHECK(retry_after == 7);
    CHECK_OK(carto_response_rate_limit(response, NULL, NULL, NULL, &retry_after));
    carto_response_free(response);

    /* Passwords and keys in a request URL never come back in a message. */
    const char *paths[] = {"https://u:PASSW0RD-SEKRIT@elsewhere.example.org/api/v3/me",
                           "https://u:pa/PASSW0RD-SEKRIT@elsewhere.example.org/api",
                           "api/v3/me?api%5Fkey=PASSW0RD-SEKRIT&apikey=PASSW0RD-SEKRIT&x=%zz"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        carto_request *request = NULL;
        CHECK_OK(carto_request_new("GET", paths[i], &request));
        carto_status st = carto_client_send(master, request, &response);
        echo_last_error(st);
        if (st == CARTO_OK) {
            carto_response_free(response);
        } else {
            CHECK(strstr(carto_last_error(), "SEKRIT") == NULL);
        }
        carto_request_free(request);
    }

    /* Unknown user: 404. */
    char unknown[512];
    snprintf(unknown, sizeof unknown, "%s/user/nobody", root_url);
    carto_credentials *creds = NULL;
    carto_client *client = NULL;
    CHECK_OK(carto_credentials_new(NULL, NULL, unknown, true, &creds));
    CHECK_OK(carto_client_new(creds, NULL, &client));
    CHECK_OK(carto_client_sql(client, "select 1", NULL, &response));
    CHECK_STATUS(carto_response_check(response), CARTO_ERR_HTTP_NOT_FOUND);
    carto_response_free(response);
    carto_client_free(client);
    carto_credentials_free(creds);
}

static void transport_failures(carto_client *master) {
    carto_response *response = (carto_response *)0x1;
    carto_credentials *creds = NULL;
    carto_client_options *options = NULL;
    carto_client *slow = NULL;

    /* A 3 s delay against a 300 ms timeout. */
    CHECK_OK(carto_credentials_new(NULL, master_key, base_url, true, &creds));
    CHECK_OK(carto_client_options_new(&options));
    CHECK_OK(carto_client_options_set_timeout(options, 300));
    CHECK_OK(carto_client_options_set_retry(options, 1, 0));
    CHECK_OK(carto_client_new(creds, options, &slow));
    CHECK_STATUS(sql_with_fault(slow, "select 1", "{\"delay_ms\":3000}", &response),
                 CARTO_ERR_TIMEOUT);
    CHECK(response == (carto_response *)0x1);
    carto_client_free(slow);
    carto_client_options_free(options);
    carto_credentials_free(creds);

    /* A body cut mid-way. */
    CHECK_STATUS(sql_with_fault(master,
                                "select repeat('x', 1000) from generate_series(1, 500)",
                                "{\"abort_after_bytes\":100000}", &response),
                 CARTO_ERR_CONNECTION);

    /* Nothing listening. */
    carto_client *nowhere = NULL;
    CHECK_OK(carto_credentials_new(NULL, NULL, "http://127.0.0.1:1/user/demo", true, &creds));
    CHECK_OK(carto_client_new(creds, NULL, &nowhere));
    CHECK_STATUS(carto_client_sql(nowhere, "select 1", NULL, &response), CARTO_ERR_CONNECTION);
    carto_client_free(nowhere);
    carto_credentials_free(creds);

    /* Options are checked. */
    CHECK_OK(carto_client_options_new(&options));
    CHECK_STATUS(carto_client_options_set_connect_timeout(options, 0), CARTO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(carto_client_options_set_key_transport(options, 9), CARTO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(carto_client_options_set_trust(options, CARTO_TRUST_CA_BUNDLE, NULL),
                 CARTO_ERR_INVALID_ARGUMENT);
    CHECK_OK(carto_client_options_set_trust(options, CARTO_TRUST_CA_BUNDLE, "/no/such/ca.pem"));
    CHECK_OK(carto_credentials_new("demo", NULL, NULL, false, &creds));
    carto_client *client = NULL;
    CHECK_STATUS(carto_client_new(creds, options, &client), CARTO_ERR_TLS);
    CHECK_ERROR_MENTIONS("/no/such/ca.pem");
    carto_credentials_free(creds);
    carto_client_options_free(options);
}

struct sink {
    uint64_t bytes;
    int fail_after_first;
    int calls;
};

static size_t count_bytes(void *user_data, const uint8_t *data, size_t length) {
    struct sink *sink = user_data;
    (void)data;
    sink->calls++;
    if (sink->fail_after_first && sink->calls > 1) return 0;
    sink->bytes += length;
    return length;
}

struct source {
    int64_t rows_left;
    char pending[64];
    size_t pending_length, pending_offset;
};

static int64_t make_rows(void *user_data, uint8_t *buffer, size_t capacity) {
    struct source *source = user_data;
    if (source->pending_offset == source->pending_length) {
        if (source->rows_left == 0) return 0;
        source->pending_length = (size_t)snprintf(source->pending, sizeof source->pending,
                                                  "%lld\trow\n", (long long)source->rows_left--);
        source->pending_offset = 0;
    }
    size_t n = source->pending_length - source->pending_offset;
    if (n > capacity) n = capacity;
    memcpy(buffer, source->pending + source->pending_offset, n);
    source->pending_offset += n;
    return (int64_t)n;
}

static int64_t broken_reader(void *user_data, uint8_t *buffer, size_t capacity) {
    (void)user_data, (void)buffer, (void)capacity;
    return -1;
}

static int32_t stop_after_64k(void *user_data, uint64_t uploaded, int64_t upload_total,
                              uint64_t downloaded, int64_t download_total) {
    (void)upload_total, (void)download_total;
    int *calls = user_data;
    (*calls)++;
    return (uploaded + downloaded) > 65536;
}

static void streaming(carto_client *master) {
    carto_request *request = NULL;
    carto_response *response = NULL;
    struct sink sink = {0, 0, 0};
    uint64_t streamed = 0;

    CHECK_OK(carto_request_new_copy_to(
        "COPY (SELECT repeat('x', 100) FROM generate_series(1, 20000)) TO STDOUT", &request));
    CHECK_OK(carto_request_set_response_writer(request, count_bytes, &sink));
    CHECK_OK(carto_client_send(master, request, &response));
    CHECK_OK(carto_response_check(response));
    CHECK(sink.bytes == 20000u * 101u);
    CHECK_OK(carto_response_streamed_bytes(response, &streamed));
    CHECK(streamed == sink.bytes);
    carto_response_free(response);

    /* A writer that stops taking bytes aborts with CARTO_ERR_CALLBACK. */
    struct sink failing = {0, 1, 0};
    CHECK_OK(carto_request_set_response_writer(request, count_bytes, &failing));
    CHECK_STATUS(carto_client_send(master, request, &response), CARTO_ERR_CALLBACK);

    /* The progress callback cancels. */
    int progress_calls = 0;
    CHECK_OK(carto_request_set_response_writer(request, count_bytes, &sink));
    CHECK_OK(carto_request_set_progress(request, stop_after_64k, &progress_calls));
    CHECK_STATUS(carto_client_send(master, request, &response), CARTO_ERR_CANCELLED);
    CHECK(progress_calls > 0);
    carto_request_free(request);

    /* Upload from a read callback, plain and gzip, into a new table. */
    CHECK_OK(carto_client_sql(master, "CREATE TABLE c_upload (id int, label text)", NULL,
                              &response));
    CHECK_OK(carto_response_check(response));
    carto_response_free(response);
    for (int gzip = 0; gzip <= 1; gzip++) {
        struct source source = {5000, {0}, 0, 0};
        CHECK_OK(carto_request_new_copy_from("COPY c_upload (id, label) FROM STDIN", &request));
        CHECK_OK(carto_request_set_body_reader(request, make_rows, &source, -1, NULL));
        CHECK_OK(carto_request_set_gzip(request, gzip));
        CHECK_OK(carto_client_send(master, request, &response));
        CHECK_OK(carto_response_check(response));
        CHECK(strstr(body_text(response), "\"total_rows\":5000") != NULL);
        carto_response_free(response);
        carto_request_free(request);
    }
    CHECK_OK(carto_request_new_copy_from("COPY c_upload (id, label) FROM STDIN", &request));
    CHECK_OK(carto_request_set_body_reader(request, broken_reader, NULL, -1, NULL));
    CHECK_STATUS(carto_client_send(master, request, &response), CARTO_ERR_CALLBACK);
    CHECK_STATUS(carto_request_set_body_reader(request, NULL, NULL, -1, NULL),
                 CARTO_ERR_NULL_ARGUMENT);
    CHECK_STATUS(carto_request_set_body_reader(request, make_rows, NULL, -5, NULL),
                 CARTO_ERR_INVALID_ARGUMENT);
    carto_request_free(request);
}

struct worker {
    carto_client *client;
    int id;
    int failures;
};

static void *run_queries(void *arg) {
    struct worker *w = arg;
    for (int i = 0; i < 20; i++) {
        char query[64], expected[64];
        snprintf(query, sizeof query, "select %d as n", w->id * 1000 + i);
        snprintf(expected, sizeof expected, "\"n\":%d", w->id * 1000 + i);
        carto_response *response = NULL;
        if (carto_client_sql(w->client, query, NULL, &response) != CARTO_OK ||
            carto_response_check(response) != CARTO_OK ||
            strstr(body_text(response), expected) == NULL) {
            w->failures++;
        }
        carto_response_free(response);
    }
    return NULL;
}

static void threads(carto_client *client) {
    pthread_t ids[8];
    struct worker workers[8];
    for (int i = 0; i < 8; i++) {
        workers[i] = (struct worker){client, i, 0};
        CHECK(pthread_create(&ids[i], NULL, run_queries, &workers[i]) == 0);
    }
    for (int i = 0; i < 8; i++) {
        CHECK(pthread_join(ids[i], NULL) == 0);
        CHECK(workers[i].failures == 0);
    }
}

static void account(carto_client *master) {
    char *username = NULL, *user_id = NULL;
    CHECK_OK(carto_client_me(master, &username, &user_id));
    CHECK_STR(username, "demo");
    CHECK(user_id != NULL && strlen(user_id) == 36);
    carto_string_free(username);
    carto_string_free(user_id);
    carto_key_validity validity = CARTO_KEY_UNKNOWN;
    CHECK_OK(carto_client_validate_key(master, &validity));
    CHECK(validity == CARTO_KEY_VALID);
    carto_client *wrong = make_client("wadusSEKRIT", CARTO_KEY_TRANSPORT_QUERY, 1);
    CHECK_OK(carto_client_validate_key(wrong, &validity));
    CHECK(validity == CARTO_KEY_INVALID);
    /* api/v3/me answers 200 to any key, but only the master key gets user_data. */
    CHECK_OK(carto_client_me(wrong, &username, NULL));
    CHECK_STR(username, "demo");
    carto_string_free(username);
    carto_client_free(wrong);
}

static void misuse(carto_client *client) {
    carto_response *response = NULL;
    carto_request *request = NULL;
    carto_credentials *creds = NULL;
    CHECK_STATUS(carto_client_sql(NULL, "select 1", NULL, &response), CARTO_ERR_NULL_ARGUMENT);
    CHECK_STATUS(carto_client_sql(client, NULL, NULL, &response), CARTO_ERR_NULL_ARGUMENT);
    CHECK_STATUS(carto_client_sql(client, "select '\xff'", NULL, &response),
                 CARTO_ERR_INVALID_UTF8);
    CHECK_OK(carto_credentials_new("demo", NULL, NULL, false, &creds));
    CHECK_STATUS(carto_client_sql((carto_client *)creds, "select 1", NULL, &response),
                 CARTO_ERR_INVALID_HANDLE); /* a handle of another type */
    carto_credentials_free(creds);
    CHECK_STATUS(carto_request_new("GE T", "api/v3/me", &request), CARTO_ERR_INVALID_ARGUMENT);
    CHECK_OK(carto_request_new("get", "api/v3/me", &request));
    CHECK_STATUS(carto_request_add_header(request, "Authorization", "Basic x"),
                 CARTO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(carto_request_add_header(request, "X-Bad", "a\r\nInjected: 1"),
                 CARTO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(carto_request_set_json_body(request, "{\"a\":"), CARTO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(carto_request_set_body(request, NULL, 5, NULL), CARTO_ERR_NULL_ARGUMENT);
    carto_request_free(request);
    carto_request_free(request);
    CHECK_STATUS(carto_client_send(client, request, &response), CARTO_ERR_INVALID_HANDLE);
    CHECK_OK(carto_request_new("GET", "https://elsewhere.example/api/v3/me", &request));
    CHECK_STATUS(carto_client_send(client, request, &response), CARTO_ERR_INVALID_ARGUMENT);
    carto_request_free(request);
    carto_response_free(NULL);
    carto_client_free(NULL);
}

int main(void) {
    base_url = getenv("CARTO_TEST_BASE_URL");
    root_url = getenv("CARTO_TEST_ROOT_URL");
    master_key = getenv("CARTO_TEST_MASTER_KEY");
    admin_token = getenv("CARTO_TEST_ADMIN_TOKEN");
    if (!base_url || !root_url || !master_key || !admin_token) {
        fprintf(stderr, "run me through tests/c_api.rs (it starts carto-emulator)\n");
        return 2;
    }
    size_t baseline = carto_handle_count();
    carto_client *master = make_client(master_key, CARTO_KEY_TRANSPORT_BASIC, 1);
    carto_client *query_master = make_client(master_key, CARTO_KEY_TRANSPORT_QUERY, 1);
    sql_and_formats(master);
    sql_and_formats(query_master);
    error_classes(master);
    transport_failures(master);
    streaming(master);
    threads(master);
    account(master);
    misuse(master);
    carto_client_free(master);
    carto_client_free(query_master);
    CHECK(carto_handle_count() == baseline);
    return finish("c-client");
}
