/* Where saved secrets go, through the C ABI, on a machine whose keychain does not answer (the
 * test points DBUS_SESSION_BUS_ADDRESS at a socket that does not exist): the fallback to the
 * file with one warning, the keychain store refused with its own status, moving, and files
 * whose keychain reference cannot be honoured. The round trip through a real Secret Service
 * is test_keychain_service.c. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static char dir[256];

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static int exists(const char *path) { return access(path, F_OK) == 0; }

static int64_t now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static void automatic_storage_falls_back_once(void) {
    carto_credentials *c = NULL, *saved = NULL, *again = NULL;
    const char *s = NULL;
    size_t count = 99;

    CHECK_OK(carto_credentials_new("jo", "abcdSEKRITabcdef0123", NULL, false, &c));
    CHECK_OK(carto_credentials_storage(c, &s));
    CHECK(s == NULL); /* not stored */
    int64_t started = now_us();
    CHECK_OK(carto_credentials_save_as(c, NULL, "auto", CARTO_FILE_FORMAT_AUTO, CARTO_STORE_AUTO,
                                       &saved));
    int64_t took = now_us() - started;
    /* The core's suite holds the 50 ms bound natively; here (sanitizers, valgrind) the number
     * is shown, and only a hang-like delay fails. */
    printf("no bus: the save fell back to the file after %.2f ms\n", (double)took / 1000.0);
    CHECK(took < 1000000);
    CHECK_OK(carto_credentials_storage(saved, &s));
    CHECK_STR(s, "file");
    CHECK_OK(carto_credentials_keychain_item(saved, &s));
    CHECK(s == NULL);
    CHECK_OK(carto_credentials_origin_profile(saved, &s));
    CHECK_STR(s, "auto");
    CHECK_OK(carto_credentials_warning_count(saved, &count));
    CHECK(count == 1);
    CHECK_OK(carto_credentials_warning(saved, 0, &s));
    CHECK(strstr(s, "plain text") != NULL);
    CHECK(strstr(s, "SEKRIT") == NULL);

    /* Announced once per process; still recorded. */
    CHECK_OK(carto_credentials_save_as(c, NULL, "auto2", CARTO_FILE_FORMAT_AUTO,
                                       CARTO_STORE_DEFAULT, &again));
    CHECK_OK(carto_credentials_warning_count(again, &count));
    CHECK(count == 0);
    CHECK_OK(carto_credentials_storage(again, &s));
    CHECK_STR(s, "file");
    carto_credentials_free(again);

    /* The file store is a choice: no warning. */
    CHECK_OK(carto_credentials_save_as(c, NULL, "plain", CARTO_FILE_FORMAT_CARTOFRAMES,
                                       CARTO_STORE_FILE, &again));
    CHECK_OK(carto_credentials_warning_count(again, &count));
    CHECK(count == 0);
    carto_credentials_free(again);

    /* Loading says where the secret is. */
    carto_credentials *loaded = NULL;
    CHECK_OK(carto_credentials_load(NULL, "auto", &loaded));
    CHECK_OK(carto_credentials_storage(loaded, &s));
    CHECK_STR(s, "file");
    carto_credentials_free(loaded);
    carto_credentials_free(saved);
    carto_credentials_free(c);
}

static void the_keychain_store_is_refused_with_its_own_status(void) {
    carto_credentials *c = NULL, *saved = NULL;
    char path[512];

    CHECK_OK(carto_credentials_new("jo", "abcdSEKRITabcdef0123", NULL, false, &c));
    CHECK_STATUS(carto_credentials_save_as(c, NULL, "forced", CARTO_FILE_FORMAT_AUTO,
                                           CARTO_STORE_KEYCHAIN, &saved),
                 CARTO_ERR_KEYCHAIN_UNAVAILABLE);
    CHECK(saved == NULL);
    CHECK_ERROR_MENTIONS("nothing was saved");
    snprintf(path, sizeof path, "%s/profiles/forced.json", dir);
    CHECK(!exists(path));
    CHECK(strcmp(carto_status_str(CARTO_ERR_KEYCHAIN_TIMEOUT), "unknown status") != 0);
    CHECK(strcmp(carto_status_str(CARTO_ERR_KEYCHAIN_ITEM_NOT_FOUND), "unknown status") != 0);

    CHECK_STATUS(carto_credentials_save_as(c, NULL, "x", CARTO_FILE_FORMAT_AUTO, 9, &saved),
                 CARTO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(carto_credentials_save_as(c, NULL, "x", CARTO_FILE_FORMAT_AUTO, CARTO_STORE_AUTO,
                                           NULL),
                 CARTO_ERR_NULL_ARGUMENT);
    CHECK_STATUS(carto_credentials_save_as(NULL, NULL, "x", CARTO_FILE_FORMAT_AUTO,
                                           CARTO_STORE_AUTO, &saved),
                 CARTO_ERR_NULL_ARGUMENT);
    CHECK_STATUS(carto_credentials_save_as(c, "bad\xff.json", NULL, CARTO_FILE_FORMAT_AUTO,
                                           CARTO_STORE_AUTO, &saved),
                 CARTO_ERR_INVALID_UTF8);
    carto_credentials_free(c);
}

static void moving(void) {
    carto_credentials *moved = NULL;
    const char *s = NULL;

    CHECK_STATUS(carto_credentials_move(NULL, "plain", CARTO_STORE_AUTO, &moved),
                 CARTO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(carto_credentials_move(NULL, "plain", CARTO_STORE_KEYCHAIN, &moved),
                 CARTO_ERR_KEYCHAIN_UNAVAILABLE);
    CHECK_ERROR_MENTIONS("unchanged");
    CHECK_OK(carto_credentials_move(NULL, "plain", CARTO_STORE_FILE, &moved));
    CHECK_OK(carto_credentials_storage(moved, &s));
    CHECK_STR(s, "file");
    carto_credentials_free(moved);
    CHECK_OK(carto_credentials_move(NULL, "plain", CARTO_STORE_FILE, NULL));
    CHECK_STATUS(carto_credentials_move(NULL, "none", CARTO_STORE_FILE, &moved),
                 CARTO_ERR_FILE_NOT_FOUND);
}

static void references_that_cannot_be_honoured(void) {
    carto_credentials *loaded = NULL;
    char path[512];

    /* Another program's item is never read. */
    snprintf(path, sizeof path, "%s/foreign.json", dir);
    write_file(path, "{\"USERNAME\": \"jo\", \"USERURL\": \"https://{username}.carto.com/\", "
                     "\"keychain\": {\"service\": \"gh:github.com\", \"account\": \"jo\"}}");
    CHECK_STATUS(carto_credentials_load(path, NULL, &loaded), CARTO_ERR_FILE_CONTENT);
    CHECK_ERROR_MENTIONS("only its own items");
    /* An item not made for these credentials. */
    write_file(path, "{\"USERNAME\": \"jo\", \"USERURL\": \"https://{username}.carto.com/\", "
                     "\"keychain\": {\"service\": \"cartoauth\", \"account\": "
                     "\"api_key/000000000000/0123456789abcdef\"}}");
    CHECK_STATUS(carto_credentials_load(path, NULL, &loaded), CARTO_ERR_FILE_CONTENT);
    CHECK_ERROR_MENTIONS("log in again");
    CHECK(loaded == NULL);
    /* Deleting such a file deletes the file only: no keychain item is named by it. */
    CHECK_OK(carto_credentials_file_delete(path, NULL));
    CHECK(!exists(path));
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/cartoauth-c-keychain-XXXXXX");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    char bus[600];
    snprintf(bus, sizeof bus, "unix:path=%s/no-such-bus", dir);
    setenv("DBUS_SESSION_BUS_ADDRESS", bus, 1);
    setenv("CARTO_CONFIG_DIR", dir, 1);
    unsetenv("CARTO_CREDENTIAL_STORE");

    size_t baseline = carto_handle_count();
    automatic_storage_falls_back_once();
    the_keychain_store_is_refused_with_its_own_status();
    moving();
    references_that_cannot_be_honoured();
    CHECK(carto_handle_count() == baseline);

    char cleanup[600];
    snprintf(cleanup, sizeof cleanup, "rm -rf '%s'", dir);
    if (system(cleanup) != 0) {
        fprintf(stderr, "could not remove %s\n", dir);
    }
    return finish("c-keychain");
}
