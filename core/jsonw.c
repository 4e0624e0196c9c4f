/*
 * jsonw.c - compact JSON writer (see jsonw.h).
 */
#include "core/setup.h"
#include "core/jsonw.h"

#include <math.h>

void cbk_jsonw_init(struct cbk_jsonw *w, struct cbk_buf *b)
{
    w->b = b;
    w->depth = 0;
    w->first[0] = true;
    w->after_key = false;
    w->failed = false;
}

/* A value of 'n' bytes of text (or the start of one), after its separator. */
static void value(struct cbk_jsonw *w, const char *text, size_t n)
{
    cbk__jsonw_sep(w);
    cbk__jsonw_put(w, text, n);
}

static void open(struct cbk_jsonw *w, char c)
{
    value(w, &c, 1);
    if (w->depth + 1 >= CBK_JSONW_MAX_DEPTH) {
        w->failed = true;
        return;
    }
    w->depth++;
    w->first[w->depth] = true;
}

static void close_(struct cbk_jsonw *w, char c)
{
    if (w->depth > 0)
        w->depth--;
    cbk__jsonw_put(w, &c, 1);
}

void cbk_jsonw_obj(struct cbk_jsonw *w)
{
    open(w, '{');
}

void cbk_jsonw_end_obj(struct cbk_jsonw *w)
{
    close_(w, '}');
}

void cbk_jsonw_arr(struct cbk_jsonw *w)
{
    open(w, '[');
}

void cbk_jsonw_end_arr(struct cbk_jsonw *w)
{
    close_(w, ']');
}

void cbk_jsonw_keyn(struct cbk_jsonw *w, const char *key, size_t len)
{
    cbk__jsonw_sep(w);
    if (cbk_buf_add_json_str(w->b, key, len) != CBK_OK)
        w->failed = true;
    cbk__jsonw_put(w, ":", 1);
    w->after_key = true;
}

void cbk_jsonw_key(struct cbk_jsonw *w, const char *key)
{
    cbk_jsonw_keyn(w, key, strlen(key));
}

void cbk_jsonw_strn(struct cbk_jsonw *w, const char *s, size_t len)
{
    cbk__jsonw_sep(w);
    if (cbk_buf_add_json_str(w->b, s, len) != CBK_OK)
        w->failed = true;
}

void cbk_jsonw_str_begin(struct cbk_jsonw *w)
{
    value(w, "\"", 1);
}

void cbk_jsonw_str_part(struct cbk_jsonw *w, const char *s, size_t len)
{
    if (cbk_buf_add_json_chars(w->b, s, len) != CBK_OK)
        w->failed = true;
}

void cbk_jsonw_str_end(struct cbk_jsonw *w)
{
    cbk__jsonw_put(w, "\"", 1);
}

void cbk_jsonw_str(struct cbk_jsonw *w, const char *s)
{
    cbk_jsonw_strn(w, s, strlen(s));
}

/* "00".."99": two digits a division */
static const char digits2[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233"
    "34353637383940414243444546474849505152535455565758596061626364656667"
    "6869707172737475767778798081828384858687888990919293949596979899";

/* Write 'v' in decimal ending just before 'end'; returns the number of digits. */
static size_t fmt_u64(char *end, uint64_t v)
{
    char *p = end;
    while (v >= 100) {
        unsigned d = (unsigned)(v % 100) * 2;
        v /= 100;
        *--p = digits2[d + 1];
        *--p = digits2[d];
    }
    if (v >= 10) {
        unsigned d = (unsigned)v * 2;
        *--p = digits2[d + 1];
        *--p = digits2[d];
    } else {
        *--p = (char)('0' + v);
    }
    return (size_t)(end - p);
}

void cbk_jsonw_uint(struct cbk_jsonw *w, uint64_t v)
{
    char tmp[24];
    size_t n = fmt_u64(tmp + sizeof tmp, v);
    value(w, tmp + sizeof tmp - n, n);
}

size_t cbk_fmt_int(char out[CBK_INT_MAX], int64_t v)
{
    char tmp[24];
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    size_t n = fmt_u64(tmp + sizeof tmp, u);
    if (v < 0) {
        tmp[sizeof tmp - n - 1] = '-';
        n++;
    }
    memcpy(out, tmp + sizeof tmp - n, n);
    return n;
}

void cbk_jsonw_int(struct cbk_jsonw *w, int64_t v)
{
    char tmp[CBK_INT_MAX];
    size_t n = cbk_fmt_int(tmp, v);
    value(w, tmp, n);
}

void cbk_jsonw_double(struct cbk_jsonw *w, double v)
{
    char tmp[40];
    if (!isfinite(v)) {
        cbk_jsonw_str(w, isnan(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity");
        return;
    }
    int n = snprintf(tmp, sizeof tmp, "%.17g", v);
    /* prefer the shortest text that reads back the same */
    for (int prec = 1; prec < 17; prec++) {
        char t2[40];
        int m = snprintf(t2, sizeof t2, "%.*g", prec, v);
        if (strtod(t2, NULL) == v) {
            memcpy(tmp, t2, (size_t)m + 1);
            n = m;
            break;
        }
    }
    value(w, tmp, (size_t)n);
}

size_t cbk_fmt_epoch_ms(char out[CBK_EPOCH_MS_MAX], int64_t ms)
{
    char tmp[32];
    bool neg = ms < 0;
    uint64_t u = neg ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
    char *end = tmp + sizeof tmp;
    unsigned frac = (unsigned)(u % 1000);
    end[-3] = (char)('0' + frac / 100);
    end[-2] = digits2[(frac % 100) * 2];
    end[-1] = digits2[(frac % 100) * 2 + 1];
    end[-4] = '.';
    char *p = end - 4;
    p -= fmt_u64(p, u / 1000);
    if (neg)
        *--p = '-';
    size_t n = (size_t)(end - p); /* at most 1 + 16 + 1 + 3 digits and signs */
    memcpy(out, p, n);
    return n;
}

void cbk_jsonw_epoch_ms(struct cbk_jsonw *w, int64_t ms)
{
    char tmp[CBK_EPOCH_MS_MAX];
    size_t n = cbk_fmt_epoch_ms(tmp, ms);
    value(w, tmp, n);
}

void cbk_jsonw_plain(struct cbk_jsonw *w, const char *s, size_t n)
{
#ifndef NDEBUG
    for (size_t i = 0; i < n; i++)
        assert((unsigned char)s[i] >= 0x20 && s[i] != '"' && s[i] != '\\');
#endif
    cbk__jsonw_sep(w);
    if (cbk_buf_add_quoted(w->b, s, n) != CBK_OK)
        w->failed = true;
}

void cbk_jsonw_bool(struct cbk_jsonw *w, bool v)
{
    if (v)
        value(w, "true", 4);
    else
        value(w, "false", 5);
}

void cbk_jsonw_null(struct cbk_jsonw *w)
{
    value(w, "null", 4);
}

void cbk_jsonw_raw(struct cbk_jsonw *w, const char *json, size_t len)
{
    value(w, json, len);
}

void cbk_jsonw_kstr(struct cbk_jsonw *w, const char *key, const char *s)
{
    cbk_jsonw_key(w, key);
    cbk_jsonw_str(w, s);
}

void cbk_jsonw_kint(struct cbk_jsonw *w, const char *key, int64_t v)
{
    cbk_jsonw_key(w, key);
    cbk_jsonw_int(w, v);
}

void cbk_jsonw_kbool(struct cbk_jsonw *w, const char *key, bool v)
{
    cbk_jsonw_key(w, key);
    cbk_jsonw_bool(w, v);
}

void cbk_jsonw_kepoch_ms(struct cbk_jsonw *w, const char *key, int64_t ms)
{
    cbk_jsonw_key(w, key);
    cbk_jsonw_epoch_ms(w, ms);
}
