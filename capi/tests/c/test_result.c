/* Typed result sets (carto_result) against carto-emulator on PostgreSQL/PostGIS: every pgtype
 * the server produces, NULL-only and empty results, int8 extremes, NaN/Infinity, time zones,
 * dates before 1970, empty and multi-point geometries, bulk column reads, and misuse.
 *
 * The runner (tests/c_api.rs) starts the emulator and passes CARTO_TEST_BASE_URL and
 * CARTO_TEST_MASTER_KEY. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>

#include "check.h"

static carto_client *make_client(const char *base_url, const char *key) {
    carto_credentials *creds = NULL;
    carto_client *client = NULL;
    CHECK_OK(carto_credentials_new(NULL, key, base_url, true, &creds));
    CHECK_OK(carto_client_new(creds, NULL, &client));
    carto_credentials_free(creds);
    return client;
}

static size_t column(carto_result *r, const char *name) {
    size_t index = (size_t)-1;
    CHECK_OK(carto_result_column_index(r, name, &index));
    return index;
}

static carto_column_kind kind_of(carto_result *r, const char *name) {
    carto_column_kind kind = (carto_column_kind)-1;
    CHECK_OK(carto_result_column_kind(r, column(r, name), &kind));
    return kind;
}

static const char *pgtype_of(carto_result *r, const char *name) {
    const char *pgtype = NULL;
    CHECK_OK(carto_result_column_info(r, column(r, name), NULL, NULL, &pgtype));
    return pgtype ? pgtype : "(null)";
}

static const char *text_of(carto_result *r, size_t row, const char *name) {
    const char *text = NULL;
    CHECK_OK(carto_result_text(r, row, column(r, name), &text, NULL));
    return text ? text : "(null)";
}

static void every_type(carto_client *client) {
    carto_result *r = NULL;
    CHECK_OK(carto_client_sql_result(
        client,
        "select 1::int2 a_int2, (-2147483647)::int4 a_int4,"
        " (-9223372036854775808)::int8 a_int8_min, 9223372036854775807::int8 a_int8_max,"
        " 1.5::float4 a_float4, 'NaN'::float8 a_nan, 'Infinity'::float8 a_inf,"
        " '-Infinity'::numeric a_minus_inf, 0.1::numeric a_numeric, 26::oid a_oid,"
        " true a_bool, 'x y'::text a_text, 'v'::varchar a_varchar, 'c'::char a_char,"
        " 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid a_uuid, 'tab\there \"q\" é'::text a_escaped,"
        " '2020-06-01 12:00:00+02'::timestamptz a_tstz, '1969-12-31 23:59:59.5'::timestamp a_ts,"
        " '1900-01-01'::date a_date, '1970-01-01'::date a_epoch, 'infinity'::timestamptz a_ts_inf,"
        " '-infinity'::timestamp a_ts_minus_inf, '{\"k\": [1, 2]}'::json a_json,"
        " '{\"k\": 1}'::jsonb a_jsonb, array[1, null, 3] a_array, interval '1 day 02:00' a_interval,"
        " '\\x0102ff'::bytea a_bytea, '12:30'::time a_time,"
        " ST_SetSRID(ST_MakePoint(1, 2), 4326) a_point, 'MULTIPOINT EMPTY'::geometry a_empty,"
        " ST_GeomFromText('MULTIPOINT((1 2), (3 4))', 3857) a_multipoint,"
        " 'POINT(1 2)'::geography a_geog, 'POINT Z (1 2 3)'::geometry a_pointz,"
        " null::int4 a_null",
        &r));
    size_t rows = 0, columns = 0;
    CHECK_OK(carto_result_row_count(r, &rows));
    CHECK_OK(carto_result_column_count(r, &columns));
    CHECK(rows == 1);
    CHECK(columns == 34);

    int64_t i = 0;
    double d = 0;
    bool b = false;
    int32_t days = 0;
    CHECK(kind_of(r, "a_int2") == CARTO_COLUMN_INT);
    CHECK_STR(pgtype_of(r, "a_int2"), "int2");
    CHECK_OK(carto_result_int64(r, 0, column(r, "a_int2"), &i));
    CHECK(i == 1);
    CHECK_OK(carto_result_int64(r, 0, column(r, "a_int4"), &i));
    CHECK(i == -2147483647);
    CHECK_OK(carto_result_int64(r, 0, column(r, "a_int8_min"), &i));
    CHECK(i == INT64_MIN);
    CHECK_OK(carto_result_int64(r, 0, column(r, "a_int8_max"), &i));
    CHECK(i == INT64_MAX);
    CHECK_STR(text_of(r, 0, "a_int8_max"), "9223372036854775807");
    /* No double holds 2^63 - 1 exactly: refused, not rounded. */
    CHECK_STATUS(carto_result_double(r, 0, column(r, "a_int8_max"), &d), CARTO_ERR_RESULT_TYPE);
    CHECK_ERROR_MENTIONS("a_int8_max");
    CHECK_OK(carto_result_double(r, 0, column(r, "a_int2"), &d));
    CHECK(d == 1.0);
    CHECK_OK(carto_result_int64(r, 0, column(r, "a_oid"), &i));
    CHECK(i == 26);

    CHECK(kind_of(r, "a_float4") == CARTO_COLUMN_FLOAT);
    CHECK_OK(carto_result_double(r, 0, column(r, "a_float4"), &d));
    CHECK(d == 1.5);
    CHECK_OK(carto_result_double(r, 0, column(r, "a_nan"), &d));
    CHECK(isnan(d));
    CHECK_STR(text_of(r, 0, "a_nan"), "NaN");
    CHECK_OK(carto_result_double(r, 0, column(r, "a_inf"), &d));
    CHECK(isinf(d) && d > 0);
    CHECK_OK(carto_result_double(r, 0, column(r, "a_minus_inf"), &d));
    CHECK(isinf(d) && d < 0);
    CHECK_STR(pgtype_of(r, "a_minus_inf"), "numeric");
    CHECK_OK(carto_result_double(r, 0, column(r, "a_numeric"), &d));
    CHECK(d == 0.1);
    CHECK_STATUS(carto_result_int64(r, 0, column(r, "a_float4"), &i), CARTO_ERR_RESULT_TYPE);

    CHECK(kind_of(r, "a_bool") == CARTO_COLUMN_BOOL);
    CHECK_OK(carto_result_bool(r, 0, column(r, "a_bool"), &b));
    CHECK(b);
    CHECK_STR(text_of(r, 0, "a_bool"), "true");
    CHECK_STATUS(carto_result_int64(r, 0, column(r, "a_bool"), &i), CARTO_ERR_RESULT_TYPE);

    const char *text_columns[] = {"a_text", "a_varchar", "a_char", "a_uuid", "a_escaped",
                                  "a_json", "a_jsonb", "a_array", "a_interval", "a_bytea",
                                  "a_time"};
    for (size_t k = 0; k < sizeof text_columns / sizeof *text_columns; k++) {
        CHECK(kind_of(r, text_columns[k]) == CARTO_COLUMN_TEXT);
    }
    CHECK_STR(text_of(r, 0, "a_text"), "x y");
    CHECK_STR(text_of(r, 0, "a_uuid"), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
    CHECK_STR(pgtype_of(r, "a_uuid"), "uuid");
    CHECK_STR(text_of(r, 0, "a_escaped"), "tab\there \"q\" \xc3\xa9");
    CHECK_STR(text_of(r, 0, "a_json"), "{\"k\":[1,2]}");
    CHECK_STR(text_of(r, 0, "a_array"), "[1,null,3]");
    CHECK_STR(text_of(r, 0, "a_time"), "12:30:00");
    CHECK_STATUS(carto_result_int64(r, 0, column(r, "a_text"), &i), CARTO_ERR_RESULT_TYPE);
    CHECK_ERROR_MENTIONS("column 'a_text' (text)");

    /* Times: UTC microseconds whatever the zone they were written in. */
    CHECK(kind_of(r, "a_tstz") == CARTO_COLUMN_TIMESTAMP);
    CHECK_OK(carto_result_time_micros(r, 0, column(r, "a_tstz"), &i));
    CHECK(i == INT64_C(1591005600) * 1000000);
    CHECK_STR(text_of(r, 0, "a_tstz"), "2020-06-01T10:00:00.000000Z");
    CHECK_OK(carto_result_time_micros(r, 0, column(r, "a_ts"), &i));
    CHECK(i == -500000);
    CHECK_OK(carto_result_time_micros(r, 0, column(r, "a_ts_inf"), &i));
    CHECK(i == CARTO_TIME_INFINITY);
    CHECK_OK(carto_result_time_micros(r, 0, column(r, "a_ts_minus_inf"), &i));
    CHECK(i == CARTO_TIME_MINUS_INFINITY);
    CHECK(kind_of(r, "a_date") == CARTO_COLUMN_DATE);
    CHECK_OK(carto_result_date_days(r, 0, column(r, "a_date"), &days));
    CHECK(days == -25567);
    CHECK_STR(text_of(r, 0, "a_date"), "1900-01-01");
    CHECK_OK(carto_result_date_days(r, 0, column(r, "a_epoch"), &days));
    CHECK(days == 0);
    CHECK_OK(carto_result_time_micros(r, 0, column(r, "a_date"), &i));
    CHECK(i == INT64_C(-25567) * 86400 * 1000000);
    CHECK_STATUS(carto_result_date_days(r, 0, column(r, "a_tstz"), &days), CARTO_ERR_RESULT_TYPE);
    CHECK_STATUS(carto_result_time_micros(r, 0, column(r, "a_int4"), &i), CARTO_ERR_RESULT_TYPE);

    /* Geometries: WKB without the SRID, which comes separately. */
    const uint8_t *wkb = NULL;
    size_t length = 0;
    int32_t srid = -7;
    CHECK(kind_of(r, "a_point") == CARTO_COLUMN_GEOMETRY);
    CHECK_STR(pgtype_of(r, "a_point"), "geometry");
    CHECK_OK(carto_result_wkb(r, 0, column(r, "a_point"), &wkb, &length, &srid));
    CHECK(length == 21 && srid == 4326);
    CHECK(wkb[0] == 1 && wkb[1] == 1 && wkb[2] == 0 && wkb[3] == 0 && wkb[4] == 0);
    double x = 0, y = 0;
    memcpy(&x, wkb + 5, 8);
    memcpy(&y, wkb + 13, 8);
    CHECK(x == 1.0 && y == 2.0);
    CHECK_STR(text_of(r, 0, "a_point"), "0101000000000000000000f03f0000000000000040");
    CHECK_OK(carto_result_wkb(r, 0, column(r, "a_empty"), &wkb, &length, &srid));
    CHECK(length == 9 && srid == 0 && wkb[1] == 4); /* MULTIPOINT, 0 points */
    CHECK(wkb[5] == 0 && wkb[6] == 0 && wkb[7] == 0 && wkb[8] == 0);
    CHECK_OK(carto_result_wkb(r, 0, column(r, "a_multipoint"), &wkb, &length, NULL));
    CHECK(length == 9 + 2 * 21 && wkb[1] == 4 && wkb[5] == 2);
    CHECK_OK(carto_result_wkb(r, 0, column(r, "a_multipoint"), &wkb, &length, &srid));
    CHECK(srid == 3857);
    CHECK_OK(carto_result_wkb(r, 0, column(r, "a_geog"), &wkb, &length, &srid));
    CHECK(length == 21 && srid == 4326);
    CHECK_STR(pgtype_of(r, "a_geog"), "geography");
    CHECK_OK(carto_result_wkb(r, 0, column(r, "a_pointz"), &wkb, &length, &srid));
    CHECK(length == 29 && wkb[4] == 0x80 && srid == 0); /* Z flag kept */
    CHECK_STATUS(carto_result_wkb(r, 0, column(r, "a_text"), &wkb, &length, &srid),
                 CARTO_ERR_RESULT_TYPE);
    int32_t column_srid = 0;
    CHECK_STATUS(carto_result_column_srid(r, column(r, "a_text"), &column_srid),
                 CARTO_ERR_RESULT_TYPE);

    /* NULL cells: a status, never a made-up value. */
    bool is_null = false;
    CHECK_OK(carto_result_is_null(r, 0, column(r, "a_null"), &is_null));
    CHECK(is_null);
    CHECK_OK(carto_result_is_null(r, 0, column(r, "a_int4"), &is_null));
    CHECK(!is_null);
    i = 42;
    CHECK_STATUS(carto_result_int64(r, 0, column(r, "a_null"), &i), CARTO_ERR_RESULT_NULL);
    CHECK(i == 42);
    const char *text = "untouched";
    CHECK_STATUS(carto_result_text(r, 0, column(r, "a_null"), &text, NULL), CARTO_ERR_RESULT_NULL);
    CHECK_STR(text, "untouched");

    int64_t total = 0;
    double seconds = -5;
    CHECK_OK(carto_result_total_rows(r, &total));
    CHECK(total == 1);
    CHECK_OK(carto_result_time(r, &seconds));
    CHECK(seconds >= 0);
    carto_result_free(r);
}

static void geometry_columns_declare_their_srid(carto_client *client) {
    carto_result *r = NULL;
    CHECK_OK(carto_client_sql_result(client, "select the_geom from points_private order by 1",
                                     &r));
    int32_t srid = 0;
    CHECK_OK(carto_result_column_srid(r, 0, &srid));
    CHECK(srid == 4326);
    carto_result_free(r);
}

static void null_only_and_empty_results_stay_typed(carto_client *client) {
    carto_result *r = NULL;
    CHECK_OK(carto_client_sql_result(
        client,
        "select null::int8 a, null::timestamptz b, null::geometry c, null::text d,"
        " null::bool e, null::date f from generate_series(1, 3)",
        &r));
    CHECK(kind_of(r, "a") == CARTO_COLUMN_INT);
    CHECK(kind_of(r, "b") == CARTO_COLUMN_TIMESTAMP);
    CHECK(kind_of(r, "c") == CARTO_COLUMN_GEOMETRY);
    CHECK(kind_of(r, "e") == CARTO_COLUMN_BOOL);
    CHECK(kind_of(r, "f") == CARTO_COLUMN_DATE);
    int64_t values[3] = {7, 7, 7};
    uint8_t nulls[3] = {0, 0, 0};
    CHECK_OK(carto_result_column_int64(r, 0, 0, 3, values, nulls));
    CHECK(nulls[0] == 1 && nulls[1] == 1 && nulls[2] == 1);
    CHECK(values[0] == 0 && values[2] == 0);
    /* Without a mask, a NULL cell cannot be given: an error, and nothing is written. */
    values[0] = 7;
    CHECK_STATUS(carto_result_column_int64(r, 0, 0, 3, values, NULL), CARTO_ERR_RESULT_NULL);
    CHECK(values[0] == 7);
    const uint8_t *wkbs[3];
    size_t lengths[3];
    CHECK_OK(carto_result_column_wkb(r, 2, 0, 3, wkbs, lengths, NULL, nulls));
    CHECK(wkbs[0] == NULL && lengths[1] == 0 && nulls[2] == 1);
    const char *texts[3];
    CHECK_OK(carto_result_column_text(r, 3, 0, 3, texts, NULL, nulls));
    CHECK(texts[1] == NULL && nulls[1] == 1);
    carto_result_free(r);

    CHECK_OK(carto_client_sql_result(
        client, "select 1::int4 a, 'x'::text b, now() c where false", &r));
    size_t rows = 9, columns = 0;
    CHECK_OK(carto_result_row_count(r, &rows));
    CHECK_OK(carto_result_column_count(r, &columns));
    CHECK(rows == 0 && columns == 3);
    CHECK(kind_of(r, "a") == CARTO_COLUMN_INT);
    CHECK(kind_of(r, "c") == CARTO_COLUMN_TIMESTAMP);
    CHECK_OK(carto_result_column_int64(r, 0, 0, 0, NULL, NULL)); /* nothing to fill */
    CHECK_STATUS(carto_result_column_int64(r, 0, 0, 1, values, nulls), CARTO_ERR_INVALID_ARGUMENT);
    bool is_null = false;
    CHECK_STATUS(carto_result_is_null(r, 0, 0, &is_null), CARTO_ERR_INVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("row index 0 is out of range");
    carto_result_free(r);
}

static void bulk_columns(carto_client *client) {
    enum { N = 20000 };
    carto_result *r = NULL;
    CHECK_OK(carto_client_sql_result(
        client,
        "select g::int4 i, g::int8 * 1000000000000 big, g / 4.0::float8 f, g % 2 = 0 b,"
        " case when g % 3 = 0 then null else 'row ' || g end t,"
        " timestamptz '2000-01-01 00:00:00+00' + g * interval '1 second' ts,"
        " date '1960-01-01' + g d, ST_SetSRID(ST_MakePoint(g, -g), 4326) geom"
        " from generate_series(1, 20000) g order by g",
        &r));
    size_t rows = 0;
    CHECK_OK(carto_result_row_count(r, &rows));
    CHECK(rows == N);
    int64_t *ints = calloc(N, sizeof *ints);
    double *doubles = calloc(N, sizeof *doubles);
    uint8_t *bools = calloc(N, 1), *nulls = calloc(N, 1);
    int32_t *days = calloc(N, sizeof *days), *srids = calloc(N, sizeof *srids);
    const char **texts = calloc(N, sizeof *texts);
    const uint8_t **wkbs = calloc(N, sizeof *wkbs);
    size_t *lengths = calloc(N, sizeof *lengths);
    int bad = 0;

    CHECK_OK(carto_result_column_int64(r, 0, 0, N, ints, NULL));
    for (int k = 0; k < N; k++) bad += ints[k] != k + 1;
    CHECK_OK(carto_result_column_double(r, 0, 0, N, doubles, NULL)); /* int4 -> exact double */
    for (int k = 0; k < N; k++) bad += doubles[k] != k + 1;
    CHECK_OK(carto_result_column_int64(r, 1, 0, N, ints, NULL));
    for (int k = 0; k < N; k++) bad += ints[k] != (int64_t)(k + 1) * 1000000000000;
    /* Values above 2^53 have no exact double: the whole call is refused. */
    CHECK_STATUS(carto_result_column_double(r, 1, 0, N, doubles, NULL), CARTO_ERR_RESULT_TYPE);
    CHECK_ERROR_MENTIONS("row 9007");
    CHECK_OK(carto_result_column_double(r, 2, 0, N, doubles, NULL));
    for (int k = 0; k < N; k++) bad += doubles[k] != (k + 1) / 4.0;
    CHECK_STATUS(carto_result_column_int64(r, 2, 0, N, ints, NULL), CARTO_ERR_RESULT_TYPE);
    CHECK_OK(carto_result_column_bool(r, 3, 0, N, bools, NULL));
    for (int k = 0; k < N; k++) bad += bools[k] != ((k + 1) % 2 == 0);
    CHECK_OK(carto_result_column_text(r, 4, 0, N, texts, lengths, nulls));
    for (int k = 0; k < N; k++) {
        char expected[32];
        snprintf(expected, sizeof expected, "row %d", k + 1);
        if ((k + 1) % 3 == 0) {
            bad += nulls[k] != 1 || texts[k] != NULL;
        } else {
            bad += nulls[k] != 0 || strcmp(texts[k], expected) != 0 ||
                   lengths[k] != strlen(expected);
        }
    }
    CHECK_OK(carto_result_column_time_micros(r, 5, 0, N, ints, NULL));
    for (int k = 0; k < N; k++) bad += ints[k] != (INT64_C(946684800) + k + 1) * 1000000;
    CHECK_OK(carto_result_column_date_days(r, 6, 0, N, days, NULL));
    for (int k = 0; k < N; k++) bad += days[k] != -3653 + k + 1;
    CHECK_OK(carto_result_column_wkb(r, 7, 0, N, wkbs, lengths, srids, nulls));
    for (int k = 0; k < N; k++) {
        double x = 0;
        memcpy(&x, wkbs[k] + 5, 8);
        bad += lengths[k] != 21 || srids[k] != 4326 || x != k + 1 || nulls[k] != 0;
    }
    /* A window of rows, and text rendered for a non-text column. */
    CHECK_OK(carto_result_column_text(r, 0, N - 2, 2, texts, NULL, NULL));
    CHECK_STR(texts[0], "19999");
    CHECK_STR(texts[1], "20000");
    CHECK_STATUS(carto_result_column_int64(r, 0, N - 1, 2, ints, NULL), CARTO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(carto_result_column_int64(r, 0, 1, SIZE_MAX, ints, NULL),
                 CARTO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(carto_result_column_int64(r, 0, 0, N, NULL, NULL), CARTO_ERR_NULL_ARGUMENT);
    CHECK_STATUS(carto_result_column_wkb(r, 7, 0, N, wkbs, NULL, NULL, NULL),
                 CARTO_ERR_NULL_ARGUMENT);
    CHECK_STATUS(carto_result_column_wkb(r, 0, 0, N, wkbs, lengths, NULL, NULL),
                 CARTO_ERR_RESULT_TYPE);
    CHECK(bad == 0);
    free(ints);
    free(doubles);
    free(bools);
    free(nulls);
    free(days);
    free(srids);
    free(texts);
    free(wkbs);
    free(lengths);
    carto_result_free(r);
}

static void statements_notices_and_errors(carto_client *client) {
    carto_result *r = NULL;
    CHECK_OK(carto_client_sql_result(
        client, "do $$ begin raise notice 'hello'; raise warning 'careful'; end $$", &r));
    size_t count = 0;
    CHECK_OK(carto_result_column_count(r, &count));
    CHECK(count == 0);
    CHECK_OK(carto_result_notice_count(r, &count));
    CHECK(count == 2);
    const char *severity = NULL, *message = NULL;
    int seen = 0;
    for (size_t k = 0; k < count; k++) {
        CHECK_OK(carto_result_notice(r, k, &severity, &message));
        seen += strcmp(severity, "notice") == 0 && strcmp(message, "hello") == 0;
        seen += strcmp(severity, "warning") == 0 && strcmp(message, "careful") == 0;
    }
    CHECK(seen == 2);
    CHECK_STATUS(carto_result_notice(r, 2, &severity, &message), CARTO_ERR_INVALID_ARGUMENT);
    carto_result_free(r);

    /* HTTP errors keep their status and CARTO's message; nothing is handed out. */
    r = NULL;
    CHECK_STATUS(carto_client_sql_result(client, "selec 1", &r), CARTO_ERR_HTTP_CLIENT_ERROR);
    CHECK_ERROR_MENTIONS("syntax error");
    CHECK(r == NULL);

    /* A response in another format is not a result. */
    carto_response *response = NULL;
    CHECK_OK(carto_client_sql(client, "select 1 a", "csv", &response));
    CHECK_STATUS(carto_result_from_response(response, &r), CARTO_ERR_RESULT_FORMAT);
    CHECK_ERROR_MENTIONS("not a SQL API JSON result");
    carto_response_free(response);
    CHECK_OK(carto_client_sql(client, "select 1 a", NULL, &response));
    CHECK_OK(carto_result_from_response(response, &r));
    carto_response_free(response); /* the result does not depend on the response */
    int64_t one = 0;
    CHECK_OK(carto_result_int64(r, 0, 0, &one));
    CHECK(one == 1);
    carto_result_free(r);
    CHECK_OK(carto_client_sql(client, "select * from no_such_table", NULL, &response));
    CHECK_STATUS(carto_result_from_response(response, &r), CARTO_ERR_HTTP_CLIENT_ERROR);
    CHECK_ERROR_MENTIONS("no_such_table");
    carto_response_free(response);
}

static void from_json(void) {
    static const char body[] =
        "{\"rows\":[{\"a\":1}],\"time\":0.5,\"fields\":{\"a\":{\"type\":\"number\","
        "\"pgtype\":\"int8\"}},\"total_rows\":1}";
    carto_result *r = NULL;
    CHECK_OK(carto_result_from_json((const uint8_t *)body, strlen(body), &r));
    int64_t a = 0;
    double seconds = 0;
    CHECK_OK(carto_result_int64(r, 0, 0, &a));
    CHECK_OK(carto_result_time(r, &seconds));
    CHECK(a == 1 && seconds == 0.5);
    carto_result_free(r);
    r = NULL;
    /* Cut anywhere, the body is refused cleanly. */
    for (size_t n = 0; n < strlen(body); n += 7) {
        CHECK_STATUS(carto_result_from_json((const uint8_t *)body, n, &r), CARTO_ERR_RESULT_FORMAT);
    }
    CHECK(r == NULL);
    CHECK_STATUS(carto_result_from_json(NULL, 0, &r), CARTO_ERR_RESULT_FORMAT);
    CHECK_STATUS(carto_result_from_json(NULL, 3, &r), CARTO_ERR_NULL_ARGUMENT);
    CHECK_STATUS(carto_result_from_json((const uint8_t *)body, strlen(body), NULL),
                 CARTO_ERR_NULL_ARGUMENT);
}

static void misuse(carto_client *client) {
    carto_result *r = NULL;
    CHECK_STATUS(carto_client_sql_result(client, NULL, &r), CARTO_ERR_NULL_ARGUMENT);
    CHECK_STATUS(carto_client_sql_result(client, "select 1", NULL), CARTO_ERR_NULL_ARGUMENT);
    CHECK_STATUS(carto_client_sql_result(NULL, "select 1", &r), CARTO_ERR_NULL_ARGUMENT);
    CHECK_STATUS(carto_client_sql_result(client, "select '\xff'", &r), CARTO_ERR_INVALID_UTF8);
    CHECK_STATUS(carto_result_from_response(NULL, &r), CARTO_ERR_NULL_ARGUMENT);
    CHECK_OK(carto_client_sql_result(client, "select 1 a, 'b' b", &r));
    size_t n = 0;
    int64_t i = 0;
    const char *text = NULL;
    CHECK_STATUS(carto_result_row_count(r, NULL), CARTO_ERR_NULL_ARGUMENT);
    CHECK_STATUS(carto_result_int64(r, 0, 2, &i), CARTO_ERR_INVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("column index 2");
    CHECK_STATUS(carto_result_int64(r, 1, 0, &i), CARTO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(carto_result_int64(r, SIZE_MAX, SIZE_MAX, &i), CARTO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(carto_result_column_index(r, "nope", &n), CARTO_ERR_INVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("'nope'");
    CHECK_STATUS(carto_result_column_index(r, "", &n), CARTO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(carto_result_column_index(r, NULL, &n), CARTO_ERR_NULL_ARGUMENT);
    CHECK_STATUS(carto_result_column_info(r, 5, NULL, NULL, NULL), CARTO_ERR_INVALID_ARGUMENT);
    CHECK_OK(carto_result_text(r, 0, 1, &text, NULL));
    CHECK_STR(text, "b");
    /* Handles of another type, freed handles and made-up pointers are refused. */
    CHECK_STATUS(carto_result_row_count((carto_result *)client, &n), CARTO_ERR_INVALID_HANDLE);
    carto_result_free(r);
    carto_result_free(r); /* harmless */
    carto_result_free(NULL);
    CHECK_STATUS(carto_result_row_count(r, &n), CARTO_ERR_INVALID_HANDLE);
    CHECK_STATUS(carto_result_text(r, 0, 0, &text, NULL), CARTO_ERR_INVALID_HANDLE);
    CHECK_STATUS(carto_result_row_count((carto_result *)&n, &n), CARTO_ERR_INVALID_HANDLE);
    carto_result_free((carto_result *)client); /* not a result: ignored */
    CHECK_OK(carto_client_sql_result(client, "select 1", &r)); /* the client still works */
    carto_result_free(r);
}

int main(void) {
    const char *base_url = getenv("CARTO_TEST_BASE_URL");
    const char *master_key = getenv("CARTO_TEST_MASTER_KEY");
    if (base_url == NULL || master_key == NULL) {
        fprintf(stderr, "CARTO_TEST_BASE_URL and CARTO_TEST_MASTER_KEY must be set\n");
        return 2;
    }
    carto_client *client = make_client(base_url, master_key);
    every_type(client);
    geometry_columns_declare_their_srid(client);
    null_only_and_empty_results_stay_typed(client);
    bulk_columns(client);
    statements_notices_and_errors(client);
    from_json();
    misuse(client);
    carto_client_free(client);
    return finish("test_result");
}
