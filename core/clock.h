/*
 * clock.h - the clocks cbkit reads: monotonic time for timeouts, latencies and timers, and the
 * wall clock for what is sent as a time (the mock's own clock is built on the latter).
 */
#ifndef CBK_CLOCK_H
#define CBK_CLOCK_H

#include "core/setup.h"

/* Monotonic time (CLOCK_MONOTONIC) in microseconds / milliseconds. Never fails. */
int64_t cbk_mono_us(void);
int64_t cbk_mono_ms(void);
/* Wall-clock time (CLOCK_REALTIME) in epoch milliseconds. Never fails. */
int64_t cbk_wall_ms(void);

#endif
