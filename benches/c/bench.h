/*
 * Shared helpers of the benchmark programs: a monotonic clock and a CPU clock, failing loudly,
 * and the check of a SQL API answer that every client does after each request (parse the JSON
 * with cJSON and read total_rows), so that no client can skip the parse.
 */
#ifndef CARTOAUTH_BENCH_H
#define CARTOAUTH_BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

static inline double bench_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of the whole process (every thread, user + system) in seconds, to the nanosecond:
 * the suite reports the CPU of the timed part, not of start-up, and /usr/bin/time's or
 * getrusage's 10 ms ticks would be too coarse for runs of a few tens of milliseconds. */
static inline double bench_cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define BENCH_DIE(...)                                                                         \
    do {                                                                                       \
        fprintf(stderr, __VA_ARGS__);                                                          \
        fputc('\n', stderr);                                                                   \
        exit(1);                                                                               \
    } while (0)

/* Parses a SQL API JSON answer and returns its total_rows, or -1 when it is not one. */
static inline long bench_sql_total_rows(const char *body, size_t length) {
    cJSON *json = cJSON_ParseWithLength(body, length);
    if (json == NULL) {
        return -1;
    }
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(json, "rows");
    const cJSON *total = cJSON_GetObjectItemCaseSensitive(json, "total_rows");
    long result = -1;
    if (cJSON_IsArray(rows) && cJSON_IsNumber(total)) {
        result = (long)total->valuedouble;
    }
    cJSON_Delete(json);
    return result;
}

static inline long bench_parse_count(const char *text, const char *what) {
    char *end = NULL;
    long value = strtol(text, &end, 10);
    if (end == text || *end != '\0' || value <= 0) {
        BENCH_DIE("%s must be a positive integer, got %s", what, text);
    }
    return value;
}

#endif
