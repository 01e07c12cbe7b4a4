/*
 * Typed reading of one SQL API JSON answer, two ways, for benches/result.sh:
 *
 *     result_parse cartoauth|cjson BODY_FILE RUNS
 *
 * Both read the file once, then RUNS times turn the whole body into typed values: int4 and
 * int8 as integers, float8 as double, text, bool, timestamptz as microseconds since the epoch,
 * and the point geometry's hex EWKB as bytes; each run folds every value into a checksum so
 * that nothing can be skipped. cartoauth: carto_result_from_json and the bulk column calls.
 * cjson: cJSON_ParseWithLength, then per row and column what a C program must do by hand
 * (cJSON keeps every number as a double, so int8 beyond 2^53 is already rounded there).
 * Prints one line per run: "<seconds> <checksum>".
 */
#include <stdint.h>

#include "bench.h"
#include "cartoauth.h"

enum { COLUMNS = 7 };
static const char *NAMES[COLUMNS] = {"i4", "i8", "f8", "t", "b", "ts", "geom"};

static char *read_file(const char *path, size_t *length) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) BENCH_DIE("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc((size_t)n + 1);
    if (data == NULL || fread(data, 1, (size_t)n, f) != (size_t)n) BENCH_DIE("cannot read %s", path);
    fclose(f);
    data[n] = 0;
    *length = (size_t)n;
    return data;
}

/* "2020-01-02T03:04:05.678Z" -> microseconds since the epoch, UTC. */
static int64_t iso_micros(const char *s) {
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int ms = 0;
    if (sscanf(s, "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec, &ms) != 7)
        BENCH_DIE("bad time %s", s);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm) * 1000000 + (int64_t)ms * 1000;
}

static int nibble(char c) {
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

static uint64_t run_cjson(const char *body, size_t length) {
    cJSON *json = cJSON_ParseWithLength(body, length);
    if (json == NULL) BENCH_DIE("cJSON could not parse the body");
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(json, "rows");
    uint64_t sum = 0;
    uint8_t wkb[64];
    const cJSON *row = NULL;
    cJSON_ArrayForEach(row, rows) {
        const cJSON *v[COLUMNS];
        for (int c = 0; c < COLUMNS; c++) v[c] = cJSON_GetObjectItemCaseSensitive(row, NAMES[c]);
        sum += (uint64_t)(int32_t)v[0]->valuedouble;
        sum += (uint64_t)(int64_t)v[1]->valuedouble;
        double f = v[2]->valuedouble;
        uint64_t bits;
        memcpy(&bits, &f, 8);
        sum += bits;
        sum += strlen(v[3]->valuestring);
        sum += cJSON_IsTrue(v[4]);
        sum += (uint64_t)iso_micros(v[5]->valuestring);
        const char *hex = v[6]->valuestring;
        size_t n = strlen(hex) / 2;
        if (n > sizeof wkb) BENCH_DIE("geometry too long");
        for (size_t k = 0; k < n; k++) wkb[k] = (uint8_t)(nibble(hex[2 * k]) << 4 | nibble(hex[2 * k + 1]));
        sum += n + wkb[n - 1];
    }
    cJSON_Delete(json);
    return sum;
}

#define OK(call)                                                                               \
    do {                                                                                       \
        if ((call) != CARTO_OK) BENCH_DIE("%s: %s", #call, carto_last_error());                \
    } while (0)

static uint64_t run_cartoauth(const char *body, size_t length) {
    carto_result *r = NULL;
    OK(carto_result_from_json((const uint8_t *)body, length, &r));
    size_t n = 0;
    OK(carto_result_row_count(r, &n));
    size_t col[COLUMNS];
    for (int c = 0; c < COLUMNS; c++) OK(carto_result_column_index(r, NAMES[c], &col[c]));
    int64_t *ints = malloc(n * sizeof *ints);
    double *doubles = malloc(n * sizeof *doubles);
    uint8_t *bools = malloc(n);
    const char **texts = malloc(n * sizeof *texts);
    const uint8_t **wkbs = malloc(n * sizeof *wkbs);
    size_t *lengths = malloc(n * sizeof *lengths);
    uint64_t sum = 0;
    OK(carto_result_column_int64(r, col[0], 0, n, ints, NULL));
    for (size_t k = 0; k < n; k++) sum += (uint64_t)(int32_t)ints[k];
    OK(carto_result_column_int64(r, col[1], 0, n, ints, NULL));
    for (size_t k = 0; k < n; k++) sum += (uint64_t)ints[k];
    OK(carto_result_column_double(r, col[2], 0, n, doubles, NULL));
    for (size_t k = 0; k < n; k++) {
        uint64_t bits;
        memcpy(&bits, &doubles[k], 8);
        sum += bits;
    }
    OK(carto_result_column_text(r, col[3], 0, n, texts, lengths, NULL));
    for (size_t k = 0; k < n; k++) sum += lengths[k];
    OK(carto_result_column_bool(r, col[4], 0, n, bools, NULL));
    for (size_t k = 0; k < n; k++) sum += bools[k];
    OK(carto_result_column_time_micros(r, col[5], 0, n, ints, NULL));
    for (size_t k = 0; k < n; k++) sum += (uint64_t)ints[k];
    OK(carto_result_column_wkb(r, col[6], 0, n, wkbs, lengths, NULL, NULL));
    for (size_t k = 0; k < n; k++) sum += (lengths[k] + 4) + wkbs[k][lengths[k] - 1];
    free(ints);
    free(doubles);
    free(bools);
    free(texts);
    free(wkbs);
    free(lengths);
    carto_result_free(r);
    return sum;
}

int main(int argc, char **argv) {
    if (argc != 4) BENCH_DIE("usage: %s cartoauth|cjson BODY_FILE RUNS", argv[0]);
    int cartoauth = strcmp(argv[1], "cartoauth") == 0;
    if (!cartoauth && strcmp(argv[1], "cjson") != 0) BENCH_DIE("unknown contender %s", argv[1]);
    size_t length = 0;
    char *body = read_file(argv[2], &length);
    long runs = bench_parse_count(argv[3], "RUNS");
    for (long k = 0; k < runs; k++) {
        double start = bench_now();
        uint64_t sum = cartoauth ? run_cartoauth(body, length) : run_cjson(body, length);
        printf("%.6f %llu\n", bench_now() - start, (unsigned long long)sum);
    }
    free(body);
    return 0;
}
