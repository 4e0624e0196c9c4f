/*
 * timefmt.h - ISO 8601 UTC times <-> epoch milliseconds; HTTP dates.
 */
#ifndef CBK_TIMEFMT_H
#define CBK_TIMEFMT_H

#include "core/setup.h"

/* "2026-11-21T18:30:00.123Z" for epoch milliseconds, into out[32]. */
void cbk_iso8601_ms(int64_t ms, char out[32]);
/* "Sat, 21 Nov 2026 18:30:00 GMT" (RFC 9110 IMF-fixdate) for epoch seconds, into out[32]. */
void cbk_http_date(int64_t sec, char out[32]);
/* Parse "2026-11-21T18:00:00Z", "...:00.123Z" or "...+00:00" (UTC only); 0 or -1. */
int cbk_parse_iso8601_ms(const char *s, int64_t *out);

#endif
