/*
 * events.h - reading log streams for CloudWatch Logs' GetLogEvents and FilterLogEvents: the
 * events of a group or stream gathered from the behaviours that write them, time windows, the
 * term filter patterns, and the paging tokens. Pure functions over the gathered events.
 */
#ifndef CBK_LOGS_EVENTS_H
#define CBK_LOGS_EVENTS_H

#include "core/setup.h"
#include "cbkit/service.h"

/* One event; strings owned by the list. */
struct lg_event {
    char *stream;
    char *msg;
    size_t len;
    int64_t ts_ms, ingest_ms;
    size_t seq; /* its place in its stream (0-based), for event ids */
};

/* Events gathered from behaviours, at most LG_MAX_EVENTS (the first ones read are kept). */
struct lg_events {
    struct lg_event *v;
    size_t n, cap;
    bool truncated;
};
#define LG_MAX_EVENTS 100000

/* Gather the events of 'group' (of 'stream' only unless NULL) through 'logs'. Returns whether
 * a behaviour writes that group (stream). The list is emptied first; free with lg_events_free. */
bool lg_events_read(struct lg_events *ev, const struct cbk_svc_logs *logs, const char *account,
                    const char *group, const char *stream, int64_t now_ms);
void lg_events_free(struct lg_events *ev);

/* Sort by time, then stream name, then place in the stream (FilterLogEvents' order). */
void lg_events_sort(struct lg_events *ev);

/*
 * A FilterLogEvents filter pattern of terms (CloudWatch Logs' "match terms" syntax): terms that
 * must all appear ("ERROR", "\"exit status 2\""), '-term' that must not, '?term' of which one
 * must appear when any is given. JSON ('{...}') and space-delimited ('[...]') patterns are not
 * supported. Compiled once per request.
 */
struct lg_pattern {
    char **all, **none, **any;
    size_t nall, nnone, nany;
};
/* Compile 'text' (may be empty: everything matches). Returns 0, or -1 with a static reason. */
int lg_pattern_compile(struct lg_pattern *p, const char *text, const char **why);
bool lg_pattern_match(const struct lg_pattern *p, const char *msg, size_t len);
void lg_pattern_free(struct lg_pattern *p);

/* GetLogEvents' tokens: "f/" or "b/" and a position as 56 digits, as AWS writes them. */
void lg_token(char out[64], char dir, size_t pos);
/* Parse a token: its direction ('f' or 'b') and position. Returns false if it is not one. */
bool lg_token_parse(const char *s, char *dir, size_t *pos);

#endif
