/* CARTO's platform APIs through the C ABI against carto-emulator: Batch SQL jobs (done,
 * failed, cancelled while running, waits that time out or are stopped), API keys (every page,
 * grants, tokens only from create/regenerate, a regular key's clear 403), DO credentials, and
 * misuse (NULLs, freed and wrong-type handles, invalid UTF-8, out-of-range indexes).
 *
 * The runner (tests/c_api.rs) starts the emulator and passes CARTO_TEST_BASE_URL,
 * CARTO_TEST_MASTER_KEY and CARTO_TEST_REGULAR_KEY. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "check.h"

static const char *base_url, *master_key, *regular_key;

static carto_client *make_client(const char *key) {
    carto_credentials *creds = NULL;
    carto_client *client = NULL;
    CHECK_OK(carto_credentials_new(NULL, key, base_url, true, &creds));
    CHECK_OK(carto_client_new(creds, NULL, &client));
    carto_credentials_free(creds);
    return client;
}

static void sleep_ms(long ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

static int count_polls(void *user_data, carto_job_status status, uint32_t polls) {
    (void)status;
    *(uint32_t *)user_data = polls;
    return 0;
}

static void job_runs_to_done(carto_client *master) {
    const char *queries[] = {"create table c_batch (n int)", "insert into c_batch values (1), (2)"};
    carto_batch_job *job = NULL, *done = NULL;
    const char *id = NULL, *sql = NULL, *reason = (const char *)1;
    const char *user = NULL, *created = NULL, *updated = NULL;
    carto_job_status status = CARTO_JOB_UNKNOWN;
    size_t count = 0;
    uint32_t polls = 0;

    CHECK_OK(carto_batch_create(master, queries, 2, NULL, NULL, &job));
    CHECK_OK(carto_batch_job_id(job, &id));
    CHECK(id != NULL && strlen(id) > 10);
    CHECK_OK(carto_batch_job_query_count(job, &count));
    CHECK(count == 2);
    CHECK_OK(carto_batch_wait(master, id, 30000, count_polls, &polls, &done));
    CHECK(polls >= 1);
    CHECK_OK(carto_batch_job_status(done, &status));
    CHECK(status == CARTO_JOB_DONE);
    CHECK_STR(carto_job_status_str(status), "done");
    CHECK_OK(carto_batch_job_failed_reason(done, &reason));
    CHECK(reason == NULL);
    /* Who owns it and when: the account, and ISO times that never run backwards. */
    CHECK_OK(carto_batch_job_describe(done, &user, &created, &updated));
    CHECK_STR(user, "demo");
    CHECK(created != NULL && updated != NULL && strlen(created) >= 20);
    CHECK(strncmp(created, "20", 2) == 0 && created[10] == 'T');
    CHECK(strcmp(updated, created) >= 0);
    CHECK_OK(carto_batch_job_describe(done, NULL, NULL, NULL));
    CHECK_OK(carto_batch_job_query(done, 1, &sql, &status, &reason));
    CHECK_STR(sql, "insert into c_batch values (1), (2)");
    CHECK(status == CARTO_JOB_DONE && reason == NULL);
    CHECK_STATUS(carto_batch_job_query(done, 2, &sql, NULL, NULL), CARTO_ERR_INVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("the job has 2 queries");
    carto_batch_job_free(done);

    /* Cancelling a finished job reports it as it is. */
    done = NULL;
    CHECK_OK(carto_batch_cancel(master, id, &done));
    CHECK_OK(carto_batch_job_status(done, &status));
    CHECK(status == CARTO_JOB_DONE);
    carto_batch_job_free(done);
    carto_batch_job_free(job);
}

static void failing_job(carto_client *master) {
    const char *queries[] = {"select 1", "select * from c_no_such_table", "select 2"};
    carto_batch_job *job = NULL, *after = (carto_batch_job *)NULL;
    const char *id = NULL, *reason = NULL;
    carto_job_status status = CARTO_JOB_UNKNOWN;

    CHECK_OK(carto_batch_create(master, queries, 3, NULL, NULL, &job));
    CHECK_OK(carto_batch_job_id(job, &id));
    CHECK_STATUS(carto_batch_wait(master, id, 30000, NULL, NULL, &after),
                 CARTO_ERR_BATCH_JOB_FAILED);
    CHECK_ERROR_MENTIONS("c_no_such_table");
    CHECK(after == NULL); /* not written on failure */
    CHECK_OK(carto_batch_status(master, id, &after));
    CHECK_OK(carto_batch_job_status(after, &status));
    CHECK(status == CARTO_JOB_FAILED);
    CHECK_OK(carto_batch_job_failed_reason(after, &reason));
    CHECK(reason != NULL && strstr(reason, "c_no_such_table") != NULL);
    CHECK_OK(carto_batch_job_query(after, 0, NULL, &status, NULL));
    CHECK(status == CARTO_JOB_DONE);
    CHECK_OK(carto_batch_job_query(after, 1, NULL, &status, &reason));
    CHECK(status == CARTO_JOB_FAILED && reason != NULL);
    CHECK_OK(carto_batch_job_query(after, 2, NULL, &status, NULL));
    CHECK(status == CARTO_JOB_SKIPPED);
    carto_batch_job_free(after);
    carto_batch_job_free(job);
}

static int stop_when_running(void *user_data, carto_job_status status, uint32_t polls) {
    (void)user_data;
    (void)polls;
    return status == CARTO_JOB_RUNNING;
}

struct cancel_args {
    carto_client *client;
    const char *id;
    carto_status status;
};

static void *cancel_later(void *p) {
    struct cancel_args *args = p;
    sleep_ms(300);
    args->status = carto_batch_cancel(args->client, args->id, NULL);
    return NULL;
}

static void job_cancelled_while_running(carto_client *master) {
    const char *queries[] = {"select pg_sleep(60)"};
    carto_batch_job *job = NULL, *out = NULL;
    const char *id = NULL;
    carto_job_status status = CARTO_JOB_UNKNOWN;
    pthread_t thread;
    struct cancel_args args;

    CHECK_OK(carto_batch_create(master, queries, 1, NULL, NULL, &job));
    CHECK_OK(carto_batch_job_id(job, &id));
    /* Stop waiting once it runs: the callback's answer, not the job's end. */
    CHECK_STATUS(carto_batch_wait(master, id, 30000, stop_when_running, NULL, &out),
                 CARTO_ERR_CANCELLED);
    CHECK_ERROR_MENTIONS("the job goes on");
    /* Another thread cancels it while this one waits. */
    args.client = master;
    args.id = id;
    args.status = CARTO_ERR_PANIC;
    CHECK(pthread_create(&thread, NULL, cancel_later, &args) == 0);
    CHECK_STATUS(carto_batch_wait(master, id, 30000, NULL, NULL, &out),
                 CARTO_ERR_BATCH_JOB_CANCELLED);
    pthread_join(thread, NULL);
    CHECK(args.status == CARTO_OK);
    CHECK_OK(carto_batch_status(master, id, &out));
    CHECK_OK(carto_batch_job_status(out, &status));
    CHECK(status == CARTO_JOB_CANCELLED);
    CHECK_STR(carto_job_status_str(status), "cancelled");
    carto_batch_job_free(out);
    carto_batch_job_free(job);
}

static void wait_times_out(carto_client *master) {
    const char *queries[] = {"select pg_sleep(60)"};
    carto_batch_job *job = NULL, *out = NULL;
    const char *id = NULL;

    CHECK_OK(carto_batch_create(master, queries, 1, NULL, NULL, &job));
    CHECK_OK(carto_batch_job_id(job, &id));
    CHECK_STATUS(carto_batch_wait(master, id, 300, NULL, NULL, &out), CARTO_ERR_WAIT_TIMEOUT);
    CHECK_ERROR_MENTIONS(id);
    CHECK(out == NULL);
    CHECK_STATUS(carto_batch_wait(master, id, 0, NULL, NULL, &out), CARTO_ERR_WAIT_TIMEOUT);
    CHECK_OK(carto_batch_cancel(master, id, NULL));
    carto_batch_job_free(job);
}

static void keys_over_several_pages(carto_client *master) {
    carto_api_key_list *list = NULL;
    carto_api_key *key = NULL;
    carto_grants *grants = NULL;
    size_t before = 0, after = 0, found = 0;
    const char *name = NULL, *type = NULL;
    char key_name[32];
    int i;

    CHECK_OK(carto_api_keys_list(master, &list));
    CHECK_OK(carto_api_key_list_count(list, &before));
    CHECK(before >= 3);
    CHECK_OK(carto_api_key_list_get(list, 0, &key));
    carto_api_key_list_free(list); /* the key outlives its list */
    CHECK_OK(carto_api_key_describe(key, &name, &type, NULL, NULL));
    CHECK_STR(type, "master");
    carto_api_key_free(key);

    CHECK_OK(carto_grants_new(&grants));
    CHECK_OK(carto_grants_add_api(grants, "sql"));
    for (i = 0; i < 21; i++) {
        char *token = NULL;
        snprintf(key_name, sizeof key_name, "c_page_%02d", i);
        CHECK_OK(carto_api_key_create(master, key_name, grants, NULL, &token));
        CHECK(token != NULL && strlen(token) > 8);
        carto_string_free(token);
    }
    carto_grants_free(grants);

    list = NULL;
    CHECK_OK(carto_api_keys_list(master, &list));
    CHECK_OK(carto_api_key_list_count(list, &after));
    CHECK(after == before + 21); /* the default page holds 20 */
    for (i = 0; i < (int)after; i++) {
        key = NULL;
        CHECK_OK(carto_api_key_list_get(list, (size_t)i, &key));
        CHECK_OK(carto_api_key_describe(key, &name, NULL, NULL, NULL));
        if (strncmp(name, "c_page_", 7) == 0) found++;
        carto_api_key_free(key);
    }
    CHECK(found == 21);
    key = NULL;
    CHECK_STATUS(carto_api_key_list_get(list, after, &key), CARTO_ERR_INVALID_ARGUMENT);
    CHECK(key == NULL);
    carto_api_key_list_free(list);
}

static void key_lifecycle(carto_client *master) {
    carto_grants *grants = NULL;
    carto_api_key *key = NULL, *read = NULL;
    char *token = NULL, *renewed = NULL;
    const char *apis = NULL, *services = NULL, *schema = NULL, *table = NULL, *perms = NULL;
    const char *type = NULL, *created = NULL;
    size_t tables = 0, schemas = 9, n = 0;
    const char *item = NULL;
    carto_client *with_token;
    carto_response *response = NULL;

    CHECK_OK(carto_grants_new(&grants));
    CHECK_OK(carto_grants_add_api(grants, "sql"));
    CHECK_OK(carto_grants_add_api(grants, "maps"));
    CHECK_OK(carto_grants_add_table(grants, NULL, "points_private", "select, insert"));
    CHECK_OK(carto_grants_add_service(grants, "geocoding"));
    CHECK_STATUS(carto_grants_add_table(grants, NULL, "t", " , "), CARTO_ERR_INVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("permissions");
    CHECK_STATUS(carto_grants_add_api(grants, "  "), CARTO_ERR_INVALID_ARGUMENT);
    CHECK_OK(carto_api_key_create(master, "c reader", grants, &key, &token));
    CHECK_OK(carto_api_key_describe(key, NULL, &type, &created, NULL));
    CHECK_STR(type, "regular");
    CHECK(created != NULL);
    CHECK_OK(carto_api_key_apis(key, &apis, &services));
    CHECK_STR(apis, "sql,maps");
    CHECK_STR(services, "geocoding");
    /* The same lists, one item at a time. */
    CHECK_OK(carto_api_key_api_count(key, &n));
    CHECK(n == 2);
    CHECK_OK(carto_api_key_api(key, 0, &item));
    CHECK_STR(item, "sql");
    CHECK_OK(carto_api_key_api(key, 1, &item));
    CHECK_STR(item, "maps");
    CHECK_STATUS(carto_api_key_api(key, 2, &item), CARTO_ERR_INVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("2 APIs granted");
    CHECK_OK(carto_api_key_service_count(key, &n));
    CHECK(n == 1);
    CHECK_OK(carto_api_key_service(key, 0, &item));
    CHECK_STR(item, "geocoding");
    CHECK_STATUS(carto_api_key_service(key, 1, &item), CARTO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(carto_api_key_api(key, 0, NULL), CARTO_ERR_NULL_ARGUMENT);
    CHECK_STATUS(carto_api_key_api_count(NULL, &n), CARTO_ERR_NULL_ARGUMENT);
    CHECK_OK(carto_api_key_grant_counts(key, &tables, &schemas));
    CHECK(tables == 1 && schemas == 0);
    CHECK_OK(carto_api_key_table(key, 0, &schema, &table, &perms));
    CHECK_STR(table, "points_private");
    CHECK(strstr(perms, "select") != NULL && strstr(perms, "insert") != NULL);
    CHECK(schema != NULL && schema[0] != '\0');
    CHECK_STATUS(carto_api_key_schema(key, 0, &schema, &perms), CARTO_ERR_INVALID_ARGUMENT);

    /* The token works; a second create with the same name is refused. */
    with_token = make_client(token);
    CHECK_OK(carto_client_sql(with_token, "select count(*) from points_private", NULL, &response));
    CHECK_OK(carto_response_check(response));
    carto_response_free(response);
    CHECK_STATUS(carto_api_key_create(master, "c reader", grants, NULL, &renewed),
                 CARTO_ERR_HTTP_CLIENT_ERROR);
    CHECK_ERROR_MENTIONS("Name has already been taken");
    CHECK(renewed == NULL);

    /* Read back by name: the same grants, and no token anywhere. */
    CHECK_OK(carto_api_key_get(master, "c reader", &read));
    CHECK_OK(carto_api_key_apis(read, &apis, NULL));
    CHECK_STR(apis, "sql,maps");

    CHECK_OK(carto_api_key_regenerate(master, "c reader", NULL, &renewed));
    CHECK(renewed != NULL && strcmp(renewed, token) != 0);
    response = NULL;
    CHECK_OK(carto_client_sql(with_token, "select 1", NULL, &response));
    CHECK_STATUS(carto_response_check(response), CARTO_ERR_HTTP_UNAUTHORIZED);
    carto_response_free(response);
    CHECK(strstr(carto_last_error(), token) == NULL);

    CHECK_OK(carto_api_key_delete(master, "c reader"));
    carto_api_key_free(read);
    read = NULL;
    CHECK_STATUS(carto_api_key_get(master, "c reader", &read), CARTO_ERR_HTTP_NOT_FOUND);
    CHECK_ERROR_MENTIONS("API key not found");
    CHECK_STATUS(carto_api_key_delete(master, "Master"), CARTO_ERR_HTTP_FORBIDDEN);

    carto_client_free(with_token);
    /* A token is wiped as it is freed: its address stays the library's and reads zeros, never
     * the token, nor another string (cartoauth's promise on Unix, see carto_string_free). */
    size_t token_length = strlen(token);
    CHECK(token_length > 0);
    carto_string_free(token);
    size_t left = 0;
    for (size_t i = 0; i < token_length; i++) left += token[i] != '\0';
    CHECK(left == 0);
    carto_string_free(token); /* freed twice: ignored */
    carto_string_free(renewed);
    carto_api_key_free(key);
    carto_grants_free(grants);
}

static void regular_key_is_refused_clearly(carto_client *regular) {
    carto_grants *grants = NULL;
    char *token = NULL;
    const char *queries[] = {"select 1"};
    carto_batch_job *job = NULL;
    carto_api_key_list *list = NULL;
    size_t count = 0;
    carto_do_credentials *do_creds = NULL;

    CHECK_OK(carto_grants_new(&grants));
    CHECK_OK(carto_grants_add_api(grants, "sql"));
    CHECK_STATUS(carto_api_key_create(regular, "mine", grants, NULL, &token),
                 CARTO_ERR_HTTP_FORBIDDEN);
    CHECK_ERROR_MENTIONS("only the account's master key may create an API key");
    CHECK(strstr(carto_last_error(), regular_key) == NULL);
    CHECK(token == NULL);
    CHECK_STATUS(carto_api_key_regenerate(regular, "demo_regular", NULL, &token),
                 CARTO_ERR_HTTP_FORBIDDEN);
    CHECK_STATUS(carto_api_key_delete(regular, "demo_regular"), CARTO_ERR_HTTP_FORBIDDEN);
    CHECK_STATUS(carto_batch_create(regular, queries, 1, NULL, NULL, &job),
                 CARTO_ERR_HTTP_FORBIDDEN);
    CHECK_STATUS(carto_do_credentials_get(regular, &do_creds), CARTO_ERR_HTTP_FORBIDDEN);
    /* It may list itself, and only itself. */
    CHECK_OK(carto_api_keys_list(regular, &list));
    CHECK_OK(carto_api_key_list_count(list, &count));
    CHECK(count == 1);
    carto_api_key_list_free(list);
    carto_grants_free(grants);
}

static void do_credentials(carto_client *master) {
    carto_do_credentials *creds = NULL;
    const char *token = NULL, *public_project = NULL, *exec_project = NULL, *project = NULL,
               *dataset = NULL, *bucket = NULL;
    bool instant = true;

    CHECK_OK(carto_do_credentials_get(master, &creds));
    CHECK_OK(carto_do_credentials_access_token(creds, &token));
    CHECK(token != NULL && token[0] != '\0');
    CHECK_OK(carto_do_credentials_places(creds, &public_project, &exec_project, &project,
                                         &dataset, &bucket));
    CHECK(public_project && exec_project && project && dataset && bucket);
    CHECK_OK(carto_do_credentials_places(creds, NULL, NULL, NULL, NULL, NULL));
    CHECK_OK(carto_do_credentials_instant_licensing(creds, &instant));
    CHECK(instant == false);
    carto_do_credentials_free(creds);
    CHECK_STATUS(carto_do_credentials_instant_licensing(creds, &instant),
                 CARTO_ERR_INVALID_HANDLE);
    carto_do_credentials_free(creds); /* a second free is harmless */
}

static void misuse(carto_client *master) {
    const char *queries[] = {"select 1", NULL};
    const char bad_utf8[] = {'a', (char)0xff, 0};
    const char *ids[] = {bad_utf8};
    carto_batch_job *job = NULL;
    carto_api_key *key = NULL;
    carto_grants *grants = NULL;
    char *token = NULL;
    const char *text = NULL;
    size_t n = 0;

    CHECK_STATUS(carto_batch_create(NULL, queries, 1, NULL, NULL, &job), CARTO_ERR_NULL_ARGUMENT);
    CHECK_STATUS(carto_batch_create(master, NULL, 1, NULL, NULL, &job), CARTO_ERR_NULL_ARGUMENT);
    CHECK_STATUS(carto_batch_create(master, queries, 0, NULL, NULL, &job),
                 CARTO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(carto_batch_create(master, queries, (size_t)1 << 40, NULL, NULL, &job),
                 CARTO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(carto_batch_create(master, queries, 2, NULL, NULL, &job),
                 CARTO_ERR_NULL_ARGUMENT);
    CHECK_ERROR_MENTIONS("queries[1]");
    CHECK_STATUS(carto_batch_create(master, ids, 1, NULL, NULL, &job), CARTO_ERR_INVALID_UTF8);
    CHECK_STATUS(carto_batch_create(master, queries, 1, bad_utf8, NULL, &job),
                 CARTO_ERR_INVALID_UTF8);
    CHECK_STATUS(carto_batch_create(master, queries, 1, NULL, NULL, NULL),
                 CARTO_ERR_NULL_ARGUMENT);
    CHECK_STATUS(carto_batch_status(master, "../../api/v3/api_keys", &job),
                 CARTO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(carto_batch_status(master, "00000000-0000-0000-0000-000000000000", &job),
                 CARTO_ERR_HTTP_CLIENT_ERROR);
    CHECK_ERROR_MENTIONS("not found");
    CHECK_STATUS(carto_batch_wait(master, NULL, 10, NULL, NULL, &job), CARTO_ERR_NULL_ARGUMENT);
    CHECK(job == NULL);
    CHECK_STATUS(carto_batch_job_status(NULL, NULL), CARTO_ERR_NULL_ARGUMENT);
    CHECK_STATUS(carto_batch_job_describe(NULL, &text, NULL, NULL), CARTO_ERR_NULL_ARGUMENT);
    CHECK_STR(carto_job_status_str(12345), "unknown");
    CHECK_STR(carto_job_status_str(-1), "unknown");
    CHECK_STR(carto_status_str(CARTO_ERR_WAIT_TIMEOUT), "timed out waiting for the batch SQL job");

    /* A handle of another type, and a freed one. */
    CHECK_OK(carto_grants_new(&grants));
    CHECK_STATUS(carto_batch_job_id((const carto_batch_job *)(void *)grants, &text),
                 CARTO_ERR_INVALID_HANDLE);
    CHECK_STATUS(carto_batch_job_describe((const carto_batch_job *)(void *)grants, &text, NULL,
                                          NULL),
                 CARTO_ERR_INVALID_HANDLE);
    CHECK_STATUS(carto_api_key_grant_counts((const carto_api_key *)(void *)grants, &n, &n),
                 CARTO_ERR_INVALID_HANDLE);
    carto_api_key_free((carto_api_key *)(void *)grants); /* ignored: not a key */
    CHECK_STATUS(carto_api_key_create(master, "no apis", grants, NULL, &token),
                 CARTO_ERR_INVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("grants.apis is empty");
    CHECK_STATUS(carto_api_key_create(master, "x", grants, NULL, NULL), CARTO_ERR_NULL_ARGUMENT);
    carto_grants_free(grants);
    CHECK_STATUS(carto_grants_add_api(grants, "sql"), CARTO_ERR_INVALID_HANDLE);
    CHECK_STATUS(carto_api_key_create(master, "x", grants, NULL, &token),
                 CARTO_ERR_INVALID_HANDLE);
    CHECK_STATUS(carto_api_key_get(master, bad_utf8, &key), CARTO_ERR_INVALID_UTF8);
    CHECK_STATUS(carto_api_key_get(master, "  ", &key), CARTO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(carto_api_key_get(master, "..", &key), CARTO_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(carto_api_key_delete(master, NULL), CARTO_ERR_NULL_ARGUMENT);
    CHECK_STATUS(carto_api_keys_list(master, NULL), CARTO_ERR_NULL_ARGUMENT);
    CHECK_STATUS(carto_do_credentials_get(master, NULL), CARTO_ERR_NULL_ARGUMENT);
    CHECK(key == NULL && token == NULL);
    carto_batch_job_free(NULL);
    carto_api_key_list_free(NULL);
    carto_do_credentials_free(NULL);
}

int main(void) {
    carto_client *master, *regular;
    base_url = getenv("CARTO_TEST_BASE_URL");
    master_key = getenv("CARTO_TEST_MASTER_KEY");
    regular_key = getenv("CARTO_TEST_REGULAR_KEY");
    if (!base_url || !master_key || !regular_key) {
        fprintf(stderr, "CARTO_TEST_BASE_URL, _MASTER_KEY and _REGULAR_KEY must be set\n");
        return 2;
    }
    master = make_client(master_key);
    regular = make_client(regular_key);

    job_runs_to_done(master);
    failing_job(master);
    job_cancelled_while_running(master);
    wait_times_out(master);
    keys_over_several_pages(master);
    key_lifecycle(master);
    regular_key_is_refused_clearly(regular);
    do_credentials(master);
    misuse(master);

    carto_client_free(regular);
    carto_client_free(master);
    return finish("c_platform");
}
