/*
 * batch: run queries as one CARTO Batch SQL job, wait for it, and report each query's status.
 *
 *     batch [--timeout SECONDS] [--onerror "<sql>"] "<query>" ["<query>" ...]
 *
 * The job runs on the server, so long UPDATEs and CREATE TABLE AS do not hit the SQL API's
 * request timeout. Queries run in order; the first failure stops the job (and runs --onerror).
 * Batch SQL needs the account's master key. Credentials are resolved in cartoauth's standard
 * order (see examples/sql.c), e.g.
 *
 *     CARTO_BASE_URL=https://johnsmith.carto.com CARTO_API_KEY=<master> \
 *         ./batch "create table t as select 1 as n" "update t set n = 2"
 *
 * Progress goes to stderr; the job's final state to stdout. Exit status: 0 when the job is
 * done, 1 when it failed, was cancelled, or the wait timed out (the job then goes on on the
 * server; its id is printed to check or cancel it later).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cartoauth.h"

static int fail(const char *what) {
    fprintf(stderr, "batch: %s: %s\n", what, carto_last_error());
    return 1;
}

/* Called after each poll: show the status as it changes; never stops the wait. */
static int show_progress(void *user_data, carto_job_status status, uint32_t polls) {
    carto_job_status *last = user_data;
    if (status != *last) {
        fprintf(stderr, "  poll %u: %s\n", polls, carto_job_status_str(status));
        *last = status;
    }
    return 0;
}

static void print_job(const carto_batch_job *job) {
    const char *id = NULL, *reason = NULL;
    carto_job_status status = CARTO_JOB_UNKNOWN;
    size_t count = 0;
    if (carto_batch_job_id(job, &id) != CARTO_OK ||
        carto_batch_job_status(job, &status) != CARTO_OK ||
        carto_batch_job_failed_reason(job, &reason) != CARTO_OK ||
        carto_batch_job_query_count(job, &count) != CARTO_OK) {
        fail("reading the job");
        return;
    }
    printf("job %s: %s\n", id, carto_job_status_str(status));
    if (reason != NULL) {
        printf("  reason: %s\n", reason);
    }
    for (size_t i = 0; i < count; i++) {
        const char *sql = NULL;
        carto_job_status query_status = CARTO_JOB_UNKNOWN;
        if (carto_batch_job_query(job, i, &sql, &query_status, NULL) == CARTO_OK) {
            printf("  [%zu] %-9s %s\n", i, carto_job_status_str(query_status), sql);
        }
    }
}

int main(int argc, char **argv) {
    unsigned long timeout_s = 3600;
    const char *onerror = NULL;
    int first = 1;
    while (first + 1 < argc && argv[first][0] == '-') {
        if (strcmp(argv[first], "--timeout") == 0) {
            timeout_s = strtoul(argv[first + 1], NULL, 10);
        } else if (strcmp(argv[first], "--onerror") == 0) {
            onerror = argv[first + 1];
        } else {
            break;
        }
        first += 2;
    }
    if (first >= argc || argv[first][0] == '-') {
        fprintf(stderr,
                "usage: %s [--timeout SECONDS] [--onerror \"<sql>\"] \"<query>\" [\"<query>\" ...]\n",
                argv[0]);
        return 2;
    }
    const char **queries = (const char **)&argv[first];
    size_t query_count = (size_t)(argc - first);

    carto_credentials *credentials = NULL;
    carto_client *client = NULL;
    if (carto_resolve(NULL, &credentials) != CARTO_OK) {
        return fail("no credentials");
    }
    carto_status status = carto_client_new(credentials, NULL, &client);
    carto_credentials_free(credentials);
    if (status != CARTO_OK) {
        return fail("creating the client");
    }

    carto_batch_job *job = NULL;
    if (carto_batch_create(client, queries, query_count, NULL, onerror, &job) != CARTO_OK) {
        int code = fail("creating the job");
        carto_client_free(client);
        return code;
    }
    const char *id = NULL;
    if (carto_batch_job_id(job, &id) != CARTO_OK) {
        int code = fail("reading the job id");
        carto_batch_job_free(job);
        carto_client_free(client);
        return code;
    }
    fprintf(stderr, "created job %s with %zu quer%s; waiting up to %lu s\n", id, query_count,
            query_count == 1 ? "y" : "ies", timeout_s);

    carto_job_status last = CARTO_JOB_UNKNOWN;
    carto_batch_job *finished = NULL;
    status = carto_batch_wait(client, id, (uint64_t)timeout_s * 1000, show_progress, &last,
                              &finished);
    int code = 0;
    if (status == CARTO_OK) {
        print_job(finished);
    } else {
        code = fail("the job did not finish well");
        if (status == CARTO_ERR_WAIT_TIMEOUT) {
            fprintf(stderr, "batch: job %s goes on on the server\n", id);
        }
        /* The per-query details of a failed or cancelled job. */
        if (carto_batch_status(client, id, &finished) == CARTO_OK) {
            print_job(finished);
        }
    }
    carto_batch_job_free(finished);
    carto_batch_job_free(job);
    carto_client_free(client);
    return code;
}
