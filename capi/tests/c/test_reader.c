/* Results read in chunks (carto_result_reader) against carto-emulator: an answer larger than
 * max_body_size read in full with bulk fills, empty results and statements, an error after
 * rows were sent, a progress callback that cancels, freeing between chunks, a server that stops
 * sending mid-answer, and misuse.
 *
 * The runner (tests/c_api.rs) starts the emulator and passes CARTO_TEST_BASE_URL,
 * CARTO_TEST_MASTER_KEY and CARTO_TEST_ADMIN_TOKEN (which lets a request carry a fault). */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdlib.h>

#include "check.h"

static carto_client *make_client(const char *base_url, const char *key, uint64_t max_body) {
    carto_credentials *creds = NULL;
    carto_client_options *options = NULL;
    carto_client *client = NULL;
    CHECK_OK(carto_credentials_new(NULL, key, base_url, true, &creds));
    CHECK_OK(carto_client_options_new(&options));
    if (max_body > 0) CHECK_OK(carto_client_options_set_max_body_size(options, max_body));
    CHECK_OK(carto_client_new(creds, options, &client));
    carto_client_options_free(options);
    carto_credentials_free(creds);
    return client;
}

#define ROWS 60000
#define CHUNK 7000

static const char *QUERY =
    "select g::int4 as i, g / 4.0::float8 as f, 'row ' || g || repeat('x', 80) as t,"
    " g % 3 = 0 as b, timestamptz '2020-01-01 00:00:00+00' + g * interval '1 second' as ts"
    " from generate_series(1, 60000) g";

/* Bulk fills of every chunk: the values follow 1, 2, 3, ... across chunks. */
static void larger_than_max_body_size_reads_in_full(carto_client *client) {
    carto_result *whole = NULL;
    CHECK_STATUS(carto_client_sql_result(client, QUERY, &whole), CARTO_ERR_BODY_TOO_LARGE);

    carto_result_reader *reader = NULL;
    CHECK_OK(carto_client_sql_reader(client, QUERY, &reader));
    int64_t *ints = malloc(CHUNK * sizeof *ints);
    double *doubles = malloc(CHUNK * sizeof *doubles);
    uint8_t *bools = malloc(CHUNK), *nulls = malloc(CHUNK);
    const char **texts = malloc(CHUNK * sizeof *texts);
    size_t *lengths = malloc(CHUNK * sizeof *lengths);
    int64_t expected = 1, total = -2;
    int chunks = 0, bad = 0;
    bool done = false;
    for (;;) {
        carto_result *chunk = NULL;
        CHECK_OK(carto_result_reader_next(reader, CHUNK, NULL, NULL, &chunk));
        if (chunk == NULL) break;
        chunks++;
        size_t rows = 0, columns = 0;
        CHECK_OK(carto_result_row_count(chunk, &rows));
        CHECK_OK(carto_result_column_count(chunk, &columns));
        CHECK(rows > 0 && rows <= CHUNK && columns == 5);
        carto_column_kind kind = CARTO_COLUMN_TEXT;
        CHECK_OK(carto_result_column_kind(chunk, 4, &kind));
        CHECK(kind == CARTO_COLUMN_TIMESTAMP);
        CHECK_OK(carto_result_column_int64(chunk, 0, 0, rows, ints, nulls));
        for (size_t r = 0; r < rows; r++) bad += ints[r] != expected + (int64_t)r || nulls[r];
        CHECK_OK(carto_result_column_double(chunk, 1, 0, rows, doubles, nulls));
        for (size_t r = 0; r < rows; r++) bad += doubles[r] != (double)(expected + (int64_t)r) / 4.0;
        CHECK_OK(carto_result_column_text(chunk, 2, 0, rows, texts, lengths, nulls));
        for (size_t r = 0; r < rows; r++) {
            char want[32];
            snprintf(want, sizeof want, "row %lld", (long long)(expected + (int64_t)r));
            bad += strncmp(texts[r], want, strlen(want)) != 0 || lengths[r] != strlen(want) + 80;
        }
        CHECK_OK(carto_result_column_bool(chunk, 3, 0, rows, bools, nulls));
        for (size_t r = 0; r < rows; r++) bad += bools[r] != ((expected + (int64_t)r) % 3 == 0);
        CHECK_OK(carto_result_column_time_micros(chunk, 4, 0, rows, ints, nulls));
        for (size_t r = 0; r < rows; r++)
            bad += ints[r] != (INT64_C(1577836800) + expected + (int64_t)r) * 1000000;
        expected += (int64_t)rows;
        CHECK_OK(carto_result_total_rows(chunk, &total));
        CHECK_OK(carto_result_reader_done(reader, &done));
        carto_result_free(chunk);
    }
    CHECK(bad == 0);
    CHECK(expected == ROWS + 1);
    CHECK(chunks == (ROWS + CHUNK - 1) / CHUNK);
    CHECK(total == ROWS); /* the last chunk carries total_rows */
    CHECK(done);
    uint64_t read = 0;
    CHECK_OK(carto_result_reader_rows_read(reader, &read));
    CHECK(read == ROWS);
    carto_result *after = (carto_result *)1;
    CHECK_OK(carto_result_reader_next(reader, CHUNK, NULL, NULL, &after));
    CHECK(after == NULL);
    carto_result_reader_free(reader);
    free(ints), free(doubles), free(bools), free(nulls), free(texts), free(lengths);
}

static void empty_results_and_statements_give_one_typed_chunk(carto_client *client) {
    carto_result_reader *reader = NULL;
    carto_result *chunk = NULL;
    CHECK_OK(carto_client_sql_reader(client, "select 1::int8 as a, 'x' as b where false", &reader));
    CHECK_OK(carto_result_reader_next(reader, 10, NULL, NULL, &chunk));
    CHECK(chunk != NULL);
    size_t rows = 9, columns = 0;
    carto_column_kind kind = CARTO_COLUMN_TEXT;
    CHECK_OK(carto_result_row_count(chunk, &rows));
    CHECK_OK(carto_result_column_count(chunk, &columns));
    CHECK_OK(carto_result_column_kind(chunk, 0, &kind));
    CHECK(rows == 0 && columns == 2 && kind == CARTO_COLUMN_INT);
    carto_result_free(chunk);
    CHECK_OK(carto_result_reader_next(reader, 10, NULL, NULL, &chunk));
    CHECK(chunk == NULL);
    carto_result_reader_free(reader);

    /* Through a request with a parameter of the SQL API. */
    carto_request *request = NULL;
    CHECK_OK(carto_request_new_sql("select 1 as keep, 2 as dropped", NULL, &request));
    CHECK_OK(carto_request_add_param(request, "skipfields", "dropped"));
    CHECK_OK(carto_client_open_reader(client, request, &reader, NULL));
    CHECK_OK(carto_result_reader_next(reader, 10, NULL, NULL, &chunk));
    CHECK_OK(carto_result_column_count(chunk, &columns));
    CHECK(columns == 1);
    carto_result_free(chunk);
    carto_result_reader_free(reader);
    carto_request_free(request);
}

static void an_error_after_rows_fails_the_read(carto_client *client) {
    carto_result_reader *reader = NULL;
    CHECK_OK(carto_client_sql_reader(
        client,
        "select g, repeat('y', 200) as pad, 1 / (50000 - g) as boom from generate_series(1, 80000) g",
        &reader));
    carto_status status = CARTO_OK;
    size_t rows = 0;
    for (;;) {
        carto_result *chunk = NULL;
        status = carto_result_reader_next(reader, 5000, NULL, NULL, &chunk);
        if (status != CARTO_OK || chunk == NULL) break;
        size_t n = 0;
        CHECK_OK(carto_result_row_count(chunk, &n));
        rows += n;
        carto_result_free(chunk);
    }
    CHECK(status == CARTO_ERR_QUERY_FAILED);
    CHECK_ERROR_MENTIONS("division by zero");
    CHECK(rows > 0 && rows < 50000);
    carto_result *chunk = NULL;
    CHECK_STATUS(carto_result_reader_next(reader, 5000, NULL, NULL, &chunk), CARTO_ERR_QUERY_FAILED);
    bool done = false;
    CHECK_OK(carto_result_reader_done(reader, &done));
    CHECK(done);
    carto_result_reader_free(reader);
}

struct progress_seen {
    uint64_t downloaded;
    carto_result_reader *reader;
    carto_status nested;
};

static int32_t stop_after_a_megabyte(void *user_data, uint64_t uploaded, int64_t upload_total,
                                     uint64_t downloaded, int64_t download_total) {
    (void)uploaded, (void)upload_total, (void)download_total;
    struct progress_seen *seen = user_data;
    seen->downloaded = downloaded;
    if (seen->reader != NULL) {
        /* Reading the reader from its own callback is refused, not a deadlock. */
        carto_result *chunk = NULL;
        seen->nested = carto_result_reader_next(seen->reader, 1, NULL, NULL, &chunk);
        seen->reader = NULL;
    }
    return downloaded > (UINT64_C(1) << 20);
}

static void progress_cancels_and_free_between_chunks_stops_the_query(carto_client *client) {
    carto_result_reader *reader = NULL;
    CHECK_OK(carto_client_sql_reader(
        client, "select g, repeat('p', 100) as pad from generate_series(1, 10000000) g", &reader));
    carto_result *first = NULL;
    CHECK_OK(carto_result_reader_next(reader, 100, NULL, NULL, &first));
    struct progress_seen seen = {0, reader, CARTO_OK};
    carto_result *chunk = NULL;
    CHECK_STATUS(carto_result_reader_next(reader, 1000000, stop_after_a_megabyte, &seen, &chunk),
                 CARTO_ERR_CANCELLED);
    CHECK(seen.downloaded > (UINT64_C(1) << 20));
    CHECK(seen.nested == CARTO_ERR_INVALID_ARGUMENT);
    carto_result_reader_free(reader);
    /* The chunk outlives its reader. */
    size_t rows = 0;
    CHECK_OK(carto_result_row_count(first, &rows));
    CHECK(rows == 100);
    int64_t value = 0;
    CHECK_OK(carto_result_int64(first, 99, 0, &value));
    CHECK(value == 100);
    carto_result_free(first);

    /* Freed between chunks without an error: the client goes on. */
    CHECK_OK(carto_client_sql_reader(
        client, "select g from generate_series(1, 10000000) g", &reader));
    CHECK_OK(carto_result_reader_next(reader, 10, NULL, NULL, &first));
    carto_result_free(first);
    carto_result_reader_free(reader);
    carto_result *small = NULL;
    CHECK_OK(carto_client_sql_result(client, "select 1 as one", &small));
    carto_result_free(small);
}


struct silence {
    uint64_t last_downloaded;
    int silent_calls; /* calls that saw no new byte */
    int stop_at;
};

static int32_t stop_when_silent(void *user_data, uint64_t uploaded, int64_t upload_total,
                                uint64_t downloaded, int64_t download_total) {
    (void)uploaded, (void)upload_total, (void)download_total;
    struct silence *s = user_data;
    if (downloaded > 0 && downloaded == s->last_downloaded) s->silent_calls++;
    s->last_downloaded = downloaded;
    return s->silent_calls >= s->stop_at;
}

/* The emulator sends the first 5 MiB of a ~9 MiB answer, then nothing for a minute (the
 * connection stays open). */
static carto_result_reader *open_stalling(carto_client *client, const char *admin_token) {
    carto_request *request = NULL;
    carto_result_reader *reader = NULL;
    CHECK_OK(carto_request_new_sql(
        "select g, repeat('s', 200) as pad from generate_series(1, 40000) g", NULL, &request));
    CHECK_OK(carto_request_add_header(request, "X-Emulator-Fault",
                                      "{\"drip\":{\"chunk_bytes\":5242880,\"interval_ms\":60000}}"));
    CHECK_OK(carto_request_add_header(request, "X-Emulator-Token", admin_token));
    CHECK_OK(carto_client_open_reader(client, request, &reader, NULL));
    carto_request_free(request);
    return reader;
}

/* Reads chunks until one fails; returns its status and counts the rows before it. */
static carto_status read_until_error(carto_result_reader *reader, carto_progress_fn progress,
                                     void *user_data, size_t *rows) {
    *rows = 0;
    for (;;) {
        carto_result *chunk = NULL;
        carto_status status = carto_result_reader_next(reader, 2000, progress, user_data, &chunk);
        if (status != CARTO_OK) return status;
        if (chunk == NULL) return CARTO_OK;
        size_t n = 0;
        CHECK_OK(carto_result_row_count(chunk, &n));
        *rows += n;
        carto_result_free(chunk);
    }
}

static void a_server_that_stops_sending_times_out_or_is_cancelled(const char *base_url,
                                                                  const char *key,
                                                                  const char *admin_token) {
    /* The idle timeout ends the wait: the rows before the silence came, the rest never do. */
    carto_credentials *creds = NULL;
    carto_client_options *options = NULL;
    carto_client *quick = NULL;
    CHECK_OK(carto_credentials_new(NULL, key, base_url, true, &creds));
    CHECK_OK(carto_client_options_new(&options));
    CHECK_OK(carto_client_options_set_idle_timeout(options, 10000));
    CHECK_OK(carto_client_new(creds, options, &quick));
    carto_client_options_free(options);
    carto_result_reader *reader = open_stalling(quick, admin_token);
    size_t rows = 0;
    CHECK(read_until_error(reader, NULL, NULL, &rows) == CARTO_ERR_TIMEOUT);
    CHECK(rows > 0 && rows < 40000);
    carto_result *chunk = NULL;
    CHECK(carto_result_reader_next(reader, 10, NULL, NULL, &chunk) != CARTO_OK);
    carto_result_reader_free(reader);
    carto_client_free(quick);

    /* With the default (long) idle timeout, the progress callback is still called while the
     * server is silent, and stops the read. */
    carto_client *patient = NULL;
    CHECK_OK(carto_client_new(creds, NULL, &patient));
    carto_credentials_free(creds);
    reader = open_stalling(patient, admin_token);
    struct silence seen = {0, 0, 4};
    CHECK(read_until_error(reader, stop_when_silent, &seen, &rows) == CARTO_ERR_CANCELLED);
    CHECK(rows > 0 && rows < 40000);
    CHECK(seen.silent_calls == 4);
    CHECK(seen.last_downloaded >= (UINT64_C(5) << 20));
    carto_result_reader_free(reader);
    carto_client_free(patient);
}

static void misuse(carto_client *client) {
    carto_result_reader *reader = NULL;
    carto_result *chunk = NULL;
    CHECK_STATUS(carto_client_sql_reader(NULL, "select 1", &reader), CARTO_ERR_NULL_ARGUMENT);
    CHECK_STATUS(carto_client_sql_reader(client, NULL, &reader), CARTO_ERR_NULL_ARGUMENT);
    CHECK_STATUS(carto_client_sql_reader(client, "select 1", NULL), CARTO_ERR_NULL_ARGUMENT);
    CHECK_STATUS(carto_client_sql_reader(client, "\xff", &reader), CARTO_ERR_INVALID_UTF8);
    CHECK(reader == NULL);
    CHECK_STATUS(carto_client_sql_reader(client, "select * from no_such_table", &reader),
                 CARTO_ERR_HTTP_CLIENT_ERROR);
    CHECK_ERROR_MENTIONS("no_such_table");

    /* A refused query's answer, when asked for, with CARTO's message. */
    carto_request *bad = NULL;
    carto_response *refusal = NULL;
    CHECK_OK(carto_request_new_sql("select * from no_such_table", NULL, &bad));
    CHECK_STATUS(carto_client_open_reader(client, bad, &reader, &refusal),
                 CARTO_ERR_HTTP_CLIENT_ERROR);
    CHECK(reader == NULL && refusal != NULL);
    uint16_t http = 0;
    const char *server_message = NULL;
    CHECK_OK(carto_response_status(refusal, &http));
    CHECK(http == 400);
    CHECK_OK(carto_response_error_message(refusal, &server_message));
    CHECK(server_message != NULL && strstr(server_message, "no_such_table") != NULL);
    CHECK_STATUS(carto_response_check(refusal), CARTO_ERR_HTTP_CLIENT_ERROR);
    carto_response_free(refusal);
    carto_request_free(bad);
    /* A good one leaves it untouched. */
    carto_request *good = NULL;
    refusal = (carto_response *)1;
    CHECK_OK(carto_request_new_sql("select 1 as one", NULL, &good));
    CHECK_OK(carto_client_open_reader(client, good, &reader, &refusal));
    CHECK(reader != NULL && refusal == (carto_response *)1);
    carto_result_reader_free(reader);
    reader = NULL;
    carto_request_free(good);

    carto_request *csv = NULL;
    CHECK_OK(carto_request_new_sql("select 1", "csv", &csv));
    CHECK_STATUS(carto_client_open_reader(client, csv, &reader, NULL), CARTO_ERR_INVALID_ARGUMENT);
    carto_request_free(csv);
    carto_request *plain = NULL;
    CHECK_OK(carto_request_new("GET", "api/v3/me", &plain));
    CHECK_STATUS(carto_client_open_reader(client, plain, &reader, NULL), CARTO_ERR_INVALID_ARGUMENT);
    carto_request_free(plain);

    CHECK_OK(carto_client_sql_reader(client, "select 1 as a", &reader));
    CHECK_STATUS(carto_result_reader_next(reader, 0, NULL, NULL, &chunk), CARTO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(carto_result_reader_next(reader, 1, NULL, NULL, NULL), CARTO_ERR_NULL_ARGUMENT);
    CHECK_STATUS(carto_result_reader_done(reader, NULL), CARTO_ERR_NULL_ARGUMENT);
    carto_result_reader_free(reader);
    bool done = false;
    CHECK_STATUS(carto_result_reader_done(reader, &done), CARTO_ERR_INVALID_HANDLE);
    CHECK_STATUS(carto_result_reader_next(reader, 1, NULL, NULL, &chunk), CARTO_ERR_INVALID_HANDLE);
    carto_result_reader_free(reader); /* twice: ignored */
    carto_result_reader_free(NULL);
    /* A result handle is not a reader. */
    carto_result *r = NULL;
    CHECK_OK(carto_client_sql_result(client, "select 1 as a", &r));
    CHECK_STATUS(carto_result_reader_done((carto_result_reader *)r, &done),
                 CARTO_ERR_INVALID_HANDLE);
    carto_result_free(r);
}

int main(void) {
    const char *base_url = getenv("CARTO_TEST_BASE_URL");
    const char *master_key = getenv("CARTO_TEST_MASTER_KEY");
    const char *admin_token = getenv("CARTO_TEST_ADMIN_TOKEN");
    if (base_url == NULL || master_key == NULL || admin_token == NULL) {
        fprintf(stderr,
                "CARTO_TEST_BASE_URL, CARTO_TEST_MASTER_KEY and CARTO_TEST_ADMIN_TOKEN must be set\n");
        return 2;
    }
    carto_client *limited = make_client(base_url, master_key, UINT64_C(1) << 20);
    larger_than_max_body_size_reads_in_full(limited);
    carto_client_free(limited);
    carto_client *client = make_client(base_url, master_key, 0);
    empty_results_and_statements_give_one_typed_chunk(client);
    an_error_after_rows_fails_the_read(client);
    progress_cancels_and_free_between_chunks_stops_the_query(client);
    misuse(client);
    carto_client_free(client);
    a_server_that_stops_sending_times_out_or_is_cancelled(base_url, master_key, admin_token);
    return finish("test_reader");
}
