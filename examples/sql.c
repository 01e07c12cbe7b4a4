/*
 * sql: run a query on CARTO's SQL API and print the result.
 *
 *     sql [--format json|geojson|csv] "<query>"
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
#include <string.h>

#include "cartoauth.h"

static int fail(const char *what) {
    fprintf(stderr, "sql: %s: %s\n", what, carto_last_error());
    return 1;
}

int main(int argc, char **argv) {
    const char *format = NULL;
    const char *query = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
            format = argv[++i];
        } else if (query == NULL && argv[i][0] != '-') {
            query = argv[i];
        } else {
            query = NULL;
            break;
        }
    }
    if (query == NULL) {
        fprintf(stderr, "usage: %s [--format json|geojson|csv] \"<query>\"\n", argv[0]);
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
