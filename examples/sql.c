/*
 * sql: run a query on CARTO's SQL API and print the result as an aligned table.
 *
 *     sql [--raw] [--format json|geojson|csv] "<query>"
 *
 * The table comes from cartoauth's typed result set (carto_client_sql_result): no JSON parser
 * here. --raw prints the SQL API's JSON answer as it came; --format prints the body of that
 * format as it came (geojson, csv).
 *
 * Credentials are resolved in cartoauth's standard order (process default, then CARTO_USERNAME
 * / CARTO_BASE_URL / CARTO_API_KEY, then CARTO_CREDENTIALS_FILE / CARTO_PROFILE, then
 * cartocreds.json or CARTOframes' creds.json), so the same binary points anywhere:
 *
 *     CARTO_BASE_URL=https://johnsmith.carto.com CARTO_API_KEY=... ./sql "select 1"
 *
 * The result goes to stdout; who ran it and from which credentials goes to stderr (the key is
 * never printed). On failure it prints the library's message and exits with status 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cartoauth.h"

static int fail(const char *what) {
    fprintf(stderr, "sql: %s: %s\n", what, carto_last_error());
    return 1;
}

/* Cells wider than this are cut, with "..." at the end. */
enum { MAX_WIDTH = 40 };

/* The display width of UTF-8 text: its code points (good enough for a terminal table). */
static size_t display_width(const char *text, size_t length) {
    size_t width = 0;
    for (size_t i = 0; i < length; i++) {
        width += ((unsigned char)text[i] & 0xC0) != 0x80;
    }
    return width;
}

/* Prints at most MAX_WIDTH code points of `text`, padded to `width`; newlines and tabs as
 * spaces so that a row stays on one line. */
static void print_cell(const char *text, size_t length, size_t width, int right) {
    size_t shown = display_width(text, length);
    int cut = shown > MAX_WIDTH;
    size_t budget = cut ? MAX_WIDTH - 3 : shown, used = 0, i = 0;
    size_t pad = width - (cut ? MAX_WIDTH : shown);
    if (right) printf("%*s", (int)pad, "");
    for (; i < length; i++) {
        unsigned char c = (unsigned char)text[i];
        if ((c & 0xC0) != 0x80 && used++ == budget) break;
        putchar(c == '\n' || c == '\t' || c == '\r' ? ' ' : c);
    }
    if (cut) fputs("...", stdout);
    if (!right) printf("%*s", (int)pad, "");
}

/* The text of a cell ("" for NULL, shown as an empty cell). */
static const char *cell_text(carto_result *result, size_t row, size_t column, size_t *length) {
    const char *text = NULL;
    bool is_null = true;
    if (carto_result_is_null(result, row, column, &is_null) != CARTO_OK || is_null ||
        carto_result_text(result, row, column, &text, length) != CARTO_OK) {
        *length = 0;
        return "";
    }
    return text;
}

static int print_table(carto_result *result) {
    size_t rows = 0, columns = 0, notices = 0;
    int64_t total_rows = -1;
    if (carto_result_row_count(result, &rows) != CARTO_OK ||
        carto_result_column_count(result, &columns) != CARTO_OK ||
        carto_result_total_rows(result, &total_rows) != CARTO_OK ||
        carto_result_notice_count(result, &notices) != CARTO_OK) {
        return fail("reading the result");
    }
    for (size_t i = 0; i < notices; i++) {
        const char *severity = NULL, *message = NULL;
        if (carto_result_notice(result, i, &severity, &message) == CARTO_OK) {
            fprintf(stderr, "%s: %s\n", severity, message);
        }
    }
    if (columns == 0) { /* INSERT, UPDATE, DDL, ... */
        printf("(%lld rows affected)\n", (long long)total_rows);
        return 0;
    }
    size_t *widths = calloc(columns, sizeof *widths);
    int *right = calloc(columns, sizeof *right);
    if (widths == NULL || right == NULL) {
        free(widths);
        free(right);
        fprintf(stderr, "sql: out of memory\n");
        return 1;
    }
    for (size_t c = 0; c < columns; c++) {
        const char *name = "";
        carto_column_kind kind = CARTO_COLUMN_TEXT;
        if (carto_result_column_info(result, c, &name, NULL, NULL) != CARTO_OK ||
            carto_result_column_kind(result, c, &kind) != CARTO_OK) {
            free(widths);
            free(right);
            return fail("reading the columns");
        }
        right[c] = kind == CARTO_COLUMN_INT || kind == CARTO_COLUMN_FLOAT;
        widths[c] = display_width(name, strlen(name));
        for (size_t r = 0; r < rows; r++) {
            size_t length = 0;
            const char *text = cell_text(result, r, c, &length);
            size_t w = display_width(text, length);
            if (w > widths[c]) widths[c] = w;
        }
        if (widths[c] > MAX_WIDTH) widths[c] = MAX_WIDTH;
    }
    for (size_t c = 0; c < columns; c++) {
        const char *name = "";
        if (carto_result_column_info(result, c, &name, NULL, NULL) != CARTO_OK) name = "?";
        printf(c ? " | " : " ");
        print_cell(name, strlen(name), widths[c], 0);
    }
    printf("\n");
    for (size_t c = 0; c < columns; c++) {
        printf(c ? "-+-" : "-");
        for (size_t i = 0; i < widths[c]; i++) putchar('-');
    }
    printf("-\n");
    for (size_t r = 0; r < rows; r++) {
        for (size_t c = 0; c < columns; c++) {
            size_t length = 0;
            const char *text = cell_text(result, r, c, &length);
            printf(c ? " | " : " ");
            print_cell(text, length, widths[c], right[c]);
        }
        printf("\n");
    }
    printf("(%zu row%s)\n", rows, rows == 1 ? "" : "s");
    free(widths);
    free(right);
    return 0;
}

int main(int argc, char **argv) {
    const char *format = NULL;
    const char *query = NULL;
    int raw = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--raw") == 0) {
            raw = 1;
        } else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
            format = argv[++i];
        } else if (query == NULL && argv[i][0] != '-') {
            query = argv[i];
        } else {
            query = NULL;
            break;
        }
    }
    if (query == NULL) {
        fprintf(stderr, "usage: %s [--raw] [--format json|geojson|csv] \"<query>\"\n", argv[0]);
        return 2;
    }
    if (carto_abi_version() != CARTO_ABI_VERSION) {
        fprintf(stderr, "sql: built for cartoauth ABI %d but loaded ABI %u\n", CARTO_ABI_VERSION,
                carto_abi_version());
        return 1;
    }

    carto_credentials *credentials = NULL;
    if (carto_resolve(NULL, &credentials) != CARTO_OK) {
        return fail("no credentials");
    }
    const char *description = NULL, *origin = NULL;
    size_t warnings = 0;
    if (carto_credentials_describe(credentials, &description) != CARTO_OK ||
        carto_credentials_origin(credentials, &origin) != CARTO_OK ||
        carto_credentials_warning_count(credentials, &warnings) != CARTO_OK) {
        carto_credentials_free(credentials);
        return fail("reading credentials");
    }
    fprintf(stderr, "%s\n  from %s\n", description, origin);
    for (size_t i = 0; i < warnings; i++) {
        const char *warning = NULL;
        if (carto_credentials_warning(credentials, i, &warning) == CARTO_OK) {
            fprintf(stderr, "  warning: %s\n", warning);
        }
    }

    carto_client_options *options = NULL;
    carto_client *client = NULL;
    carto_status status = carto_client_options_new(&options);
    if (status == CARTO_OK) {
        status = carto_client_options_set_user_agent_suffix(options, "cartoauth-sql-example/1");
    }
    if (status == CARTO_OK) {
        status = carto_client_new(credentials, options, &client);
    }
    carto_client_options_free(options);
    carto_credentials_free(credentials);
    if (status != CARTO_OK) {
        return fail("creating the client");
    }

    if (!raw && (format == NULL || strcmp(format, "json") == 0)) {
        carto_result *result = NULL;
        int code = 0;
        if (carto_client_sql_result(client, query, &result) != CARTO_OK) {
            code = fail("query failed");
        } else {
            code = print_table(result);
        }
        carto_result_free(result);
        carto_client_free(client);
        return code;
    }

    carto_response *response = NULL;
    status = carto_client_sql(client, query, format, &response);
    if (status == CARTO_OK) {
        status = carto_response_check(response); /* HTTP errors carry CARTO's message */
    }
    if (status != CARTO_OK) {
        int code = fail("query failed");
        carto_response_free(response);
        carto_client_free(client);
        return code;
    }
    const uint8_t *body = NULL;
    size_t length = 0;
    if (carto_response_body(response, &body, &length) == CARTO_OK) {
        fwrite(body, 1, length, stdout);
        if (length > 0 && body[length - 1] != '\n') {
            fputc('\n', stdout);
        }
    }
    carto_response_free(response);
    carto_client_free(client);
    return 0;
}
