/*
 * jsonw.h - a small, fast JSON writer into a bounded buffer: compact output (no spaces),
 * commas and nesting tracked for the caller. Used to build mock responses and reports without
 * going through a DOM. Strings are escaped per RFC 8259; numbers are written exactly.
 */
#ifndef CBK_JSONW_H
#define CBK_JSONW_H

#include "core/setup.h"
#include "core/buf.h"

#define CBK_JSONW_MAX_DEPTH 64

struct cbk_jsonw {
    struct cbk_buf *b;
    unsigned depth;
    bool first[CBK_JSONW_MAX_DEPTH]; /* no member/element written yet at this level */
    bool after_key;
    bool failed; /* a write hit the buffer limit or nesting was exceeded */
};

void cbk_jsonw_init(struct cbk_jsonw *w, struct cbk_buf *b);
void cbk_jsonw_obj(struct cbk_jsonw *w); /* { */
void cbk_jsonw_end_obj(struct cbk_jsonw *w);
void cbk_jsonw_arr(struct cbk_jsonw *w); /* [ */
void cbk_jsonw_end_arr(struct cbk_jsonw *w);
void cbk_jsonw_key(struct cbk_jsonw *w, const char *key);
void cbk_jsonw_keyn(struct cbk_jsonw *w, const char *key, size_t len);
void cbk_jsonw_str(struct cbk_jsonw *w, const char *s);
void cbk_jsonw_strn(struct cbk_jsonw *w, const char *s, size_t len);
void cbk_jsonw_int(struct cbk_jsonw *w, int64_t v);
void cbk_jsonw_uint(struct cbk_jsonw *w, uint64_t v);
void cbk_jsonw_double(struct cbk_jsonw *w, double v);
/* Epoch seconds with millisecond fraction from milliseconds: 1700000000123 -> 1700000000.123 */
void cbk_jsonw_epoch_ms(struct cbk_jsonw *w, int64_t ms);
void cbk_jsonw_bool(struct cbk_jsonw *w, bool v);
void cbk_jsonw_null(struct cbk_jsonw *w);
/* Insert already-serialized JSON as one value. */
void cbk_jsonw_raw(struct cbk_jsonw *w, const char *json, size_t len);
/* key + value shorthands */
void cbk_jsonw_kstr(struct cbk_jsonw *w, const char *key, const char *s);
void cbk_jsonw_kint(struct cbk_jsonw *w, const char *key, int64_t v);
void cbk_jsonw_kbool(struct cbk_jsonw *w, const char *key, bool v);
void cbk_jsonw_kepoch_ms(struct cbk_jsonw *w, const char *key, int64_t ms);

#endif
