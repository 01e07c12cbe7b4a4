/*
 * Request rate through libcurl: N sequential GETs with one reused easy handle (one kept-alive
 * connection), the same URL and Authorization header as cartoauth sends, each answer's status
 * checked and its JSON parsed.
 *
 *     sql_curl URL AUTHORIZATION_HEADER N
 *
 * Prints one JSON line: {"seconds": ..., "cpu_seconds": ..., "requests": N}. The time covers creating the handle
 * and the N requests.
 */
#include <curl/curl.h>

#include "bench.h"

struct buffer {
    char *data;
    size_t length;
    size_t capacity;
};

static size_t collect(char *data, size_t size, size_t count, void *user_data) {
    struct buffer *buffer = user_data;
    size_t n = size * count;
    if (buffer->length + n + 1 > buffer->capacity) {
        size_t capacity = buffer->capacity * 2;
        while (capacity < buffer->length + n + 1) {
            capacity *= 2;
        }
        char *grown = realloc(buffer->data, capacity);
        if (grown == NULL) {
            return 0;
        }
        buffer->data = grown;
        buffer->capacity = capacity;
    }
    memcpy(buffer->data + buffer->length, data, n);
    buffer->length += n;
    buffer->data[buffer->length] = '\0';
    return n;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        BENCH_DIE("usage: %s URL AUTHORIZATION_HEADER N", argv[0]);
    }
    long n = bench_parse_count(argv[3], "N");
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        BENCH_DIE("sql_curl: curl_global_init failed");
    }
    struct buffer buffer = {malloc(4096), 0, 4096};
    if (buffer.data == NULL) {
        BENCH_DIE("sql_curl: out of memory");
    }

    double start = bench_now();
    double cpu_start = bench_cpu_now();
    CURL *curl = curl_easy_init();
    struct curl_slist *headers = curl_slist_append(NULL, argv[2]);
    if (curl == NULL || headers == NULL) {
        BENCH_DIE("sql_curl: cannot create the handle");
    }
    curl_easy_setopt(curl, CURLOPT_URL, argv[1]);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &buffer);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    for (long i = 0; i < n; i++) {
        buffer.length = 0;
        CURLcode code = curl_easy_perform(curl);
        if (code != CURLE_OK) {
            BENCH_DIE("sql_curl: %s", curl_easy_strerror(code));
        }
        long status = 0;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        if (status != 200 || bench_sql_total_rows(buffer.data, buffer.length) != 1) {
            BENCH_DIE("sql_curl: unexpected answer %ld %.*s", status, (int)buffer.length,
                      buffer.data);
        }
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    double seconds = bench_now() - start;
    double cpu_seconds = bench_cpu_now() - cpu_start;

    free(buffer.data);
    curl_global_cleanup();
    printf("{\"seconds\": %.6f, \"cpu_seconds\": %.6f, \"requests\": %ld}\n", seconds, cpu_seconds, n);
    return 0;
}
