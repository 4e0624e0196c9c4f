/*
 * test_core.c - unit tests of the foundation helpers: bounded buffers (core/buf), JSON
 * pointers (core/jsonptr), string tables (core/strtab), arenas (core/arena), whole-file reads
 * within a limit (core/file), and result codes and diagnostics (cbkit/error.h).
 */
#include "core/setup.h"

#include <setjmp.h>
#include <cmocka.h>
#include <json-c/json.h>
#include <pthread.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/file.h"
#include "core/hmap.h"
#include "core/jsonptr.h"
#include "core/jsonq.h"
#include "core/jsonw.h"
#include "core/regex.h"
#include "core/strtab.h"
#include "core/timefmt.h"
#include "cbkit/error.h"

/* ---- core/buf ----------------------------------------------------------------------------- */

static void buf_starts_empty(void **state)
{
    (void)state;
    struct cbk_buf b = CBK_BUF_INIT(16);
    assert_null(b.ptr);
    assert_string_equal(cbk_buf_str(&b), "");
    assert_int_equal(b.len, 0);
    struct cbk_buf c;
    cbk_buf_init(&c, 5);
    assert_null(c.ptr);
    assert_int_equal(c.max, 5);
    cbk_buf_release(&b);
    cbk_buf_release(&c);
}

static void buf_add_and_limit(void **state)
{
    (void)state;
    struct cbk_buf b = CBK_BUF_INIT(10);
    assert_int_equal(cbk_buf_add(&b, "hello", 5), CBK_OK);
    assert_int_equal(cbk_buf_adds(&b, "worl"), CBK_OK);
    assert_int_equal(cbk_buf_addc(&b, 'd'), CBK_OK); /* exactly max */
    assert_int_equal(b.len, 10);
    assert_string_equal(cbk_buf_str(&b), "helloworld");
    char *before = b.ptr;
    size_t cap = b.cap;

    /* every way of growing past max fails and leaves the buffer as it was */
    assert_int_equal(cbk_buf_addc(&b, '!'), CBK_E_LIMIT);
    assert_int_equal(cbk_buf_add(&b, "xy", 2), CBK_E_LIMIT);
    assert_int_equal(cbk_buf_adds(&b, "z"), CBK_E_LIMIT);
    assert_int_equal(cbk_buf_addf(&b, "%d", 7), CBK_E_LIMIT);
    assert_int_equal(cbk_buf_add(&b, "x", SIZE_MAX), CBK_E_LIMIT); /* no overflow */
    assert_int_equal(b.len, 10);
    assert_int_equal(b.cap, cap);
    assert_ptr_equal(b.ptr, before);
    assert_string_equal(cbk_buf_str(&b), "helloworld");

    /* adding nothing at the limit is fine */
    assert_int_equal(cbk_buf_add(&b, "", 0), CBK_OK);
    assert_int_equal(b.len, 10);
    cbk_buf_release(&b);
    assert_null(b.ptr);
    assert_int_equal(b.max, 10); /* reusable with the same maximum */
    assert_int_equal(cbk_buf_add(&b, "0123456789A", 11), CBK_E_LIMIT);
    assert_null(b.ptr);
    assert_string_equal(cbk_buf_str(&b), "");
    cbk_buf_release(&b);
}

static void buf_partial_limit_leaves_unchanged(void **state)
{
    (void)state;
    struct cbk_buf b = CBK_BUF_INIT(8);
    assert_int_equal(cbk_buf_adds(&b, "abcdef"), CBK_OK);
    assert_int_equal(cbk_buf_adds(&b, "ghi"), CBK_E_LIMIT); /* would be 9 */
    assert_string_equal(cbk_buf_str(&b), "abcdef");
    assert_int_equal(cbk_buf_adds(&b, "gh"), CBK_OK);
    assert_string_equal(cbk_buf_str(&b), "abcdefgh");
    cbk_buf_release(&b);
}

static void buf_addf_long(void **state)
{
    (void)state;
    /* longer than the 256-byte fast path of cbk_buf_vaddf */
    char big[1001];
    memset(big, 'q', 1000);
    big[1000] = '\0';
    struct cbk_buf b = CBK_BUF_INIT(4096);
    assert_int_equal(cbk_buf_addf(&b, "<%s>%d", big, 42), CBK_OK);
    assert_int_equal(b.len, 1004);
    assert_int_equal(b.ptr[0], '<');
    assert_int_equal(b.ptr[1000], 'q');
    assert_string_equal(b.ptr + 1001, ">42");
    cbk_buf_release(&b);

    struct cbk_buf s = CBK_BUF_INIT(600);
    assert_int_equal(cbk_buf_adds(&s, "pre"), CBK_OK);
    assert_int_equal(cbk_buf_addf(&s, "%s", big), CBK_E_LIMIT);
    assert_string_equal(cbk_buf_str(&s), "pre");
    assert_int_equal(s.len, 3);
    assert_int_equal(cbk_buf_addf(&s, "%.597s", big), CBK_OK);
    assert_int_equal(s.len, 600);
    cbk_buf_release(&s);
}

static void buf_truncate_reset_detach(void **state)
{
    (void)state;
    struct cbk_buf b = CBK_BUF_INIT(100);
    cbk_buf_adds(&b, "abcdef");
    cbk_buf_truncate(&b, 3);
    assert_string_equal(cbk_buf_str(&b), "abc");
    cbk_buf_truncate(&b, 10); /* longer than len: no change */
    assert_string_equal(cbk_buf_str(&b), "abc");
    char *p = b.ptr;
    cbk_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_ptr_equal(b.ptr, p); /* keeps the allocation */
    assert_string_equal(cbk_buf_str(&b), "");
    cbk_buf_adds(&b, "xyz");
    size_t len = 0;
    char *s = cbk_buf_detach(&b, &len);
    assert_string_equal(s, "xyz");
    assert_int_equal(len, 3);
    assert_null(b.ptr);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    free(s);

    /* detaching an empty buffer still gives a string the caller frees */
    s = cbk_buf_detach(&b, &len);
    assert_non_null(s);
    assert_string_equal(s, "");
    assert_int_equal(len, 0);
    free(s);
    s = cbk_buf_detach(&b, NULL);
    assert_string_equal(s, "");
    free(s);

    /* binary data with NULs */
    assert_int_equal(cbk_buf_add(&b, "a\0b", 3), CBK_OK);
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.ptr, "a\0b", 4);
    cbk_buf_release(&b);
}

static void json_str_expect(const char *in, size_t len, const char *want)
{
    struct cbk_buf b = CBK_BUF_INIT(1024);
    assert_int_equal(cbk_buf_add_json_str(&b, in, len), CBK_OK);
    assert_string_equal(cbk_buf_str(&b), want);
    assert_int_equal(b.len, strlen(want));
    cbk_buf_release(&b);
}

static void buf_json_string_escaping(void **state)
{
    (void)state;
    json_str_expect("", 0, "\"\"");
    json_str_expect("plain", 5, "\"plain\"");
    json_str_expect("a\"b\\c", 5, "\"a\\\"b\\\\c\"");
    json_str_expect("\n\r\t\b\f", 5, "\"\\n\\r\\t\\b\\f\"");
    json_str_expect("\x01\x1f", 2, "\"\\u0001\\u001f\"");
    json_str_expect("x\0y", 3, "\"x\\u0000y\"");
    /* '/' and DEL need no escape; UTF-8 passes through unchanged */
    json_str_expect("a/b\x7f", 4, "\"a/b\x7f\"");
    json_str_expect("h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 12,
                    "\"h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
    /* only 'len' bytes are read */
    json_str_expect("abcdef", 2, "\"ab\"");
    /* the scan of 8 bytes at a time finds a character to escape wherever it is, next to bytes
     * that may look like one to the word test (0x80..0xff, 0x21, 0x23, 0x5b, 0x5d, 0x20) */
    static const char specials[] = {'"', '\\', '\n', '\x01', '\x1f', '\0'};
    static const char *const escaped[] = {"\\\"", "\\\\", "\\n", "\\u0001", "\\u001f", "\\u0000"};
    static const char fillers[] = {'a', '\xff', '\x80', '!', '#', '[', ']', ' '};
    for (size_t f = 0; f < sizeof fillers; f++)
        for (size_t k = 0; k < sizeof specials; k++)
            for (size_t len = 1; len <= 24; len++)
                for (size_t at = 0; at < len; at++) {
                    char in[24], want[64];
                    memset(in, fillers[f], len);
                    in[at] = specials[k];
                    size_t w = 0;
                    want[w++] = '"';
                    for (size_t i = 0; i < len; i++) {
                        if (i == at) {
                            memcpy(want + w, escaped[k], strlen(escaped[k]));
                            w += strlen(escaped[k]);
                        } else {
                            want[w++] = fillers[f];
                        }
                    }
                    want[w++] = '"';
                    want[w] = '\0';
                    json_str_expect(in, len, want);
                }
    /* and none where there is none */
    for (size_t f = 0; f < sizeof fillers; f++) {
        char in[40], want[43];
        memset(in, fillers[f], sizeof in);
        want[0] = '"';
        memset(want + 1, fillers[f], sizeof in);
        want[41] = '"';
        want[42] = '\0';
        json_str_expect(in, sizeof in, want);
    }

    /* appends after existing content */
    struct cbk_buf b = CBK_BUF_INIT(64);
    cbk_buf_adds(&b, "k=");
    assert_int_equal(cbk_buf_add_json_str(&b, "v", 1), CBK_OK);
    assert_string_equal(cbk_buf_str(&b), "k=\"v\"");
    cbk_buf_release(&b);
}

static void buf_json_string_limit(void **state)
{
    (void)state;
    /* "\"a\\nb\"" is 6 bytes: fits in 6, not in 5; a failure leaves the buffer unchanged */
    struct cbk_buf b = CBK_BUF_INIT(9);
    cbk_buf_adds(&b, "xyz");
    assert_int_equal(cbk_buf_add_json_str(&b, "a\nb", 3), CBK_OK);
    assert_string_equal(cbk_buf_str(&b), "xyz\"a\\nb\"");
    cbk_buf_release(&b);

    for (size_t max = 3; max < 9; max++) {
        struct cbk_buf s = CBK_BUF_INIT(max);
        cbk_buf_adds(&s, "xyz");
        assert_int_equal(cbk_buf_add_json_str(&s, "a\nb", 3), CBK_E_LIMIT);
        assert_string_equal(cbk_buf_str(&s), "xyz");
        assert_int_equal(s.len, 3);
        cbk_buf_release(&s);
    }
}

/* The escaping of cbk_buf_add_json_str() without the quotes, and the same rollback. */
static void buf_json_chars(void **state)
{
    (void)state;
    struct cbk_buf b = CBK_BUF_INIT(64);
    assert_int_equal(cbk_buf_add_json_chars(&b, "ab", 2), CBK_OK);
    assert_int_equal(cbk_buf_add_json_chars(&b, "c\"d\n", 4), CBK_OK);
    assert_int_equal(cbk_buf_add_json_chars(&b, "", 0), CBK_OK);
    assert_string_equal(cbk_buf_str(&b), "abc\\\"d\\n");
    cbk_buf_release(&b);
    /* at the limit: nothing of the part stays */
    struct cbk_buf s = CBK_BUF_INIT(6);
    cbk_buf_adds(&s, "xyz");
    assert_int_equal(cbk_buf_add_json_chars(&s, "a\nb", 3), CBK_E_LIMIT);
    assert_string_equal(cbk_buf_str(&s), "xyz");
    assert_int_equal(cbk_buf_add_json_chars(&s, "abcd", 4), CBK_E_LIMIT);
    assert_string_equal(cbk_buf_str(&s), "xyz");
    assert_int_equal(cbk_buf_add_json_chars(&s, "abc", 3), CBK_OK);
    assert_string_equal(cbk_buf_str(&s), "xyzabc");
    cbk_buf_release(&s);
}

/* ---- core/jsonw.h ------------------------------------------------------------------------- */

/* Integers and epoch times as the writer formats them, against printf's text of the same
 * values: edges, and a sweep of magnitudes. */
static void jsonw_numbers(void **state)
{
    (void)state;
    static const int64_t ints[] = {0,         1,         9,
                                   10,        99,        100,
                                   101,       999,       1000,
                                   12345,     -1,        -10,
                                   -99,       -100,      1700000000123LL,
                                   INT64_MAX, INT64_MIN, INT64_MIN + 1};
    char got[CBK_EPOCH_MS_MAX + 1], want[64];
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        size_t n = cbk_fmt_int(got, ints[i]);
        got[n] = '\0';
        snprintf(want, sizeof want, "%" PRId64, ints[i]);
        assert_string_equal(got, want);
    }
    for (uint64_t v = 1; v < UINT64_MAX / 7; v = v * 7 + 3) {
        for (int sign = 0; sign < 2; sign++) {
            int64_t x = sign ? -(int64_t)v : (int64_t)v;
            size_t n = cbk_fmt_int(got, x);
            got[n] = '\0';
            snprintf(want, sizeof want, "%" PRId64, x);
            assert_string_equal(got, want);
            /* milliseconds as seconds with three decimals */
            n = cbk_fmt_epoch_ms(got, x);
            got[n] = '\0';
            snprintf(want, sizeof want, "%s%" PRIu64 ".%03u", sign ? "-" : "", v / 1000,
                     (unsigned)(v % 1000));
            assert_string_equal(got, want);
        }
    }
    size_t n = cbk_fmt_epoch_ms(got, 0);
    got[n] = '\0';
    assert_string_equal(got, "0.000");
    n = cbk_fmt_epoch_ms(got, 5);
    got[n] = '\0';
    assert_string_equal(got, "0.005");
    n = cbk_fmt_epoch_ms(got, 1767225675040LL);
    got[n] = '\0';
    assert_string_equal(got, "1767225675.040");
    n = cbk_fmt_epoch_ms(got, INT64_MIN);
    got[n] = '\0';
    assert_string_equal(got, "-9223372036854775.808");
}

/* Literal keys, plain values and strings written in parts make the same JSON as the general
 * calls: separators, nesting, escaping. */
static void jsonw_literal_keys_and_parts(void **state)
{
    (void)state;
    struct cbk_buf b = CBK_BUF_INIT(4096);
    struct cbk_jsonw w;
    cbk_jsonw_init(&w, &b);
    cbk_jsonw_obj(&w);
    CBK_JSONW_KSTR(&w, "id", "a\"b");
    CBK_JSONW_KINT(&w, "n", -42);
    CBK_JSONW_KEPOCH(&w, "t", 1700000000123LL);
    CBK_JSONW_KBOOL(&w, "done", false);
    CBK_JSONW_KEY(&w, "phase");
    cbk_jsonw_plain(&w, "BUILD", 5);
    CBK_JSONW_KEY(&w, "arn");
    cbk_jsonw_str_begin(&w);
    CBK_JSONW_STR_LIT(&w, "arn:aws:x:");
    cbk_jsonw_str_part(&w, "us-east-1", 9);
    CBK_JSONW_STR_LIT(&w, ":");
    cbk_jsonw_str_part(&w, "tab\there", 8);
    cbk_jsonw_str_end(&w);
    CBK_JSONW_KEY(&w, "list");
    cbk_jsonw_arr(&w);
    cbk_jsonw_plain(&w, "A", 1);
    cbk_jsonw_str_begin(&w);
    cbk_jsonw_str_end(&w);
    cbk_jsonw_plain(&w, "", 0);
    cbk_jsonw_end_arr(&w);
    cbk_jsonw_end_obj(&w);
    assert_false(w.failed);
    assert_string_equal(cbk_buf_str(&b),
                        "{\"id\":\"a\\\"b\",\"n\":-42,\"t\":1700000000.123,\"done\":false,"
                        "\"phase\":\"BUILD\",\"arn\":\"arn:aws:x:us-east-1:tab\\there\","
                        "\"list\":[\"A\",\"\",\"\"]}");
    struct json_object *o = cbk_jsonq_parse(b.ptr, b.len);
    assert_non_null(o);
    assert_string_equal(json_object_get_string(json_object_object_get(o, "arn")),
                        "arn:aws:x:us-east-1:tab\there");
    json_object_put(o);
    cbk_buf_release(&b);

    /* a buffer at its limit marks the writer failed, whichever call hits it */
    for (size_t max = 0; max < 45; max++) {
        struct cbk_buf s = CBK_BUF_INIT(max);
        cbk_jsonw_init(&w, &s);
        cbk_jsonw_obj(&w);
        CBK_JSONW_KEY(&w, "phase");
        cbk_jsonw_plain(&w, "UPLOAD_ARTIFACTS", 16);
        CBK_JSONW_KEY(&w, "x");
        cbk_jsonw_str_begin(&w);
        cbk_jsonw_str_part(&w, "\n\n", 2);
        cbk_jsonw_str_end(&w);
        cbk_jsonw_end_obj(&w);
        /* the whole text is {"phase":"UPLOAD_ARTIFACTS","x":"\n\n"}, 39 bytes */
        assert_int_equal(w.failed, max < 39);
        assert_true(s.len <= max);
        cbk_buf_release(&s);
    }
}

/* Text from outside, made printable: no line breaks, no terminal escapes (issue 9, section 8). */
static void buf_printable(void **state)
{
    (void)state;
#define P(in, want)                                                                                \
    {                                                                                              \
        in, sizeof(in) - 1, want                                                                   \
    }
    static const struct {
        const char *in;
        size_t len;
        const char *want;
    } cases[] = {
        P("/plain/path?x=1", "/plain/path?x=1"),
        P("/\r\ncbkit: error: forged", "/\\r\\ncbkit: error: forged"),
        P("a\tb\x1b[31mred\x7f", "a\\tb\\x1b[31mred\\x7f"),
        P("nul\0byte", "nul\\x00byte"),
        P("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
        P("c1 \xc2\x9b"
          "31m",
          "c1 \\xc2\\x9b31m"),                                            /* U+009B: C1 CSI */
        P("bad \xff\xc3 \xed\xa0\x80", "bad \\xff\\xc3 \\xed\\xa0\\x80"), /* not UTF-8 */
        P("cut \xe2\x82", "cut \\xe2\\x82"),
        P("back\\slash", "back\\slash"),
    };
#undef P
    for (size_t i = 0; i < CBK_ARRAY_SIZE(cases); i++) {
        struct cbk_buf b = CBK_BUF_INIT(1 << 10);
        assert_int_equal(cbk_buf_add_printable(&b, cases[i].in, cases[i].len), CBK_OK);
        assert_string_equal(cbk_buf_str(&b), cases[i].want);
        cbk_buf_release(&b);
    }
    /* over the limit: the buffer as it was */
    struct cbk_buf b = CBK_BUF_INIT(8);
    cbk_buf_adds(&b, "ab");
    assert_int_equal(cbk_buf_add_printable(&b, "x\ny\nz", 5), CBK_E_LIMIT);
    assert_string_equal(cbk_buf_str(&b), "ab");
    cbk_buf_release(&b);
}

/* ---- core/jsonptr ------------------------------------------------------------------------- */

static void ptr_push_pop(void **state)
{
    (void)state;
    struct cbk_ptr p;
    cbk_ptr_init(&p);
    assert_string_equal(cbk_ptr_str(&p), "");
    assert_int_equal(cbk_ptr_len(&p), 0);

    size_t m1 = cbk_ptr_push_key(&p, "secondarySourcesOverride", 24);
    assert_int_equal(m1, 0);
    assert_string_equal(cbk_ptr_str(&p), "/secondarySourcesOverride");
    size_t m2 = cbk_ptr_push_index(&p, 1);
    assert_int_equal(m2, 25);
    assert_string_equal(cbk_ptr_str(&p), "/secondarySourcesOverride/1");
    size_t m3 = cbk_ptr_push_key(&p, "type", 4);
    assert_string_equal(cbk_ptr_str(&p), "/secondarySourcesOverride/1/type");
    cbk_ptr_pop(&p, m3);
    assert_string_equal(cbk_ptr_str(&p), "/secondarySourcesOverride/1");
    cbk_ptr_push_index(&p, 12345678901ULL);
    assert_string_equal(cbk_ptr_str(&p), "/secondarySourcesOverride/1/12345678901");
    cbk_ptr_pop(&p, m2);
    assert_string_equal(cbk_ptr_str(&p), "/secondarySourcesOverride");
    cbk_ptr_pop(&p, m1);
    assert_string_equal(cbk_ptr_str(&p), "");
    assert_int_equal(cbk_ptr_len(&p), 0);

    /* the empty key is a valid token */
    cbk_ptr_push_key(&p, "", 0);
    assert_string_equal(cbk_ptr_str(&p), "/");
    cbk_ptr_push_index(&p, 0);
    assert_string_equal(cbk_ptr_str(&p), "//0");
    cbk_ptr_pop(&p, 0);
    assert_string_equal(cbk_ptr_str(&p), "");
    cbk_ptr_release(&p);
}

static void ptr_rfc6901_escaping(void **state)
{
    (void)state;
    struct cbk_ptr p;
    cbk_ptr_init(&p);
    cbk_ptr_push_key(&p, "a/b", 3);
    assert_string_equal(cbk_ptr_str(&p), "/a~1b");
    cbk_ptr_push_key(&p, "m~n", 3);
    assert_string_equal(cbk_ptr_str(&p), "/a~1b/m~0n");
    cbk_ptr_pop(&p, 0);
    /* '~' is escaped before '/', so "~1" in a key is "~01", not "/" */
    cbk_ptr_push_key(&p, "~1", 2);
    assert_string_equal(cbk_ptr_str(&p), "/~01");
    cbk_ptr_pop(&p, 0);
    cbk_ptr_push_key(&p, "/~/~", 4);
    assert_string_equal(cbk_ptr_str(&p), "/~1~0~1~0");
    cbk_ptr_pop(&p, 0);
    /* only 'len' bytes; other characters are kept as they are */
    cbk_ptr_push_key(&p, "x y\"%é/zz", 8);
    assert_string_equal(cbk_ptr_str(&p), "/x y\"%é~1");
    cbk_ptr_release(&p);

    struct cbk_buf b = CBK_BUF_INIT(64);
    cbk_buf_adds(&b, "pre:");
    cbk_ptr_escape(&b, "~a/", 3);
    assert_string_equal(cbk_buf_str(&b), "pre:~0a~1");
    cbk_ptr_escape(&b, "", 0);
    assert_string_equal(cbk_buf_str(&b), "pre:~0a~1");
    cbk_buf_release(&b);
}

/* ---- core/strtab -------------------------------------------------------------------------- */

static void strtab_lookup(void **state)
{
    (void)state;
    static const char *const keys[] = {"id", "projectName", "type", "", "idempotencyToken"};
    struct cbk_strtab t;
    size_t dup = 99;
    assert_int_equal(cbk_strtab_build(&t, keys, 5, &dup), 0);
    assert_int_equal(dup, 99);
    assert_int_equal(t.n, 5);
    for (long i = 0; i < 5; i++)
        assert_int_equal(cbk_strtab_find(&t, keys[i], strlen(keys[i])), i);
    assert_int_equal(cbk_strtab_find(&t, "ID", 2), -1);
    assert_int_equal(cbk_strtab_find(&t, "idx", 3), -1);
    assert_int_equal(cbk_strtab_find(&t, "i", 1), -1);
    /* lookups use the length, not the NUL */
    assert_int_equal(cbk_strtab_find(&t, "typeXYZ", 4), 2);
    assert_int_equal(cbk_strtab_find(&t, "projectNameZ", 11), 1);
    assert_int_equal(cbk_strtab_find(&t, "", 0), 3);
    cbk_strtab_release(&t);
    assert_null(t.slots);
    assert_int_equal(cbk_strtab_find(&t, "id", 2), -1); /* released table finds nothing */
}

static void strtab_empty(void **state)
{
    (void)state;
    struct cbk_strtab t;
    assert_int_equal(cbk_strtab_build(&t, NULL, 0, NULL), 0);
    assert_int_equal(t.n, 0);
    assert_int_equal(cbk_strtab_find(&t, "x", 1), -1);
    assert_int_equal(cbk_strtab_find(&t, "", 0), -1);
    cbk_strtab_release(&t);
}

static void strtab_duplicates(void **state)
{
    (void)state;
    static const char *const keys[] = {"a", "b", "c", "b", "a"};
    struct cbk_strtab t;
    size_t dup = 0;
    assert_int_equal(cbk_strtab_build(&t, keys, 5, &dup), -1);
    assert_int_equal(dup, 3); /* the index of the second "b" */
    /* the table is left empty */
    assert_null(t.slots);
    assert_int_equal(t.n, 0);
    assert_int_equal(cbk_strtab_find(&t, "a", 1), -1);
    cbk_strtab_release(&t);

    static const char *const two[] = {"same", "same"};
    assert_int_equal(cbk_strtab_build(&t, two, 2, NULL), -1); /* dup may be NULL */
    cbk_strtab_release(&t);

    /* keys differing only in length are different */
    static const char *const pre[] = {"ab", "abc", "a"};
    assert_int_equal(cbk_strtab_build(&t, pre, 3, &dup), 0);
    assert_int_equal(cbk_strtab_find(&t, "a", 1), 2);
    assert_int_equal(cbk_strtab_find(&t, "abc", 3), 1);
    cbk_strtab_release(&t);
}

static void strtab_10k_keys(void **state)
{
    (void)state;
    enum { N = 10000 };
    char **store = calloc(N, sizeof(char *));
    const char **keys = calloc(N, sizeof(char *));
    assert_non_null(store);
    assert_non_null(keys);
    for (size_t i = 0; i < N; i++) {
        char tmp[32];
        snprintf(tmp, sizeof tmp, "key-%zu", i * 7919);
        store[i] = strdup(tmp);
        keys[i] = store[i];
    }
    struct cbk_strtab t;
    size_t dup = 0;
    assert_int_equal(cbk_strtab_build(&t, keys, N, &dup), 0);
    assert_int_equal(t.n, N);
    assert_true(t.mask + 1 >= 2 * N); /* at least twice the entries */
    assert_int_equal((t.mask + 1) & t.mask, 0);
    for (size_t i = 0; i < N; i++)
        assert_int_equal(cbk_strtab_find(&t, keys[i], strlen(keys[i])), (long)i);
    for (size_t i = 0; i < N; i++) {
        char tmp[32];
        snprintf(tmp, sizeof tmp, "key-%zu", i * 7919 + 1);
        assert_int_equal(cbk_strtab_find(&t, tmp, strlen(tmp)), -1);
    }
    cbk_strtab_release(&t);

    /* a duplicate at the very end is found */
    free(store[N - 1]);
    store[N - 1] = strdup(keys[17]);
    keys[N - 1] = store[N - 1];
    assert_int_equal(cbk_strtab_build(&t, keys, N, &dup), -1);
    assert_int_equal(dup, N - 1);
    cbk_strtab_release(&t);
    for (size_t i = 0; i < N; i++)
        free(store[i]);
    free(store);
    free(keys);
}

static void strtab_hash(void **state)
{
    (void)state;
    /* deterministic, and sensitive to every byte, order and length at each size class */
    assert_int_equal(cbk_hash("foobar", 6), cbk_hash("foobar", 6));
    assert_int_not_equal(cbk_hash("ab", 2), cbk_hash("ba", 2));
    assert_int_not_equal(cbk_hash("", 0), cbk_hash("\0", 1));
    assert_int_not_equal(cbk_hash("abcd", 4), cbk_hash("abce", 4));
    assert_int_not_equal(cbk_hash("abcdefgh", 8), cbk_hash("abcdefgi", 8));
    const char *id = "project:0e2f7a52-3b6c-4f1e-9d7a-1c2b3d4e5f60";
    char other[64];
    size_t n = strlen(id);
    /* one bit flipped anywhere changes the hash; so does a length change */
    for (size_t i = 0; i < n; i++) {
        memcpy(other, id, n);
        other[i] ^= 1;
        assert_int_not_equal(cbk_hash(id, n), cbk_hash(other, n));
    }
    assert_int_not_equal(cbk_hash(id, n), cbk_hash(id, n - 1));
    /* few collisions over many similar keys (build ids differing in a counter) */
    uint32_t seen[4096];
    size_t collisions = 0;
    for (int i = 0; i < 4096; i++) {
        snprintf(other, sizeof other, "project:%08d", i);
        seen[i] = cbk_hash(other, strlen(other));
        for (int k = 0; k < i; k++)
            collisions += seen[k] == seen[i];
    }
    assert_true(collisions <= 2);
}

/* ---- core/hmap ---------------------------------------------------------------------------- */

static int freed_values;
static void count_free(void *v)
{
    (void)v;
    freed_values++;
}

static void hmap_basics(void **state)
{
    (void)state;
    struct cbk_hmap m = CBK_HMAP_INIT;
    assert_null(cbk_hmap_get(&m, "a", 1));
    static int vals[2000];
    char key[32];
    /* many keys, through several growths; keys with NUL bytes and shared prefixes */
    for (int i = 0; i < 2000; i++) {
        int n = snprintf(key, sizeof key, "k%d", i);
        assert_null(cbk_hmap_put(&m, key, (size_t)n, &vals[i]));
    }
    assert_null(cbk_hmap_put(&m, "a\0b", 3, &vals[0]));
    assert_ptr_equal(cbk_hmap_get(&m, "a\0b", 3), &vals[0]);
    assert_null(cbk_hmap_get(&m, "a", 1));
    for (int i = 0; i < 2000; i++) {
        int n = snprintf(key, sizeof key, "k%d", i);
        assert_ptr_equal(cbk_hmap_get(&m, key, (size_t)n), &vals[i]);
        assert_string_equal(cbk_hmap_key(&m, key, (size_t)n), key);
    }
    /* replace returns the old value; delete returns it and forgets the key */
    assert_ptr_equal(cbk_hmap_put(&m, "k7", 2, &vals[8]), &vals[7]);
    assert_ptr_equal(cbk_hmap_del(&m, "k7", 2), &vals[8]);
    assert_null(cbk_hmap_get(&m, "k7", 2));
    assert_null(cbk_hmap_del(&m, "k7", 2));
    /* inline values: zeroed, aligned, stable, found like any other */
    struct big {
        long double x;
        int64_t n;
    };
    struct big *b = cbk_hmap_put_inline(&m, "inline", 6, sizeof(struct big));
    assert_non_null(b);
    assert_true(((uintptr_t)b % _Alignof(max_align_t)) == 0);
    assert_true(b->n == 0);
    b->n = 42;
    for (int i = 2000; i < 2100; i++) { /* growth moves entries, not their values */
        int n = snprintf(key, sizeof key, "k%d", i);
        cbk_hmap_put(&m, key, (size_t)n, NULL);
    }
    struct big *again = cbk_hmap_get(&m, "inline", 6);
    assert_ptr_equal(again, b);
    assert_true(again->n == 42);
    freed_values = 0;
    cbk_hmap_release(&m, count_free);
    assert_int_equal(freed_values, 2000 + 1 + 100 + 1 - 1); /* k7 was deleted */
    assert_null(cbk_hmap_get(&m, "k1", 2));
}

/* ---- core/jsonq: counted parsing -------------------------------------------------------- */

static void jsonq_parse_counted(void **state)
{
    (void)state;
    /* exactly len bytes are read: the value may be followed by anything in memory */
    const char text[] = "{\"a\":1}{\"b\":2}";
    struct json_object *o = cbk_jsonq_parse(text, 7);
    assert_non_null(o);
    assert_int_equal(json_object_object_length(o), 1);
    json_object_put(o);
    /* a body cut short is not a document */
    assert_null(cbk_jsonq_parse(text, 6));
    /* white space around the value is fine; anything else after it is not */
    o = cbk_jsonq_parse(" {\"a\":1} \r\n", 11);
    assert_non_null(o);
    json_object_put(o);
    assert_null(cbk_jsonq_parse("{\"a\":1} junk", 13));
    assert_null(cbk_jsonq_parse(text, sizeof text - 1)); /* two documents */
    assert_null(cbk_jsonq_parse("null", 4));
    assert_null(cbk_jsonq_parse("", 0));
}

/* ---- core/timefmt ------------------------------------------------------------------------ */

static void timefmt_round_trip(void **state)
{
    (void)state;
    char out[32];
    cbk_iso8601_ms(1795285800123, out);
    assert_string_equal(out, "2026-11-21T18:30:00.123Z");
    int64_t ms = 0;
    assert_int_equal(cbk_parse_iso8601_ms(out, &ms), 0);
    assert_true(ms == 1795285800123);
    assert_int_equal(cbk_parse_iso8601_ms("2026-11-21T18:30:00+00:00", &ms), 0);
    assert_true(ms == 1795285800000);
    assert_int_equal(cbk_parse_iso8601_ms("2026-11-21T18:30:00+01:00", &ms), -1);
    assert_int_equal(cbk_parse_iso8601_ms("2026-13-21T18:30:00Z", &ms), -1);
    assert_int_equal(cbk_parse_iso8601_ms("2026-11-21T18:30:00.Z", &ms), -1);
    /* the calendar fields shared with SigV4's X-Amz-Date: nothing is normalised */
    assert_true(cbk_utc_ms(2026, 11, 21, 18, 30, 0) == 1795285800000);
    assert_true(cbk_utc_ms(1970, 1, 1, 0, 0, 0) == 0);
    assert_true(cbk_utc_ms(9999, 12, 31, 23, 59, 59) == CBK_TIME_MAX_MS - 999);
    assert_true(cbk_utc_ms(2026, 13, 1, 0, 0, 0) == -1);
    assert_true(cbk_utc_ms(2026, 1, 0, 0, 0, 0) == -1);
    assert_true(cbk_utc_ms(2026, 1, 1, 24, 0, 0) == -1);
    assert_true(cbk_utc_ms(1969, 12, 31, 23, 59, 59) == -1);
    assert_true(cbk_utc_ms(10000, 1, 1, 0, 0, 0) == -1);
}

static void timefmt_http_date(void **state)
{
    (void)state;
    char out[32];
    cbk_http_date(1795285800, out); /* a Saturday */
    assert_string_equal(out, "Sat, 21 Nov 2026 18:30:00 GMT");
    cbk_http_date(0, out);
    assert_string_equal(out, "Thu, 01 Jan 1970 00:00:00 GMT");
    cbk_http_date(951782400, out); /* leap day */
    assert_string_equal(out, "Tue, 29 Feb 2000 00:00:00 GMT");
}

/* ---- core/arena --------------------------------------------------------------------------- */

/* What the arena hands out for an n-byte request: n rounded up to sizeof(max_align_t). */
static size_t rnd(size_t n)
{
    return (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
}

static void arena_alloc_basic(void **state)
{
    (void)state;
    struct cbk_arena a = CBK_ARENA_INIT(1024);
    assert_null(a.head);
    char *p[50];
    for (int i = 0; i < 50; i++) {
        p[i] = cbk_arena_alloc(&a, (size_t)i + 1);
        assert_non_null(p[i]);
        assert_int_equal((uintptr_t)p[i] % _Alignof(max_align_t), 0);
        memset(p[i], i, (size_t)i + 1);
    }
    /* nothing overlapped */
    for (int i = 0; i < 50; i++)
        for (int j = 0; j <= i; j++)
            assert_int_equal((unsigned char)p[i][j], i);
    assert_true(a.used >= 50 * 51 / 2);

    /* zero-byte allocations still give distinct pointers */
    void *z1 = cbk_arena_alloc(&a, 0);
    void *z2 = cbk_arena_alloc(&a, 0);
    assert_non_null(z1);
    assert_ptr_not_equal(z1, z2);

    unsigned char *c = cbk_arena_calloc(&a, 300);
    for (int i = 0; i < 300; i++)
        assert_int_equal(c[i], 0);

    char *s = cbk_arena_strdup(&a, "hello");
    assert_string_equal(s, "hello");
    char *n = cbk_arena_strndup(&a, "abcdef", 3);
    assert_string_equal(n, "abc");
    char *f = cbk_arena_printf(&a, "%s-%d-%05.1f", "x", 42, 3.14159);
    assert_string_equal(f, "x-42-003.1");
    cbk_arena_release(&a);
    assert_null(a.head);
    assert_int_equal(a.used, 0);
    /* released arenas are reusable */
    assert_string_equal(cbk_arena_strdup(&a, "again"), "again");
    cbk_arena_release(&a);
}

static void arena_large_blocks(void **state)
{
    (void)state;
    struct cbk_arena a;
    cbk_arena_init(&a, 1024);
    assert_int_equal(a.chunk_size, 1024);
    char *small1 = cbk_arena_alloc(&a, 16);
    /* a block larger than the chunk size gets a chunk of its own ... */
    char *big = cbk_arena_alloc(&a, 100000);
    memset(big, 0xAB, 100000);
    /* ... behind the current one: small allocations continue where they were */
    char *small2 = cbk_arena_alloc(&a, 16);
    assert_ptr_equal(small2, small1 + rnd(16));
    assert_int_equal((unsigned char)big[99999], 0xAB);
    /* a block over a quarter of the chunk size, when it does not fit, also stands alone */
    char *fill = cbk_arena_alloc(&a, 900);
    memset(fill, 1, 900);
    char *q = cbk_arena_alloc(&a, 300);
    memset(q, 2, 300);
    char *small3 = cbk_arena_alloc(&a, 16);
    assert_ptr_equal(small3, fill + rnd(900));
    assert_int_equal((uintptr_t)q % _Alignof(max_align_t), 0);

    /* a large block as the very first allocation */
    struct cbk_arena b = CBK_ARENA_INIT(256);
    char *first = cbk_arena_alloc(&b, 5000);
    memset(first, 3, 5000);
    char *after = cbk_arena_alloc(&b, 8);
    memset(after, 4, 8);
    assert_int_equal(first[4999], 3);
    cbk_arena_reset(&b); /* the oversized chunk is not kept */
    assert_null(b.head);
    char *long_str = cbk_arena_printf(&b, "%0600d", 7);
    assert_int_equal(strlen(long_str), 600);
    assert_int_equal(long_str[599], '7');
    cbk_arena_release(&b);
    cbk_arena_release(&a);

    /* chunk size 0 picks a default */
    struct cbk_arena d;
    cbk_arena_init(&d, 0);
    assert_true(d.chunk_size > 0);
    assert_non_null(cbk_arena_alloc(&d, 10));
    cbk_arena_release(&d);
}

/* A buffer lent by the arena, taken back with its contents: no copy; a reset keeps one taken
 * buffer (the largest within CBK_ARENA_SPARE_MAX) for the next loan and frees the rest (ASan
 * sees any leak); a release frees everything. */
static void arena_lend_take_buffers(void **state)
{
    (void)state;
    struct cbk_arena a = CBK_ARENA_INIT(512);
    /* nothing to lend yet: the buffer grows by itself */
    struct cbk_buf b = CBK_BUF_INIT((size_t)4 << 20);
    cbk_arena_lend_buf(&a, &b);
    assert_null(b.ptr);
    size_t len = 99;
    assert_string_equal(cbk_arena_take_buf(&a, &b, &len), "");
    assert_int_equal(len, 0);
    for (int i = 0; i < 5000; i++)
        cbk_buf_addc(&b, (char)('a' + i % 26));
    char *mem = b.ptr;
    char *s = cbk_arena_take_buf(&a, &b, &len);
    assert_ptr_equal(s, mem); /* the same memory, not a copy */
    assert_int_equal(len, 5000);
    assert_int_equal(s[4999], 'a' + 4999 % 26);
    assert_int_equal(s[5000], '\0');
    assert_null(b.ptr);
    assert_int_equal(b.len, 0);
    /* a second, smaller one in the same request, and one over the spare limit */
    struct cbk_buf c = CBK_BUF_INIT((size_t)4 << 20), big = CBK_BUF_INIT((size_t)4 << 20);
    cbk_buf_adds(&c, "small");
    cbk_arena_take_buf(&a, &c, NULL);
    for (size_t i = 0; i < CBK_ARENA_SPARE_MAX + 10; i += 1000)
        cbk_buf_addf(&big, "%01000d", 1);
    cbk_arena_take_buf(&a, &big, NULL);
    cbk_arena_reset(&a);
    assert_ptr_equal(a.spare, mem); /* the largest within the limit */
    assert_true(cbk_arena_spare_size(&a) >= 5001 && cbk_arena_spare_size(&a) <= 8192);
    /* lent to the next request's buffer, empty */
    struct cbk_buf d = CBK_BUF_INIT((size_t)4 << 20);
    cbk_arena_lend_buf(&a, &d);
    assert_ptr_equal(d.ptr, mem);
    assert_int_equal(d.len, 0);
    assert_string_equal(cbk_buf_str(&d), "");
    assert_null(a.spare);
    /* a buffer that has memory already borrows nothing */
    struct cbk_buf e = CBK_BUF_INIT(64);
    cbk_buf_adds(&e, "own");
    cbk_arena_take_buf(&a, &d, NULL);
    cbk_arena_reset(&a);
    cbk_arena_lend_buf(&a, &e);
    assert_string_equal(cbk_buf_str(&e), "own");
    assert_ptr_equal(a.spare, mem);
    cbk_buf_release(&e);
    /* a buffer not given back (the request failed) is the caller's to free */
    struct cbk_buf f = CBK_BUF_INIT(64);
    cbk_arena_lend_buf(&a, &f);
    assert_ptr_equal(f.ptr, mem);
    cbk_buf_release(&f);
    assert_int_equal(cbk_arena_spare_size(&a), 0);
    /* an owner can free the spare before the arena's end */
    struct cbk_buf g = CBK_BUF_INIT(64);
    cbk_buf_adds(&g, "kept");
    cbk_arena_take_buf(&a, &g, NULL);
    cbk_arena_reset(&a);
    assert_true(cbk_arena_spare_size(&a) > 0);
    cbk_arena_drop_spare(&a);
    assert_int_equal(cbk_arena_spare_size(&a), 0);
    assert_null(a.spare);
    cbk_arena_release(&a);
    assert_null(a.spare);
    assert_null(a.blocks);
}

static void arena_reset_reuses_first_chunk(void **state)
{
    (void)state;
    struct cbk_arena a = CBK_ARENA_INIT(512);
    char *first = cbk_arena_alloc(&a, 32);
    for (int i = 0; i < 100; i++) /* several more chunks */
        memset(cbk_arena_alloc(&a, 64), i, 64);
    cbk_arena_alloc(&a, 10000);
    assert_true(a.used > 6400);
    cbk_arena_reset(&a);
    assert_int_equal(a.used, 0);
    assert_non_null(a.head);
    /* the oldest ordinary chunk is kept and handed out again from its start */
    char *again = cbk_arena_alloc(&a, 32);
    assert_ptr_equal(again, first);
    cbk_arena_reset(&a);
    cbk_arena_reset(&a); /* twice is fine */
    cbk_arena_release(&a);
    cbk_arena_reset(&a); /* on an empty arena too */
    assert_null(a.head);
}

/* ---- cbkit/error.h ------------------------------------------------------------------------ */

static void error_code_names(void **state)
{
    (void)state;
    assert_int_equal(CBK_OK, 0);
    assert_int_equal(CBK_CODE_COUNT_, 13);
    assert_string_equal(cbk_code_name(CBK_OK), "OK");
    assert_string_equal(cbk_code_name(CBK_E_IO), "E_IO");
    assert_string_equal(cbk_code_name(CBK_E_SPEC_PARSE), "E_SPEC_PARSE");
    assert_string_equal(cbk_code_name(CBK_E_LIMIT), "E_LIMIT");
    assert_string_equal(cbk_code_name(CBK_E_INTERNAL), "E_INTERNAL");
    assert_string_equal(cbk_code_name(CBK_CODE_COUNT_), "unknown");
    assert_string_equal(cbk_code_name((enum cbk_code) - 1), "unknown");
    assert_string_equal(cbk_strerror(CBK_OK), "success");
    assert_string_equal(cbk_strerror(CBK_E_IO), "i/o error");
    assert_string_equal(cbk_strerror(CBK_E_SPEC), "spec does not follow the spec format");
    assert_string_equal(cbk_strerror(CBK_E_INVALID), "document violates the contract");
    assert_string_equal(cbk_strerror(CBK_E_NOT_FOUND), "not found");
    assert_string_equal(cbk_strerror((enum cbk_code)1000), "unknown error");
    /* the values are part of the API */
    assert_int_equal(CBK_E_USAGE, 1);
    assert_int_equal(CBK_E_IO, 2);
    assert_int_equal(CBK_E_SPEC_PARSE, 3);
    assert_int_equal(CBK_E_SPEC, 4);
    assert_int_equal(CBK_E_INVALID, 5);
    assert_int_equal(CBK_E_NOT_FOUND, 6);
    assert_int_equal(CBK_E_LIMIT, 7);
    assert_int_equal(CBK_E_INTERNAL, 12);
    for (int c = 0; c < CBK_CODE_COUNT_; c++) {
        assert_string_not_equal(cbk_code_name((enum cbk_code)c), "unknown");
        assert_string_not_equal(cbk_strerror((enum cbk_code)c), "unknown error");
    }
}

static void diags_add_and_release(void **state)
{
    (void)state;
    struct cbk_diags d = CBK_DIAGS_INIT;
    assert_int_equal(cbk_diags_addf(&d, CBK_E_SPEC, CBK_SEV_ERROR, "spec.yaml", 12, 7,
                                    "shapes.Build", "unknown key '%s' (%d)", "shpae", 3),
                     -1);
    assert_int_equal(cbk_diags_addf(&d, CBK_E_SPEC, CBK_SEV_WARNING, NULL, 0, 0, NULL, "note"), 0);
    assert_int_equal(d.nr, 2);
    assert_int_equal(cbk_diags_error_count(&d), 1);
    assert_int_equal(d.v[0].code, CBK_E_SPEC);
    assert_int_equal(d.v[0].severity, CBK_SEV_ERROR);
    assert_string_equal(d.v[0].file, "spec.yaml");
    assert_int_equal(d.v[0].line, 12);
    assert_int_equal(d.v[0].column, 7);
    assert_string_equal(d.v[0].path, "shapes.Build");
    assert_string_equal(d.v[0].message, "unknown key 'shpae' (3)");
    assert_int_equal(d.v[1].severity, CBK_SEV_WARNING);
    assert_string_equal(d.v[1].file, "");
    assert_string_equal(d.v[1].path, "");
    assert_string_equal(d.v[1].message, "note");

    /* many: the array grows */
    for (int i = 0; i < 100; i++)
        cbk_diags_addf(&d, CBK_E_IO, CBK_SEV_ERROR, "f", i, i, "p", "m%d", i);
    assert_int_equal(d.nr, 102);
    assert_int_equal(cbk_diags_error_count(&d), 101);
    assert_string_equal(d.v[101].message, "m99");
    assert_int_equal(d.dropped, 0);

    cbk_diags_release(&d);
    assert_int_equal(d.nr, 0);
    assert_null(d.v);
    assert_int_equal(cbk_diags_error_count(&d), 0);
    /* reusable after release */
    cbk_diags_addf(&d, CBK_E_IO, CBK_SEV_ERROR, "x", 1, 1, "", "again");
    assert_int_equal(d.nr, 1);
    cbk_diags_release(&d);
    cbk_diags_release(NULL);
}

static void diags_limit(void **state)
{
    (void)state;
    struct cbk_diags d;
    cbk_diags_init(&d, 2);
    assert_int_equal(d.max, 2);
    assert_int_equal(cbk_diags_addf(&d, CBK_E_SPEC, CBK_SEV_ERROR, "f", 1, 1, "", "one"), -1);
    assert_int_equal(cbk_diags_addf(&d, CBK_E_SPEC, CBK_SEV_WARNING, "f", 2, 1, "", "two"), 0);
    /* past the limit: not recorded, but counted and still an error for the caller */
    assert_int_equal(cbk_diags_addf(&d, CBK_E_SPEC, CBK_SEV_ERROR, "f", 3, 1, "", "three"), -1);
    assert_int_equal(cbk_diags_addf(&d, CBK_E_SPEC, CBK_SEV_WARNING, "f", 4, 1, "", "four"), 0);
    assert_int_equal(cbk_diags_addf(&d, CBK_E_SPEC, CBK_SEV_ERROR, "f", 5, 1, "", "five"), -1);
    assert_int_equal(d.nr, 2);
    assert_int_equal(d.dropped, 3);
    assert_int_equal(cbk_diags_error_count(&d), 3); /* one, three, five */
    assert_string_equal(d.v[0].message, "one");
    assert_string_equal(d.v[1].message, "two");
    cbk_diags_release(&d);
    /* release keeps the limit */
    assert_int_equal(d.max, 2);
    assert_int_equal(d.dropped, 0);
    assert_int_equal(d.errors, 0);
    cbk_diags_addf(&d, CBK_E_SPEC, CBK_SEV_ERROR, "f", 1, 1, "", "a");
    cbk_diags_addf(&d, CBK_E_SPEC, CBK_SEV_ERROR, "f", 1, 1, "", "b");
    cbk_diags_addf(&d, CBK_E_SPEC, CBK_SEV_ERROR, "f", 1, 1, "", "c");
    assert_int_equal(d.nr, 2);
    assert_int_equal(d.dropped, 1);
    cbk_diags_release(&d);

    /* 0 = no limit */
    cbk_diags_init(&d, 0);
    for (int i = 0; i < 2000; i++)
        cbk_diags_addf(&d, CBK_E_SPEC, CBK_SEV_WARNING, "f", 1, 1, "", "w");
    assert_int_equal(d.nr, 2000);
    assert_int_equal(d.dropped, 0);
    assert_int_equal(cbk_diags_error_count(&d), 0);
    cbk_diags_release(&d);
}

/* ---- regex ------------------------------------------------------------------------------ */

static struct cbk_regex *re_compile(const char *pat, unsigned flags)
{
    char err[128];
    size_t off = 0;
    struct cbk_regex *re = cbk_regex_compile(pat, strlen(pat), flags, err, sizeof err, &off);
    assert_non_null(re);
    return re;
}

static void regex_compile_error_located(void **state)
{
    (void)state;
    char err[128] = "";
    size_t off = 99;
    assert_null(cbk_regex_compile("ab(c", 4, CBK_RE_UTF, err, sizeof err, &off));
    assert_int_equal(off, 4);
    assert_non_null(strstr(err, "missing closing parenthesis"));
}

static void regex_match_and_nomatch(void **state)
{
    (void)state;
    struct cbk_regex *re = re_compile("^my-app:[0-9]+$", CBK_RE_UTF | CBK_RE_DOLLAR_ENDONLY);
    assert_int_equal(cbk_regex_match(re, "my-app:12", 9, NULL, 0), CBK_RE_MATCH);
    assert_int_equal(cbk_regex_match(re, "my-app:1x", 9, NULL, 0), CBK_RE_NOMATCH);
    /* DOLLAR_ENDONLY: a final newline is not the end */
    assert_int_equal(cbk_regex_match(re, "my-app:12\n", 10, NULL, 0), CBK_RE_NOMATCH);
    cbk_regex_free(re);
    re = re_compile("secret", CBK_RE_CASELESS);
    assert_int_equal(cbk_regex_match(re, "a SeCrEt here", 13, NULL, 0), CBK_RE_MATCH);
    cbk_regex_free(re);
    cbk_regex_free(NULL);
}

/* PCRE2's default JIT stack (32 KiB) gives up on this pattern after a few thousand characters;
 * ours takes a body of the mock's default limit (1 MiB) */
static void regex_long_subject_matches(void **state)
{
    (void)state;
    struct cbk_regex *re = re_compile("^p:(a|b)*$", CBK_RE_UTF | CBK_RE_DOLLAR_ENDONLY);
    size_t n = (size_t)1 << 20;
    char *s = malloc(n);
    assert_non_null(s);
    memcpy(s, "p:", 2);
    memset(s + 2, 'a', n - 2);
    assert_int_equal(cbk_regex_match(re, s, n, NULL, 0), CBK_RE_MATCH);
    s[n - 1] = 'c';
    assert_int_equal(cbk_regex_match(re, s, n, NULL, 0), CBK_RE_NOMATCH);
    free(s);
    cbk_regex_free(re);
}

/* An engine error is neither a match nor a non-match, and says why */
static void regex_engine_error_is_reported(void **state)
{
    (void)state;
    struct cbk_regex *re = re_compile("^(a+)+$", 0);
    const char *s = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab";
    char why[128] = "";
    assert_int_equal(cbk_regex_match(re, s, strlen(s), why, sizeof why), CBK_RE_ERROR);
    assert_non_null(strstr(why, "limit"));
    cbk_regex_free(re);
    cbk_regex_thread_release();
    cbk_regex_thread_release(); /* twice is harmless */
}

/* Threads that match a pattern for the first time at once: one JIT-compiles it, the others
 * wait for it, and every one of them gets the right answer (the ASan build checks memory) */
struct first_match {
    const struct cbk_regex *re;
    pthread_barrier_t *go;
    int matched, unmatched;
};

static void *first_match_thread(void *p)
{
    struct first_match *fm = p;
    pthread_barrier_wait(fm->go);
    for (int i = 0; i < 200; i++) {
        fm->matched += cbk_regex_match(fm->re, "codebuild-demo_1", 16, NULL, 0) == CBK_RE_MATCH;
        fm->unmatched += cbk_regex_match(fm->re, "-codebuild", 10, NULL, 0) == CBK_RE_NOMATCH;
    }
    cbk_regex_thread_release();
    return NULL;
}

static void regex_jit_on_first_match(void **state)
{
    (void)state;
    struct cbk_regex *re = re_compile("^[A-Za-z0-9][A-Za-z0-9\\-_]{1,254}$",
                                      CBK_RE_UTF | CBK_RE_UCP | CBK_RE_DOLLAR_ENDONLY);
    /* compiling does not JIT-compile: a pattern never matched costs no JIT code */
    assert_int_equal(cbk_regex_jit_size(re), 0);
    enum { N = 6 };
    pthread_barrier_t go;
    assert_int_equal(pthread_barrier_init(&go, NULL, N), 0);
    pthread_t t[N];
    struct first_match fm[N];
    for (int i = 0; i < N; i++) {
        fm[i] = (struct first_match){re, &go, 0, 0};
        assert_int_equal(pthread_create(&t[i], NULL, first_match_thread, &fm[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(fm[i].matched, 200);
        assert_int_equal(fm[i].unmatched, 200);
    }
    pthread_barrier_destroy(&go);
    if (cbk_regex_jit_available())
        assert_true(cbk_regex_jit_size(re) > 0);
    else
        assert_int_equal(cbk_regex_jit_size(re), 0);
    cbk_regex_free(re);
}

/* ---- core/file ------------------------------------------------------------------------------ */

static void write_bytes(const char *path, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    for (size_t i = 0; i < n; i++)
        fputc('a' + (int)(i % 26), f);
    assert_int_equal(fclose(f), 0);
}

/* At the limit: read whole; one byte over: CBK_E_LIMIT naming the limit, never a cut copy. */
static void file_read_limit(void **state)
{
    (void)state;
    char dir[256];
    const char *base = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/cbk-test-file-XXXXXX", base && *base ? base : "/tmp");
    assert_non_null(mkdtemp(dir));
    char path[512];
    snprintf(path, sizeof path, "%s/f.yaml", dir);
    /* sizes around the reader's 64 KiB chunks and the limit */
    const size_t limit = (size_t)3 << 16;
    const size_t sizes[] = {0, 1, limit - 1, limit};
    for (size_t i = 0; i < CBK_ARRAY_SIZE(sizes); i++) {
        write_bytes(path, sizes[i]);
        struct cbk_diags d = CBK_DIAGS_INIT;
        char *buf = NULL;
        size_t len = 99;
        assert_int_equal(cbk_file_read(path, limit, "scenario", &buf, &len, &d), CBK_OK);
        assert_int_equal(len, sizes[i]);
        assert_non_null(buf);
        assert_int_equal(buf[len], '\0');
        assert_true(len == 0 || buf[len - 1] == 'a' + (int)((len - 1) % 26));
        assert_int_equal(d.nr, 0);
        free(buf);
    }
    const size_t over[] = {limit + 1, limit + 100, 2 * limit};
    for (size_t i = 0; i < CBK_ARRAY_SIZE(over); i++) {
        write_bytes(path, over[i]);
        struct cbk_diags d = CBK_DIAGS_INIT;
        char *buf = (char *)&d;
        size_t len = 99;
        assert_int_equal(cbk_file_read(path, limit, "cassette", &buf, &len, &d), CBK_E_LIMIT);
        assert_null(buf);
        assert_int_equal(len, 0);
        assert_int_equal(d.nr, 1);
        assert_int_equal(d.v[0].code, CBK_E_LIMIT);
        assert_string_equal(d.v[0].file, path);
        assert_string_equal(d.v[0].message,
                            "the cassette is larger than the limit of 192 KiB (196608 bytes)");
        cbk_diags_release(&d);
    }
    unlink(path);
    /* missing file, and a directory */
    struct cbk_diags d = CBK_DIAGS_INIT;
    char *buf = NULL;
    size_t len = 0;
    assert_int_equal(cbk_file_read(path, limit, "spec", &buf, &len, &d), CBK_E_IO);
    assert_null(buf);
    assert_int_equal(cbk_file_read(dir, limit, "spec", &buf, &len, &d), CBK_E_IO);
    assert_null(buf);
    assert_int_equal(d.nr, 2);
    assert_non_null(strstr(d.v[0].message, "cannot open"));
    assert_non_null(strstr(d.v[1].message, "Is a directory"));
    cbk_diags_release(&d);
    rmdir(dir);
    char t[32];
    assert_string_equal(cbk_file_size_text((size_t)16 << 20, t, sizeof t), "16 MiB");
    assert_string_equal(cbk_file_size_text((size_t)4 << 30, t, sizeof t), "4 GiB");
    assert_string_equal(cbk_file_size_text(1000, t, sizeof t), "1000 bytes");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(buf_starts_empty),
        cmocka_unit_test(regex_compile_error_located),
        cmocka_unit_test(regex_match_and_nomatch),
        cmocka_unit_test(regex_long_subject_matches),
        cmocka_unit_test(regex_engine_error_is_reported),
        cmocka_unit_test(regex_jit_on_first_match),
        cmocka_unit_test(buf_add_and_limit),
        cmocka_unit_test(buf_partial_limit_leaves_unchanged),
        cmocka_unit_test(buf_addf_long),
        cmocka_unit_test(buf_truncate_reset_detach),
        cmocka_unit_test(buf_json_string_escaping),
        cmocka_unit_test(buf_json_string_limit),
        cmocka_unit_test(buf_json_chars),
        cmocka_unit_test(jsonw_numbers),
        cmocka_unit_test(jsonw_literal_keys_and_parts),
        cmocka_unit_test(buf_printable),
        cmocka_unit_test(ptr_push_pop),
        cmocka_unit_test(ptr_rfc6901_escaping),
        cmocka_unit_test(strtab_lookup),
        cmocka_unit_test(strtab_empty),
        cmocka_unit_test(strtab_duplicates),
        cmocka_unit_test(strtab_10k_keys),
        cmocka_unit_test(strtab_hash),
        cmocka_unit_test(hmap_basics),
        cmocka_unit_test(jsonq_parse_counted),
        cmocka_unit_test(timefmt_round_trip),
        cmocka_unit_test(timefmt_http_date),
        cmocka_unit_test(arena_alloc_basic),
        cmocka_unit_test(arena_large_blocks),
        cmocka_unit_test(arena_reset_reuses_first_chunk),
        cmocka_unit_test(arena_lend_take_buffers),
        cmocka_unit_test(error_code_names),
        cmocka_unit_test(diags_add_and_release),
        cmocka_unit_test(diags_limit),
        cmocka_unit_test(file_read_limit),
    };
    return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
