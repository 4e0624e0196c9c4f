/*
 * clock.c - monotonic and wall-clock time (see clock.h).
 */
#include "core/setup.h"
#include "core/clock.h"

int64_t cbk_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t cbk_mono_ms(void)
{
    return cbk_mono_us() / 1000;
}

int64_t cbk_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
