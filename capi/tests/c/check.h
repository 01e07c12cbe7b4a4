/* A tiny assertion kit for the C tests: counts checks, reports failures with the library's
 * last error, and prints the summary line CI reads ("name: N passed, N failed"). */
#ifndef CARTOAUTH_TEST_CHECK_H
#define CARTOAUTH_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cartoauth.h"

static int checks_passed = 0;
static int checks_failed = 0;

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (cond) {                                                                   \
            checks_passed++;                                                          \
        } else {                                                                      \
            checks_failed++;                                                          \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);  \
        }                                                                             \
    } while (0)

/* With CARTOAUTH_TEST_ECHO_ERRORS set, every failing call's message is printed, so that
 * tests/c_api.rs can check that no message holds a test key or password. */
static inline void echo_last_error(carto_status status) {
    if (status != CARTO_OK && getenv("CARTOAUTH_TEST_ECHO_ERRORS") != NULL)
        printf("last error %d: %s\n", (int)status, carto_last_error());
}

#define CHECK_STATUS(call, expected)                                                  \
    do {                                                                              \
        carto_status got_ = (call);                                                   \
        echo_last_error(got_);                                                        \
        if (got_ == (expected)) {                                                     \
            checks_passed++;                                                          \
        } else {                                                                      \
            checks_failed++;                                                          \
            fprintf(stderr, "%s:%d: %s returned %d (%s), expected %d; last error: %s\n", \
                    __FILE__, __LINE__, #call, (int)got_, carto_status_str(got_),     \
                    (int)(expected), carto_last_error());                             \
        }                                                                             \
    } while (0)

#define CHECK_OK(call) CHECK_STATUS(call, CARTO_OK)

#define CHECK_STR(actual, expected)                                                   \
    do {                                                                              \
        const char *a_ = (actual), *e_ = (expected);                                  \
        if (a_ != NULL && e_ != NULL && strcmp(a_, e_) == 0) {                        \
            checks_passed++;                                                          \
        } else {                                                                      \
            checks_failed++;                                                          \
            fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__,       \
                    __LINE__, #actual, a_ ? a_ : "(null)", e_ ? e_ : "(null)");       \
        }                                                                             \
    } while (0)

/* The last error message contains `needle`. */
#define CHECK_ERROR_MENTIONS(needle) CHECK(strstr(carto_last_error(), (needle)) != NULL)

static int finish(const char *suite) {
    printf("%s: %d passed, %d failed\n", suite, checks_passed, checks_failed);
    return checks_failed == 0 ? 0 : 1;
}

#endif
