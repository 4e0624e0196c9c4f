/*
 * cbkit/cassette.h - cassettes (docs/cassettes.md): recorded exchanges in a human-readable,
 * hand-editable, append-only YAML file; loaded into an index so that finding the answer to a
 * request costs the same for 10 or 100,000 exchanges.
 */
#ifndef CBKIT_CASSETTE_H
#define CBKIT_CASSETTE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "cbkit/error.h"
#include "cbkit/http.h"
#include "cbkit/spec.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One finding of the validator, as a cassette keeps it. */
struct cbk_cassette_finding {
    const char *path, *rule, *message;
    bool warning;
};

/* One recorded exchange. Every pointer is owned by the cassette (or the caller, for append). */
struct cbk_exchange {
    size_t index; /* its number: the place of its document in the file (1-based; an ignored
                   * exchange keeps its place) */
    int line;     /* line of its '---' in the file (0 when not from a file) */
    const char *operation;
    int64_t recorded_ms;
    int64_t latency_ms;
    const struct cbk_http_header *req_headers;
    size_t nreq_headers;
    const char *req_body;
    size_t req_body_len;
    int status;
    const struct cbk_http_header *resp_headers;
    size_t nresp_headers;
    const char *resp_body;
    size_t resp_body_len;
    /* validation when recorded */
    bool req_checked, req_valid, resp_checked, resp_valid;
    const struct cbk_cassette_finding *req_findings, *resp_findings;
    size_t nreq_findings, nresp_findings;
};

struct cbk_cassette;

/*
 * Load a cassette, indexing its exchanges for 'spec' (borrowed; must outlive it). On success
 * returns CBK_OK and sets *out (free with cbk_cassette_free()); a tail cut short by a crash
 * is dropped with a warning in 'diags' naming it. Damage anywhere else is CBK_E_CASSETTE with
 * its location; an unreadable file CBK_E_IO.
 */
enum cbk_code cbk_cassette_load_file(const struct cbk_spec *spec, const char *path,
                                     struct cbk_cassette **out, struct cbk_diags *diags);
enum cbk_code cbk_cassette_load_buffer(const struct cbk_spec *spec, const char *buf, size_t len,
                                       const char *file, struct cbk_cassette **out,
                                       struct cbk_diags *diags);
void cbk_cassette_free(struct cbk_cassette *c);
size_t cbk_cassette_count(const struct cbk_cassette *c);
const struct cbk_exchange *cbk_cassette_at(const struct cbk_cassette *c, size_t i);
const char *cbk_cassette_file(const struct cbk_cassette *c);

/*
 * Request members left out of matching besides the spec's volatile and sensitive members:
 * JSON pointers in which a token '*' stands for any one token, such as
 * /environmentVariablesOverride/<*>/value written with a bare star. Call before lookups.
 */
void cbk_cassette_ignore(struct cbk_cassette *c, const char *pointer);
/* Repeated identical requests: when their recordings run out, repeat the last (default) or
 * treat the request as unmatched. */
void cbk_cassette_repeat_last(struct cbk_cassette *c, bool repeat);

/*
 * Add a copy of exchange 'x' (recorded live, e.g. by the mock's --record-missing) to the loaded
 * cassette 'c', so later requests find it; 'used' says it already answered the request it was
 * recorded for. Thread-safe; never fails (out of memory aborts).
 */
void cbk_cassette_add(struct cbk_cassette *c, const struct cbk_exchange *x, bool used);
/*
 * The recorded exchange that answers a request of 'op' with body body[0..len): the next of
 * the exchanges recorded for an equal request (JSON compared as JSON; volatile, sensitive and
 * ignored members left out), in order. Thread-safe. Returns NULL when none matches; then, if
 * 'near_miss' is not NULL, it gets a one-line report naming the closest recorded request of
 * the operation and the JSON pointers where they differ.
 */
const struct cbk_exchange *cbk_cassette_lookup(struct cbk_cassette *c,
                                               const struct cbk_operation *op, const char *body,
                                               size_t len, char **near_miss);
/* Start every sequence of repeated requests from its first recording again. */
void cbk_cassette_rewind(struct cbk_cassette *c);

/* ---- writing ------------------------------------------------------------------------------ */

enum cbk_cassette_mode {
    CBK_CASSETTE_CREATE,    /* refuse an existing file */
    CBK_CASSETTE_APPEND,    /* add to an existing file (created when missing) */
    CBK_CASSETTE_OVERWRITE, /* start the file again */
};

struct cbk_cassette_writer;

/*
 * Open 'path' for recording exchanges of 'spec' from 'upstream' (free text for the header).
 * CREATE refuses an existing file (CBK_E_IO, "already exists"); APPEND checks that the file
 * is a cassette that loads (a tail cut short is marked ignored, never rewritten) and numbers
 * new exchanges after the last one. On failure *out is NULL and 'diags' says why.
 */
enum cbk_code cbk_cassette_writer_open(const char *path, enum cbk_cassette_mode mode,
                                       const struct cbk_spec *spec, const char *upstream,
                                       struct cbk_cassette_writer **out, struct cbk_diags *diags);
/*
 * Append one exchange and make it durable (written, then fdatasync) before returning; its
 * 'index' and 'line' (where its "---" is in the file) are assigned. Thread-safe.
 * On failure (a full disk) returns CBK_E_IO with errno kept, 'index' and 'line' 0, the reason
 * in 'diags' (may be NULL), and the file as it was: what was written of the exchange is cut
 * off again, so the cassette still loads and the next exchange gets the place this one would
 * have had. If that cut fails too, the writer refuses every later append (CBK_E_IO, saying
 * why): nothing is ever written after a partial document.
 */
enum cbk_code cbk_cassette_append(struct cbk_cassette_writer *w, struct cbk_exchange *x,
                                  struct cbk_diags *diags);
/* Exchange documents written so far, including those already in an appended file (ignored
 * ones too): the number of the last. */
size_t cbk_cassette_writer_count(struct cbk_cassette_writer *w);
void cbk_cassette_writer_close(struct cbk_cassette_writer *w);

/* Append the YAML document of one exchange (the exact text the writer writes) to 'out'. */
struct cbk_buf;
void cbk_cassette_format_exchange(const struct cbk_exchange *x, struct cbk_buf *out);

#ifdef __cplusplus
}
#endif
#endif
