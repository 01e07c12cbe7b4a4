/* Resolution order, provenance and the process default through the C ABI. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>

#include "check.h"

static char dir[256];

static const char *username_of(carto_credentials *c) {
    const char *s = NULL;
    return carto_credentials_username(c, &s) == CARTO_OK ? s : "(error)";
}

static carto_source source_of(carto_credentials *c) {
    carto_source s = -1;
    return carto_credentials_source(c, &s) == CARTO_OK ? s : -1;
}

static void order(void) {
    carto_credentials *r = NULL, *explicit_creds = NULL, *def = NULL, *file_creds = NULL;

    CHECK_STATUS(carto_resolve(NULL, &r), CARTO_ERR_NOT_RESOLVED);
    CHECK_ERROR_MENTIONS("cartocreds.json");
    CHECK_ERROR_MENTIONS("creds.json");
    CHECK_ERROR_MENTIONS("CARTO_USERNAME");

    CHECK_OK(carto_credentials_new("from-file", "fileSEKRIT-0123456789", NULL, false, &file_creds));
    CHECK_OK(carto_credentials_save(file_creds, NULL, NULL, CARTO_FILE_FORMAT_CARTOFRAMES, NULL));
    CHECK_OK(carto_resolve(NULL, &r));
    CHECK_STR(username_of(r), "from-file");
    CHECK(source_of(r) == CARTO_SOURCE_FILE);
    carto_credentials_free(r);

    setenv("CARTO_USERNAME", "from-env", 1);
    setenv("CARTO_API_KEY", "envkSEKRIT-0123456789", 1);
    CHECK_OK(carto_resolve(NULL, &r));
    CHECK_STR(username_of(r), "from-env");
    CHECK(source_of(r) == CARTO_SOURCE_ENVIRONMENT);
    carto_credentials_free(r);

    CHECK_OK(carto_credentials_new("default-user", NULL, NULL, false, &def));
    CHECK_OK(carto_default_credentials_set(def));
    carto_credentials_free(def); /* the default keeps its own copy */
    CHECK_OK(carto_resolve(NULL, &r));
    CHECK_STR(username_of(r), "default-user");
    CHECK(source_of(r) == CARTO_SOURCE_DEFAULT);
    carto_credentials_free(r);

    CHECK_OK(carto_credentials_new("explicit", NULL, NULL, false, &explicit_creds));
    CHECK_OK(carto_resolve(explicit_creds, &r));
    CHECK_STR(username_of(r), "explicit");
    CHECK(source_of(r) == CARTO_SOURCE_EXPLICIT);
    carto_credentials_free(r);
    carto_credentials_free(explicit_creds);
    CHECK_STATUS(carto_resolve(explicit_creds, &r), CARTO_ERR_INVALID_HANDLE);

    carto_default_credentials_unset();
    unsetenv("CARTO_USERNAME");
    CHECK_STATUS(carto_resolve(NULL, &r), CARTO_ERR_INVALID_ENVIRONMENT);
    CHECK_ERROR_MENTIONS("CARTO_API_KEY");
    CHECK(strstr(carto_last_error(), "envkSEKRIT-0123456789") == NULL);
    setenv("CARTO_API_KEY", "", 1); /* blank counts as unset */
    CHECK_OK(carto_resolve(NULL, &r));
    CHECK_STR(username_of(r), "from-file");
    carto_credentials_free(r);

    setenv("CARTO_CREDENTIALS_FILE", "/no/such/creds.json", 1);
    CHECK_STATUS(carto_resolve(NULL, &r), CARTO_ERR_FILE_NOT_FOUND);
    CHECK_ERROR_MENTIONS("CARTO_CREDENTIALS_FILE");
    unsetenv("CARTO_CREDENTIALS_FILE");
    carto_credentials_free(file_creds);
}

static void default_dispatch(void) {
    carto_credentials *got = NULL, *set = NULL;
    const char *s = NULL;
    char path[512];

    CHECK_STATUS(carto_default_credentials_get(&got), CARTO_ERR_NO_DEFAULT_CREDENTIALS);

    CHECK_OK(carto_default_credentials_set_from("johnsmith", "key-SEKRIT-0123456789", false, &set));
    CHECK_STR(username_of(set), "johnsmith");
    carto_credentials_free(set);
    CHECK_OK(carto_default_credentials_get(&got));
    CHECK_OK(carto_credentials_api_key(got, &s));
    CHECK_STR(s, "key-SEKRIT-0123456789");
    carto_credentials_free(got);

    CHECK_OK(carto_default_credentials_set_from("johnsmith", NULL, false, NULL));
    CHECK_OK(carto_default_credentials_get(&got));
    CHECK_OK(carto_credentials_api_key(got, &s));
    CHECK_STR(s, "default_public");
    carto_credentials_free(got);

    CHECK_OK(carto_default_credentials_set_from("https://jane.carto.com/", "k2", false, &set));
    CHECK_STR(username_of(set), "jane");
    carto_credentials_free(set);
    CHECK_STATUS(carto_default_credentials_set_from("http://jane.carto.com", NULL, false, NULL),
                 CARTO_ERR_INSECURE_BASE_URL);

    /* A .json path is loaded; nothing at all loads the default file. */
    snprintf(path, sizeof path, "%s/creds.json", dir);
    CHECK_OK(carto_default_credentials_set_from(path, NULL, false, &set));
    CHECK_STR(username_of(set), "from-file");
    carto_credentials_free(set);
    CHECK_STATUS(carto_default_credentials_set_from(path, "key", false, NULL),
                 CARTO_ERR_INVALID_ARGUMENT);
    carto_default_credentials_unset();
    CHECK_OK(carto_default_credentials_set_from(NULL, NULL, false, &set));
    CHECK(source_of(set) == CARTO_SOURCE_FILE);
    carto_credentials_free(set);
    carto_default_credentials_unset();
    CHECK_STATUS(carto_default_credentials_get(&got), CARTO_ERR_NO_DEFAULT_CREDENTIALS);
    CHECK_STATUS(carto_default_credentials_set(NULL), CARTO_ERR_NULL_ARGUMENT);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/cartoauth-c-resolve-XXXXXX");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    const char *vars[] = {"CARTO_USERNAME", "CARTO_API_KEY", "CARTO_BASE_URL", "CARTO_PROFILE",
                          "CARTO_CREDENTIALS_FILE", "CARTO_ALLOW_NON_SECURE"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        unsetenv(vars[i]);
    }
    setenv("CARTO_CONFIG_DIR", dir, 1);

    size_t baseline = carto_handle_count();
    order();
    default_dispatch();
    CHECK(carto_handle_count() == baseline);

    char cleanup[600];
    snprintf(cleanup, sizeof cleanup, "rm -rf '%s'", dir);
    if (system(cleanup) != 0) {
        fprintf(stderr, "could not remove %s\n", dir);
    }
    return finish("c-resolve");
}
