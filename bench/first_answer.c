/*
 * first_answer.c - start `cbkit mock --port 0` and measure the time from the start of the
 * process to the first complete answer to a RetryBuild request. Prints one line per run and
 * the median, in milliseconds. Usage: first_answer CBKIT [RUNS]
 */
#include "core/setup.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>

extern char **environ;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One run: returns milliseconds, or -1. */
static double run(const char *cbkit)
{
    int out[2];
    if (pipe(out) != 0)
        return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    char *argv[] = {(char *)cbkit, "mock", "--port", "0", NULL};
    pid_t pid;
    double t0 = now_ms();
    if (posix_spawn(&pid, cbkit, &fa, NULL, argv, environ) != 0)
        return -1;
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    char line[256];
    size_t n = 0;
    while (n < sizeof line - 1) {
        ssize_t r = read(out[0], line + n, 1);
        if (r <= 0)
            break;
        if (line[n] == '\n')
            break;
        n++;
    }
    line[n] = '\0';
    const char *colon = strrchr(line, ':');
    int port = colon ? (int)strtol(colon + 1, NULL, 10) : 0;
    double ms = -1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    static const char body[] = "{\"id\":\"proj:0e2f7a52-3b6c-4f1e-9d7a-1c2b3d4e5f60\"}";
    char req[512];
    int rl = snprintf(req, sizeof req,
                      "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: "
                      "CodeBuild_20161006.RetryBuild\r\nContent-Type: "
                      "application/x-amz-json-1.1\r\nContent-Length: %zu\r\nConnection: "
                      "close\r\n\r\n%s",
                      sizeof body - 1, body);
    if (port > 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        write(fd, req, (size_t)rl) == rl) {
        char buf[8192];
        size_t got = 0;
        ssize_t r;
        while ((r = read(fd, buf + got, sizeof buf - 1 - got)) > 0)
            got += (size_t)r;
        buf[got] = '\0';
        if (strncmp(buf, "HTTP/1.1 200", 12) == 0)
            ms = now_ms() - t0;
    }
    close(fd);
    close(out[0]);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    return ms;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: first_answer CBKIT [RUNS]\n");
        return 2;
    }
    int runs = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 11;
    if (runs < 1 || runs > 1000)
        runs = 11;
    double *v = calloc((size_t)runs, sizeof(double));
    for (int i = 0; i < runs; i++) {
        v[i] = run(argv[1]);
        if (v[i] < 0) {
            fprintf(stderr, "first_answer: run %d failed\n", i + 1);
            free(v);
            return 1;
        }
    }
    qsort(v, (size_t)runs, sizeof(double), cmp);
    printf("start to first answer: median %.2f ms (min %.2f, max %.2f, %d runs)\n", v[runs / 2],
           v[0], v[runs - 1], runs);
    free(v);
    return 0;
}
