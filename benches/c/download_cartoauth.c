/*
 * Streaming download through the cartoauth C ABI: one COPY TO request whose answer goes to a
 * write callback that only counts the bytes (carto_request_set_response_writer), so the body
 * is never held in memory.
 *
 *     download_cartoauth BASE_URL API_KEY EXPECTED_BYTES
 *
 * Prints one JSON line: {"seconds": ..., "bytes": ...}; fails unless exactly EXPECTED_BYTES
 * arrived. The time covers creating the client and the transfer.
 */
#include <stdbool.h>

#include "bench.h"
#include "cartoauth.h"

static void check_ok(carto_status status, const char *what) {
    if (status != CARTO_OK) {
        BENCH_DIE("download_cartoauth: %s: %s", what, carto_last_error());
    }
}

static size_t discard(void *user_data, const uint8_t *data, size_t length) {
    (void)data;
    *(unsigned long long *)user_data += length;
    return length;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        BENCH_DIE("usage: %s BASE_URL API_KEY EXPECTED_BYTES", argv[0]);
    }
    unsigned long long expected = strtoull(argv[3], NULL, 10);
    carto_credentials *credentials = NULL;
    check_ok(carto_credentials_new(NULL, argv[2], argv[1], true, &credentials), "credentials");

    double start = bench_now();
    carto_client_options *options = NULL;
    check_ok(carto_client_options_new(&options), "options");
    check_ok(carto_client_options_set_timeout(options, 0), "timeout"); /* a long stream */
    carto_client *client = NULL;
    check_ok(carto_client_new(credentials, options, &client), "client");
    carto_request *request = NULL;
    check_ok(carto_request_new_copy_to("COPY (SELECT * FROM bench_points) TO STDOUT", &request),
             "request");
    unsigned long long received = 0;
    check_ok(carto_request_set_response_writer(request, discard, &received), "writer");
    carto_response *response = NULL;
    check_ok(carto_client_send(client, request, &response), "send");
    check_ok(carto_response_check(response), "answer");
    uint64_t streamed = 0;
    check_ok(carto_response_streamed_bytes(response, &streamed), "streamed bytes");
    carto_response_free(response);
    carto_request_free(request);
    carto_client_free(client);
    carto_client_options_free(options);
    double seconds = bench_now() - start;

    carto_credentials_free(credentials);
    if (received != expected || streamed != expected) {
        BENCH_DIE("download_cartoauth: received %llu bytes (library says %llu), expected %llu",
                  received, (unsigned long long)streamed, expected);
    }
    printf("{\"seconds\": %.6f, \"bytes\": %llu}\n", seconds, received);
    return 0;
}
