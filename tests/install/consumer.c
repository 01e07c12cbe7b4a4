/*
 * A program that knows cartoauth only as an installed C library: built with nothing but
 * `pkg-config --cflags --libs [--static] cartoauth` by tests/install/run.sh.
 *
 *     consumer <expected username>
 *
 * Resolves credentials from the environment, asks api/v3/me who the key belongs to and runs a
 * query; exits 0 only when the server answered with the expected user and rows.
 */
#include <stdio.h>
#include <string.h>

#include <cartoauth.h>

static int fail(const char *what) {
    fprintf(stderr, "consumer: %s: %s\n", what, carto_last_error());
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s <expected username>\n", argv[0]);
        return 2;
    }
    if (strcmp(carto_version(), CARTO_VERSION) != 0 || carto_abi_version() != CARTO_ABI_VERSION) {
        fprintf(stderr, "consumer: header %s (ABI %d) but library %s (ABI %u)\n", CARTO_VERSION,
                CARTO_ABI_VERSION, carto_version(), carto_abi_version());
        return 1;
    }

    carto_client *client = NULL;
    if (carto_client_new(NULL, NULL, &client) != CARTO_OK) {
        return fail("creating a client from the environment's credentials");
    }

    char *username = NULL;
    if (carto_client_me(client, &username, NULL) != CARTO_OK) {
        carto_client_free(client);
        return fail("api/v3/me");
    }
    int same_user = username != NULL && strcmp(username, argv[1]) == 0;
    printf("me: %s\n", username != NULL ? username : "(none)");
    carto_string_free(username);
    if (!same_user) {
        carto_client_free(client);
        fprintf(stderr, "consumer: expected user %s\n", argv[1]);
        return 1;
    }

    carto_response *response = NULL;
    carto_status status = carto_client_sql(
        client, "select count(*) as n, min(name) as first from points_public", NULL, &response);
    if (status == CARTO_OK) {
        status = carto_response_check(response);
    }
    if (status != CARTO_OK) {
        carto_response_free(response);
        carto_client_free(client);
        return fail("SQL API");
    }
    const uint8_t *body = NULL;
    size_t length = 0;
    int rows_ok = carto_response_body(response, &body, &length) == CARTO_OK &&
                  strstr((const char *)body, "\"n\":3") != NULL;
    printf("sql: %.*s\n", (int)length, (const char *)body);
    carto_response_free(response);
    carto_client_free(client);
    if (!rows_ok) {
        fprintf(stderr, "consumer: expected 3 rows in points_public\n");
        return 1;
    }
    printf("consumer: ok\n");
    return 0;
}
