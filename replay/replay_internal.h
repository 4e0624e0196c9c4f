/*
 * replay_internal.h - shared by the replay engine (replay.c), the body comparison
 * (replay_compare.c) and the report writers (replay_report.c).
 */
#ifndef CBK_REPLAY_INTERNAL_H
#define CBK_REPLAY_INTERNAL_H

#include "core/setup.h"
#include "core/arena.h"
#include "spec/pointers.h"
#include "cbkit/replay.h"

/* The marker the recorder writes in place of a secret (docs/cassettes.md). */
#define CBK_REPLAY_REDACTED_MARK "[REDACTED]"
/* Rendered values in differences are cut to about this many bytes. */
#define CBK_REPLAY_SHORT 60

struct cbk_replay {
    char *target;   /* without a trailing '/' */
    char *cassette; /* the cassette's file name ("" when not from a file) */
    struct cbk_replay_result *v;
    size_t n;
    struct cbk_arena strs; /* operation names and error codes of the results */
    int64_t started_ms;    /* wall clock, for reports */
    double seconds;
};

/* What a comparison leaves out or compares loosely. */
struct cbk__replay_cmp {
    const struct cbk_ptrpats *per_call; /* volatile and sensitive members (may be NULL) */
    const char *const *ignore;          /* user patterns: left out entirely */
    size_t nignore;
    bool error_body; /* __type left out, message compared as a note */
};

/*
 * Compare recorded[0..rl) with live[0..ll) as cbk_replay_compare_bodies() describes, with the
 * per-call pointers already worked out. Returns the mismatches appended to 'out'.
 */
size_t cbk__replay_compare(const struct cbk__replay_cmp *cmp, const char *recorded, size_t rl,
                           const char *live, size_t ll, struct cbk_replay_diffs *out);

/*
 * The per-call pointers of a body of 'op': the volatile and sensitive members of its output
 * shape, or, for an error body, of the error shape whose wire code is 'error_code' (among the
 * operation's errors, else any exception shape of the spec). Appends to 'set'; nothing when
 * 'op' is NULL or the error shape is unknown.
 */
void cbk__replay_per_call(struct cbk_ptrpats *set, const struct cbk_spec *spec,
                          const struct cbk_operation *op, bool error_body, const char *error_code);

/* Append a difference (copies every string; 'recorded'/'live' may be NULL for ""). */
void cbk__replay_diff_add(struct cbk_replay_diffs *d, enum cbk_replay_kind kind, bool note,
                          const char *pointer, const char *recorded, const char *live,
                          const char *fmt, ...) CBK_PRINTF(7, 8);

#endif
