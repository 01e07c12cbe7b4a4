/* The round trip of a saved secret through the C ABI against a real Secret Service
 * (gnome-keyring, unlocked, on a private session bus that tests/c_api.rs starts), then
 * against a stub that owns the Secret Service's name and never replies. One stage per run
 * (argv[1]); between stages the harness greps every file under the test's HOME for the key
 * and asks secret-tool for cartoauth's items.
 *
 *   save    save with automatic storage; load it back; resolve it through CARTO_PROFILE
 *   move    to the plain file and back to the keychain
 *   delete  save a second profile ("kept"), delete "work": its item goes with it
 *   stub    (stub bus) every call returns within the limit with CARTO_ERR_KEYCHAIN_TIMEOUT,
 *           nothing is written; automatic storage takes it as no keychain
 *
 * Environment: CARTO_CONFIG_DIR, DBUS_SESSION_BUS_ADDRESS, HOME, XDG_RUNTIME_DIR (set by the
 * harness), CARTO_TEST_LIMIT_MS (the stub stage's bound). */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static const char KEY[] = "abcdSEKRITc0ffee0123456789abcdef01234567";

static int64_t now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* What secret-tool finds for cartoauth's item `account`: 1 with the key, 0 with no item,
 * -1 with something else. The secret is compared here, never printed. */
static int keychain_holds_key(const char *account) {
    char command[512], found[256] = "";
    snprintf(command, sizeof command,
             "secret-tool lookup service cartoauth username '%s' 2>/dev/null", account);
    FILE *p = popen(command, "r");
    if (p == NULL)
        return -1;
    size_t n = fread(found, 1, sizeof found - 1, p);
    found[n] = '\0';
    int status = pclose(p);
    if (status != 0 && n == 0)
        return 0;
    return strcmp(found, KEY) == 0 ? 1 : -1;
}

static char *copy(const char *s) {
    char *c = malloc(strlen(s) + 1);
    strcpy(c, s);
    return c;
}

/* Saves jo's key to `profile` with automatic storage; returns the item's account (malloc). */
static char *save_to_keychain(const char *profile) {
    carto_credentials *c = NULL, *saved = NULL;
    const char *s = NULL;
    size_t count = 99;
    char *account = NULL;

    CHECK_OK(carto_credentials_new("jo", KEY, NULL, false, &c));
    CHECK_OK(carto_credentials_save_as(c, NULL, profile, CARTO_FILE_FORMAT_AUTO,
                                       CARTO_STORE_AUTO, &saved));
    if (saved == NULL) {
        carto_credentials_free(c);
        return copy("none");
    }
    CHECK_OK(carto_credentials_storage(saved, &s));
    CHECK_STR(s, "keychain");
    CHECK_OK(carto_credentials_warning_count(saved, &count));
    CHECK(count == 0);
    CHECK_OK(carto_credentials_keychain_item(saved, &s));
    CHECK(s != NULL && strncmp(s, "api_key/", 8) == 0);
    account = copy(s ? s : "none");
    carto_credentials_free(saved);
    carto_credentials_free(c);
    return account;
}

static void check_loaded(carto_credentials *loaded, const char *account) {
    const char *s = NULL;
    CHECK_OK(carto_credentials_api_key(loaded, &s));
    CHECK(s != NULL && strcmp(s, KEY) == 0);
    CHECK_OK(carto_credentials_storage(loaded, &s));
    CHECK_STR(s, "keychain");
    CHECK_OK(carto_credentials_keychain_item(loaded, &s));
    CHECK_STR(s, account);
}

static void save(void) {
    carto_credentials *loaded = NULL;
    char *account = save_to_keychain("work");
    printf("item %s\n", account);
    CHECK(keychain_holds_key(account) == 1);

    CHECK_OK(carto_credentials_load(NULL, "work", &loaded));
    if (loaded != NULL)
        check_loaded(loaded, account);
    carto_credentials_free(loaded);

    /* Through the resolution order (CARTO_PROFILE) too. */
    setenv("CARTO_PROFILE", "work", 1);
    loaded = NULL;
    CHECK_OK(carto_resolve(NULL, &loaded));
    if (loaded != NULL)
        check_loaded(loaded, account);
    carto_credentials_free(loaded);
    unsetenv("CARTO_PROFILE");
    free(account);
}

static void move(void) {
    carto_credentials *loaded = NULL, *moved = NULL;
    const char *s = NULL;
    char *account = NULL;

    CHECK_OK(carto_credentials_load(NULL, "work", &loaded));
    CHECK_OK(carto_credentials_keychain_item(loaded, &s));
    account = copy(s ? s : "none");
    carto_credentials_free(loaded);

    CHECK_OK(carto_credentials_move(NULL, "work", CARTO_STORE_FILE, &moved));
    CHECK_OK(carto_credentials_storage(moved, &s));
    CHECK_STR(s, "file");
    CHECK_OK(carto_credentials_api_key(moved, &s));
    CHECK(s != NULL && strcmp(s, KEY) == 0);
    carto_credentials_free(moved);
    CHECK(keychain_holds_key(account) == 0); /* the item went with the move */
    free(account);

    moved = NULL;
    CHECK_OK(carto_credentials_move(NULL, "work", CARTO_STORE_KEYCHAIN, &moved));
    CHECK_OK(carto_credentials_storage(moved, &s));
    CHECK_STR(s, "keychain");
    CHECK_OK(carto_credentials_keychain_item(moved, &s));
    CHECK(s != NULL && keychain_holds_key(s) == 1);
    printf("item %s\n", s ? s : "none");
    carto_credentials_free(moved);
}

static void delete_one(void) {
    carto_credentials *loaded = NULL;
    const char *s = NULL;
    char *account = NULL, path[600];

    char *kept = save_to_keychain("kept");
    printf("kept %s\n", kept);
    free(kept);
    CHECK_OK(carto_credentials_load(NULL, "work", &loaded));
    CHECK_OK(carto_credentials_keychain_item(loaded, &s));
    account = copy(s ? s : "none");
    carto_credentials_free(loaded);

    CHECK_OK(carto_credentials_file_delete(NULL, "work"));
    CHECK(keychain_holds_key(account) == 0);
    snprintf(path, sizeof path, "%s/profiles/work.json", getenv("CARTO_CONFIG_DIR"));
    CHECK(access(path, F_OK) != 0);
    CHECK_STATUS(carto_credentials_file_delete(NULL, "work"), CARTO_ERR_FILE_NOT_FOUND);
    free(account);
}

static void stub(void) {
    carto_credentials *c = NULL, *out = NULL;
    const char *s = NULL, *limit_text = getenv("CARTO_TEST_LIMIT_MS");
    int64_t limit = limit_text ? atoll(limit_text) : 3500, started, took;
    char path[600];

    started = now_ms();
    CHECK_STATUS(carto_credentials_load(NULL, "kept", &out), CARTO_ERR_KEYCHAIN_TIMEOUT);
    took = now_ms() - started;
    printf("load against a silent keychain returned after %lld ms\n", (long long)took);
    CHECK(took <= limit);
    CHECK(out == NULL);
    CHECK_ERROR_MENTIONS("3 s");

    CHECK_OK(carto_credentials_new("jo", KEY, NULL, false, &c));
    started = now_ms();
    CHECK_STATUS(carto_credentials_save_as(c, NULL, "forced", CARTO_FILE_FORMAT_AUTO,
                                           CARTO_STORE_KEYCHAIN, &out),
                 CARTO_ERR_KEYCHAIN_TIMEOUT);
    took = now_ms() - started;
    printf("save_as(CARTO_STORE_KEYCHAIN) returned after %lld ms\n", (long long)took);
    CHECK(took <= limit);
    snprintf(path, sizeof path, "%s/profiles/forced.json", getenv("CARTO_CONFIG_DIR"));
    CHECK(access(path, F_OK) != 0);

    /* Automatic storage: no keychain answers, so the file, announced once. */
    started = now_ms();
    CHECK_OK(carto_credentials_save_as(c, NULL, "auto", CARTO_FILE_FORMAT_AUTO,
                                       CARTO_STORE_AUTO, &out));
    took = now_ms() - started;
    printf("save_as(CARTO_STORE_AUTO) fell back after %lld ms\n", (long long)took);
    CHECK(took <= limit);
    CHECK_OK(carto_credentials_storage(out, &s));
    CHECK_STR(s, "file");
    carto_credentials_free(out);
    carto_credentials_free(c);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s save|move|delete|stub\n", argv[0]);
        return 2;
    }
    unsetenv("CARTO_CREDENTIAL_STORE");
    size_t baseline = carto_handle_count();
    if (strcmp(argv[1], "save") == 0)
        save();
    else if (strcmp(argv[1], "move") == 0)
        move();
    else if (strcmp(argv[1], "delete") == 0)
        delete_one();
    else if (strcmp(argv[1], "stub") == 0)
        stub();
    else
        return 2;
    CHECK(carto_handle_count() == baseline);
    char suite[64];
    snprintf(suite, sizeof suite, "c-keychain-service-%s", argv[1]);
    return finish(suite);
}
