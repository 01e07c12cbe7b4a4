/*
 * The floor under a request loop on this machine: one byte there and back on a loopback TCP
 * connection, with no HTTP and no parsing.
 *
 *   roundtrip SERVER_CPU CLIENT_CPU [N]
 *
 * Forks an echo process pinned to SERVER_CPU; the calling process, pinned to CLIENT_CPU,
 * sends one byte and waits for it to come back, N times (default 20000, after 1000 not
 * counted). Both on one CPU, a round trip is two context switches; on two CPUs, each message
 * wakes the other CPU from idle, which on a VM goes through the hypervisor, and costs what
 * the host makes it cost. Prints one JSON line: {"round_trip_us": wall time per round trip,
 * "client_cpu_us": the client's CPU time per round trip}.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

static long parse_cpu(const char *text) {
    char *end;
    errno = 0;
    long cpu = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || cpu < 0 || cpu >= CPU_SETSIZE) {
        BENCH_DIE("roundtrip: not a CPU number: %s", text);
    }
    return cpu;
}

static void pin(long cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET((int)cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) {
        BENCH_DIE("roundtrip: cannot pin to CPU %ld: %s", cpu, strerror(errno));
    }
}

static void exchange(int sock, long times) {
    char byte = 'x';
    for (long i = 0; i < times; i++) {
        if (send(sock, &byte, 1, 0) != 1 || recv(sock, &byte, 1, MSG_WAITALL) != 1) {
            BENCH_DIE("roundtrip: client: %s", strerror(errno));
        }
    }
}

int main(int argc, char **argv) {
    if (argc < 3 || argc > 4) {
        BENCH_DIE("usage: %s SERVER_CPU CLIENT_CPU [N]", argv[0]);
    }
    long server_cpu = parse_cpu(argv[1]), client_cpu = parse_cpu(argv[2]);
    long n = argc == 4 ? bench_parse_count(argv[3], "N") : 20000;

    int listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {0};
    socklen_t length = sizeof addr;
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (listener < 0 || bind(listener, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(listener, 1) != 0 || getsockname(listener, (struct sockaddr *)&addr, &length) != 0) {
        BENCH_DIE("roundtrip: listen on 127.0.0.1: %s", strerror(errno));
    }
    int one = 1;
    pid_t echo = fork();
    if (echo < 0) {
        BENCH_DIE("roundtrip: fork: %s", strerror(errno));
    }
    if (echo == 0) {
        pin(server_cpu);
        int sock = accept(listener, NULL, NULL);
        char byte;
        setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        while (recv(sock, &byte, 1, 0) == 1 && send(sock, &byte, 1, 0) == 1) {
        }
        _exit(0);
    }
    pin(client_cpu);
    int sock = socket(AF_INET, SOCK_STREAM, 0);
    if (sock < 0 || connect(sock, (struct sockaddr *)&addr, sizeof addr) != 0) {
        kill(echo, SIGKILL);
        BENCH_DIE("roundtrip: connect: %s", strerror(errno));
    }
    setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    exchange(sock, 1000);
    double start = bench_now(), cpu_start = bench_cpu_now();
    exchange(sock, n);
    double seconds = bench_now() - start, cpu = bench_cpu_now() - cpu_start;
    close(sock);
    waitpid(echo, NULL, 0);
    printf("{\"round_trip_us\": %.2f, \"client_cpu_us\": %.2f}\n", seconds / (double)n * 1e6,
           cpu / (double)n * 1e6);
    return 0;
}
