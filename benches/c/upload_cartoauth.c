/*
 * Streaming upload through the cartoauth C ABI: one COPY FROM request whose body comes from a
 * read callback (carto_request_set_body_reader) reading FILE with read(2), so the body is never
 * held in memory; with gzip on, the library compresses it (Content-Encoding: gzip, chunked).
 *
 *     upload_cartoauth BASE_URL API_KEY FILE plain|gzip
 *
 * Prints one JSON line: {"seconds": ..., "bytes": ...} (bytes read from FILE). The time covers
 * creating the client and the transfer, up to the server's answer.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"
#include "cartoauth.h"

struct source {
    int fd;
    unsigned long long read;
};

static void check_ok(carto_status status, const char *what) {
    if (status != CARTO_OK) {
        BENCH_DIE("upload_cartoauth: %s: %s", what, carto_last_error());
    }
}

static int64_t read_file(void *user_data, uint8_t *buffer, size_t capacity) {
    struct source *source = user_data;
    ssize_t n = read(source->fd, buffer, capacity);
    if (n > 0) {
        source->read += (unsigned long long)n;
    }
    return n;
}

int main(int argc, char **argv) {
    if (argc != 5 || (strcmp(argv[4], "plain") != 0 && strcmp(argv[4], "gzip") != 0)) {
        BENCH_DIE("usage: %s BASE_URL API_KEY FILE plain|gzip", argv[0]);
    }
    bool gzip = strcmp(argv[4], "gzip") == 0;
    struct source source = {open(argv[3], O_RDONLY), 0};
    struct stat info;
    if (source.fd < 0 || fstat(source.fd, &info) != 0) {
        BENCH_DIE("upload_cartoauth: cannot open %s", argv[3]);
    }
    carto_credentials *credentials = NULL;
    check_ok(carto_credentials_new(NULL, argv[2], argv[1], true, &credentials), "credentials");

    double start = bench_now();
    carto_client_options *options = NULL;
    check_ok(carto_client_options_new(&options), "options");
    check_ok(carto_client_options_set_timeout(options, 0), "timeout"); /* a long stream */
    carto_client *client = NULL;
    check_ok(carto_client_new(credentials, options, &client), "client");
    carto_request *request = NULL;
    check_ok(carto_request_new_copy_from("COPY bench_points FROM STDIN WITH (FORMAT csv)", &request),
             "request");
    check_ok(carto_request_set_body_reader(request, read_file, &source, (int64_t)info.st_size,
                                           "application/octet-stream"),
             "body reader");
    check_ok(carto_request_set_gzip(request, gzip), "gzip");
    carto_response *response = NULL;
    check_ok(carto_client_send(client, request, &response), "send");
    check_ok(carto_response_check(response), "answer");
    const uint8_t *body = NULL;
    size_t length = 0;
    check_ok(carto_response_body(response, &body, &length), "body");
    if (strstr((const char *)body, "total_rows") == NULL) {
        BENCH_DIE("upload_cartoauth: unexpected answer %s", (const char *)body);
    }
    carto_response_free(response);
    carto_request_free(request);
    carto_client_free(client);
    carto_client_options_free(options);
    double seconds = bench_now() - start;

    carto_credentials_free(credentials);
    close(source.fd);
    if (source.read != (unsigned long long)info.st_size) {
        BENCH_DIE("upload_cartoauth: read %llu of %lld bytes", source.read,
                  (long long)info.st_size);
    }
    printf("{\"seconds\": %.6f, \"bytes\": %llu}\n", seconds, source.read);
    return 0;
}
