/*
 * httpd.c - cbkit's HTTP server (see httpd.h): libmicrohttpd (epoll daemons driven by our own
 * worker threads, or a thread per connection) in front of a request handler. Each request's state
 * lives in one struct conn taken on the first callback and given back in the completion callback;
 * its arena holds everything the answer points to. Given-back states wait in a small per-thread
 * cache, so a keep-alive stream of requests reuses one state (its arena chunk and body buffer)
 * instead of allocating them for every request. Delays (latency faults, stalls, dribbled bodies)
 * suspend the connection and a timer thread resumes it, so no worker ever sleeps. Transport faults
 * are made at the socket: a reset is a TCP RST (connect(AF_UNSPEC) aborts the connection), a
 * truncated body is a response whose reader fails part-way.
 */
#include "core/setup.h"
#include "server/httpd.h"
#include "core/buf.h"
#include <pthread.h>
#include "core/alloc.h"
#include "core/timefmt.h"
#include "server/timer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_HEADERS 64

/* One worker thread and the epoll daemon it drives (see worker_main()). */
struct worker {
    struct cbk_httpd *m;
    struct MHD_Daemon *daemon;
    int epoll_fd; /* the daemon's */
    int wake_fd;  /* eventfd: resumed connections and the stop (-1 until made) */
    pthread_t thread;
    bool running; /* the thread was started and not yet joined */
    bool busy;    /* a request began during the last MHD_run() (the worker's own thread) */
};

struct cbk_httpd {
    struct cbk_httpd_config cfg;
    char *host;
    struct MHD_Daemon *daemon; /* thread-per-connection mode only */
    struct worker *workers;    /* epoll mode: one daemon per worker, sharing one listen socket */
    unsigned nworkers;
    atomic_bool stopping;
    struct cbk_timer *timer;
    pthread_mutex_t log_mu; /* libmicrohttpd's messages, kept while starting */
    bool log_capture;
    char *log_last;
};

struct conn {
    struct cbk_httpd *m;
    struct worker *w; /* the worker serving it; NULL with a thread per connection */
    struct MHD_Connection *c;
    struct cbk_arena arena;
    struct cbk_buf body;
    size_t body_size;
    bool too_large;
    int phase; /* 0: reading, 1: answer decided, 2: answer queued */
    struct cbk_http_answer ans;
    int64_t t0_us;
    int status_sent;
    /* dribble */
    int64_t dribble_start_ms;
};

/* ---- request states: a per-thread cache ------------------------------------------------------ */

#define CONN_CACHE_MAX 16
#define CONN_KEEP_BODY ((size_t)64 << 10) /* larger body buffers are freed, not kept */

struct conn_cache {
    struct conn *free[CONN_CACHE_MAX];
    size_t n;
};

static _Thread_local struct worker *this_worker; /* set in worker threads only */

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

static void conn_free(struct conn *st)
{
    cbk_arena_release(&st->arena);
    cbk_buf_release(&st->body);
    free(st);
}

/* Thread exit: free what the thread's cache holds. */
static void cache_destroy(void *p)
{
    struct conn_cache *cc = p;
    for (size_t i = 0; i < cc->n; i++)
        conn_free(cc->free[i]);
    free(cc);
}

static void cache_key_init(void)
{
    if (pthread_key_create(&cache_key, cache_destroy) != 0)
        abort(); /* only when the process is out of keys: nothing sensible to do */
}

/* Free the calling thread's cache now (threads that end free theirs by themselves). */
static void conn_cache_release(void)
{
    pthread_once(&cache_once, cache_key_init);
    struct conn_cache *cc = pthread_getspecific(cache_key);
    if (cc && pthread_setspecific(cache_key, NULL) == 0)
        cache_destroy(cc);
}

/* A zeroed request state for connection 'c', from this thread's cache or new. Never fails
 * (allocation failure aborts). The caller gives it back with conn_put(). */
static struct conn *conn_get(struct cbk_httpd *m, struct MHD_Connection *c)
{
    pthread_once(&cache_once, cache_key_init);
    struct conn_cache *cc = pthread_getspecific(cache_key);
    struct conn *st;
    if (cc && cc->n) {
        st = cc->free[--cc->n];
        struct cbk_arena arena = st->arena; /* already reset by conn_put() */
        struct cbk_buf body = st->body;
        memset(st, 0, sizeof(*st));
        st->arena = arena;
        st->body = body;
        st->body.max = m->cfg.max_body;
    } else {
        st = cbk_xcalloc(1, sizeof(*st));
        cbk_arena_init(&st->arena, 8192);
        cbk_buf_init(&st->body, m->cfg.max_body);
    }
    st->m = m;
    st->w = this_worker;
    st->c = c;
    return st;
}

/* Give a finished request state back: everything its answer pointed to is invalid from here. */
static void conn_put(struct conn *st)
{
    cbk_arena_reset(&st->arena);
    if (st->body.cap > CONN_KEEP_BODY)
        cbk_buf_release(&st->body);
    else
        cbk_buf_reset(&st->body);
    struct conn_cache *cc = pthread_getspecific(cache_key);
    if (!cc) {
        cc = cbk_xcalloc(1, sizeof(*cc));
        if (pthread_setspecific(cache_key, cc) != 0) {
            free(cc);
            conn_free(st);
            return;
        }
    }
    if (cc->n < CONN_CACHE_MAX)
        cc->free[cc->n++] = st;
    else
        conn_free(st);
}

/* Wake worker 'w' from its wait (any thread). An eventfd write only fails when its counter is
 * near 2^64, which cannot happen here: the worker resets it at every wake-up. */
static void worker_wake(struct worker *w)
{
    uint64_t one = 1;
    if (write(w->wake_fd, &one, sizeof one) < 0) {
        /* see above */
    }
}

/* Resume a suspended connection (any thread). The daemons of our workers have no wake-up
 * channel of their own, so the worker is told. */
static void conn_resume(struct conn *st)
{
    MHD_resume_connection(st->c);
    if (st->w)
        worker_wake(st->w);
}

static void resume_cb(void *arg)
{
    conn_resume(arg);
}

/* Suspend the connection until monotonic time 'due_ms'; false if the timer is stopping. */
static bool suspend_until(struct conn *st, int64_t due_ms)
{
    MHD_suspend_connection(st->c);
    if (cbk_timer_at(st->m->timer, due_ms, resume_cb, st) != 0) {
        conn_resume(st);
        return false;
    }
    return true;
}

/* ---- body readers for faults ------------------------------------------------------------ */

static ssize_t truncate_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct conn *st = cls;
    size_t limit = st->ans.truncate_at == SIZE_MAX ? st->ans.body_len / 2
                                                   : CBK_MIN(st->ans.truncate_at, st->ans.body_len);
    if (pos >= limit)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    size_t n = CBK_MIN(limit - (size_t)pos, max);
    memcpy(buf, st->ans.body + pos, n);
    return (ssize_t)n;
}

static ssize_t dribble_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct conn *st = cls;
    size_t len = st->ans.body_len;
    if (pos >= len)
        return MHD_CONTENT_READER_END_OF_STREAM;
    unsigned chunks = st->ans.chunks ? st->ans.chunks : 1;
    size_t csize = (len + chunks - 1) / chunks;
    if (!csize)
        csize = 1;
    size_t k = (size_t)pos / csize;
    int64_t interval = chunks > 1 ? (int64_t)st->ans.dribble_ms / (chunks - 1) : 0;
    int64_t due = st->dribble_start_ms + (int64_t)k * interval;
    if (cbk_mono_ms() < due && suspend_until(st, due))
        return 0; /* no data yet: resumed when the chunk is due */
    size_t end = CBK_MIN((k + 1) * csize, len);
    size_t n = CBK_MIN(end - (size_t)pos, max);
    memcpy(buf, st->ans.body + pos, n);
    return (ssize_t)n;
}

/* ---- answering ----------------------------------------------------------------------------- */

/* Abort the TCP connection with a reset: connect(AF_UNSPEC) makes the kernel send RST. */
static void reset_connection(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!ci)
        return;
    struct sockaddr sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_family = AF_UNSPEC;
    (void)connect(ci->connect_fd, &sa, sizeof sa);
}

/*
 * The Date header, formatted once a second per thread (libmicrohttpd's own costs a gmtime_r,
 * which takes glibc's time zone lock, on every response; it is switched off).
 */
static const char *http_date(void)
{
    static _Thread_local int64_t cached_sec = -1;
    static _Thread_local char cached[32];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if ((int64_t)ts.tv_sec != cached_sec) {
        cached_sec = (int64_t)ts.tv_sec;
        cbk_http_date(cached_sec, cached);
    }
    return cached;
}

static enum MHD_Result send_answer(struct conn *st)
{
    struct cbk_http_answer *ans = &st->ans;
    struct MHD_Response *r = NULL;
    switch (ans->fault) {
    case CBK_FAULT_RESET:
        reset_connection(st->c);
        return MHD_NO;
    case CBK_FAULT_CLOSE:
    case CBK_FAULT_STALL:
        return MHD_NO;
    case CBK_FAULT_TRUNCATE:
        r = MHD_create_response_from_callback(ans->body_len, 4096, truncate_reader, st, NULL);
        break;
    case CBK_FAULT_DRIBBLE:
        st->dribble_start_ms = cbk_mono_ms();
        r = MHD_create_response_from_callback(ans->body_len, 4096, dribble_reader, st, NULL);
        break;
    case CBK_FAULT_NONE:
        r = MHD_create_response_from_buffer(ans->body_len, (void *)ans->body,
                                            MHD_RESPMEM_PERSISTENT);
        break;
    }
    if (!r)
        return MHD_NO;
    bool dated = false;
    for (size_t i = 0; i < ans->nheaders; i++) {
        MHD_add_response_header(r, ans->headers[i].name, ans->headers[i].value);
        const char *n = ans->headers[i].name;
        dated = dated || ((n[0] | 0x20) == 'd' && strcasecmp(n, MHD_HTTP_HEADER_DATE) == 0);
    }
    if (!dated) /* a forwarded answer keeps the upstream's */
        MHD_add_response_header(r, MHD_HTTP_HEADER_DATE, http_date());
    enum MHD_Result ret = MHD_queue_response(st->c, (unsigned)ans->status, r);
    MHD_destroy_response(r);
    if (ret == MHD_YES)
        st->status_sent = ans->status;
    return ret;
}

struct hdr_ctx {
    struct cbk_arena *a;
    struct cbk_http_header *h;
    size_t n;
    struct cbk_buf *query;
};

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
    CBK_UNUSED(kind);
    struct hdr_ctx *c = cls;
    if (c->n < MAX_HEADERS) {
        c->h[c->n].name = key;
        c->h[c->n].value = value ? value : "";
        c->n++;
    }
    return MHD_YES;
}

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    CBK_UNUSED(kind);
    struct hdr_ctx *c = cls;
    if (c->query->len)
        cbk_buf_addc(c->query, '&');
    cbk_buf_adds(c->query, key);
    if (value) {
        cbk_buf_addc(c->query, '=');
        cbk_buf_adds(c->query, value);
    }
    return MHD_YES;
}

/* Whether 'sa' is a loopback address: 127.0.0.0/8, ::1 or ::ffff:127.x.y.z. */
static bool sockaddr_is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
            return true;
        if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
            return in6->sin6_addr.s6_addr[12] == 127;
    }
    return false;
}

static bool is_loopback(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    return ci && ci->client_addr && sockaddr_is_loopback(ci->client_addr);
}

bool cbk_httpd_host_is_loopback(const char *host)
{
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    if (!host || !*host || getaddrinfo(host, NULL, &hints, &ai) != 0 || !ai)
        return false;
    bool all = true;
    for (const struct addrinfo *p = ai; p && all; p = p->ai_next)
        all = sockaddr_is_loopback(p->ai_addr);
    freeaddrinfo(ai);
    return all;
}

static void decide(struct conn *st, const char *url, const char *method)
{
    struct cbk_http_header h[MAX_HEADERS];
    struct cbk_buf query = CBK_BUF_INIT(1 << 16);
    struct hdr_ctx hc = {&st->arena, h, 0, &query};
    MHD_get_connection_values(st->c, MHD_HEADER_KIND, collect_header, &hc);
    bool admin = strncmp(url, "/__cbkit", 8) == 0;
    if (admin)
        MHD_get_connection_values(st->c, MHD_GET_ARGUMENT_KIND, collect_arg, &hc);
    struct cbk_http_req req;
    memset(&req, 0, sizeof req);
    req.method = method;
    req.path = url;
    req.query = query.len ? cbk_buf_str(&query) : NULL;
    req.headers = h;
    req.nheaders = hc.n;
    req.body = st->too_large ? "" : cbk_buf_str(&st->body);
    req.body_len = st->too_large ? 0 : st->body.len;
    req.body_too_large = st->too_large;
    req.body_size = st->body_size;
    req.peer_is_loopback = is_loopback(st->c);
    st->m->cfg.handle(st->m->cfg.ctx, &req, &st->ans, &st->arena);
    cbk_buf_release(&query);
}

static enum MHD_Result ahc(void *cls, struct MHD_Connection *connection, const char *url,
                           const char *method, const char *version, const char *upload_data,
                           size_t *upload_data_size, void **req_cls)
{
    CBK_UNUSED(version);
    struct cbk_httpd *m = cls;
    struct conn *st = *req_cls;
    if (!st) {
        st = conn_get(m, connection);
        st->t0_us = cbk_mono_us();
        if (st->w)
            st->w->busy = true;
        *req_cls = st;
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        if (!st->too_large && cbk_buf_add(&st->body, upload_data, n) != CBK_OK) {
            st->too_large = true;
            cbk_buf_release(&st->body);
        }
        st->body_size += n;
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (st->phase == 0) {
        decide(st, url, method);
        st->phase = 1;
        unsigned wait = st->ans.delay_ms;
        if (st->ans.fault == CBK_FAULT_STALL)
            wait += st->ans.stall_ms;
        if (wait && suspend_until(st, cbk_mono_ms() + wait))
            return MHD_YES; /* called again when resumed */
    }
    if (st->phase == 1) {
        st->phase = 2;
        return send_answer(st);
    }
    return MHD_YES;
}

static void completed(void *cls, struct MHD_Connection *connection, void **req_cls,
                      enum MHD_RequestTerminationCode toe)
{
    CBK_UNUSED(connection);
    struct cbk_httpd *m = cls;
    struct conn *st = *req_cls;
    if (!st)
        return;
    int sent = st->status_sent;
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && st->ans.fault == CBK_FAULT_NONE && sent)
        sent = -sent; /* started but not completed: the client went away */
    if (m->cfg.complete && st->phase > 0)
        m->cfg.complete(m->cfg.ctx, &st->ans, sent, cbk_mono_us() - st->t0_us);
    conn_put(st);
    *req_cls = NULL;
}

static void logger(void *cls, const char *fmt, va_list ap)
{
    /* libmicrohttpd's own messages: kept while starting (to explain a failure), else dropped */
    struct cbk_httpd *m = cls;
    pthread_mutex_lock(&m->log_mu);
    if (m->log_capture) {
        free(m->log_last);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral" /* libmicrohttpd's own format */
        m->log_last = cbk_xvasprintf(fmt, ap);
#pragma GCC diagnostic pop
        size_t n = strlen(m->log_last);
        while (n && (m->log_last[n - 1] == '\n' || m->log_last[n - 1] == '.'))
            m->log_last[--n] = '\0';
    }
    pthread_mutex_unlock(&m->log_mu);
}

/* ---- daemons and workers ----------------------------------------------------------------- */

static struct MHD_OptionItem sock_addr_option(const struct addrinfo *ai)
{
    return (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, ai->ai_addr};
}

/*
 * Start one libmicrohttpd daemon with the options all of ours share, 'where' (the address to
 * bind, or a listen socket to use) and at most 'limit' connections (0: libmicrohttpd's
 * default). Returns NULL on failure, with errno set and libmicrohttpd's reason in m->log_last.
 */
static struct MHD_Daemon *daemon_start(struct cbk_httpd *m, unsigned flags,
                                       struct MHD_OptionItem where, unsigned limit)
{
    struct MHD_OptionItem opts[8];
    size_t no = 0;
    opts[no++] = where;
    opts[no++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT,
                                         (intptr_t)m->cfg.client_timeout, NULL};
    if (limit)
        opts[no++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, (intptr_t)limit, NULL};
    opts[no++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL};
    /* per-connection memory: the request line and headers, and the answer's header (bodies go
     * to our own buffers). libmicrohttpd clears all of it for every request, which with 16 KiB
     * cost the mock about 5% of its throughput, so the mock's workers take 8 KiB: request
     * headers up to about 7 KB, beyond which libmicrohttpd answers 431. The recorder, a proxy
     * for real clients, keeps libmicrohttpd's default of 32 KiB. */
    intptr_t pool = (flags & MHD_USE_THREAD_PER_CONNECTION) ? 32768 : 8192;
    opts[no++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT, pool, NULL};
    opts[no++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    return MHD_start_daemon(flags, (uint16_t)m->cfg.port, NULL, NULL, ahc, m,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, m, MHD_OPTION_EXTERNAL_LOGGER,
                            logger, m, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
}

/*
 * The event loop of one worker, until cbk_httpd_stop(). libmicrohttpd's own epoll threads are
 * not used: in 0.9.75, when epoll_wait() fills its 128-entry array, the next epoll_wait() gets
 * the same blocking timeout, so when exactly 128 (or 256, ...) connections become ready at once
 * their requests wait for an unrelated event or for the client timeout. MHD_run() never
 * blocks; the wait is ours, on the daemon's epoll fd and the worker's wake eventfd, for at most
 * as long as MHD_get_timeout() allows (0 while libmicrohttpd has ready connections of its own).
 * The wake eventfd is reset before MHD_run(), so a resume that comes during MHD_run() makes
 * the next wait return at once. After a run that began requests there is no wait: the next
 * MHD_run() looks at once, so under load a worker makes one system call per round for its
 * events, as libmicrohttpd's own loop does, not two.
 */
static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct cbk_httpd *m = w->m;
    this_worker = w;
    struct pollfd pf[2] = {{.fd = w->epoll_fd, .events = POLLIN},
                           {.fd = w->wake_fd, .events = POLLIN}};
    while (!atomic_load_explicit(&m->stopping, memory_order_relaxed)) {
        w->busy = false;
        MHD_run(w->daemon);
        if (w->busy)
            continue; /* under load: look again at once (epoll_wait() with no timeout) */
        MHD_UNSIGNED_LONG_LONG left;
        int ms = -1;
        if (MHD_get_timeout(w->daemon, &left) == MHD_YES)
            ms = left > INT_MAX ? INT_MAX : (int)left;
        /* EINTR or an error: the loop looks again */
        if (ms != 0 && poll(pf, 2, ms) > 0 && (pf[1].revents & POLLIN)) {
            uint64_t n;
            if (read(w->wake_fd, &n, sizeof n) < 0) {
                /* EAGAIN: reset already */
            }
        }
    }
    return NULL;
}

/*
 * Start the epoll workers: cfg.threads daemons (0: CPUs, at most 8, and never more than the
 * connection limit), the first binding 'ai', the others sharing its listen socket through a
 * duplicate, as libmicrohttpd's thread pool does; the connection limit is split between them.
 * Returns NULL on success; on failure, what failed (the caller adds strerror(errno), or
 * libmicrohttpd's reason when no daemon started) and cbk_httpd_stop() cleans up.
 */
static const char *workers_start(struct cbk_httpd *m, unsigned flags, const struct addrinfo *ai)
{
    unsigned n = m->cfg.threads;
    if (!n) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        n = cpus > 0 ? (unsigned)CBK_MIN(cpus, 8) : 1;
    }
    unsigned limit = m->cfg.connection_limit;
    if (limit && n > limit)
        n = limit;
    m->workers = cbk_xcalloc(n, sizeof(*m->workers));
    flags |= MHD_USE_EPOLL | MHD_USE_TURBO;
    int listen_fd = -1;
    for (unsigned i = 0; i < n; i++) {
        struct worker *w = &m->workers[i];
        w->m = m;
        w->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (w->wake_fd < 0)
            return "cannot make a worker's wake-up event";
        m->nworkers = i + 1;
        struct MHD_OptionItem where = sock_addr_option(ai);
        if (i > 0) {
            int fd = fcntl(listen_fd, F_DUPFD_CLOEXEC, 0);
            if (fd < 0)
                return "cannot share the listen socket between workers";
            /* the daemon closes fd when it stops; should it fail to start, fd is left alone
             * (libmicrohttpd may have closed it already): one descriptor, on a failed start */
            where = (struct MHD_OptionItem){MHD_OPTION_LISTEN_SOCKET, fd, NULL};
        }
        w->daemon = daemon_start(m, flags, where, limit ? limit / n + (i < limit % n) : 0);
        if (!w->daemon)
            return i == 0 ? NULL : "cannot start a worker";
        const union MHD_DaemonInfo *di = MHD_get_daemon_info(w->daemon, MHD_DAEMON_INFO_EPOLL_FD);
        if (!di || di->epoll_fd < 0) {
            errno = ENOTSUP;
            return "libmicrohttpd gives no epoll descriptor";
        }
        w->epoll_fd = di->epoll_fd;
        if (i == 0) {
            di = MHD_get_daemon_info(w->daemon, MHD_DAEMON_INFO_LISTEN_FD);
            if (!di || di->listen_fd < 0) {
                errno = ENOTSUP;
                return "libmicrohttpd gives no listen socket";
            }
            listen_fd = di->listen_fd;
        }
    }
    for (unsigned i = 0; i < n; i++) {
        int rc = pthread_create(&m->workers[i].thread, NULL, worker_main, &m->workers[i]);
        if (rc != 0) {
            errno = rc;
            return "cannot start a worker thread";
        }
        m->workers[i].running = true;
    }
    return NULL;
}

enum cbk_code cbk_httpd_start(const struct cbk_httpd_config *cfg, struct cbk_httpd **out,
                              unsigned *port, struct cbk_diags *diags)
{
    *out = NULL;
    *port = 0;
    struct cbk_httpd *m = cbk_xcalloc(1, sizeof(*m));
    m->cfg = *cfg;
    m->host = cbk_xstrdup(cfg->host ? cfg->host : "127.0.0.1");
    pthread_mutex_init(&m->log_mu, NULL);
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%u", cfg->port);
    int gai = getaddrinfo(m->host, portstr, &hints, &ai);
    if (gai != 0 || !ai) {
        cbk_diags_addf(diags, CBK_E_USAGE, CBK_SEV_ERROR, NULL, 0, 0, NULL,
                       "cannot use host '%s': %s", m->host, gai_strerror(gai));
        if (ai)
            freeaddrinfo(ai);
        cbk_httpd_stop(m);
        return CBK_E_USAGE;
    }
    m->timer = cbk_timer_new();
    if (!m->timer) {
        freeaddrinfo(ai);
        cbk_diags_addf(diags, CBK_E_HTTP, CBK_SEV_ERROR, NULL, 0, 0, NULL,
                       "cannot start the timer thread");
        cbk_httpd_stop(m);
        return CBK_E_HTTP;
    }
    /* no Date from libmicrohttpd: send_answer() adds a cheaper one */
    unsigned flags = MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG | MHD_USE_SUPPRESS_DATE_NO_CLOCK;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    pthread_mutex_lock(&m->log_mu);
    m->log_capture = true;
    pthread_mutex_unlock(&m->log_mu);
    const char *fail = NULL;
    int err = 0;
    struct MHD_Daemon *first;
    if (cfg->thread_per_connection) {
        flags |= MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
        m->daemon = daemon_start(m, flags, sock_addr_option(ai), cfg->connection_limit);
        err = errno;
        first = m->daemon;
    } else {
        fail = workers_start(m, flags, ai);
        err = errno;
        first = m->nworkers ? m->workers[0].daemon : NULL;
    }
    freeaddrinfo(ai);
    pthread_mutex_lock(&m->log_mu);
    m->log_capture = false;
    char *why = m->log_last;
    m->log_last = NULL;
    pthread_mutex_unlock(&m->log_mu);
    if (fail || !first) {
        if (fail) /* libmicrohttpd's reason when a daemon failed to start */
            cbk_diags_addf(diags, CBK_E_HTTP, CBK_SEV_ERROR, NULL, 0, 0, NULL, "%s: %s", fail,
                           why ? why : strerror(err));
        else
            cbk_diags_addf(diags, CBK_E_HTTP, CBK_SEV_ERROR, NULL, 0, 0, NULL,
                           "cannot listen on %s port %u: %s", m->host, cfg->port,
                           why ? why : strerror(err));
        free(why);
        cbk_httpd_stop(m);
        return CBK_E_HTTP;
    }
    free(why);
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(first, MHD_DAEMON_INFO_BIND_PORT);
    *port = di ? di->port : cfg->port;
    *out = m;
    return CBK_OK;
}

void cbk_httpd_stop(struct cbk_httpd *m)
{
    if (!m)
        return;
    /* release every parked answer first: suspended connections must be resumed */
    if (m->timer)
        cbk_timer_flush(m->timer);
    atomic_store(&m->stopping, true);
    for (unsigned i = 0; i < m->nworkers; i++)
        if (m->workers[i].running)
            worker_wake(&m->workers[i]);
    for (unsigned i = 0; i < m->nworkers; i++)
        if (m->workers[i].running)
            pthread_join(m->workers[i].thread, NULL);
    /* with the workers gone, the daemons are closed here: their last completion callbacks run
     * in this thread, whose request-state cache is emptied afterwards */
    for (unsigned i = 0; i < m->nworkers; i++) {
        if (m->workers[i].daemon)
            MHD_stop_daemon(m->workers[i].daemon);
        close(m->workers[i].wake_fd);
    }
    if (m->daemon)
        MHD_stop_daemon(m->daemon);
    conn_cache_release();
    free(m->workers);
    cbk_timer_free(m->timer);
    pthread_mutex_destroy(&m->log_mu);
    free(m->log_last);
    free(m->host);
    free(m);
}
