/*
 * cbkit/http.h - an HTTP request and the answer to send, as the servers of cbkit (the mock,
 * the recorder) hand them to their request logic. Plain data; nothing here does I/O.
 */
#ifndef CBKIT_HTTP_H
#define CBKIT_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

struct cbk_http_header {
    const char *name;
    const char *value;
};

struct cbk_http_req {
    const char *method;                    /* "POST" */
    const char *path;                      /* "/" (without the query string) */
    const char *query;                     /* after '?', or NULL */
    const struct cbk_http_header *headers; /* names compared case-insensitively */
    size_t nheaders;
    const char *body; /* body_len bytes, which need not be followed by a NUL */
    size_t body_len;
    bool body_too_large; /* the body exceeded max_body and was not kept */
    size_t body_size;    /* its real size when too large */
    bool peer_is_loopback;
};

enum cbk_fault_kind {
    CBK_FAULT_NONE,
    CBK_FAULT_RESET,    /* TCP reset, no answer */
    CBK_FAULT_CLOSE,    /* close the connection without answering */
    CBK_FAULT_TRUNCATE, /* send the headers (full Content-Length) and part of the body, close */
    CBK_FAULT_STALL,    /* never answer; the connection is closed after stall_ms */
    CBK_FAULT_DRIBBLE,  /* send the body in 'chunks' pieces spread over 'dribble_ms' */
};

/* Headers an answer can carry: the mock sets at most 4 of its own; a forwarded or replayed
 * answer keeps up to CBK_ANSWER_MAX_HEADERS - 2 of the upstream's (AWS sends about 6). */
#define CBK_ANSWER_MAX_HEADERS 40

/* What to send back. Strings live in the arena given to cbk_mock_handle(). */
struct cbk_http_answer {
    int status;
    struct cbk_http_header headers[CBK_ANSWER_MAX_HEADERS];
    size_t nheaders;
    const char *body;
    size_t body_len;
    unsigned delay_ms; /* wait before answering (latency faults) */
    enum cbk_fault_kind fault;
    size_t truncate_at; /* CBK_FAULT_TRUNCATE: body bytes sent before closing */
    unsigned chunks;    /* CBK_FAULT_DRIBBLE */
    unsigned dribble_ms;
    unsigned stall_ms;   /* CBK_FAULT_STALL */
    uint64_t journal_id; /* the journal entry (0 for admin requests) */
};

#ifdef __cplusplus
}
#endif
#endif
