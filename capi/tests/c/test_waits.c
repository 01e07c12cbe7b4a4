/* Waits the caller controls, through the C ABI under the sanitizers: the progress callback is
 * called on a timer while the server computes (select pg_sleep) and can cancel; the total time
 * of a call is bounded; a body kept in memory is bounded. Counts calls, never measures time. */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"

static const char *base_url;
static const char *master_key;

struct ticks {
    int calls;
    int stop_at;
    int bytes_moved; /* calls that saw any byte downloaded */
};

static int32_t count_ticks(void *user_data, uint64_t uploaded, int64_t upload_total,
                           uint64_t downloaded, int64_t download_total) {
    struct ticks *t = user_data;
    (void)uploaded;
    (void)upload_total;
    (void)download_total;
    t->calls++;
    if (downloaded > 0) t->bytes_moved++;
    return t->calls >= t->stop_at ? 1 : 0;
}

static carto_client *new_client(uint64_t total_timeout_ms, uint64_t max_body) {
    carto_credentials *creds = NULL;
    carto_client_options *options = NULL;
    carto_client *client = NULL;
    CHECK_OK(carto_credentials_new(NULL, master_key, base_url, true, &creds));
    CHECK_OK(carto_client_options_new(&options));
    CHECK_OK(carto_client_options_set_retry(options, 1, 0));
    if (total_timeout_ms > 0) CHECK_OK(carto_client_options_set_total_timeout(options, total_timeout_ms));
    if (max_body > 0) CHECK_OK(carto_client_options_set_max_body_size(options, max_body));
    CHECK_OK(carto_client_new(creds, options, &client));
    carto_client_options_free(options);
    carto_credentials_free(creds);
    return client;
}

static void cancel_during_a_silent_wait(void) {
    carto_client *client = new_client(0, 0);
    carto_request *request = NULL;
    carto_response *response = NULL;
    struct ticks ticks = {0, 4, 0};
    CHECK_OK(carto_request_new_sql("select pg_sleep(8)", NULL, &request));
    CHECK_OK(carto_request_set_progress(request, count_ticks, &ticks));
    CHECK_STATUS(carto_client_send(client, request, &response), CARTO_ERR_CANCELLED);
    CHECK(response == NULL);
    CHECK(ticks.calls == 4);       /* called on the timer until it said stop */
    CHECK(ticks.bytes_moved == 0); /* while nothing arrived */
    CHECK_ERROR_MENTIONS("cancelled");
    carto_request_free(request);
    carto_client_free(client);
}

static void total_timeout(void) {
    carto_client *client = new_client(1000, 0);
    carto_response *response = NULL;
    CHECK_STATUS(carto_client_sql(client, "select pg_sleep(8)", NULL, &response),
                 CARTO_ERR_TIMEOUT);
    CHECK(response == NULL);
    CHECK_ERROR_MENTIONS("total time limit of 1.0 s");
    carto_client_free(client);

    carto_client_options *options = NULL;
    CHECK_OK(carto_client_options_new(&options));
    CHECK_OK(carto_client_options_set_total_timeout(options, 0)); /* 0: no limit */
    CHECK_STATUS(carto_client_options_set_total_timeout(NULL, 5), CARTO_ERR_NULL_ARGUMENT);
    carto_client_options_free(options);
}

static void body_size_limit(void) {
    carto_client *client = new_client(0, 1024);
    carto_response *response = NULL;
    CHECK_STATUS(carto_client_sql(client, "select repeat('x', 5000) as s", NULL, &response),
                 CARTO_ERR_BODY_TOO_LARGE);
    CHECK(response == NULL);
    CHECK_ERROR_MENTIONS("1024 bytes");
    CHECK_ERROR_MENTIONS("stream");
    CHECK(strstr(carto_status_str(CARTO_ERR_BODY_TOO_LARGE), "max_body_size") != NULL);
    CHECK_OK(carto_client_sql(client, "select 1 as one", NULL, &response));
    carto_response_free(response);
    carto_client_free(client);

    carto_client_options *options = NULL;
    CHECK_OK(carto_client_options_new(&options));
    CHECK_STATUS(carto_client_options_set_max_body_size(options, 0), CARTO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(carto_client_options_set_max_body_size(NULL, 10), CARTO_ERR_NULL_ARGUMENT);
    carto_client_options_free(options);
}

int main(void) {
    base_url = getenv("CARTO_TEST_BASE_URL");
    master_key = getenv("CARTO_TEST_MASTER_KEY");
    if (base_url == NULL || master_key == NULL) {
        fprintf(stderr, "set CARTO_TEST_BASE_URL and CARTO_TEST_MASTER_KEY\n");
        return 2;
    }
    cancel_during_a_silent_wait();
    total_timeout();
    body_size_limit();
    return finish("c_waits");
}
