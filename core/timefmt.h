/*
 * timefmt.h - ISO 8601 UTC times <-> epoch milliseconds; HTTP dates.
 */
#ifndef CBK_TIMEFMT_H
#define CBK_TIMEFMT_H

#include "core/setup.h"

/*
 * The last time ISO 8601 names with a four-digit year, 9999-12-31T23:59:59.999Z, in epoch
 * milliseconds: cbk_parse_iso8601_ms() reads years 1970..9999, and times the mock keeps (its
 * clock, seeded builds) stay within 0..CBK_TIME_MAX_MS so that adding durations to them cannot
 * overflow an int64_t.
 */
#define CBK_TIME_MAX_MS INT64_C(253402300799999)

/* "2026-11-21T18:30:00.123Z" for epoch milliseconds, into out[32]. */
void cbk_iso8601_ms(int64_t ms, char out[32]);
/* "Sat, 21 Nov 2026 18:30:00 GMT" (RFC 9110 IMF-fixdate) for epoch seconds, into out[32]. */
void cbk_http_date(int64_t sec, char out[32]);
/* Epoch milliseconds of a UTC calendar time, years 1970..9999 (second 60 allowed, as a leap
 * second); -1 when a field is out of range (nothing is normalised: month 13 is refused). */
int64_t cbk_utc_ms(int year, int month, int day, int hour, int minute, int second);
/* Parse "2026-11-21T18:00:00Z", "...:00.123Z" or "...+00:00" (UTC only); 0 or -1. */
int cbk_parse_iso8601_ms(const char *s, int64_t *out);

#endif
