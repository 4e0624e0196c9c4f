/*
 * httpd.c - cbkit's HTTP server (see httpd.h): libmicrohttpd (epoll and a thread pool, or a
 * thread per connection) in front of a request handler. Each request's state lives in one
 * struct conn taken on the first callback and given back in the completion callback; its
 * arena holds everything the answer points to. Given-back states wait in a small per-thread
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
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define MAX_HEADERS 64

struct cbk_httpd {
    struct cbk_httpd_config cfg;
    char *host;
    struct MHD_Daemon *daemon;
    struct cbk_timer *timer;
    pthread_mutex_t log_mu; /* libmicrohttpd's messages, kept while starting */
    bool log_capture;
    char *log_last;
};

struct conn {
    struct cbk_httpd *m;
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

static void resume_cb(void *arg)
{
    struct conn *st = arg;
    MHD_resume_connection(st->c);
}

/* Suspend the connection until monotonic time 'due_ms'; false if the timer is stopping. */
static bool suspend_until(struct conn *st, int64_t due_ms)
{
    MHD_suspend_connection(st->c);
    if (cbk_timer_at(st->m->timer, due_ms, resume_cb, st) != 0) {
        MHD_resume_connection(st->c);
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

static bool is_loopback(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !ci->client_addr)
        return false;
    const struct sockaddr *sa = ci->client_addr;
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
    unsigned threads = cfg->threads;
    if (cfg->thread_per_connection) {
        flags |= MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
        threads = 0;
    } else {
        flags |= MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO;
        if (!threads) {
            long n = sysconf(_SC_NPROCESSORS_ONLN);
            threads = n > 0 ? (unsigned)CBK_MIN(n, 8) : 1;
        }
    }
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    pthread_mutex_lock(&m->log_mu);
    m->log_capture = true;
    pthread_mutex_unlock(&m->log_mu);
    struct MHD_OptionItem opts[12];
    size_t no = 0;
    opts[no++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, ai->ai_addr};
    if (threads > 1)
        opts[no++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)threads, NULL};
    opts[no++] =
        (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)cfg->client_timeout, NULL};
    opts[no++] =
        (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, (intptr_t)cfg->connection_limit, NULL};
    opts[no++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL};
    /* per-connection memory (headers and I/O buffers; bodies go to our own buffer): MHD
     * clears it for every request, so it is kept small */
    opts[no++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT, 16384, NULL};
    opts[no++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    m->daemon = MHD_start_daemon(
        flags, (uint16_t)cfg->port, NULL, NULL, ahc, m, MHD_OPTION_NOTIFY_COMPLETED, completed, m,
        MHD_OPTION_EXTERNAL_LOGGER, logger, m, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    int err = errno;
    freeaddrinfo(ai);
    pthread_mutex_lock(&m->log_mu);
    m->log_capture = false;
    char *why = m->log_last;
    m->log_last = NULL;
    pthread_mutex_unlock(&m->log_mu);
    if (!m->daemon) {
        cbk_diags_addf(diags, CBK_E_HTTP, CBK_SEV_ERROR, NULL, 0, 0, NULL,
                       "cannot listen on %s port %u: %s", m->host, cfg->port,
                       why ? why : strerror(err));
        free(why);
        cbk_httpd_stop(m);
        return CBK_E_HTTP;
    }
    free(why);
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(m->daemon, MHD_DAEMON_INFO_BIND_PORT);
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
    if (m->daemon)
        MHD_stop_daemon(m->daemon);
    cbk_timer_free(m->timer);
    pthread_mutex_destroy(&m->log_mu);
    free(m->log_last);
    free(m->host);
    free(m);
}
