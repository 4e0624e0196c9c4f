/*
 * jsonscan.h - a strict streaming JSON (RFC 8259) scanner that reports events instead of
 * building a tree. Strings and keys are delivered decoded (escapes resolved, UTF-8 checked)
 * with their length in code points; numbers are delivered as their raw text, checked against
 * the JSON grammar. The validator walks the compiled spec along these events.
 */
#ifndef CBK_JSONSCAN_H
#define CBK_JSONSCAN_H

#include "core/setup.h"
#include "core/buf.h"

enum cbk_jev {
    CBK_JEV_OBJ_START,
    CBK_JEV_OBJ_END,
    CBK_JEV_ARR_START,
    CBK_JEV_ARR_END,
    CBK_JEV_KEY,
    CBK_JEV_STRING,
    CBK_JEV_NUMBER,
    CBK_JEV_TRUE,
    CBK_JEV_FALSE,
    CBK_JEV_NULL,
};

struct cbk_jevent {
    enum cbk_jev type;
    const char *str; /* KEY/STRING: decoded bytes (not NUL-terminated); NUMBER: raw text */
    size_t len;
    size_t nchars;     /* KEY/STRING: length in Unicode code points */
    size_t offset;     /* byte offset of the token in the input */
    int line;          /* 1-based line of the token (0 when the source has no positions) */
    size_t line_start; /* byte offset where that line starts */
};

/* Returns 0 to continue, non-zero to stop the scan (the scan then returns 1). */
typedef int (*cbk_json_cb)(void *ctx, const struct cbk_jevent *ev);

struct cbk_json_error {
    int line, column; /* 1-based; column counts characters */
    size_t offset;
    char message[160];
};

#define CBK_JSON_MAX_DEPTH 1024

/*
 * Scan buf[0..len) and call 'cb' for each event, in document order. 'scratch' is a caller
 * buffer reused for decoded strings (keep it between scans to avoid allocation). Returns 0
 * when the whole input is one valid JSON value, 1 when the callback stopped the scan, and -1
 * on a syntax error (described in *err) or when nesting exceeds 'max_depth' (capped at
 * CBK_JSON_MAX_DEPTH). Events delivered before an error stay delivered.
 */
int cbk_json_scan(const char *buf, size_t len, size_t max_depth, struct cbk_buf *scratch,
                  cbk_json_cb cb, void *ctx, struct cbk_json_error *err);

/*
 * The string value of top-level member 'key' of the JSON object text buf[0..len), decoded,
 * into 'out' (reset first). False when the text is not an object, has no such member, or its
 * value is not a string. Cheaper than building a document for one or two members.
 */
bool cbk_json_top_string(const char *buf, size_t len, const char *key, struct cbk_buf *out);

#define CBK_JSON_TOP_MAX 8
/*
 * cbk_json_top_string() for up to CBK_JSON_TOP_MAX keys in one pass: outs[i] (reset first)
 * gets the value of keys[i] and found[i] says whether it was a string member (the first
 * occurrence of a key counts). The scan stops once every key has been seen.
 */
void cbk_json_top_strings(const char *buf, size_t len, const char *const *keys, size_t n,
                          struct cbk_buf *outs, bool *found);

/*
 * The strings of top-level member 'key' of the JSON object text buf[0..len), an array of
 * strings ("ids" of a batch read): each decoded and NUL-terminated, one after another in 'out'
 * (reset first); '*n' gets how many (0 when there is no such member; the last occurrence of a
 * key counts, as in a parsed document). False, with '*n' 0, when the text is not a valid JSON
 * object, or the member is not an array of strings, or one holds a NUL: a caller that must
 * answer those too reads them from a parsed document. No document is built.
 */
bool cbk_json_top_string_list(const char *buf, size_t len, const char *key, struct cbk_buf *out,
                              size_t *n);

/* 1-based character column of 'offset' on the line starting at 'line_start'. */
int cbk_json_column(const char *buf, size_t line_start, size_t offset);

/* Number of code points in valid UTF-8 text. */
size_t cbk_utf8_count(const char *s, size_t len);
/* Is s[0..len) valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF)? */
bool cbk_utf8_valid(const char *s, size_t len);

#endif
