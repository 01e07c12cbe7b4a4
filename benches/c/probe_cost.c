/*
 * What ureq's check of a pooled connection costs, against a single peek.
 *
 *   probe_cost PORT [N]
 *
 * Connects to 127.0.0.1:PORT (a server that sends nothing unasked, such as the suite's nginx)
 * and times, in CPU time, N (default 200000) probes of each kind on the idle connection:
 * ureq 3.5's probe (ioctl FIONBIO on, a one-byte read that fails with EAGAIN, FIONBIO off; it
 * runs twice per request, when the connection goes back to the pool and when it is taken
 * again), and one recv(MSG_PEEK | MSG_DONTWAIT), which answers the same question.
 * Prints one JSON line: {"ureq_probe_us": ..., "peek_us": ...}.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3) {
        BENCH_DIE("usage: %s PORT [N]", argv[0]);
    }
    long port = bench_parse_count(argv[1], "PORT");
    long n = argc == 3 ? bench_parse_count(argv[2], "N") : 200000;
    int sock = socket(AF_INET, SOCK_STREAM, 0);
    if (sock < 0) {
        BENCH_DIE("probe_cost: socket: %s", strerror(errno));
    }
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(sock, (struct sockaddr *)&addr, sizeof addr) != 0) {
        BENCH_DIE("probe_cost: connect to port %ld: %s", port, strerror(errno));
    }
    char byte;
    double start = bench_cpu_now();
    for (long i = 0; i < n; i++) {
        int on = 1, off = 0;
        if (ioctl(sock, FIONBIO, &on) != 0 || recv(sock, &byte, 1, 0) != -1 || errno != EAGAIN ||
            ioctl(sock, FIONBIO, &off) != 0) {
            BENCH_DIE("probe_cost: ureq-style probe: %s", strerror(errno));
        }
    }
    double middle = bench_cpu_now();
    for (long i = 0; i < n; i++) {
        if (recv(sock, &byte, 1, MSG_PEEK | MSG_DONTWAIT) != -1 || errno != EAGAIN) {
            BENCH_DIE("probe_cost: peek: %s", strerror(errno));
        }
    }
    double end = bench_cpu_now();
    close(sock);
    printf("{\"ureq_probe_us\": %.3f, \"peek_us\": %.3f}\n", (middle - start) / (double)n * 1e6,
           (end - middle) / (double)n * 1e6);
    return 0;
}
