/*
 * cbkit/replay.h - provider verification (docs/replay.md): send the requests of a cassette,
 * in order, to a live endpoint, re-signed with SigV4, and compare each answer with the one
 * recorded: the status, the error code a client reads, the live answer's validity against the
 * spec, and the body member by member, where per-call values (the spec's volatile members,
 * request ids and UUIDs, ignored pointers) count only for their presence and JSON type.
 *
 * The library never prints: results are data, and the writers render them as text, JSON or
 * JUnit XML into a FILE * or a malloc'd buffer; the caller decides where they go.
 */
#ifndef CBKIT_REPLAY_H
#define CBKIT_REPLAY_H

#include <stddef.h>
#include <stdio.h>
#include <stdbool.h>

#include "cbkit/cassette.h"
#include "cbkit/error.h"
#include "cbkit/spec.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a difference is about. Append only. */
enum cbk_replay_kind {
    CBK_REPLAY_STATUS,      /* the HTTP status differs */
    CBK_REPLAY_ERROR_CODE,  /* the error code a client reads (botocore) differs */
    CBK_REPLAY_VALUE,       /* same JSON type, different value */
    CBK_REPLAY_TYPE,        /* different JSON types */
    CBK_REPLAY_MISSING,     /* recorded, absent from the live answer */
    CBK_REPLAY_EXTRA,       /* in the live answer, not recorded */
    CBK_REPLAY_LENGTH,      /* lists of different lengths */
    CBK_REPLAY_NOT_JSON,    /* a body is not JSON and the bodies differ */
    CBK_REPLAY_SPEC,        /* the live answer breaks the spec (a note when clients tolerate it) */
    CBK_REPLAY_UNREACHABLE, /* no answer from the target; the message says why */
    CBK_REPLAY_REDACTED,    /* note: the request was sent with values redacted when recorded */
    CBK_REPLAY_MESSAGE,     /* note: an error answer's message differs */
    CBK_REPLAY_UNKNOWN_OP,  /* note: the operation is not in the spec (nothing is volatile) */
};
/* "status", "errorCode", "value", "type", "missing", "extra", ... (static storage). */
const char *cbk_replay_kind_name(enum cbk_replay_kind kind);

/* One difference (or note). Strings are owned by the list that holds it. */
struct cbk_replay_diff {
    enum cbk_replay_kind kind;
    bool note;      /* informational: does not make the exchange a mismatch */
    char *pointer;  /* RFC 6901 pointer into the body; "" for the whole body or no body */
    char *recorded; /* short rendering of the recorded side ("" when absent or not applicable) */
    char *live;     /* short rendering of the live side */
    char *message;  /* one line: "\"STOPPED\" recorded, \"FAILED\" live" */
};

/* A list of differences. Initialise with CBK_REPLAY_DIFFS_INIT or cbk_replay_diffs_init(). */
struct cbk_replay_diffs {
    struct cbk_replay_diff *v;
    size_t nr, alloc;
    size_t max;        /* keep at most this many (0: no limit); the rest only counted */
    size_t dropped;    /* differences and notes not kept because of 'max' */
    size_t mismatches; /* differences that are not notes, dropped ones included */
};
#define CBK_REPLAY_DIFFS_INIT                                                                      \
    {                                                                                              \
        NULL, 0, 0, 0, 0, 0                                                                        \
    }
/* Set up an empty list keeping at most 'max' entries (0: no limit). Allocates nothing. */
void cbk_replay_diffs_init(struct cbk_replay_diffs *d, size_t max);
/* Free every entry; the list is left empty and reusable (same 'max'). Accepts NULL. */
void cbk_replay_diffs_release(struct cbk_replay_diffs *d);

/*
 * Compare a recorded body with a live one, as replay does (docs/replay.md): same members,
 * recursively, same JSON types and same values; a null member counts as absent; lists by
 * length, then element by element. Compared only for presence and JSON type: the volatile and
 * sensitive members of operation 'op's output shape (of the error shape named by the body's
 * __type when 'error_body'), strings that equal each other once every UUID in them is
 * blanked out (request ids, generated ids), recorded values "[REDACTED]". Left out entirely:
 * members whose pointer matches one of the 'nignore' patterns 'ignore' ('*' matches any one
 * token) and, for error bodies, __type (compared as the error code by the caller); an error
 * body's message is compared as a note. 'op' may be NULL or unknown to 'spec' (nothing is
 * then volatile). Bodies that are not JSON are compared as text. Differences are appended to
 * 'out' in document order (recorded members first). Returns the number of mismatches appended
 * (notes not counted). Never fails.
 */
size_t cbk_replay_compare_bodies(const struct cbk_spec *spec, const char *op, bool error_body,
                                 const char *recorded, size_t recorded_len, const char *live,
                                 size_t live_len, const char *const *ignore, size_t nignore,
                                 struct cbk_replay_diffs *out);

/* One replayed exchange. Owned by its struct cbk_replay. */
struct cbk_replay_result {
    size_t exchange;       /* its number in the cassette (1-based) */
    int line;              /* the line of its document in the cassette */
    const char *operation; /* as recorded */
    bool answered;         /* the target answered (false: see its 'unreachable' difference) */
    bool matched;          /* answered and no mismatch (notes allowed) */
    int recorded_status;
    int live_status;            /* 0 when there was no answer */
    const char *recorded_error; /* the error code botocore reads, or NULL for a success */
    const char *live_error;
    double seconds; /* the live round trip */
    struct cbk_replay_diffs diffs;
};

/* Options of a replay. Strings are borrowed for the duration of cbk_replay_run(). */
struct cbk_replay_opts {
    const char *target;                                  /* "http[s]://host[:port]" (required) */
    const char *region;                                  /* signing region (NULL: us-east-1) */
    const char *access_key, *secret_key, *session_token; /* NULL key or secret: unsigned */
    unsigned connect_timeout_ms, timeout_ms;             /* per request; 0: 5 s, 60 s */
    const char *const *ignore;                           /* pointer patterns left out */
    size_t nignore;
    size_t max_diffs;    /* per exchange (0: 100) */
    size_t max_response; /* answer bytes (0: 64 MiB) */
    /* called after each exchange, in order, with its result (borrowed for the call); may be
     * NULL. For progress output while a long replay runs. */
    void (*progress)(void *ctx, const struct cbk_replay_result *result);
    void *progress_ctx;
};
#define CBK_REPLAY_OPTS_INIT                                                                       \
    {                                                                                              \
        NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL                              \
    }

struct cbk_replay;

/*
 * Replay every exchange of 'cassette' (loaded for 'spec'; both borrowed) against opts->target,
 * one at a time, in order. Returns CBK_OK when the replay ran, whatever it found (mismatches
 * and unanswered requests are results), and sets *out (free with cbk_replay_free()). When
 * the first three exchanges get no answer, the target is taken as down and the rest are not
 * sent (each is reported unanswered). CBK_E_USAGE, with *out NULL and the reason in 'diags',
 * for a target that is not an http:// or https:// URL or an ignore pattern that is not a
 * JSON pointer; CBK_E_UPSTREAM if libcurl cannot be set up.
 */
enum cbk_code cbk_replay_run(const struct cbk_spec *spec, const struct cbk_cassette *cassette,
                             const struct cbk_replay_opts *opts, struct cbk_replay **out,
                             struct cbk_diags *diags);
/* Free a replay and every result and difference it holds. Accepts NULL. */
void cbk_replay_free(struct cbk_replay *r);

/* The number of results (one per exchange of the cassette, in cassette order). */
size_t cbk_replay_count(const struct cbk_replay *r);
/* Result 'i' (borrowed: valid until cbk_replay_free()), or NULL when i >= the count. */
const struct cbk_replay_result *cbk_replay_at(const struct cbk_replay *r, size_t i);

struct cbk_replay_summary {
    size_t exchanges;  /* replayed (= results) */
    size_t matched;    /* answered, no mismatch */
    size_t mismatched; /* exchanges - matched (unanswered ones included) */
    size_t unanswered; /* no answer from the target */
    size_t notes;      /* notes over all exchanges */
    double seconds;    /* the whole replay */
};
/* Fill '*out' with the counts over every result. Never fails. */
void cbk_replay_summary(const struct cbk_replay *r, struct cbk_replay_summary *out);

enum cbk_replay_format {
    CBK_REPLAY_TEXT,  /* "exchange N OP: ok|MISMATCH", indented differences, a summary line */
    CBK_REPLAY_JSON,  /* one JSON document: target, cassette, summary, exchanges */
    CBK_REPLAY_JUNIT, /* JUnit XML: one test case per exchange, a failure per difference */
};

/* The whole report in 'format' as a malloc'd NUL-terminated string (caller frees); '*len'
 * (if not NULL) gets its length. Never NULL. */
char *cbk_replay_format(const struct cbk_replay *r, enum cbk_replay_format format, size_t *len);
/* Write the whole report to 'f' (and flush it). CBK_E_IO when it could not (errno kept). */
enum cbk_code cbk_replay_write(const struct cbk_replay *r, enum cbk_replay_format format, FILE *f);
/* The text lines of one exchange ("exchange N OP: ok" and its indented differences), each
 * ending with '\n'; caller frees. For progress callbacks. */
char *cbk_replay_result_text(const struct cbk_replay_result *result);
/* The text summary line, ending with '\n'; caller frees. */
char *cbk_replay_summary_text(const struct cbk_replay *r);

#ifdef __cplusplus
}
#endif
#endif
