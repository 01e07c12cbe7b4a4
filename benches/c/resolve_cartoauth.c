/*
 * Credential resolution from a config file: N calls of carto_resolve(NULL, ...) with
 * CARTO_CONFIG_DIR pointing at a directory holding cartocreds.json (and no CARTO_* credentials
 * in the environment), or, for comparison, N direct carto_credentials_load(PATH, NULL, ...).
 *
 *     resolve_cartoauth resolve|load N [PATH]
 *
 * Prints one JSON line: {"seconds": ..., "cpu_seconds": ..., "calls": N}.
 */
#include <stdbool.h>

#include "bench.h"
#include "cartoauth.h"

int main(int argc, char **argv) {
    bool resolve = argc == 3 && strcmp(argv[1], "resolve") == 0;
    bool load = argc == 4 && strcmp(argv[1], "load") == 0;
    if (!resolve && !load) {
        BENCH_DIE("usage: %s resolve N | load N PATH", argv[0]);
    }
    long n = bench_parse_count(argv[2], "N");
    double start = bench_now();
    double cpu_start = bench_cpu_now();
    for (long i = 0; i < n; i++) {
        carto_credentials *credentials = NULL;
        carto_status status = resolve ? carto_resolve(NULL, &credentials)
                                      : carto_credentials_load(argv[3], NULL, &credentials);
        if (status != CARTO_OK) {
            BENCH_DIE("resolve_cartoauth: %s", carto_last_error());
        }
        carto_source source;
        if (carto_credentials_source(credentials, &source) != CARTO_OK ||
            source != CARTO_SOURCE_FILE) {
            BENCH_DIE("resolve_cartoauth: the credentials did not come from the file");
        }
        carto_credentials_free(credentials);
    }
    double seconds = bench_now() - start;
    double cpu_seconds = bench_cpu_now() - cpu_start;
    printf("{\"seconds\": %.6f, \"cpu_seconds\": %.6f, \"calls\": %ld}\n", seconds, cpu_seconds, n);
    return 0;
}
