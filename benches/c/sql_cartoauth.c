/*
 * Request rate through the cartoauth C ABI: N sequential SQL API GETs on one client (one
 * kept-alive connection), each answer checked (carto_response_check) and its JSON parsed.
 *
 *     sql_cartoauth BASE_URL API_KEY N sql|request
 *
 * sql: carto_client_sql for every query; request: one carto_request_new_sql, sent N times with
 * carto_client_send. Prints one JSON line: {"seconds": ..., "cpu_seconds": ..., "requests": N}. The time covers
 * creating the client and the N requests.
 */
#include <stdbool.h>

#include "bench.h"
#include "cartoauth.h"

static const char *QUERY = "select cartodb_id, name from bench_points limit 1";

static void check_ok(carto_status status, const char *what) {
    if (status != CARTO_OK) {
        BENCH_DIE("sql_cartoauth: %s: %s", what, carto_last_error());
    }
}

int main(int argc, char **argv) {
    if (argc != 5 || (strcmp(argv[4], "sql") != 0 && strcmp(argv[4], "request") != 0)) {
        BENCH_DIE("usage: %s BASE_URL API_KEY N sql|request", argv[0]);
    }
    long n = bench_parse_count(argv[3], "N");
    bool reuse_request = strcmp(argv[4], "request") == 0;

    carto_credentials *credentials = NULL;
    check_ok(carto_credentials_new(NULL, argv[2], argv[1], true, &credentials), "credentials");

    double start = bench_now();
    double cpu_start = bench_cpu_now();
    carto_client *client = NULL;
    check_ok(carto_client_new(credentials, NULL, &client), "client");
    carto_request *request = NULL;
    if (reuse_request) {
        check_ok(carto_request_new_sql(QUERY, NULL, &request), "request");
    }
    for (long i = 0; i < n; i++) {
        carto_response *response = NULL;
        if (reuse_request) {
            check_ok(carto_client_send(client, request, &response), "send");
        } else {
            check_ok(carto_client_sql(client, QUERY, NULL, &response), "sql");
        }
        check_ok(carto_response_check(response), "answer");
        const uint8_t *body = NULL;
        size_t length = 0;
        check_ok(carto_response_body(response, &body, &length), "body");
        if (bench_sql_total_rows((const char *)body, length) != 1) {
            BENCH_DIE("sql_cartoauth: unexpected answer %.*s", (int)length, (const char *)body);
        }
        carto_response_free(response);
    }
    carto_request_free(request);
    carto_client_free(client);
    double seconds = bench_now() - start;
    double cpu_seconds = bench_cpu_now() - cpu_start;

    carto_credentials_free(credentials);
    if (carto_handle_count() != 0) {
        BENCH_DIE("sql_cartoauth: %zu handles leaked", carto_handle_count());
    }
    printf("{\"seconds\": %.6f, \"cpu_seconds\": %.6f, \"requests\": %ld}\n", seconds, cpu_seconds, n);
    return 0;
}
