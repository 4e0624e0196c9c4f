/*
 * timer.h - one thread that runs callbacks at given times (a min-heap of deadlines). The mock
 * uses it to resume suspended connections for latency, dribbled bodies and stalls, so that a
 * delayed answer never blocks a worker thread.
 */
#ifndef CBK_TIMER_H
#define CBK_TIMER_H

#include "core/setup.h"

struct cbk_timer;

/* Start the timer thread. Returns NULL if the thread cannot be created. */
struct cbk_timer *cbk_timer_new(void);
/*
 * Run fn(arg) on the timer thread at monotonic time 'due_ms' (now or in the past: as soon as
 * possible). Returns 0, or -1 when the timer is stopping (fn is then never called).
 */
int cbk_timer_at(struct cbk_timer *t, int64_t due_ms, void (*fn)(void *arg), void *arg);
/* Run every pending callback now (in deadline order), then stop accepting new ones. */
void cbk_timer_flush(struct cbk_timer *t);
/* Flush, stop the thread and free. Accepts NULL. */
void cbk_timer_free(struct cbk_timer *t);
/* Callbacks waiting. */
size_t cbk_timer_pending(struct cbk_timer *t);

#endif
