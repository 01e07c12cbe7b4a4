/*
 * credentials: resolve CARTO credentials, say who and from where (key masked), then save them
 * to a file in CARTOframes' format, load that file back and check it round-trips.
 *
 *     credentials [file-to-write.json]
 *
 * Without an argument it writes a temporary file and deletes it afterwards.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cartoauth.h"

static int fail(const char *what) {
    fprintf(stderr, "credentials: %s: %s\n", what, carto_last_error());
    return 1;
}

int main(int argc, char **argv) {
    carto_credentials *resolved = NULL, *reloaded = NULL;
    if (carto_resolve(NULL, &resolved) != CARTO_OK) {
        return fail("no credentials");
    }

    const char *username = NULL, *base_url = NULL, *origin = NULL, *description = NULL;
    if (carto_credentials_username(resolved, &username) != CARTO_OK ||
        carto_credentials_base_url(resolved, &base_url) != CARTO_OK ||
        carto_credentials_origin(resolved, &origin) != CARTO_OK ||
        carto_credentials_describe(resolved, &description) != CARTO_OK) {
        carto_credentials_free(resolved);
        return fail("reading credentials");
    }
    printf("user:   %s\n", username ? username : "(not in the base URL)");
    printf("url:    %s\n", base_url);
    printf("from:   %s\n", origin);
    printf("as:     %s\n", description); /* the key is masked */

    char path[256];
    int temporary = argc < 2;
    if (temporary) {
        snprintf(path, sizeof path, "/tmp/cartoauth-example-%ld.json", (long)getpid());
    } else {
        snprintf(path, sizeof path, "%s", argv[1]);
    }
    char *written = NULL;
    if (carto_credentials_save(resolved, path, NULL, CARTO_FILE_FORMAT_CARTOFRAMES, &written) !=
        CARTO_OK) {
        carto_credentials_free(resolved);
        return fail("saving");
    }
    printf("saved:  %s (mode 0600, CARTOframes format)\n", written);
    carto_string_free(written);

    bool same = false;
    int code = 0;
    if (carto_credentials_load(path, NULL, &reloaded) != CARTO_OK) {
        code = fail("loading");
    } else if (carto_credentials_equal(resolved, reloaded, &same) != CARTO_OK) {
        code = fail("comparing");
    } else {
        printf("reload: %s\n", same ? "identical" : "DIFFERENT");
        code = same ? 0 : 1;
    }
    if (temporary && carto_credentials_file_delete(path, NULL) != CARTO_OK) {
        code = fail("deleting the temporary file");
    }
    carto_credentials_free(reloaded);
    carto_credentials_free(resolved);
    return code;
}
