/* Credentials handles through the C ABI: creation rules, accessors, masking, equality,
 * NULL / invalid UTF-8 / freed-handle misuse, status strings, the last error, versions. */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"

#define KEY "c0ffSEKRIT00deadbeef1234567890ab"

static void creation_rules(void) {
    carto_credentials *c = NULL;
    const char *s = NULL;

    CHECK_OK(carto_credentials_new("johnsmith", KEY, NULL, false, &c));
    CHECK_OK(carto_credentials_username(c, &s));
    CHECK_STR(s, "johnsmith");
    CHECK_OK(carto_credentials_base_url(c, &s));
    CHECK_STR(s, "https://johnsmith.carto.com");
    CHECK_OK(carto_credentials_api_key(c, &s));
    CHECK_STR(s, KEY);
    carto_credentials_free(c);

    CHECK_OK(carto_credentials_new("johnsmith", NULL, NULL, false, &c));
    CHECK_OK(carto_credentials_api_key(c, &s));
    CHECK_STR(s, "default_public");
    carto_credentials_free(c);

    CHECK_OK(carto_credentials_new("", "", "https://turtleland.com/user/fake_user///", false, &c));
    CHECK_OK(carto_credentials_username(c, &s));
    CHECK_STR(s, "fake_user");
    CHECK_OK(carto_credentials_base_url(c, &s));
    CHECK_STR(s, "https://turtleland.com/user/fake_user");
    carto_credentials_free(c);

    CHECK_OK(carto_credentials_new(NULL, NULL, "http://127.0.0.1:8080", true, &c));
    s = "sentinel";
    CHECK_OK(carto_credentials_username(c, &s));
    CHECK(s == NULL); /* no username in that URL */
    bool allow = false;
    CHECK_OK(carto_credentials_allow_non_secure(c, &allow));
    CHECK(allow);
    carto_credentials_free(c);
}

static void creation_errors(void) {
    carto_credentials *c = (carto_credentials *)0x1; /* must stay untouched on failure */
    CHECK_STATUS(carto_credentials_new(NULL, KEY, NULL, false, &c), CARTO_ERR_MISSING_ACCOUNT);
    CHECK(c == (carto_credentials *)0x1);
    CHECK_STATUS(carto_credentials_new(NULL, NULL, "http://x.carto.com", false, &c),
                 CARTO_ERR_INSECURE_BASE_URL);
    CHECK_ERROR_MENTIONS("allow_non_secure");
    CHECK_STATUS(carto_credentials_new(NULL, NULL, "not a url", false, &c),
                 CARTO_ERR_INVALID_BASE_URL);
    CHECK_STATUS(carto_credentials_new("a/b", NULL, NULL, false, &c), CARTO_ERR_INVALID_USERNAME);
    CHECK_STATUS(carto_credentials_new("user\xff", NULL, NULL, false, &c), CARTO_ERR_INVALID_UTF8);
    CHECK_ERROR_MENTIONS("username");
    CHECK_STATUS(carto_credentials_new("u", "k\xc3", NULL, false, &c), CARTO_ERR_INVALID_UTF8);
    CHECK_ERROR_MENTIONS("api_key");
    CHECK_STATUS(carto_credentials_new("u", NULL, NULL, false, NULL), CARTO_ERR_NULL_ARGUMENT);
    CHECK(c == (carto_credentials *)0x1);
    CHECK_STATUS(carto_credentials_new(NULL, NULL, "https://u:" KEY "@u.carto.com", false, &c),
                 CARTO_ERR_INVALID_BASE_URL);
    CHECK(strstr(carto_last_error(), KEY) == NULL);
}

static void masking_and_equality(void) {
    carto_credentials *a = NULL, *b = NULL, *other = NULL, *copy = NULL;
    const char *s = NULL;
    bool equal = false;

    CHECK_OK(carto_credentials_new("fake_user", KEY, NULL, false, &a));
    CHECK_OK(carto_credentials_describe(a, &s));
    CHECK_STR(s, "Credentials(username='fake_user', api_key='c0ff\xe2\x80\xa6', "
                 "base_url='https://fake_user.carto.com')");
    CHECK(strstr(s, KEY) == NULL);
    CHECK_OK(carto_credentials_origin(a, &s));
    CHECK_STR(s, "given by the caller");
    carto_source source = CARTO_SOURCE_FILE;
    CHECK_OK(carto_credentials_source(a, &source));
    CHECK(source == CARTO_SOURCE_EXPLICIT);

    CHECK_OK(carto_credentials_new(NULL, KEY, "https://fake_user.carto.com/", false, &b));
    CHECK_OK(carto_credentials_equal(a, b, &equal));
    CHECK(equal);
    CHECK_OK(carto_credentials_new("fake_user", "another", NULL, false, &other));
    CHECK_OK(carto_credentials_equal(a, other, &equal));
    CHECK(!equal);
    CHECK_OK(carto_credentials_clone(a, &copy));
    carto_credentials_free(a); /* the clone stays valid */
    CHECK_OK(carto_credentials_equal(copy, b, &equal));
    CHECK(equal);
    carto_credentials_free(copy);
    carto_credentials_free(b);
    carto_credentials_free(other);
}

static void misuse_never_crashes(void) {
    carto_credentials *c = NULL;
    const char *s = NULL;
    CHECK_OK(carto_credentials_new("u", NULL, NULL, false, &c));
    carto_credentials_free(c);
    carto_credentials_free(c);    /* double free: harmless */
    carto_credentials_free(NULL); /* NULL: harmless */
    CHECK_STATUS(carto_credentials_username(c, &s), CARTO_ERR_INVALID_HANDLE);
    CHECK_ERROR_MENTIONS("freed");
    CHECK_STATUS(carto_credentials_username(NULL, &s), CARTO_ERR_NULL_ARGUMENT);
    CHECK_STATUS(carto_credentials_username((carto_credentials *)&s, &s), CARTO_ERR_INVALID_HANDLE);
    CHECK_STATUS(carto_credentials_warning(NULL, 0, &s), CARTO_ERR_NULL_ARGUMENT);

    /* A finalizer freeing a handle between a failure and the read of its message must not
     * clobber the message. */
    CHECK_STATUS(carto_credentials_new(NULL, NULL, NULL, false, &c), CARTO_ERR_MISSING_ACCOUNT);
    carto_credentials *victim = NULL;
    carto_status st = carto_credentials_new("v", NULL, NULL, false, &victim);
    CHECK(st == CARTO_OK); /* success does not clear the last error either */
    carto_credentials_free(victim);
    carto_string_free(NULL);
    carto_string_free((char *)"not ours"); /* ignored */
    CHECK(carto_last_error_status() == CARTO_ERR_MISSING_ACCOUNT);
    CHECK_ERROR_MENTIONS("username or a base_url");

    char small[8];
    size_t full = carto_last_error_copy(small, sizeof small);
    CHECK(full == strlen(carto_last_error()));
    CHECK(strlen(small) == sizeof small - 1);
    CHECK(carto_last_error_copy(NULL, 0) == full);
}

/* Passwords in a base URL's userinfo are never echoed, however the URL is spelled. */
static void passwords_in_base_urls_are_never_echoed(void) {
    const char *urls[] = {
        "https://alice:p@PASSW0RD-SEKRIT@host/",    "https://alice:pa/PASSW0RD-SEKRIT@host/",
        "https:alice:PASSW0RD-SEKRIT@host/",        "https:/alice:PASSW0RD-SEKRIT@host/",
        "https:\\\\alice:PASSW0RD-SEKRIT@host/",       "http://alice:PASSW0RD-SEKRIT@host/",
        "https://alice:PASSW0RD-SEKRIT@host:99999/", "https://alice:PASSW0RD-SEKRIT@[::1/",
    };
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
        carto_credentials *c = (carto_credentials *)0x1;
        carto_status st = carto_credentials_new(NULL, NULL, urls[i], false, &c);
        echo_last_error(st);
        CHECK(st == CARTO_ERR_INVALID_BASE_URL || st == CARTO_ERR_INSECURE_BASE_URL);
        CHECK(strstr(carto_last_error(), "SEKRIT") == NULL);
        CHECK(c == (carto_credentials *)0x1);
    }
}

/* A stale string pointer freed again must never free the live string that took its memory
 * (ASan reports a use-after-free or double free if it does). */
static void stale_strings_never_free_live_ones(void) {
    for (int i = 0; i < 5000; i++) {
        char *old = NULL, *live = NULL;
        CHECK_OK(carto_config_dir(&old));
        carto_string_free(old);
        CHECK_OK(carto_config_dir(&live));
        CHECK(live != old);
        carto_string_free(old);
        carto_string_free(old);
        CHECK(strlen(live) > 0 && live[0] == '/');
        carto_string_free(live);
        carto_string_free(live);
    }
}

/* Small integers and the neighbours of a live handle are not handles. */
static void handles_cannot_be_guessed(void) {
    carto_credentials *c = NULL;
    const char *s = NULL;
    CHECK_OK(carto_credentials_new("johnsmith", KEY, NULL, false, &c));
    int reached = 0;
    for (uintptr_t i = 1; i <= 4096; i++) {
        if (carto_credentials_api_key((carto_credentials *)(i * 16), &s) != CARTO_ERR_INVALID_HANDLE)
            reached++;
        if (carto_credentials_api_key((carto_credentials *)((uintptr_t)c + i * 16), &s) !=
            CARTO_ERR_INVALID_HANDLE)
            reached++;
        if (carto_credentials_api_key((carto_credentials *)((uintptr_t)c - i * 16), &s) !=
            CARTO_ERR_INVALID_HANDLE)
            reached++;
    }
    CHECK(reached == 0);
    carto_credentials_free(c);
}

static void library_information(void) {
    CHECK_STR(carto_version(), CARTO_VERSION);
    CHECK(carto_abi_version() == CARTO_ABI_VERSION);
    CHECK(CARTO_VERSION_NUMBER ==
          CARTO_VERSION_MAJOR * 1000000 + CARTO_VERSION_MINOR * 1000 + CARTO_VERSION_PATCH);
    const int codes[] = {CARTO_OK, CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE,
                         CARTO_ERR_FILE_NOT_FOUND, CARTO_ERR_HTTP_UNAUTHORIZED,
                         CARTO_ERR_HTTP_RATE_LIMITED, CARTO_ERR_TIMEOUT, CARTO_ERR_PROTOCOL};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        CHECK(strlen(carto_status_str(codes[i])) > 0);
        CHECK(strcmp(carto_status_str(codes[i]), "unknown status code") != 0);
    }
    CHECK_STR(carto_status_str(12345), "unknown status code");
    CHECK_STR(carto_status_name(CARTO_ERR_FILE_NOT_FOUND), "CARTO_ERR_FILE_NOT_FOUND");
    CHECK_STR(carto_status_name(CARTO_OK), "CARTO_OK");
    CHECK_STR(carto_status_name(CARTO_ERR_HTTP_RATE_LIMITED), "CARTO_ERR_HTTP_RATE_LIMITED");
    CHECK_STR(carto_status_name(7), "CARTO_UNKNOWN_STATUS");
    CHECK_STR(carto_status_str(-1), "unknown status code");
}

int main(void) {
    size_t baseline = carto_handle_count();
    creation_rules();
    creation_errors();
    masking_and_equality();
    misuse_never_crashes();
    library_information();
    stale_strings_never_free_live_ones();
    passwords_in_base_urls_are_never_echoed();
    handles_cannot_be_guessed();
    CHECK(carto_handle_count() == baseline); /* every handle created here was freed */
    return finish("c-credentials");
}
