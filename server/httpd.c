/*
 * httpd.c - cbkit's HTTP server (see httpd.h): libmicrohttpd (epoll daemons driven by our own
 * worker threads, or a thread per connection) in front of a request handler. Each request's state
 * lives in one struct conn taken when its request line arrives and given back in the completion
 * callback; its arena holds everything the answer points to. Given-back states wait in a small
 * per-thread cache, so a keep-alive stream of requests reuses one state (its arena chunk and body
 * buffer) instead of allocating them for every request. Delays (latency faults, stalls, dribbled
 * bodies) suspend the connection and a timer thread resumes it, so no worker ever sleeps.
 * Transport faults are made at the socket: a reset is a TCP RST (connect(AF_UNSPEC) aborts the
 * connection), a truncated body is a response whose reader fails part-way.
 *
 * Each open connection also has a struct sock (taken when libmicrohttpd accepts it, given back
 * when it closes), on a list per worker; none of it costs a system call or an allocation per
 * request:
 *  - the whole-request timeout: libmicrohttpd's own timeout only drops idle connections, so a
 *    client sending one byte a second holds its slot for ever; a sweep on the timer thread
 *    closes connections whose request is not complete --client-timeout seconds after its first
 *    byte (see sweep_cb());
 *  - recovery from the connection limit: libmicrohttpd takes the listen socket out of its epoll
 *    set at its limit and puts it back only at the start of a later run, which our worker loop
 *    must therefore make when a connection closes (see worker_main());
 *  - protocol errors libmicrohttpd answers itself, badly (see http_error_seen()).
 * HTTP strictness is ours where libmicrohttpd is lax (request_begins(), head_check()): it
 * looks at the request line and headers libmicrohttpd parsed in place, before the body is read.
 */
#include "core/setup.h"
#include "server/httpd.h"
#include "core/buf.h"
#include <pthread.h>
#include "core/alloc.h"
#include "core/timefmt.h"
#include "server/timer.h"
#include "core/clock.h"
#include "wire/wire.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_HEADERS 64
/* Query parameters in a request-target; more get 414 (libmicrohttpd, which would keep them in
 * its 8 KiB per-connection memory, never sees any: see request_begins()). */
#define MAX_QUERY_PARAMS 64
/* How long a worker that could not accept (no file descriptors left) waits before trying again,
 * instead of spinning on a listen socket that stays readable. */
#define ACCEPT_RETRY_MS 20
/* Data seen on an idle connection within this long after it became idle is taken for the end
 * of the previous request (TCP_INFO counts in jiffies, up to 10 ms apart from our clock). */
#define IDLE_MARGIN_MS 50

/* A list of open connections: one per worker, one for thread-per-connection mode. */
struct sock_list {
    pthread_mutex_t mu; /* guards the links and the sweep's fields of its socks */
    struct sock *head;
    size_t n;
};

struct worker;

/* Where an open connection stands, for the whole-request timeout. */
enum sock_phase {
    SOCK_IDLE,      /* waiting for a request (none of it parsed yet) */
    SOCK_RECEIVING, /* its request line has arrived: headers and body are on their way */
    SOCK_ANSWERING, /* the request is complete: its answer is being made or sent */
};

/*
 * One open connection (see the top of this file). Its thread (the worker, or the connection's
 * own thread) writes phase, since_ms and gen; the sweep reads them under its list's mutex and
 * keeps its own estimate of a request's first byte in swept_gen and first_ms.
 */
struct sock {
    struct sock *prev, *next;
    struct sock_list *list;
    struct worker *w; /* NULL with a thread per connection */
    struct MHD_Connection *c;
    int fd;
    struct conn *req;         /* the request on it (its thread only), or NULL between requests */
    _Atomic int phase;        /* enum sock_phase */
    _Atomic int64_t since_ms; /* IDLE: idle since (accept, end of an answer); else request line */
    _Atomic unsigned gen;     /* idle periods begun (one per request) */
    unsigned swept_gen;       /* the idle period first_ms belongs to */
    int64_t first_ms;         /* 0, or when data was first seen in that idle period */
};

/* One worker thread and the epoll daemon it drives (see worker_main()). */
struct worker {
    struct cbk_httpd *m;
    struct MHD_Daemon *daemon;
    int epoll_fd; /* the daemon's */
    int wake_fd;  /* eventfd: resumed connections and the stop (-1 until made) */
    pthread_t thread;
    bool running; /* the thread was started and not yet joined */
    /* the worker's own thread only (and the stopping thread once it has been joined): */
    bool busy;      /* a request began during the last MHD_run() */
    unsigned limit; /* its daemon's connection limit (0: libmicrohttpd's default) */
    unsigned nconn; /* its open connections */
    bool full;      /* at its limit, or out of descriptors: its listen socket may be unwatched */
    bool reopen;    /* a connection closed while full: run again to watch the listen socket */
    bool starved;   /* accept() failed for want of descriptors */
    struct sock_list socks;
};

struct cbk_httpd {
    struct cbk_httpd_config cfg;
    char *host;
    struct MHD_Daemon *daemon; /* thread-per-connection mode only */
    struct worker *workers;    /* epoll mode: one daemon per worker, sharing one listen socket */
    unsigned nworkers;
    struct sock_list socks; /* thread-per-connection mode */
    atomic_bool stopping;
    struct cbk_timer *timer;
    int64_t sweep_ms;        /* how often the sweep runs (0: never, no client timeout) */
    atomic_bool sweep_armed; /* a sweep is due on the timer */
    pthread_mutex_t log_mu;  /* libmicrohttpd's messages, kept while starting */
    bool log_capture;
    char *log_last;
};

struct conn {
    struct cbk_httpd *m;
    struct worker *w; /* the worker serving it; NULL with a thread per connection */
    struct MHD_Connection *c;
    struct sock *sock; /* its connection's (NULL only if libmicrohttpd gave none) */
    struct cbk_arena arena;
    struct cbk_buf body;
    size_t body_size;
    bool too_large;
    bool started;  /* the access handler has been called (headers complete) */
    bool protocol; /* refused by the server itself (a protocol error): no handler, no journal */
    int phase;     /* 0: reading, 1: answer decided, 2: answer queued */
    const char *target; /* the request-target as received (libmicrohttpd's buffer) */
    size_t target_len;  /* its length before any change */
    const char *query;  /* the raw query (after '?'), copied into the arena, or NULL */
    size_t nquery;      /* its parameters */
    struct cbk_http_answer ans;
    int64_t t0_us;
    int status_sent;
    /* dribble */
    int64_t dribble_start_ms;
    /* the request's headers (taken when they are complete); not cleared between requests */
    size_t nh;
    struct cbk_http_header h[MAX_HEADERS];
};

/* ---- request states: a per-thread cache ------------------------------------------------------ */

/* Request states a thread keeps for its next requests: as many as are usually in flight at
 * once (a state is in use until its answer is sent), so that a steady stream of clients
 * allocates nothing. Each may keep its answer memory (up to CBK_ARENA_SPARE_MAX, see
 * cbk_arena_lend_buf()); together the kept states hold at most CONN_CACHE_SPARE of it. */
#define CONN_CACHE_MAX   64
#define CONN_CACHE_SPARE ((size_t)16 << 20)
#define CONN_KEEP_BODY   ((size_t)64 << 10) /* larger body buffers are freed, not kept */

struct conn_cache {
    struct conn *free[CONN_CACHE_MAX];
    size_t n;
    size_t spare; /* answer memory the kept states hold */
};

static _Thread_local struct worker *this_worker; /* set in worker threads only */
/* With a thread per connection: the connection of this thread (set when a request begins). */
static _Thread_local struct sock *this_sock;

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

/* A request state for connection 'c', zeroed up to its headers, from this thread's cache or
 * new. Never fails (allocation failure aborts). The caller gives it back with conn_put(). */
static struct conn *conn_get(struct cbk_httpd *m, struct MHD_Connection *c)
{
    pthread_once(&cache_once, cache_key_init);
    struct conn_cache *cc = pthread_getspecific(cache_key);
    struct conn *st;
    if (cc && cc->n) {
        st = cc->free[--cc->n];
        cc->spare -= cbk_arena_spare_size(&st->arena);
        struct cbk_arena arena = st->arena; /* already reset by conn_put() */
        struct cbk_buf body = st->body;
        memset(st, 0, offsetof(struct conn, nh) + sizeof st->nh); /* not the header array */
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
    if (cc->n == CONN_CACHE_MAX) {
        conn_free(st);
        return;
    }
    if (cc->spare + cbk_arena_spare_size(&st->arena) > CONN_CACHE_SPARE)
        cbk_arena_drop_spare(&st->arena);
    cc->spare += cbk_arena_spare_size(&st->arena);
    cc->free[cc->n++] = st;
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

/* ---- open connections: the whole-request timeout ------------------------------------------- */

/* An empty list with its mutex (destroyed by cbk_httpd_stop()). */
static void sock_list_init(struct sock_list *l)
{
    pthread_mutex_init(&l->mu, NULL);
    l->head = NULL;
    l->n = 0;
}

/*
 * When data last arrived on socket 'fd', on the monotonic clock 'now_ms' is read from (the
 * kernel's TCP_INFO: milliseconds since the last data segment). Returns -1 if it cannot tell.
 */
static int64_t last_data_ms(int fd, int64_t now_ms)
{
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    memset(&ti, 0, sizeof ti);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0 ||
        len < offsetof(struct tcp_info, tcpi_last_data_recv) + sizeof ti.tcpi_last_data_recv)
        return -1;
    return now_ms - (int64_t)ti.tcpi_last_data_recv;
}

/*
 * Is the request on 's' still incomplete --client-timeout after its first byte? Called by the
 * sweep with the list's mutex held. The first byte of a request is not something libmicrohttpd
 * tells: its first callback comes with the whole request line. So while a connection is idle
 * (for longer than a sweep period: a fresh one is about to get its request or its idle
 * timeout), the sweep asks the kernel when data last arrived; the first time that is after the
 * connection became idle, that moment is the request's start (never earlier than its true first
 * byte, so a request is never cut short; at most two sweep periods later). Once the request
 * line is in, its arrival time counts if no earlier data was seen.
 */
static bool sock_overdue(struct sock *s, int64_t now, int64_t limit_ms, int64_t period_ms)
{
    int phase = atomic_load_explicit(&s->phase, memory_order_acquire);
    if (phase == SOCK_ANSWERING)
        return false;
    unsigned gen = atomic_load_explicit(&s->gen, memory_order_relaxed);
    if (gen != s->swept_gen) { /* a new idle period: nothing seen in it yet */
        s->swept_gen = gen;
        s->first_ms = 0;
    }
    int64_t since = atomic_load_explicit(&s->since_ms, memory_order_relaxed);
    int64_t start;
    if (phase == SOCK_RECEIVING) {
        start = s->first_ms && s->first_ms < since ? s->first_ms : since;
    } else {
        if (!s->first_ms) {
            if (now - since < period_ms)
                return false;
            int64_t last = last_data_ms(s->fd, now);
            if (last <= since + IDLE_MARGIN_MS)
                return false; /* nothing (or an error): idle, libmicrohttpd's timeout rules */
            s->first_ms = last;
        }
        start = s->first_ms;
    }
    return now - start > limit_ms;
}

static void sweep_cb(void *arg);

/* Have a sweep run one period from now unless one is due already (any thread). */
static void sweep_arm(struct cbk_httpd *m)
{
    if (!m->sweep_ms || atomic_load_explicit(&m->sweep_armed, memory_order_relaxed) ||
        atomic_exchange(&m->sweep_armed, true))
        return;
    if (cbk_timer_at(m->timer, cbk_mono_ms() + m->sweep_ms, sweep_cb, m) != 0)
        return; /* stopping: it stays "armed", so nobody tries again */
}

/* Close the overdue connections of one list; returns how many connections it has. */
static size_t sweep_list(struct cbk_httpd *m, struct sock_list *l, int64_t now)
{
    int64_t limit_ms = (int64_t)m->cfg.client_timeout * 1000;
    pthread_mutex_lock(&l->mu);
    for (struct sock *s = l->head; s; s = s->next) {
        if (!sock_overdue(s, now, limit_ms, m->sweep_ms))
            continue;
        /* a request that has just become complete is left alone (its answer is on its way) */
        if (atomic_load_explicit(&s->phase, memory_order_acquire) == SOCK_ANSWERING ||
            atomic_load_explicit(&s->gen, memory_order_relaxed) != s->swept_gen)
            continue;
        /* The socket stays open while it is on the list (libmicrohttpd closes it after telling
         * us, under this mutex); libmicrohttpd then sees the end of the stream and closes the
         * connection itself, in its own thread. */
        (void)shutdown(s->fd, SHUT_RDWR);
    }
    size_t n = l->n;
    pthread_mutex_unlock(&l->mu);
    return n;
}

/*
 * The sweep (timer thread): close connections whose request is overdue (sock_overdue()), then
 * run again one period later while any connection is open. Its cost is one getsockopt() per
 * sweep period for each connection idle for longer than that period; nothing on the request path.
 */
static void sweep_cb(void *arg)
{
    struct cbk_httpd *m = arg;
    /* disarmed first: a connection accepted during the walk arms the next sweep itself */
    atomic_store(&m->sweep_armed, false);
    int64_t now = cbk_mono_ms();
    size_t open = sweep_list(m, &m->socks, now);
    for (unsigned i = 0; i < m->nworkers; i++)
        open += sweep_list(m, &m->workers[i].socks, now);
    if (open)
        sweep_arm(m);
}

/*
 * libmicrohttpd's connection notifications (the thread that accepts or cleans up): a struct
 * sock for each connection, on its worker's list; the worker's count of open connections.
 */
static void notify_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                              enum MHD_ConnectionNotificationCode code)
{
    struct cbk_httpd *m = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        struct sock *s = cbk_xcalloc(1, sizeof(*s));
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        s->c = c;
        s->fd = ci ? ci->connect_fd : -1;
        s->w = this_worker;
        s->list = s->w ? &s->w->socks : &m->socks;
        atomic_store_explicit(&s->since_ms, cbk_mono_ms(), memory_order_relaxed);
        pthread_mutex_lock(&s->list->mu);
        s->next = s->list->head;
        if (s->next)
            s->next->prev = s;
        s->list->head = s;
        s->list->n++;
        pthread_mutex_unlock(&s->list->mu);
        if (s->w && ++s->w->nconn >= s->w->limit) /* (limit 0: libmicrohttpd's, unknown) */
            s->w->full = true;
        *socket_context = s;
        sweep_arm(m);
        return;
    }
    struct sock *s = *socket_context;
    if (!s)
        return;
    pthread_mutex_lock(&s->list->mu);
    if (s->prev)
        s->prev->next = s->next;
    else
        s->list->head = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->list->n--;
    pthread_mutex_unlock(&s->list->mu);
    if (s->w) {
        s->w->nconn--;
        if (s->w->full) {
            s->w->full = false;
            s->w->reopen = true;
        }
    }
    if (this_sock == s)
        this_sock = NULL;
    free(s);
    *socket_context = NULL;
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

/* ---- protocol errors: the server's own answers ------------------------------------------------
 */

/* The AWS-style error name of a protocol error's status (its reason phrase + "Exception"). */
static const char *protocol_error_type(int status)
{
    switch (status) {
    case 413:
        return "RequestEntityTooLargeException";
    case 414:
        return "RequestURITooLongException";
    default:
        return "BadRequestException";
    }
}

/*
 * Refuse the request on 'st' (a protocol error) with 'status' and an AWS JSON error body
 * naming the problem ('message' is copied), a request id and "Connection: close", so that
 * nothing after it on the connection is read as a request. Replaces the state's answer; marks
 * it as the server's own (no handler, no completion callback).
 */
static void protocol_refuse(struct conn *st, int status, const char *message)
{
    const char *type = protocol_error_type(status);
    memset(&st->ans, 0, sizeof st->ans);
    cbk_wire_error_answer(&st->ans, &st->arena, NULL, status, type, message);
    char rid[37];
    cbk_wire_request_id(rid);
    st->ans.headers[st->ans.nheaders++] =
        (struct cbk_http_header){"x-amzn-RequestId", cbk_arena_strdup(&st->arena, rid)};
    st->ans.headers[st->ans.nheaders++] = (struct cbk_http_header){"Connection", "close"};
    st->protocol = true;
    if (st->sock) /* no longer receiving: the whole-request timeout is over */
        atomic_store_explicit(&st->sock->phase, SOCK_ANSWERING, memory_order_release);
}

/*
 * The answer protocol_refuse() makes (status 400 or 413), written to socket 'fd' behind
 * libmicrohttpd's back with one send(), then the socket shut down in both directions:
 * libmicrohttpd fails to send its own answer and closes the connection. Only for a request
 * whose answer libmicrohttpd has not begun (http_error_seen()), so nothing of its own is queued
 * on the socket, whose buffer takes these few hundred bytes at once. Error path only.
 */
static void protocol_refuse_raw(int fd, int status, const char *message)
{
    const char *type = protocol_error_type(status);
    struct cbk_buf body = CBK_BUF_INIT(4096);
    cbk_wire_error_body(&body, type, message);
    char rid[37];
    cbk_wire_request_id(rid);
    struct cbk_buf out = CBK_BUF_INIT(8192);
    cbk_buf_addf(&out,
                 "HTTP/1.1 %d %s\r\nConnection: close\r\nContent-Type: "
                 "application/x-amz-json-1.1\r\nx-amzn-ErrorType: %s\r\nx-amzn-RequestId: %s\r\n"
                 "Date: %s\r\nContent-Length: %zu\r\n\r\n",
                 status, status == 413 ? "Payload Too Large" : "Bad Request", type, rid,
                 http_date(), body.len);
    cbk_buf_add(&out, body.ptr, body.len);
    (void)send(fd, out.ptr, out.len, MSG_NOSIGNAL | MSG_DONTWAIT); /* short: a cut answer */
    (void)shutdown(fd, SHUT_RDWR);
    cbk_buf_release(&out);
    cbk_buf_release(&body);
}

/* Is 's' the connection whose headers libmicrohttpd is checking right now (see below)? */
static bool sock_in_header_check(const struct sock *s)
{
    return s->req && !s->req->started && !s->req->protocol &&
           MHD_get_connection_info(s->c, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE) &&
           !MHD_get_connection_info(s->c, MHD_CONNECTION_INFO_HTTP_STATUS);
}

/*
 * libmicrohttpd 0.9.75 is answering a protocol error itself with 'status' (its logger said so).
 * When it does that while it checks the headers of a request (parse_connection_headers(): a
 * Content-Length that is not one decimal number, such as "+12" or "12, 12", or one too large
 * for 64 bits), it queues its error answer and then goes on as if the request were fine, so the
 * answer's header block is sent twice. No callback of ours runs in between, so the answer is
 * made here: find the connection, answer at the socket and shut it down.
 *
 * Which connection: with a thread per connection, this thread's. An epoll worker runs many,
 * but only one of them can be at that point: the one whose headers are complete (libmicrohttpd
 * gives REQUEST_HEADER_SIZE only from then on), that has no answer queued (it gives HTTP_STATUS
 * only once one is) and whose access handler has not been called. A request whose headers are
 * fine goes from there to its first access-handler call without a pause; one libmicrohttpd
 * refused has its answer queued. Errors found before the headers are complete (a malformed
 * header line, 431, 414) are answered correctly by libmicrohttpd and left alone.
 */
static void http_error_seen(int status)
{
    if (status != 400 && status != 413)
        return;
    const char *why = status == 413 ? "the Content-Length header is too large"
                                    : "the Content-Length header is not one decimal number";
    if (!this_worker) {
        struct sock *s = this_sock;
        if (s && sock_in_header_check(s)) {
            s->req->protocol = true;
            protocol_refuse_raw(s->fd, status, why);
        }
        return;
    }
    struct sock_list *l = &this_worker->socks;
    pthread_mutex_lock(&l->mu);
    for (struct sock *s = l->head; s; s = s->next) {
        if (sock_in_header_check(s)) {
            s->req->protocol = true;
            protocol_refuse_raw(s->fd, status, why);
            break;
        }
    }
    pthread_mutex_unlock(&l->mu);
}

/*
 * accept() failed for want of file descriptors (or memory). libmicrohttpd then keeps polling a
 * listen socket that stays readable: a busy loop until descriptors are free again. A worker's
 * loop waits a little instead (worker_main()); libmicrohttpd's accepting thread, with a thread
 * per connection, does nothing but accept, so it waits here.
 */
static void accept_starved(void)
{
    if (this_worker) {
        this_worker->starved = true;
        this_worker->full = true; /* its listen socket may be out of the epoll set */
        return;
    }
    struct timespec ts = {0, ACCEPT_RETRY_MS * 1000000L};
    nanosleep(&ts, NULL);
}

/*
 * libmicrohttpd's messages (MHD_OPTION_EXTERNAL_LOGGER, any of its threads): the only news we
 * get of two events, matched by their text (libmicrohttpd is pinned at 0.9.75 and the tests
 * fail if a message changes): accept() out of descriptors, and an error answer it makes itself.
 * While starting, the last message is kept in m->log_last (to explain a failure).
 */
static void logger(void *cls, const char *fmt, va_list ap)
{
    struct cbk_httpd *m = cls;
    /* daemon.c MHD_accept_connection(), connection.c transmit_error_response_len() */
    if (strncmp(fmt, "Hit process or system resource limit", 36) == 0) {
        accept_starved();
    } else if (strncmp(fmt, "Error processing request (HTTP response code is %u", 50) == 0) {
        va_list aq;
        va_copy(aq, ap);
        unsigned status = va_arg(aq, unsigned);
        va_end(aq);
        http_error_seen((int)status);
    }
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

/* ---- the request line and headers ------------------------------------------------------------ */

/*
 * A request line has arrived (libmicrohttpd's URI log callback, its first call about a request):
 * take the request's state, note on its connection that a request is being received, and take
 * the query out of libmicrohttpd's hands. Returns the state, which libmicrohttpd hands to the
 * access handler and the completion callback as *req_cls. 'uri' may be NULL.
 */
static void *request_begins(void *cls, const char *uri, struct MHD_Connection *c)
{
    struct cbk_httpd *m = cls;
    struct conn *st = conn_get(m, c);
    st->t0_us = cbk_mono_us();
    if (st->w)
        st->w->busy = true;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct sock *s = ci ? ci->socket_context : NULL;
    if (s) {
        st->sock = s;
        s->req = st;
        atomic_store_explicit(&s->since_ms, st->t0_us / 1000, memory_order_relaxed);
        atomic_store_explicit(&s->phase, SOCK_RECEIVING, memory_order_release);
        if (!st->w)
            this_sock = s;
    }
    if (!uri)
        return st;
    st->target = uri;
    st->target_len = strlen(uri);
    const char *q = memchr(uri, '?', st->target_len);
    if (q && q[1]) {
        /*
         * Next, libmicrohttpd splits the query into parameters kept in its per-connection
         * memory; when that runs out (about 115 parameters in the mock's 8 KiB) it queues a 431,
         * then forgets it and waits for more of the request: no answer until the client
         * timeout. So the query is copied here and cut off in libmicrohttpd's buffer, which
         * 'uri' is (libmicrohttpd itself writes the NUL over the '?' right after this call,
         * then parses what follows): it sees no parameters at all. decide() gives the admin
         * API the query, decoded as libmicrohttpd would have.
         */
        size_t len = st->target_len - (size_t)(q + 1 - uri);
        st->query = cbk_arena_strndup(&st->arena, q + 1, len);
        st->nquery = 1;
        for (const char *p = st->query; (p = strchr(p, '&')) != NULL; p++)
            st->nquery++;
        ((char *)q)[1] = '\0';
    }
    return st;
}

/* Is 'c' a token character (RFC 9110 section 5.6.2)? */
static bool is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

/*
 * Between 'prev', the end of a line as we were shown it (the end of a value, or of the
 * version), and 'next', the start of the next line, are there only 'lo' to 'hi' NULs? The head
 * of a request lies in libmicrohttpd's buffer as it was received, parsed in place: each line's
 * CR LF (or LF) became NULs, so there are exactly 1 or 2 of them (2 to 4 before the end of the
 * head, with the empty line). Anything else belongs to a line we were not shown whole: a NUL
 * inside a value cut it short. An obsolete folded line, which libmicrohttpd moves elsewhere,
 * fails too.
 */
static bool only_terminator(const char *prev, const char *next, size_t lo, size_t hi)
{
    uintptr_t a = (uintptr_t)prev, b = (uintptr_t)next;
    if (b < a + lo || b > a + hi)
        return false;
    for (size_t i = 0; i < b - a; i++)
        if (prev[i])
            return false;
    return true;
}

/* What head_check() learns while it walks the headers. */
struct head_walk {
    struct conn *st;
    const char *end;      /* the end of the head in libmicrohttpd's buffer (NULL: unknown) */
    const char *prev;     /* the end of the previous line as shown (a value, or the version) */
    const char *prev_key; /* that line's header name (NULL: the request line) */
    unsigned content_length, transfer_encoding;
    bool chunked;
    const char *bad; /* the first problem found, and the header it is in */
    const char *bad_header;
};

static enum MHD_Result walk_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                   size_t key_size, const char *value, size_t value_size)
{
    CBK_UNUSED(kind);
    struct head_walk *hw = cls;
    struct conn *st = hw->st;
    if (!value)
        value = "";
    if (st->nh < MAX_HEADERS) {
        st->h[st->nh].name = key;
        st->h[st->nh].value = value;
        st->nh++;
    }
    if (hw->bad || !hw->end)
        return MHD_YES;
    if ((uintptr_t)key <= (uintptr_t)hw->prev || (uintptr_t)key >= (uintptr_t)hw->end ||
        (uintptr_t)value <= (uintptr_t)(key + key_size)) {
        /* not in the head where it was received: libmicrohttpd moved the line to join it */
        hw->bad = "obsolete line folding (a line starting with whitespace)";
        return MHD_YES;
    }
    if (!only_terminator(hw->prev, key, 1, 2)) {
        hw->bad = "a NUL character";
        hw->bad_header = hw->prev_key;
        return MHD_YES;
    }
    if (memchr(value, '\r', value_size)) {
        hw->bad = "a CR character";
        hw->bad_header = key;
        return MHD_YES;
    }
    hw->prev = value + value_size;
    hw->prev_key = key;
    if (key_size && (key[key_size - 1] == ' ' || key[key_size - 1] == '\t')) {
        hw->bad = "whitespace between a header name and its colon";
        return MHD_YES;
    }
    unsigned char f = (unsigned char)(key[0] | 0x20);
    if (f == 'c' && strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
        hw->content_length++;
    } else if (f == 't' && strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
        hw->transfer_encoding++;
        hw->chunked = strcasecmp(value, "chunked") == 0;
    }
    return MHD_YES;
}

/*
 * The headers of the request on 'st' are complete (its first access-handler call, before any
 * of the body is read): take them into the state and check what libmicrohttpd lets through
 * (RFC 9112 section 6 on message framing, RFC 9110 section 5.5 on field values). 'method' and
 * 'version' are libmicrohttpd's, in its buffer. Returns NULL, or what is wrong (static text,
 * or 'buf' when it names a header) with the status to answer in *status.
 */
static const char *head_check(struct conn *st, const char *method, const char *version, char *buf,
                              size_t bufsz, int *status)
{
    *status = 400;
    struct head_walk hw;
    memset(&hw, 0, sizeof hw);
    hw.st = st;
    hw.prev = version + strlen(version);
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(st->c, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    hw.end = ci ? method + ci->header_size : NULL; /* always given from the first call on */
    MHD_get_connection_values_n(st->c, MHD_HEADER_KIND, walk_header, &hw);
    if (!hw.bad && hw.end && !only_terminator(hw.prev, hw.end, 2, 4)) {
        hw.bad = "a NUL character";
        hw.bad_header = hw.prev_key;
    }
    if (hw.bad) {
        const char *name = hw.bad_header;
        for (size_t i = 0; name && name[i]; i++)
            if (!is_tchar((unsigned char)name[i]) || i >= 64)
                name = NULL;
        if (name)
            snprintf(buf, bufsz, "the header '%s' has %s", name, hw.bad);
        else
            snprintf(buf, bufsz, "the request head has %s", hw.bad);
        return buf;
    }
    /* the request-target ends right before the version: a NUL in it would hide the rest */
    if (st->target && st->target + st->target_len + 1 != version)
        return "the request-target has a NUL character";
    if (st->nquery > MAX_QUERY_PARAMS) {
        *status = 414;
        return "the query has more than 64 parameters";
    }
    if (hw.content_length > 1)
        return "more than one Content-Length header";
    if (hw.transfer_encoding) {
        if (hw.transfer_encoding > 1 || !hw.chunked)
            return "unsupported Transfer-Encoding: only one 'chunked' is accepted";
        if (hw.content_length)
            return "both Transfer-Encoding and Content-Length";
        if (strcmp(version, MHD_HTTP_VERSION_1_0) == 0)
            return "Transfer-Encoding in an HTTP/1.0 request";
    }
    return NULL;
}

/* The value of hexadecimal digit 'c', or -1. */
static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Append 'n' bytes of 's' (a query key or value) to 'b' decoded as libmicrohttpd decodes
 * them: '+' is a space, %XX a byte, a malformed escape stays as it is. Returns false (with
 * 'b' partly appended) on %00, which a C string cannot carry. */
static bool add_unescaped(struct cbk_buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] == '+') {
            cbk_buf_addc(b, ' ');
        } else if (s[i] == '%' && i + 2 < n && (hi = hexval(s[i + 1])) >= 0 &&
                   (lo = hexval(s[i + 2])) >= 0) {
            if (hi == 0 && lo == 0)
                return false;
            cbk_buf_addc(b, (char)(hi << 4 | lo));
            i += 2;
        } else {
            cbk_buf_addc(b, s[i]);
        }
    }
    return true;
}

/* The raw query 'q' as the admin API reads it, into 'b': "key=value&key" with keys and values
 * decoded. Returns false on an encoded NUL. */
static bool query_decode(struct cbk_buf *b, const char *q)
{
    for (;;) {
        const char *amp = strchr(q, '&');
        size_t len = amp ? (size_t)(amp - q) : strlen(q);
        const char *eq = memchr(q, '=', len);
        if (b->len)
            cbk_buf_addc(b, '&');
        if (!add_unescaped(b, q, eq ? (size_t)(eq - q) : len))
            return false;
        if (eq) {
            cbk_buf_addc(b, '=');
            if (!add_unescaped(b, eq + 1, len - (size_t)(eq + 1 - q)))
                return false;
        }
        if (!amp)
            return true;
        q = amp + 1;
    }
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

/* The request is complete: have the handler decide the answer (into st->ans). */
static void decide(struct conn *st, const char *url, const char *method)
{
    if (st->sock) /* from here on, the whole-request timeout no longer applies */
        atomic_store_explicit(&st->sock->phase, SOCK_ANSWERING, memory_order_release);
    struct cbk_buf query = CBK_BUF_INIT(1 << 16);
    bool admin = strncmp(url, "/__cbkit", 8) == 0;
    if (admin && st->query && !query_decode(&query, st->query)) {
        cbk_buf_release(&query);
        protocol_refuse(st, 400, "the query has an encoded NUL character (%00)");
        return;
    }
    struct cbk_http_req req;
    memset(&req, 0, sizeof req);
    req.method = method;
    req.path = url;
    req.query = query.len ? cbk_buf_str(&query) : NULL;
    req.headers = st->h;
    req.nheaders = st->nh;
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
    struct cbk_httpd *m = cls;
    struct conn *st = *req_cls;
    if (!st) /* no request line seen (cannot happen: request_begins() is always installed) */
        *req_cls = st = request_begins(m, NULL, connection);
    if (!st->started) { /* the headers are complete */
        st->started = true;
        char buf[192];
        int status;
        const char *bad = head_check(st, method, version, buf, sizeof buf, &status);
        if (!bad)
            return MHD_YES;
        /* answered before the body is read: libmicrohttpd discards it and closes */
        protocol_refuse(st, status, bad);
        st->phase = 2;
        return send_answer(st);
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
    int64_t now_us = cbk_mono_us();
    struct sock *s = st->sock;
    if (s) { /* idle again: a new period for the whole-request timeout */
        s->req = NULL;
        atomic_store_explicit(&s->since_ms, now_us / 1000, memory_order_relaxed);
        atomic_store_explicit(&s->gen, atomic_load_explicit(&s->gen, memory_order_relaxed) + 1,
                              memory_order_relaxed);
        atomic_store_explicit(&s->phase, SOCK_IDLE, memory_order_release);
    }
    int sent = st->status_sent;
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && st->ans.fault == CBK_FAULT_NONE && sent)
        sent = -sent; /* started but not completed: the client went away */
    if (m->cfg.complete && st->phase > 0 && !st->protocol)
        m->cfg.complete(m->cfg.ctx, &st->ans, sent, now_us - st->t0_us);
    conn_put(st);
    *req_cls = NULL;
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
    struct MHD_OptionItem opts[10];
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
    return MHD_start_daemon(
        flags, (uint16_t)m->cfg.port, NULL, NULL, ahc, m, MHD_OPTION_NOTIFY_COMPLETED, completed, m,
        MHD_OPTION_EXTERNAL_LOGGER, logger, m, MHD_OPTION_NOTIFY_CONNECTION, notify_connection, m,
        MHD_OPTION_URI_LOG_CALLBACK, request_begins, m, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
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
 *
 * Limits: at its connection limit, or when accept() finds no file descriptor left, libmicrohttpd
 * takes the listen socket out of its epoll set, and puts it back only at the start of a run
 * that finds the limit gone. A run that closed connections of a full worker is therefore
 * followed by another at once (w->reopen, set by notify_connection()); without it the worker
 * would wait on an epoll set without the listen socket, for ever once the clients are gone.
 * When accept() failed for want of descriptors while the worker has no connection,
 * libmicrohttpd leaves the listen socket in the set, readable, and the wait would return at
 * once for ever: the worker waits ACCEPT_RETRY_MS on its wake-up event alone instead.
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
        w->reopen = false;
        MHD_run(w->daemon);
        if (w->busy || w->reopen)
            continue; /* under load, or to watch the listen socket again: look again at once */
        MHD_UNSIGNED_LONG_LONG left;
        int ms = -1;
        if (MHD_get_timeout(w->daemon, &left) == MHD_YES)
            ms = left > INT_MAX ? INT_MAX : (int)left;
        if (w->starved) { /* see above */
            w->starved = false;
            pf[1].revents = 0;
            ms = ms >= 0 && ms < ACCEPT_RETRY_MS ? ms : ACCEPT_RETRY_MS;
            if (poll(&pf[1], 1, ms) > 0 && (pf[1].revents & POLLIN)) {
                uint64_t n;
                if (read(w->wake_fd, &n, sizeof n) < 0) {
                    /* EAGAIN: reset already */
                }
            }
            continue;
        }
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
        sock_list_init(&w->socks);
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
        w->limit = limit ? limit / n + (i < limit % n) : 0;
        w->daemon = daemon_start(m, flags, where, w->limit);
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
    sock_list_init(&m->socks);
    /* the whole-request timeout is checked 4 times per client timeout, at most once a second */
    m->sweep_ms = cfg->client_timeout ? CBK_MAX(100, CBK_MIN(1000, cfg->client_timeout * 250)) : 0;
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
    /* the timer's last callback (a sweep walks the lists) may still be running: join it */
    cbk_timer_free(m->timer);
    conn_cache_release();
    for (unsigned i = 0; i < m->nworkers; i++)
        pthread_mutex_destroy(&m->workers[i].socks.mu);
    pthread_mutex_destroy(&m->socks.mu);
    free(m->workers);
    pthread_mutex_destroy(&m->log_mu);
    free(m->log_last);
    free(m->host);
    free(m);
}
