/*
 * timer.c - deadline callbacks on one thread (see timer.h).
 */
#include "core/setup.h"
#include "server/timer.h"
#include "core/clock.h"
#include "core/alloc.h"

#include <pthread.h>

struct item {
    int64_t due;
    uint64_t seq; /* ties keep insertion order */
    void (*fn)(void *arg);
    void *arg;
};

struct cbk_timer {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    struct item *heap;
    size_t n, alloc;
    uint64_t seq;
    bool stopping, flushing;
};

static bool before(const struct item *a, const struct item *b)
{
    return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void sift_up(struct item *h, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!before(&h[i], &h[p]))
            break;
        struct item t = h[i];
        h[i] = h[p];
        h[p] = t;
        i = p;
    }
}

static void sift_down(struct item *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && before(&h[l], &h[m]))
            m = l;
        if (r < n && before(&h[r], &h[m]))
            m = r;
        if (m == i)
            return;
        struct item t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

static struct item pop(struct cbk_timer *t)
{
    struct item top = t->heap[0];
    t->heap[0] = t->heap[--t->n];
    sift_down(t->heap, t->n, 0);
    return top;
}

static void *run(void *arg)
{
    struct cbk_timer *t = arg;
    pthread_mutex_lock(&t->mu);
    for (;;) {
        if (t->n == 0) {
            if (t->stopping)
                break;
            pthread_cond_wait(&t->cv, &t->mu);
            continue;
        }
        int64_t now = cbk_mono_ms();
        if (t->heap[0].due > now && !t->flushing) {
            int64_t wait = t->heap[0].due - now;
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            ts.tv_sec += wait / 1000;
            ts.tv_nsec += (wait % 1000) * 1000000;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&t->cv, &t->mu, &ts);
            continue;
        }
        struct item it = pop(t);
        pthread_mutex_unlock(&t->mu);
        it.fn(it.arg);
        pthread_mutex_lock(&t->mu);
    }
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

struct cbk_timer *cbk_timer_new(void)
{
    struct cbk_timer *t = cbk_xcalloc(1, sizeof(*t));
    pthread_mutex_init(&t->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&t->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&t->thread, NULL, run, t) != 0) {
        pthread_cond_destroy(&t->cv);
        pthread_mutex_destroy(&t->mu);
        free(t);
        return NULL;
    }
    return t;
}

int cbk_timer_at(struct cbk_timer *t, int64_t due_ms, void (*fn)(void *arg), void *arg)
{
    pthread_mutex_lock(&t->mu);
    if (t->stopping) {
        pthread_mutex_unlock(&t->mu);
        return -1;
    }
    CBK_GROW(t->heap, t->n + 1, t->alloc);
    t->heap[t->n] = (struct item){due_ms, t->seq++, fn, arg};
    sift_up(t->heap, t->n);
    t->n++;
    pthread_cond_signal(&t->cv);
    pthread_mutex_unlock(&t->mu);
    return 0;
}

void cbk_timer_flush(struct cbk_timer *t)
{
    pthread_mutex_lock(&t->mu);
    t->flushing = true;
    t->stopping = true;
    pthread_cond_signal(&t->cv);
    /* wait until the thread has run everything */
    while (t->n) {
        pthread_mutex_unlock(&t->mu);
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
        pthread_mutex_lock(&t->mu);
    }
    pthread_mutex_unlock(&t->mu);
}

size_t cbk_timer_pending(struct cbk_timer *t)
{
    pthread_mutex_lock(&t->mu);
    size_t n = t->n;
    pthread_mutex_unlock(&t->mu);
    return n;
}

void cbk_timer_free(struct cbk_timer *t)
{
    if (!t)
        return;
    cbk_timer_flush(t);
    pthread_join(t->thread, NULL);
    free(t->heap);
    pthread_cond_destroy(&t->cv);
    pthread_mutex_destroy(&t->mu);
    free(t);
}
