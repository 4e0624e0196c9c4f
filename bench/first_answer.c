/*
 * first_answer.c - start-up figures, each against a baseline measured in the same run with the
 * runs interleaved (a, b, b, a, a, b, ...), so that a busy machine slows both alike.
 *
 *   first_answer [-n RUNS] [--nginx NGINX CONF PORT] CBKIT [MOCK_ARG...]
 *       Time from posix_spawn() of `CBKIT mock --port 0 MOCK_ARG...` to the first complete
 *       answer to a RetryBuild request (the port is read from the mock's first stdout line).
 *       With --nginx, also the time from posix_spawn() of `NGINX -c CONF` to its first complete
 *       answer on 127.0.0.1:PORT (connect is retried every 100 us until nginx listens), and the
 *       median of the per-pair ratios mock / nginx.
 *   first_answer [-n RUNS] --exit FILE CMD_A [ARG...] -- CMD_B [ARG...]
 *       Time from posix_spawn() to exit of CMD_A and CMD_B (stdout and stderr to /dev/null),
 *       with FILE appended to both argument lists, and the median of the per-pair ratios A / B.
 *       Exit statuses must be 0 or 1.
 *
 * Prints one line per measured thing: median, min, max, runs; then the ratio line. Exit status
 * 1 when a run fails (no answer, no 200, a command crashed), 2 on usage errors.
 */
#include "core/setup.h"

#include <arpa/inet.h>
#include <errno.h>
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

/* Sort v[0..n) in place and return its median. */
static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(double), cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void print_line(const char *what, double *v, int n)
{
    double m = median(v, n);
    printf("%s: median %.2f ms (min %.2f, max %.2f, %d runs)\n", what, m, v[0], v[n - 1], n);
}

static const char body[] = "{\"id\":\"proj:0e2f7a52-3b6c-4f1e-9d7a-1c2b3d4e5f60\"}";

/*
 * Send one RetryBuild request over a connected socket 'fd' and read the whole answer (the
 * request says Connection: close). Returns true when the answer is an HTTP 200.
 */
static bool ask(int fd)
{
    char req[512];
    int rl = snprintf(req, sizeof req,
                      "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: "
                      "CodeBuild_20161006.RetryBuild\r\nContent-Type: "
                      "application/x-amz-json-1.1\r\nContent-Length: %zu\r\nConnection: "
                      "close\r\n\r\n%s",
                      sizeof body - 1, body);
    if (write(fd, req, (size_t)rl) != rl)
        return false;
    char buf[16384];
    size_t got = 0;
    ssize_t r;
    while (got < sizeof buf - 1 && (r = read(fd, buf + got, sizeof buf - 1 - got)) > 0)
        got += (size_t)r;
    buf[got] = '\0';
    return strncmp(buf, "HTTP/1.1 200", 12) == 0;
}

/* A TCP socket connected to 127.0.0.1:port, or -1. */
static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Stop a child we started and reap it. */
static void stop(pid_t pid)
{
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
}

/* One start of the mock: milliseconds from spawn to the first 200, or -1. */
static double run_mock(char **argv)
{
    int out[2];
    if (pipe(out) != 0)
        return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    double t0 = now_ms();
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    if (rc != 0) {
        close(out[0]);
        return -1;
    }
    char line[256];
    size_t n = 0;
    while (n < sizeof line - 1) {
        ssize_t r = read(out[0], line + n, 1);
        if (r <= 0 || line[n] == '\n')
            break;
        n++;
    }
    line[n] = '\0';
    const char *colon = strrchr(line, ':');
    int port = colon ? (int)strtol(colon + 1, NULL, 10) : 0;
    double ms = -1;
    int fd = port > 0 ? connect_to(port) : -1;
    if (fd >= 0 && ask(fd))
        ms = now_ms() - t0;
    if (fd >= 0)
        close(fd);
    close(out[0]);
    stop(pid);
    return ms;
}

/* One start of nginx: milliseconds from spawn to the first 200 on 'port', or -1. */
static double run_nginx(const char *nginx, const char *conf, int port)
{
    char *argv[] = {(char *)nginx, "-c", (char *)conf, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    double t0 = now_ms();
    int rc = posix_spawn(&pid, nginx, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return -1;
    double ms = -1;
    int fd = -1;
    /* until it listens (at most 5 s): a refused connect is retried after 100 us */
    while (now_ms() - t0 < 5000) {
        fd = connect_to(port);
        if (fd >= 0 || waitpid(pid, NULL, WNOHANG) == pid)
            break;
        struct timespec ts = {0, 100 * 1000};
        nanosleep(&ts, NULL);
    }
    if (fd >= 0 && ask(fd))
        ms = now_ms() - t0;
    if (fd >= 0)
        close(fd);
    stop(pid);
    return ms;
}

/* One run of a command to its exit: milliseconds, or -1 if it did not exit with 0 or 1. */
static double run_exit(char **argv)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int st = 0;
    double t0 = now_ms();
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0 || waitpid(pid, &st, 0) != pid)
        return -1;
    double ms = now_ms() - t0;
    if (!WIFEXITED(st) || WEXITSTATUS(st) > 1)
        return -1;
    return ms;
}

static int usage(void)
{
    fprintf(stderr, "usage: first_answer [-n RUNS] [--nginx NGINX CONF PORT] CBKIT [MOCK_ARG...]\n"
                    "       first_answer [-n RUNS] --exit FILE CMD_A [ARG...] -- CMD_B [ARG...]\n");
    return 2;
}

int main(int argc, char **argv)
{
    int runs = 11, i = 1;
    const char *nginx = NULL, *conf = NULL, *exit_file = NULL;
    int nport = 0;
    while (i < argc && argv[i][0] == '-') {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
            runs = (int)strtol(argv[i + 1], NULL, 10);
            i += 2;
        } else if (strcmp(argv[i], "--nginx") == 0 && i + 3 < argc) {
            nginx = argv[i + 1];
            conf = argv[i + 2];
            nport = (int)strtol(argv[i + 3], NULL, 10);
            i += 4;
        } else if (strcmp(argv[i], "--exit") == 0 && i + 1 < argc) {
            exit_file = argv[i + 1];
            i += 2;
        } else {
            return usage();
        }
    }
    if (i >= argc || runs < 1 || runs > 1000 || (nginx && (nport <= 0 || nport > 65535)))
        return usage();
    /* old form: first_answer CBKIT RUNS */
    if (!nginx && !exit_file && argc == 3 && strtol(argv[2], NULL, 10) > 0) {
        runs = (int)strtol(argv[2], NULL, 10);
        argc = 2;
    }

    /* argument vectors: a and b, each NULL-terminated */
    char **a = calloc((size_t)argc + 8, sizeof(char *)),
         **b = calloc((size_t)argc + 8, sizeof(char *));
    double *va = calloc((size_t)runs, sizeof(double)), *vb = calloc((size_t)runs, sizeof(double));
    double *vr = calloc((size_t)runs, sizeof(double));
    if (!a || !b || !va || !vb || !vr)
        return 1;
    int na = 0, nb = 0;
    if (exit_file) {
        for (; i < argc && strcmp(argv[i], "--") != 0; i++)
            a[na++] = argv[i];
        a[na++] = (char *)exit_file;
        for (i++; i < argc; i++)
            b[nb++] = argv[i];
        if (na < 2 || nb < 1)
            return usage();
        b[nb++] = (char *)exit_file;
    } else {
        a[na++] = argv[i++];
        a[na++] = "mock";
        a[na++] = "--port";
        a[na++] = "0";
        for (; i < argc; i++)
            a[na++] = argv[i];
    }
    bool with_b = exit_file || nginx;
    int status = 0;
    for (int r = 0; r < runs && status == 0; r++) {
        /* a b, b a, a b, ...: neither goes first every time */
        for (int k = 0; k < 2; k++) {
            bool do_a = (k == 0) == (r % 2 == 0);
            double ms;
            if (do_a)
                ms = va[r] = exit_file ? run_exit(a) : run_mock(a);
            else if (with_b)
                ms = vb[r] = exit_file ? run_exit(b) : run_nginx(nginx, conf, nport);
            else
                continue;
            if (ms < 0) {
                fprintf(stderr, "first_answer: run %d of %s failed\n", r + 1,
                        do_a        ? a[0]
                        : exit_file ? b[0]
                                    : nginx);
                status = 1;
                break;
            }
        }
        if (status == 0 && with_b)
            vr[r] = va[r] / vb[r];
    }
    if (status == 0) {
        if (exit_file) {
            char what[512];
            snprintf(what, sizeof what, "exec to exit, %s", a[0]);
            print_line(what, va, runs);
            snprintf(what, sizeof what, "exec to exit, %s", b[0]);
            print_line(what, vb, runs);
        } else {
            print_line("start to first answer, cbkit mock", va, runs);
            if (nginx)
                print_line("start to first answer, nginx", vb, runs);
        }
        if (with_b) {
            double m = median(vr, runs);
            printf("ratio (median of per-pair ratios): %.2fx  [min %.2f, max %.2f]\n", m, vr[0],
                   vr[runs - 1]);
        }
    }
    free(a);
    free(b);
    free(va);
    free(vb);
    free(vr);
    return status;
}
