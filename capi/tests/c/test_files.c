/* Credentials files and profiles through the C ABI, in a private CARTO_CONFIG_DIR. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static char dir[256];

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static void default_files_round_trip(void) {
    carto_credentials *c = NULL, *loaded = NULL;
    char *written = NULL;
    const char *s = NULL;
    bool equal = false;
    char expected[512];

    CHECK_STATUS(carto_credentials_load(NULL, NULL, &loaded), CARTO_ERR_FILE_NOT_FOUND);
    CHECK_OK(carto_credentials_new("johnsmith", "abcdSEKRITabcdef", NULL, false, &c));
    CHECK_OK(carto_credentials_save(c, NULL, NULL, CARTO_FILE_FORMAT_AUTO, &written));
    snprintf(expected, sizeof expected, "%s/cartocreds.json", dir);
    CHECK_STR(written, expected);
    carto_string_free(written);

    CHECK_OK(carto_credentials_load(NULL, NULL, &loaded));
    CHECK_OK(carto_credentials_equal(c, loaded, &equal));
    CHECK(equal);
    carto_source source = CARTO_SOURCE_EXPLICIT;
    CHECK_OK(carto_credentials_source(loaded, &source));
    CHECK(source == CARTO_SOURCE_FILE);
    CHECK_OK(carto_credentials_origin_path(loaded, &s));
    CHECK_STR(s, expected);
    size_t warnings = 99;
    CHECK_OK(carto_credentials_warning_count(loaded, &warnings));
    CHECK(warnings == 0);
    carto_credentials_free(loaded);

    /* Lax permissions load, with a warning. */
    CHECK(chmod(expected, 0644) == 0);
    CHECK_OK(carto_credentials_load(NULL, NULL, &loaded));
    CHECK_OK(carto_credentials_warning_count(loaded, &warnings));
    CHECK(warnings == 1);
    CHECK_OK(carto_credentials_warning(loaded, 0, &s));
    CHECK(strstr(s, "chmod 600") != NULL);
    CHECK_STATUS(carto_credentials_warning(loaded, 1, &s), CARTO_ERR_INVALID_ARGUMENT);
    carto_credentials_free(loaded);

    /* CARTOframes format goes to creds.json. */
    CHECK_OK(carto_credentials_save(c, NULL, NULL, CARTO_FILE_FORMAT_CARTOFRAMES, &written));
    CHECK(strstr(written, "/creds.json") != NULL);
    carto_string_free(written);
    CHECK_STATUS(carto_credentials_save(c, NULL, NULL, 7, NULL), CARTO_ERR_INVALID_ARGUMENT);

    /* Rotate the key in place. */
    CHECK_OK(carto_credentials_file_update(NULL, NULL, NULL, "rotaSEKRIT-key", NULL, CARTO_KEEP, NULL));
    CHECK_OK(carto_credentials_load(NULL, NULL, &loaded));
    CHECK_OK(carto_credentials_api_key(loaded, &s));
    CHECK_STR(s, "rotaSEKRIT-key");
    carto_credentials_free(loaded);
    CHECK_STATUS(carto_credentials_file_update(NULL, NULL, NULL, NULL, NULL, 5, NULL),
                 CARTO_ERR_INVALID_ARGUMENT);

    /* An empty or blank path or profile is an error, never "the default files". */
    CHECK_STATUS(carto_credentials_save(c, "", NULL, CARTO_FILE_FORMAT_AUTO, NULL),
                 CARTO_ERR_INVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("path is empty");
    CHECK_STATUS(carto_credentials_save(c, NULL, " ", CARTO_FILE_FORMAT_AUTO, NULL),
                 CARTO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(carto_credentials_file_delete("", NULL), CARTO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(carto_credentials_file_delete(" \t", NULL), CARTO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(carto_credentials_file_delete(NULL, ""), CARTO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(carto_credentials_load("", NULL, &loaded), CARTO_ERR_INVALID_ARGUMENT);
    CHECK_OK(carto_credentials_load(NULL, NULL, &loaded)); /* both default files still there */
    carto_credentials_free(loaded);

    /* Deleting the default removes both files; a second delete is "not found". */
    CHECK_OK(carto_credentials_file_delete(NULL, NULL));
    CHECK_STATUS(carto_credentials_file_delete(NULL, NULL), CARTO_ERR_FILE_NOT_FOUND);
    CHECK_STATUS(carto_credentials_load(NULL, NULL, &loaded), CARTO_ERR_FILE_NOT_FOUND);
    carto_credentials_free(c);
}

static void profiles(void) {
    carto_credentials *work = NULL, *loaded = NULL;
    char *list = NULL, *path = NULL;
    const char *s = NULL;

    CHECK_OK(carto_credentials_new("work-user", "workSEKRIT-0123456789", NULL, false, &work));
    CHECK_OK(carto_credentials_save(work, NULL, "work", CARTO_FILE_FORMAT_AUTO, NULL));
    CHECK_OK(carto_credentials_save(work, NULL, "backup", CARTO_FILE_FORMAT_AUTO, NULL));
    CHECK_OK(carto_profiles_list(&list));
    CHECK_STR(list, "backup\nwork");
    carto_string_free(list);
    CHECK_OK(carto_credentials_load(NULL, "work", &loaded));
    CHECK_OK(carto_credentials_origin_profile(loaded, &s));
    CHECK_STR(s, "work");
    carto_credentials_free(loaded);
    CHECK_OK(carto_credentials_file_path(NULL, "work", &path));
    CHECK(strstr(path, "/profiles/work.json") != NULL);
    carto_string_free(path);

    CHECK_STATUS(carto_credentials_load(NULL, "nope", &loaded), CARTO_ERR_FILE_NOT_FOUND);
    CHECK_ERROR_MENTIONS("saved profiles: backup, work");
    CHECK_STATUS(carto_credentials_load(NULL, "../etc/passwd", &loaded),
                 CARTO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(carto_credentials_load("/x.json", "work", &loaded), CARTO_ERR_INVALID_ARGUMENT);
    CHECK_OK(carto_credentials_file_delete(NULL, "backup"));
    CHECK_STATUS(carto_credentials_file_delete(NULL, "backup"), CARTO_ERR_FILE_NOT_FOUND);
    carto_credentials_free(work);
}

static void broken_files(void) {
    char path[512];
    carto_credentials *loaded = (carto_credentials *)0x1;
    snprintf(path, sizeof path, "%s/broken.json", dir);

    write_file(path, "{\n  \"APIKEY\": \"k\",\n  oops\n}\n");
    CHECK_STATUS(carto_credentials_load(path, NULL, &loaded), CARTO_ERR_FILE_SYNTAX);
    CHECK_ERROR_MENTIONS(path);
    CHECK_ERROR_MENTIONS(":3:3:");
    CHECK_STATUS(carto_credentials_file_update(path, NULL, NULL, "x", NULL, CARTO_KEEP, NULL),
                 CARTO_ERR_FILE_SYNTAX);

    write_file(path, "{\"USERNAME\": \"jo\", \"APIKEY\": true}");
    CHECK_STATUS(carto_credentials_load(path, NULL, &loaded), CARTO_ERR_FILE_CONTENT);
    CHECK_ERROR_MENTIONS("\"APIKEY\"");

    write_file(path, "{\"username\": \"jo\", \"base_url\": \"http://jo.carto.com\"}");
    CHECK_STATUS(carto_credentials_load(path, NULL, &loaded), CARTO_ERR_INSECURE_BASE_URL);
    CHECK_ERROR_MENTIONS("base_url");
    CHECK(loaded == (carto_credentials *)0x1);

    CHECK_STATUS(carto_credentials_load("/no/such/dir/c.json", NULL, &loaded),
                 CARTO_ERR_FILE_NOT_FOUND);
    CHECK_STATUS(carto_credentials_load("bad\xff.json", NULL, &loaded), CARTO_ERR_INVALID_UTF8);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/cartoauth-c-files-XXXXXX");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    setenv("CARTO_CONFIG_DIR", dir, 1);
    char *config_dir = NULL;
    CHECK_OK(carto_config_dir(&config_dir));
    CHECK_STR(config_dir, dir);
    carto_string_free(config_dir);

    size_t baseline = carto_handle_count();
    default_files_round_trip();
    profiles();
    broken_files();
    CHECK(carto_handle_count() == baseline);

    char cleanup[600];
    snprintf(cleanup, sizeof cleanup, "rm -rf '%s'", dir);
    if (system(cleanup) != 0) {
        fprintf(stderr, "could not remove %s\n", dir);
    }
    return finish("c-files");
}
