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

/* Internal to the writer, inline because every value goes through them: append bytes (a
 * buffer at its limit marks the writer failed) and write the separator a value or key needs. */
static inline void cbk__jsonw_put(struct cbk_jsonw *w, const char *s, size_t n)
{
    if (cbk_buf_add(w->b, s, n) != CBK_OK)
        w->failed = true;
}
static inline void cbk__jsonw_sep(struct cbk_jsonw *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (!w->first[w->depth])
        cbk__jsonw_put(w, ",", 1);
    w->first[w->depth] = false;
}

void cbk_jsonw_obj(struct cbk_jsonw *w); /* { */
void cbk_jsonw_end_obj(struct cbk_jsonw *w);
void cbk_jsonw_arr(struct cbk_jsonw *w); /* [ */
void cbk_jsonw_end_arr(struct cbk_jsonw *w);
void cbk_jsonw_key(struct cbk_jsonw *w, const char *key);
void cbk_jsonw_keyn(struct cbk_jsonw *w, const char *key, size_t len);
void cbk_jsonw_str(struct cbk_jsonw *w, const char *s);
void cbk_jsonw_strn(struct cbk_jsonw *w, const char *s, size_t len);
/* A string value written in parts (an ARN, a URL) without joining them first: begin, any
 * number of parts (each escaped as needed), end. */
void cbk_jsonw_str_begin(struct cbk_jsonw *w);
void cbk_jsonw_str_part(struct cbk_jsonw *w, const char *s, size_t len);
void cbk_jsonw_str_end(struct cbk_jsonw *w);
/* A part given as a string literal that needs no escaping (copied as it is). */
#define CBK_JSONW_STR_LIT(w, lit) cbk__jsonw_put((w), (lit), sizeof(lit) - 1)
void cbk_jsonw_int(struct cbk_jsonw *w, int64_t v);
void cbk_jsonw_uint(struct cbk_jsonw *w, uint64_t v);
void cbk_jsonw_double(struct cbk_jsonw *w, double v);
/* Epoch seconds with millisecond fraction from milliseconds: 1700000000123 -> 1700000000.123 */
void cbk_jsonw_epoch_ms(struct cbk_jsonw *w, int64_t ms);
/* The same text into 'out' (not NUL-terminated); returns its length. */
#define CBK_EPOCH_MS_MAX 24
size_t cbk_fmt_epoch_ms(char out[CBK_EPOCH_MS_MAX], int64_t ms);
/* 'v' in decimal into 'out' (not NUL-terminated), as cbk_jsonw_int() writes it; its length. */
#define CBK_INT_MAX 21
size_t cbk_fmt_int(char out[CBK_INT_MAX], int64_t v);
void cbk_jsonw_bool(struct cbk_jsonw *w, bool v);
void cbk_jsonw_null(struct cbk_jsonw *w);
/* Insert already-serialized JSON as one value. */
void cbk_jsonw_raw(struct cbk_jsonw *w, const char *json, size_t len);
/*
 * A key given already quoted with its colon ("\"name\":", 'n' bytes). CBK_JSONW_KEY() makes
 * that text from a string literal at compile time, for the hot paths that write many members:
 * no length to count and nothing to escape. The literal must need no JSON escaping.
 */
static inline void cbk_jsonw_rawkey(struct cbk_jsonw *w, const char *quoted, size_t n)
{
    cbk__jsonw_sep(w);
    cbk__jsonw_put(w, quoted, n);
    w->after_key = true;
}
#define CBK_JSONW_KEY(w, lit) cbk_jsonw_rawkey((w), "\"" lit "\":", sizeof(lit) + 2)
/* Members with such a key: a string (escaped as needed), an integer, an epoch time, a boolean. */
#define CBK_JSONW_KSTR(w, lit, s)    (CBK_JSONW_KEY(w, lit), cbk_jsonw_str((w), (s)))
#define CBK_JSONW_KINT(w, lit, v)    (CBK_JSONW_KEY(w, lit), cbk_jsonw_int((w), (v)))
#define CBK_JSONW_KEPOCH(w, lit, ms) (CBK_JSONW_KEY(w, lit), cbk_jsonw_epoch_ms((w), (ms)))
#define CBK_JSONW_KBOOL(w, lit, v)   (CBK_JSONW_KEY(w, lit), cbk_jsonw_bool((w), (v)))
/*
 * A string value the caller knows needs no escaping (a name from one of its own tables):
 * written between quotes as it is. Debug builds check the promise.
 */
void cbk_jsonw_plain(struct cbk_jsonw *w, const char *s, size_t n);
/* key + value shorthands */
void cbk_jsonw_kstr(struct cbk_jsonw *w, const char *key, const char *s);
void cbk_jsonw_kint(struct cbk_jsonw *w, const char *key, int64_t v);
void cbk_jsonw_kbool(struct cbk_jsonw *w, const char *key, bool v);
void cbk_jsonw_kepoch_ms(struct cbk_jsonw *w, const char *key, int64_t ms);

#endif
