/*
 * Threads sharing one cartoauth client: T threads each send TOTAL/T SQL API GETs through the
 * same carto_client (one connection per thread in its pool), checking and parsing every answer.
 *
 *     threads_cartoauth BASE_URL API_KEY THREADS TOTAL
 *
 * Prints one JSON line: {"seconds": ..., "cpu_seconds": ..., "requests": ..., "threads": T}. The time runs from
 * starting the threads to joining the last one (the client is created before).
 */
#include <pthread.h>
#include <stdbool.h>

#include "bench.h"
#include "cartoauth.h"

static const char *QUERY = "select cartodb_id, name from bench_points limit 1";

struct job {
    const carto_client *client;
    long requests;
    int failed;
};

static void *work(void *argument) {
    struct job *job = argument;
    for (long i = 0; i < job->requests; i++) {
        carto_response *response = NULL;
        if (carto_client_sql(job->client, QUERY, NULL, &response) != CARTO_OK ||
            carto_response_check(response) != CARTO_OK) {
            fprintf(stderr, "threads_cartoauth: %s\n", carto_last_error());
            carto_response_free(response);
            job->failed = 1;
            return NULL;
        }
        const uint8_t *body = NULL;
        size_t length = 0;
        if (carto_response_body(response, &body, &length) != CARTO_OK ||
            bench_sql_total_rows((const char *)body, length) != 1) {
            fprintf(stderr, "threads_cartoauth: unexpected answer\n");
            job->failed = 1;
        }
        carto_response_free(response);
        if (job->failed) {
            return NULL;
        }
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        BENCH_DIE("usage: %s BASE_URL API_KEY THREADS TOTAL", argv[0]);
    }
    long threads = bench_parse_count(argv[3], "THREADS");
    long total = bench_parse_count(argv[4], "TOTAL");
    if (threads > 64 || total % threads != 0) {
        BENCH_DIE("threads_cartoauth: THREADS must be at most 64 and divide TOTAL");
    }
    carto_credentials *credentials = NULL;
    carto_client *client = NULL;
    if (carto_credentials_new(NULL, argv[2], argv[1], true, &credentials) != CARTO_OK ||
        carto_client_new(credentials, NULL, &client) != CARTO_OK) {
        BENCH_DIE("threads_cartoauth: %s", carto_last_error());
    }
    pthread_t ids[64];
    struct job jobs[64];
    double start = bench_now();
    double cpu_start = bench_cpu_now();
    for (long t = 0; t < threads; t++) {
        jobs[t] = (struct job){client, total / threads, 0};
        if (pthread_create(&ids[t], NULL, work, &jobs[t]) != 0) {
            BENCH_DIE("threads_cartoauth: pthread_create failed");
        }
    }
    int failed = 0;
    for (long t = 0; t < threads; t++) {
        pthread_join(ids[t], NULL);
        failed |= jobs[t].failed;
    }
    double seconds = bench_now() - start;
    double cpu_seconds = bench_cpu_now() - cpu_start;
    carto_client_free(client);
    carto_credentials_free(credentials);
    if (failed) {
        return 1;
    }
    printf("{\"seconds\": %.6f, \"cpu_seconds\": %.6f, \"requests\": %ld, \"threads\": %ld}\n", seconds, cpu_seconds, total, threads);
    return 0;
}
