/*
 * A result of ROWS rows x 5 columns (int4, float8, text, bool, timestamptz) read from
 * carto-emulator's SQL API, every value read with the bulk fills, either
 *   reader: in chunks as the answer arrives (carto_client_sql_reader + carto_result_reader_next)
 *   whole:  as one answer parsed after it is downloaded (carto_client_sql_result).
 * Prints "<rows> <checksum> <client CPU seconds of the read>", so that both read the same
 * values and no read can be skipped. Peak RSS and instructions are measured from outside
 * (benches/reader.sh: /usr/bin/time, callgrind).
 *
 *   reader_bench reader|whole BASE_URL KEY ROWS [CHUNK_ROWS]
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cartoauth.h"

/* (bench.h's helpers, without its cJSON, which this program does not need.) */
#define BENCH_DIE(...)                                                                         \
    do {                                                                                       \
        fprintf(stderr, __VA_ARGS__);                                                          \
        fputc('\n', stderr);                                                                   \
        exit(1);                                                                               \
    } while (0)

static double bench_cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define CHECK(call)                                                                            \
    do {                                                                                       \
        carto_status s_ = (call);                                                              \
        if (s_ != CARTO_OK) BENCH_DIE("%s: %d %s", #call, (int)s_, carto_last_error());        \
    } while (0)

struct buffers {
    size_t capacity;
    int64_t *ints;
    double *doubles;
    uint8_t *bools, *nulls;
    const char **texts;
    size_t *lengths;
};

static void reserve(struct buffers *b, size_t rows) {
    if (rows <= b->capacity) return;
    b->capacity = rows;
    b->ints = realloc(b->ints, rows * sizeof *b->ints);
    b->doubles = realloc(b->doubles, rows * sizeof *b->doubles);
    b->bools = realloc(b->bools, rows);
    b->nulls = realloc(b->nulls, rows);
    b->texts = realloc(b->texts, rows * sizeof *b->texts);
    b->lengths = realloc(b->lengths, rows * sizeof *b->lengths);
    if (!b->ints || !b->doubles || !b->bools || !b->nulls || !b->texts || !b->lengths)
        BENCH_DIE("out of memory");
}

/* Reads every value of `r` and folds it into the checksum. */
static uint64_t read_all(carto_result *r, struct buffers *b, size_t *rows_out) {
    size_t rows = 0;
    CHECK(carto_result_row_count(r, &rows));
    reserve(b, rows ? rows : 1);
    uint64_t sum = 0;
    CHECK(carto_result_column_int64(r, 0, 0, rows, b->ints, b->nulls));
    for (size_t i = 0; i < rows; i++) sum += (uint64_t)b->ints[i];
    CHECK(carto_result_column_double(r, 1, 0, rows, b->doubles, b->nulls));
    for (size_t i = 0; i < rows; i++) sum += (uint64_t)(b->doubles[i] * 4);
    CHECK(carto_result_column_text(r, 2, 0, rows, b->texts, b->lengths, b->nulls));
    for (size_t i = 0; i < rows; i++) sum += b->lengths[i] + (uint8_t)b->texts[i][4];
    CHECK(carto_result_column_bool(r, 3, 0, rows, b->bools, b->nulls));
    for (size_t i = 0; i < rows; i++) sum += b->bools[i];
    CHECK(carto_result_column_time_micros(r, 4, 0, rows, b->ints, b->nulls));
    for (size_t i = 0; i < rows; i++) sum += (uint64_t)b->ints[i] / 1000000;
    *rows_out = rows;
    return sum;
}

int main(int argc, char **argv) {
    if (argc < 5) BENCH_DIE("usage: reader_bench reader|whole BASE_URL KEY ROWS [CHUNK_ROWS]");
    const char *mode = argv[1];
    long rows_wanted = atol(argv[4]);
    size_t chunk_rows = argc > 5 ? (size_t)atol(argv[5]) : 10000;
    char query[512];
    snprintf(query, sizeof query,
             "select g::int4 as i, g / 4.0::float8 as f, 'row ' || g || ' of the benchmark' as t,"
             " g %% 3 = 0 as b, timestamptz '2020-01-01 00:00:00+00' + g * interval '1 second'"
             " as ts from generate_series(1, %ld) g",
             rows_wanted);

    carto_credentials *creds = NULL;
    carto_client *client = NULL;
    carto_client_options *options = NULL;
    CHECK(carto_credentials_new(NULL, argv[3], argv[2], true, &creds));
    CHECK(carto_client_options_new(&options));
    CHECK(carto_client_options_set_max_body_size(options, UINT64_C(1) << 30));
    CHECK(carto_client_new(creds, options, &client));
    carto_client_options_free(options);

    struct buffers b = {0};
    uint64_t sum = 0;
    size_t total = 0;
    double cpu = bench_cpu_now();
    if (strcmp(mode, "reader") == 0) {
        carto_result_reader *reader = NULL;
        CHECK(carto_client_sql_reader(client, query, &reader));
        for (;;) {
            carto_result *chunk = NULL;
            CHECK(carto_result_reader_next(reader, chunk_rows, NULL, NULL, &chunk));
            if (chunk == NULL) break;
            size_t n = 0;
            sum += read_all(chunk, &b, &n);
            total += n;
            carto_result_free(chunk);
        }
        carto_result_reader_free(reader);
    } else if (strcmp(mode, "whole") == 0) {
        carto_result *r = NULL;
        CHECK(carto_client_sql_result(client, query, &r));
        sum = read_all(r, &b, &total);
        carto_result_free(r);
    } else {
        BENCH_DIE("unknown mode %s", mode);
    }
    cpu = bench_cpu_now() - cpu;
    if ((long)total != rows_wanted) BENCH_DIE("read %zu rows of %ld", total, rows_wanted);
    printf("%zu %" PRIu64 " %.3f\n", total, sum, cpu);
    carto_client_free(client);
    carto_credentials_free(creds);
    free(b.ints), free(b.doubles), free(b.bools), free(b.nulls), free(b.texts), free(b.lengths);
    return 0;
}
