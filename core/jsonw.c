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

static void put(struct cbk_jsonw *w, const char *s, size_t n)
{
    if (cbk_buf_add(w->b, s, n) != CBK_OK)
        w->failed = true;
}

/* Separator before a value (or a key): a comma unless first at this level or after a key. */
static void sep(struct cbk_jsonw *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (!w->first[w->depth])
        put(w, ",", 1);
    w->first[w->depth] = false;
}

static void open(struct cbk_jsonw *w, char c)
{
    sep(w);
    put(w, &c, 1);
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
    put(w, &c, 1);
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
    sep(w);
    if (cbk_buf_add_json_str(w->b, key, len) != CBK_OK)
        w->failed = true;
    put(w, ":", 1);
    w->after_key = true;
}

void cbk_jsonw_key(struct cbk_jsonw *w, const char *key)
{
    cbk_jsonw_keyn(w, key, strlen(key));
}

void cbk_jsonw_strn(struct cbk_jsonw *w, const char *s, size_t len)
{
    sep(w);
    if (cbk_buf_add_json_str(w->b, s, len) != CBK_OK)
        w->failed = true;
}

void cbk_jsonw_str(struct cbk_jsonw *w, const char *s)
{
    cbk_jsonw_strn(w, s, strlen(s));
}

static size_t fmt_u64(char *end, uint64_t v)
{
    char *p = end;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return (size_t)(end - p);
}

void cbk_jsonw_uint(struct cbk_jsonw *w, uint64_t v)
{
    char tmp[24];
    size_t n = fmt_u64(tmp + sizeof tmp, v);
    sep(w);
    put(w, tmp + sizeof tmp - n, n);
}

void cbk_jsonw_int(struct cbk_jsonw *w, int64_t v)
{
    char tmp[24];
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    size_t n = fmt_u64(tmp + sizeof tmp, u);
    if (v < 0) {
        tmp[sizeof tmp - n - 1] = '-';
        n++;
    }
    sep(w);
    put(w, tmp + sizeof tmp - n, n);
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
    sep(w);
    put(w, tmp, (size_t)n);
}

void cbk_jsonw_epoch_ms(struct cbk_jsonw *w, int64_t ms)
{
    char tmp[32];
    bool neg = ms < 0;
    uint64_t u = neg ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
    char *end = tmp + sizeof tmp;
    char *p = end;
    unsigned frac = (unsigned)(u % 1000);
    *--p = (char)('0' + frac % 10);
    *--p = (char)('0' + frac / 10 % 10);
    *--p = (char)('0' + frac / 100);
    *--p = '.';
    uint64_t sec = u / 1000;
    do {
        *--p = (char)('0' + sec % 10);
        sec /= 10;
    } while (sec);
    if (neg)
        *--p = '-';
    sep(w);
    put(w, p, (size_t)(end - p));
}

void cbk_jsonw_bool(struct cbk_jsonw *w, bool v)
{
    sep(w);
    if (v)
        put(w, "true", 4);
    else
        put(w, "false", 5);
}

void cbk_jsonw_null(struct cbk_jsonw *w)
{
    sep(w);
    put(w, "null", 4);
}

void cbk_jsonw_raw(struct cbk_jsonw *w, const char *json, size_t len)
{
    sep(w);
    put(w, json, len);
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
