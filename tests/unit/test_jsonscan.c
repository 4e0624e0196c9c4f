/*
 * test_jsonscan.c - unit tests of the streaming JSON scanner (core/jsonscan): the events it
 * delivers, decoded strings and their code-point counts, and every rejection with its exact
 * message, line and column.
 */
#include "core/setup.h"

#include <setjmp.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/jsonscan.h"

/* ---- an event recorder ------------------------------------------------------------------- */

/*
 * Events are logged as a compact text: { } [ ] K:key S:str/nchars N:raw T F Z, separated by
 * spaces. Bytes outside printable ASCII in keys and strings are written as \xHH.
 */
struct rec {
    struct cbk_buf log;
    size_t stop_after; /* stop the scan after this many events (0: never) */
    size_t count;
    struct cbk_jevent ev[64]; /* the first events, with positions (str not kept) */
};

static void log_bytes(struct cbk_buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            cbk_buf_addc(b, (char)c);
        else
            cbk_buf_addf(b, "\\x%02x", c);
    }
}

static int on_ev(void *ctx, const struct cbk_jevent *ev)
{
    struct rec *r = ctx;
    struct cbk_buf *b = &r->log;
    if (b->len)
        cbk_buf_addc(b, ' ');
    switch (ev->type) {
    case CBK_JEV_OBJ_START:
        cbk_buf_addc(b, '{');
        break;
    case CBK_JEV_OBJ_END:
        cbk_buf_addc(b, '}');
        break;
    case CBK_JEV_ARR_START:
        cbk_buf_addc(b, '[');
        break;
    case CBK_JEV_ARR_END:
        cbk_buf_addc(b, ']');
        break;
    case CBK_JEV_KEY:
        cbk_buf_adds(b, "K:");
        log_bytes(b, ev->str, ev->len);
        break;
    case CBK_JEV_STRING:
        cbk_buf_adds(b, "S:");
        log_bytes(b, ev->str, ev->len);
        cbk_buf_addf(b, "/%zu", ev->nchars);
        break;
    case CBK_JEV_NUMBER:
        cbk_buf_adds(b, "N:");
        log_bytes(b, ev->str, ev->len);
        break;
    case CBK_JEV_TRUE:
        cbk_buf_addc(b, 'T');
        break;
    case CBK_JEV_FALSE:
        cbk_buf_addc(b, 'F');
        break;
    case CBK_JEV_NULL:
        cbk_buf_addc(b, 'Z');
        break;
    }
    if (r->count < CBK_ARRAY_SIZE(r->ev))
        r->ev[r->count] = *ev;
    r->count++;
    return r->stop_after && r->count >= r->stop_after;
}

/* Scan 'text' (len bytes) and return the log; rc gets the scan result. Caller frees. */
static char *scan_n(const char *text, size_t len, size_t max_depth, int *rc,
                    struct cbk_json_error *err)
{
    struct rec r;
    memset(&r, 0, sizeof(r));
    cbk_buf_init(&r.log, 1 << 20);
    struct cbk_buf scratch = CBK_BUF_INIT(1 << 20);
    *rc = cbk_json_scan(text, len, max_depth, &scratch, on_ev, &r, err);
    cbk_buf_release(&scratch);
    return cbk_buf_detach(&r.log, NULL);
}

/* Assert that 'text' scans without error to exactly the event log 'want'. */
static void ok_events(const char *text, const char *want)
{
    int rc;
    struct cbk_json_error err;
    char *got = scan_n(text, strlen(text), 0, &rc, &err);
    if (rc != 0 || strcmp(got, want) != 0) {
        print_error("input: %s\nwant:  %s\ngot:   %s (rc %d: %d:%d %s)\n", text, want, got, rc,
                    err.line, err.column, err.message);
        free(got);
        fail();
    }
    free(got);
}

/* Assert that 'text' (len bytes) is rejected with exactly this message and location. */
static void bad_n(const char *text, size_t len, size_t max_depth, const char *msg, int line,
                  int column)
{
    int rc;
    struct cbk_json_error err;
    char *got = scan_n(text, len, max_depth, &rc, &err);
    free(got);
    if (rc != -1 || strcmp(err.message, msg) != 0 || err.line != line || err.column != column) {
        print_error("input: %.*s\nwant:  -1 %d:%d %s\ngot:   %d %d:%d %s\n", (int)len, text, line,
                    column, msg, rc, err.line, err.column, err.message);
        fail();
    }
}

static void bad(const char *text, const char *msg, int line, int column)
{
    bad_n(text, strlen(text), 0, msg, line, column);
}

/* ---- events ------------------------------------------------------------------------------ */

static void every_event_type(void **state)
{
    (void)state;
    ok_events("{\"o\":{},\"a\":[],\"s\":\"x\",\"n\":-1.5e3,\"t\":true,\"f\":false,\"z\":null}",
              "{ K:o { } K:a [ ] K:s S:x/1 K:n N:-1.5e3 K:t T K:f F K:z Z }");
    ok_events("[1,[2,[3]],{\"k\":[{}]}]", "[ N:1 [ N:2 [ N:3 ] ] { K:k [ { } ] } ]");
    /* every kind of value as the whole document */
    ok_events("\"s\"", "S:s/1");
    ok_events("0", "N:0");
    ok_events("true", "T");
    ok_events("false", "F");
    ok_events("null", "Z");
    ok_events("{}", "{ }");
    ok_events("[]", "[ ]");
    /* all four whitespace characters, everywhere */
    ok_events(" \t\r\n[ \n1 \t, \r\"a\" ] \n\t ", "[ N:1 S:a/1 ]");
    ok_events("{ \"a\" : 1 , \"b\" :\n[ ] }", "{ K:a N:1 K:b [ ] }");
    /* an empty key and an empty string */
    ok_events("{\"\":\"\"}", "{ K: S:/0 }");
}

static void event_positions(void **state)
{
    (void)state;
    const char *text = "{\n  \"ab\": [true,\n   null],\n \"\xc3\xa9\": 12\n}";
    struct rec r;
    memset(&r, 0, sizeof(r));
    cbk_buf_init(&r.log, 4096);
    struct cbk_buf scratch = CBK_BUF_INIT(4096);
    struct cbk_json_error err;
    assert_int_equal(cbk_json_scan(text, strlen(text), 0, &scratch, on_ev, &r, &err), 0);
    assert_string_equal(cbk_buf_str(&r.log), "{ K:ab [ T Z ] K:\\xc3\\xa9 N:12 }");
    assert_int_equal(r.count, 9);
    /* { at 1:1 */
    assert_int_equal(r.ev[0].line, 1);
    assert_int_equal(r.ev[0].offset, 0);
    assert_int_equal(r.ev[0].line_start, 0);
    /* "ab" at 2:3 */
    assert_int_equal(r.ev[1].line, 2);
    assert_int_equal(r.ev[1].offset, 4);
    assert_int_equal(r.ev[1].line_start, 2);
    assert_int_equal(cbk_json_column(text, r.ev[1].line_start, r.ev[1].offset), 3);
    /* [ at 2:9, true at 2:10 */
    assert_int_equal(cbk_json_column(text, r.ev[2].line_start, r.ev[2].offset), 9);
    assert_int_equal(r.ev[3].offset, 11);
    /* null at 3:4 */
    assert_int_equal(r.ev[4].line, 3);
    assert_int_equal(cbk_json_column(text, r.ev[4].line_start, r.ev[4].offset), 4);
    /* ] at 3:8 */
    assert_int_equal(r.ev[5].type, CBK_JEV_ARR_END);
    assert_int_equal(cbk_json_column(text, r.ev[5].line_start, r.ev[5].offset), 8);
    /* "é" at 4:2, 12 at 4:7 (columns count characters, not bytes) */
    assert_int_equal(r.ev[6].line, 4);
    assert_int_equal(cbk_json_column(text, r.ev[6].line_start, r.ev[6].offset), 2);
    assert_int_equal(r.ev[6].nchars, 1);
    assert_int_equal(r.ev[7].line, 4);
    assert_int_equal(cbk_json_column(text, r.ev[7].line_start, r.ev[7].offset), 7);
    /* } at 5:1 */
    assert_int_equal(r.ev[8].line, 5);
    assert_int_equal(cbk_json_column(text, r.ev[8].line_start, r.ev[8].offset), 1);
    cbk_buf_release(&r.log);
    cbk_buf_release(&scratch);
}

static void callback_stops_scan(void **state)
{
    (void)state;
    const char *text = "[1,2,3,4]";
    struct rec r;
    memset(&r, 0, sizeof(r));
    cbk_buf_init(&r.log, 4096);
    r.stop_after = 3;
    struct cbk_buf scratch = CBK_BUF_INIT(4096);
    struct cbk_json_error err;
    assert_int_equal(cbk_json_scan(text, strlen(text), 0, &scratch, on_ev, &r, &err), 1);
    assert_string_equal(cbk_buf_str(&r.log), "[ N:1 N:2");
    cbk_buf_release(&r.log);

    /* stopping on a key, and on the last event */
    cbk_buf_init(&r.log, 4096);
    r.count = 0;
    r.stop_after = 2;
    assert_int_equal(cbk_json_scan("{\"a\":1}", 7, 0, &scratch, on_ev, &r, &err), 1);
    assert_string_equal(cbk_buf_str(&r.log), "{ K:a");
    cbk_buf_release(&r.log);
    cbk_buf_init(&r.log, 4096);
    r.count = 0;
    r.stop_after = 1;
    assert_int_equal(cbk_json_scan("7", 1, 0, &scratch, on_ev, &r, &err), 1);
    cbk_buf_release(&r.log);
    cbk_buf_release(&scratch);
}

/* ---- strings ----------------------------------------------------------------------------- */

/* Scan a one-string document and compare the decoded bytes and code-point count. */
static void string_is(const char *json, const char *want, size_t want_len, size_t nchars)
{
    struct rec r;
    memset(&r, 0, sizeof(r));
    cbk_buf_init(&r.log, 4096);
    struct cbk_buf scratch = CBK_BUF_INIT(4096);
    struct cbk_json_error err;
    /* keep the decoded bytes: record them through a one-element wrapper */
    assert_int_equal(cbk_json_scan(json, strlen(json), 0, &scratch, on_ev, &r, &err), 0);
    assert_int_equal(r.count, 1);
    assert_int_equal(r.ev[0].type, CBK_JEV_STRING);
    assert_int_equal(r.ev[0].nchars, nchars);
    assert_int_equal(r.ev[0].len, want_len);
    struct cbk_buf expect = CBK_BUF_INIT(4096);
    cbk_buf_adds(&expect, "S:");
    log_bytes(&expect, want, want_len);
    cbk_buf_addf(&expect, "/%zu", nchars);
    assert_string_equal(cbk_buf_str(&r.log), cbk_buf_str(&expect));
    cbk_buf_release(&expect);
    cbk_buf_release(&r.log);
    cbk_buf_release(&scratch);
}

static void decoded_strings(void **state)
{
    (void)state;
    string_is("\"plain\"", "plain", 5, 5);
    string_is("\"\"", "", 0, 0);
    /* every simple escape */
    string_is("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t", 8, 8);
    /* escapes in the middle, after a plain prefix (the slow path keeps the prefix) */
    string_is("\"ab\\ncd\"", "ab\ncd", 5, 5);
    /* \u escapes: 1, 2 and 3 UTF-8 bytes; upper- and lower-case hex */
    string_is("\"\\u0041\\u00e9\\u20AC\"", "A\xc3\xa9\xe2\x82\xac", 6, 3);
    string_is("\"\\u0000\"", "\0", 1, 1);
    /* a surrogate pair is one code point of 4 bytes */
    string_is("\"\\uD83D\\uDE00\"", "\xf0\x9f\x98\x80", 4, 1);
    string_is("\"x\\ud83d\\ude00y\"", "x\xf0\x9f\x98\x80y", 6, 3);
    string_is("\"\\uDBFF\\uDFFF\"", "\xf4\x8f\xbf\xbf", 4, 1); /* U+10FFFF */
    string_is("\"\\uD800\\uDC00\"", "\xf0\x90\x80\x80", 4, 1); /* U+10000 */
    /* raw UTF-8: counted in code points, with and without escapes */
    string_is("\"h\xc3\xa9llo\"", "h\xc3\xa9llo", 6, 5);
    string_is("\"\xe2\x82\xac\xf0\x9f\x98\x80\"", "\xe2\x82\xac\xf0\x9f\x98\x80", 7, 2);
    string_is("\"\xc3\xa9\\t\xf0\x9f\x98\x80\"", "\xc3\xa9\t\xf0\x9f\x98\x80", 7, 3);
    /* DEL and U+FFFF are allowed raw */
    string_is("\"\x7f\xef\xbf\xbf\"", "\x7f\xef\xbf\xbf", 4, 2);
}

static void decoded_keys(void **state)
{
    (void)state;
    /* keys are decoded too; an escaped key followed by an escaped value (shared scratch) */
    ok_events("{\"a\\u0062\":\"c\\u0064\",\"\\u00e9\":1}", "{ K:ab S:cd/2 K:\\xc3\\xa9 N:1 }");
    ok_events("{\"a\\/b\":[\"\\\"\"]}", "{ K:a/b [ S:\"/1 ] }");
}

static void utf8_helpers(void **state)
{
    (void)state;
    assert_true(cbk_utf8_valid("", 0));
    assert_true(cbk_utf8_valid("abc", 3));
    assert_true(cbk_utf8_valid("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9));
    assert_true(cbk_utf8_valid("\xf4\x8f\xbf\xbf", 4));  /* U+10FFFF */
    assert_true(cbk_utf8_valid("\xed\x9f\xbf", 3));      /* U+D7FF */
    assert_true(cbk_utf8_valid("\xee\x80\x80", 3));      /* U+E000 */
    assert_false(cbk_utf8_valid("\xc0\xaf", 2));         /* overlong '/' */
    assert_false(cbk_utf8_valid("\xc1\xbf", 2));         /* overlong */
    assert_false(cbk_utf8_valid("\xe0\x80\xaf", 3));     /* overlong 3-byte */
    assert_false(cbk_utf8_valid("\xf0\x80\x80\xaf", 4)); /* overlong 4-byte */
    assert_false(cbk_utf8_valid("\xed\xa0\x80", 3));     /* U+D800 */
    assert_false(cbk_utf8_valid("\xed\xbf\xbf", 3));     /* U+DFFF */
    assert_false(cbk_utf8_valid("\xf4\x90\x80\x80", 4)); /* U+110000 */
    assert_false(cbk_utf8_valid("\xf5\x80\x80\x80", 4)); /* lead byte > F4 */
    assert_false(cbk_utf8_valid("\xff", 1));             /* never valid */
    assert_false(cbk_utf8_valid("\x80", 1));             /* lone continuation */
    assert_false(cbk_utf8_valid("\xe2\x82", 2));         /* truncated */
    assert_false(cbk_utf8_valid("\xf0\x9f\x98", 3));     /* truncated */
    assert_false(cbk_utf8_valid("\xc3"
                                "a",
                                2)); /* bad continuation */
    assert_int_equal(cbk_utf8_count("", 0), 0);
    assert_int_equal(cbk_utf8_count("abc", 3), 3);
    assert_int_equal(cbk_utf8_count("h\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 10), 4);
    assert_int_equal(cbk_json_column("ab\xc3\xa9z", 0, 4), 4);
    assert_int_equal(cbk_json_column("ab\xc3\xa9z", 0, 5), 5);
    assert_int_equal(cbk_json_column("x\nab", 2, 2), 1);
    assert_int_equal(cbk_json_column("x\nab", 2, 4), 3);
}

/* ---- rejections -------------------------------------------------------------------------- */

static void reject_trailing_commas(void **state)
{
    (void)state;
    bad("[1,]", "unexpected ']', expected a value", 1, 4);
    bad("[1,2,,3]", "unexpected ',', expected a value", 1, 6);
    bad("[,1]", "unexpected ',', expected a value", 1, 2);
    bad("{\"a\":1,}", "unexpected '}', expected a member name in double quotes", 1, 8);
    bad("{,}", "unexpected ',', expected a member name in double quotes or '}'", 1, 2);
    bad("{\"a\":1 \"b\":2}", "unexpected '\"', expected ',' or '}'", 1, 8);
    bad("[1 2]", "unexpected '2', expected ',' or ']'", 1, 4);
    bad("{\"a\" 1}", "unexpected '1', expected ':' after the member name", 1, 6);
    bad("{\"a\":}", "unexpected '}', expected a value", 1, 6);
    bad("{a:1}", "unexpected 'a', expected a member name in double quotes or '}'", 1, 2);
    bad("{'a':1}", "unexpected ''', expected a member name in double quotes or '}'", 1, 2);
    bad("[1}", "unexpected '}', expected ',' or ']'", 1, 3);
    bad("{\"a\":1]", "unexpected ']', expected ',' or '}'", 1, 7);
}

static void reject_numbers(void **state)
{
    (void)state;
    ok_events("[-0,0,1e5,1E5,1e+5,1e-5,-1.5,0.5,10,123456789012345678901234567890,0e0,-0.0e-0]",
              "[ N:-0 N:0 N:1e5 N:1E5 N:1e+5 N:1e-5 N:-1.5 N:0.5 N:10 "
              "N:123456789012345678901234567890 N:0e0 N:-0.0e-0 ]");
    bad("01", "invalid number: leading zeros are not allowed", 1, 1);
    bad("[-01]", "invalid number: leading zeros are not allowed", 1, 2);
    bad("00", "invalid number: leading zeros are not allowed", 1, 1);
    bad("1.e5", "invalid number: expected a digit after '.'", 1, 3);
    bad("1.", "invalid number: expected a digit after '.'", 1, 3);
    bad(".5", "unexpected '.', expected a JSON value", 1, 1);
    bad("-", "invalid number: expected a digit", 1, 2);
    bad("-a", "invalid number: expected a digit", 1, 2);
    bad("- 1", "invalid number: expected a digit", 1, 2);
    bad("1e", "invalid number: expected a digit in the exponent", 1, 3);
    bad("1e+", "invalid number: expected a digit in the exponent", 1, 4);
    bad("[1E-x]", "invalid number: expected a digit in the exponent", 1, 5);
    bad("+1", "unexpected '+', expected a JSON value", 1, 1);
    bad("0x10", "unexpected 'x' after the end of the document", 1, 2);
    bad("1.5.5", "unexpected '.' after the end of the document", 1, 4);
    bad("[1.5e5e5]", "unexpected 'e', expected ',' or ']'", 1, 7);
    bad("NaN", "unexpected 'N', expected a JSON value", 1, 1);
    bad("-Infinity", "invalid number: expected a digit", 1, 2);
}

static void reject_literals(void **state)
{
    (void)state;
    bad("tru", "invalid literal (expected 'true')", 1, 1);
    bad("[truex]", "unexpected 'x', expected ',' or ']'", 1, 6);
    bad("[nul]", "invalid literal (expected 'null')", 1, 2);
    bad("fals", "invalid literal (expected 'false')", 1, 1);
    bad("True", "unexpected 'T', expected a JSON value", 1, 1);
    bad("undefined", "unexpected 'u', expected a JSON value", 1, 1);
}

static void reject_bad_escapes(void **state)
{
    (void)state;
    bad("\"\\x\"", "invalid escape '\\x' in string", 1, 2);
    bad("[\"ab\\a\"]", "invalid escape '\\a' in string", 1, 5);
    bad("\"\\'\"", "invalid escape '\\'' in string", 1, 2);
    bad("\"\\U0041\"", "invalid escape '\\U' in string", 1, 2);
    bad_n("\"\\\x01\"", 4, 0, "invalid escape '\\?' in string", 1, 2);
    bad("\"\\u12G4\"", "invalid \\u escape (expected 4 hex digits)", 1, 2);
    bad("\"\\u12\"", "invalid \\u escape (expected 4 hex digits)", 1, 2);
    bad("\"\\u", "invalid \\u escape (expected 4 hex digits)", 1, 2);
}

static void reject_lone_surrogates(void **state)
{
    (void)state;
    bad("\"\\uD800\"", "lone surrogate \\uD800 in string", 1, 2);
    bad("\"ab\\udbff\"", "lone surrogate \\uDBFF in string", 1, 4);
    bad("\"\\uDC00\"", "lone surrogate \\uDC00 in string", 1, 2);
    bad("\"x\\uDFFF\\uD800\"", "lone surrogate \\uDFFF in string", 1, 3);
    /* a high surrogate followed by something other than a low surrogate */
    bad("\"\\uD800\\u0041\"", "lone surrogate \\uD800 in string", 1, 2);
    bad("\"\\uD800\\uD800\"", "lone surrogate \\uD800 in string", 1, 2);
    bad("\"\\uD800x\"", "lone surrogate \\uD800 in string", 1, 2);
    bad("\"\\uD800\\n\"", "lone surrogate \\uD800 in string", 1, 2);
    bad("{\"\\uDE00\":1}", "lone surrogate \\uDE00 in string", 1, 3);
}

static void reject_control_characters(void **state)
{
    (void)state;
    bad("\"a\tb\"", "control character U+0009 must be escaped in a string", 1, 3);
    bad("\"a\nb\"", "control character U+000A must be escaped in a string", 1, 3);
    bad_n("[\"\0\"]", 5, 0, "control character U+0000 must be escaped in a string", 1, 3);
    bad("\"\x1f\"", "control character U+001F must be escaped in a string", 1, 2);
    /* also after an escape (the decoding path) */
    bad("\"\\n\x01\"", "control character U+0001 must be escaped in a string", 1, 4);
    /* and in keys */
    bad("{\"k\x02\":1}", "control character U+0002 must be escaped in a string", 1, 4);
    /* outside strings they are just unexpected bytes */
    bad("[1,\x0c 2]", "unexpected byte 0x0c, expected a JSON value", 1, 4);
    bad_n("\0", 1, 0, "unexpected byte 0x00, expected a JSON value", 1, 1);
}

static void reject_invalid_utf8(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int column;
    } cases[] = {
        {"\"\xc0\xaf\"", 2},            /* overlong 2-byte */
        {"\"a\xe0\x80\xaf\"", 3},       /* overlong 3-byte */
        {"\"\xf0\x82\x82\xac\"", 2},    /* overlong 4-byte */
        {"\"\xed\xa0\x80\"", 2},        /* encoded surrogate U+D800 */
        {"\"\xed\xbf\xbf\"", 2},        /* encoded surrogate U+DFFF */
        {"\"\xf4\x90\x80\x80\"", 2},    /* U+110000 */
        {"\"\xf7\xbf\xbf\xbf\"", 2},    /* lead byte > F4 */
        {"\"\xe2\x82\"", 2},            /* truncated by the closing quote */
        {"\"ab\xf0\x9f\x98\"", 4},      /* truncated 4-byte */
        {"\"\x80\"", 2},                /* lone continuation byte */
        {"\"\xff\"", 2},                /* never valid */
        {"\"\xc3\xa9\xc3\"", 3},        /* valid char, then truncated (column counts chars) */
        {"\"\\n\xc0\xaf\"", 4},         /* after an escape (the decoding path) */
        {"\"\\t\xed\xa0\x80\"", 4},     /* surrogate on the decoding path */
        {"\"\\t\xf4\x90\x80\x80\"", 4}, /* > U+10FFFF on the decoding path */
    };
    for (size_t i = 0; i < CBK_ARRAY_SIZE(cases); i++)
        bad(cases[i].text, "invalid UTF-8 in string", 1, cases[i].column);
    /* truncated at the very end of the input */
    bad_n("\"\xe2\x82", 3, 0, "invalid UTF-8 in string", 1, 2);
    /* invalid UTF-8 in a key */
    bad("{\"\xc0\x80\":1}", "invalid UTF-8 in string", 1, 3);
    /* raw non-ASCII bytes outside strings */
    bad("\xc3\xa9", "unexpected byte 0xc3, expected a JSON value", 1, 1);
}

static void reject_unterminated(void **state)
{
    (void)state;
    bad("\"abc", "unterminated string", 1, 1);
    bad("[\"abc", "unterminated string", 1, 2);
    bad("\"abc\\", "unterminated string", 1, 1);
    bad("\"ab\\n", "unterminated string", 1, 1);
    bad("{\"k", "unterminated string", 1, 2);
    bad("\n\n  \"x", "unterminated string", 3, 3);
    bad("[", "unexpected end of input", 1, 2);
    bad("[1", "unexpected end of input, expected ',' or ']'", 1, 3);
    bad("[1,", "unexpected end of input", 1, 4);
    bad("{", "unexpected end of input, expected a member name in double quotes or '}'", 1, 2);
    bad("{\"a\":1", "unexpected end of input, expected ',' or '}'", 1, 7);
    bad("{\"a\"", "unexpected end of input, expected ':' after the member name", 1, 5);
    bad("{\"a\":", "unexpected end of input", 1, 6);
    bad("{\"a\":1,", "unexpected end of input, expected a member name in double quotes", 1, 8);
}

static void reject_trailing_garbage(void **state)
{
    (void)state;
    bad("{} x", "unexpected 'x' after the end of the document", 1, 4);
    bad("{}}", "unexpected '}' after the end of the document", 1, 3);
    bad("1 2", "unexpected '2' after the end of the document", 1, 3);
    bad("[]\n\n  []", "unexpected '[' after the end of the document", 3, 3);
    bad("\"a\"\"b\"", "unexpected '\"' after the end of the document", 1, 4);
    bad("null,", "unexpected ',' after the end of the document", 1, 5);
    bad_n("{}\0", 3, 0, "unexpected byte 0x00 after the end of the document", 1, 3);
    /* trailing whitespace is fine */
    ok_events("{} \n\t\r\n", "{ }");
}

static void reject_empty(void **state)
{
    (void)state;
    bad("", "unexpected end of input, expected a JSON value", 1, 1);
    bad("   ", "unexpected end of input, expected a JSON value", 1, 4);
    bad(" \n\t \n  ", "unexpected end of input, expected a JSON value", 3, 3);
    bad_n(NULL, 0, 0, "unexpected end of input, expected a JSON value", 1, 1);
}

static void depth_limit(void **state)
{
    (void)state;
    int rc;
    struct cbk_json_error err;
    char *log = scan_n("[[[]]]", 6, 3, &rc, &err);
    assert_int_equal(rc, 0);
    assert_string_equal(log, "[ [ [ ] ] ]");
    free(log);
    bad_n("[[[[]]]]", 8, 3, "nesting deeper than 3 levels", 1, 4);
    bad_n("{\"a\":{\"b\":[{}]}}", 16, 3, "nesting deeper than 3 levels", 1, 12);
    bad_n("[[]]", 4, 1, "nesting deeper than 1 levels", 1, 2);
    bad_n("{\"a\":\n [ ]}", 11, 1, "nesting deeper than 1 levels", 2, 2);
    /* scalars do not count as levels */
    log = scan_n("[1]", 3, 1, &rc, &err);
    assert_int_equal(rc, 0);
    free(log);

    /* events before the error stay delivered */
    log = scan_n("[[1,[2]]]", 9, 2, &rc, &err);
    assert_int_equal(rc, -1);
    assert_string_equal(log, "[ [ N:1");
    free(log);

    /* 0 and anything above CBK_JSON_MAX_DEPTH mean CBK_JSON_MAX_DEPTH */
    size_t n = CBK_JSON_MAX_DEPTH;
    char *deep = malloc(2 * (n + 1));
    assert_non_null(deep);
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    log = scan_n(deep, 2 * n, 0, &rc, &err);
    assert_int_equal(rc, 0);
    free(log);
    log = scan_n(deep, 2 * n, 100000, &rc, &err);
    assert_int_equal(rc, 0);
    free(log);
    memset(deep, '[', n + 1);
    memset(deep + n + 1, ']', n + 1);
    bad_n(deep, 2 * (n + 1), 0, "nesting deeper than 1024 levels", 1, 1025);
    bad_n(deep, 2 * (n + 1), 5000, "nesting deeper than 1024 levels", 1, 1025);
    bad_n(deep, 2 * (n + 1), 64, "nesting deeper than 64 levels", 1, 65);
    free(deep);
}

static void error_locations_multiline(void **state)
{
    (void)state;
    bad("{\n  \"a\": [1,\n   ,2]}", "unexpected ',', expected a value", 3, 4);
    bad("{\r\n\"a\": tru\r\n}", "invalid literal (expected 'true')", 2, 6);
    /* columns count characters: 'x' is the 7th character but the 8th byte */
    bad("[\"\xc3\xa9\", x]", "unexpected 'x', expected a JSON value", 1, 7);
    bad("{\"\xf0\x9f\x98\x80\xf0\x9f\x98\x80\": 1,,}",
        "unexpected ',', expected a member name in double quotes", 1, 10);
}

/* Top-level string members without a document: one key, several keys in one pass, nested
 * and non-string values, escapes decoded, the first occurrence of a duplicate counts. */
static void top_strings(void **state)
{
    (void)state;
    struct cbk_buf a = CBK_BUF_INIT(1 << 16);
    const char *doc = "{\"x\":{\"id\":\"nested\"},\"n\":5,\"id\":\"p:\\u0041b\",\"tok\":\"t1\","
                      "\"id\":\"second\",\"arr\":[\"id\"]}";
    assert_true(cbk_json_top_string(doc, strlen(doc), "id", &a));
    assert_string_equal(cbk_buf_str(&a), "p:Ab");
    assert_false(cbk_json_top_string(doc, strlen(doc), "n", &a)); /* a number */
    assert_false(cbk_json_top_string(doc, strlen(doc), "x", &a)); /* an object */
    assert_false(cbk_json_top_string(doc, strlen(doc), "missing", &a));
    assert_false(cbk_json_top_string("[\"id\"]", 6, "id", &a)); /* not an object */
    cbk_buf_release(&a);

    struct cbk_buf outs[4] = {CBK_BUF_INIT(1 << 16), CBK_BUF_INIT(1 << 16), CBK_BUF_INIT(1 << 16),
                              CBK_BUF_INIT(1 << 16)};
    const char *keys[4] = {"tok", "id", "n", "nope"};
    bool found[4];
    cbk_json_top_strings(doc, strlen(doc), keys, 4, outs, found);
    assert_true(found[0]);
    assert_string_equal(cbk_buf_str(&outs[0]), "t1");
    assert_true(found[1]);
    assert_string_equal(cbk_buf_str(&outs[1]), "p:Ab");
    assert_false(found[2]);
    assert_false(found[3]);
    /* a body cut short: what was seen before the cut still counts, nothing after it */
    cbk_json_top_strings(doc, 45, keys, 2, outs, found);
    assert_false(found[0]);
    assert_true(found[1]);
    for (int i = 0; i < 4; i++)
        cbk_buf_release(&outs[i]);
}

/* The strings of a top-level array member, each NUL-terminated, one after another. */
static size_t list_of(const char *doc, const char *key, struct cbk_buf *out, bool *ok)
{
    size_t n = 99;
    *ok = cbk_json_top_string_list(doc, strlen(doc), key, out, &n);
    return n;
}

/* Top-level string lists without a document: decoded, nested lists and other keys ignored,
 * the last occurrence of a key counts (as in a parsed document); whatever the list cannot
 * hold as C strings is refused for the caller to read from a document. */
static void top_string_list(void **state)
{
    (void)state;
    struct cbk_buf out = CBK_BUF_INIT(1 << 16);
    bool ok;
    const char *doc = "{\"x\":{\"ids\":[\"nested\"]},\"ids\":[\"first\"],\"n\":[1],"
                      "\"ids\":[\"a:1\",\"\\u0041b\",\"\",\"caf\\u00e9\"],\"tail\":[[\"z\"]]}";
    assert_int_equal(list_of(doc, "ids", &out, &ok), 4);
    assert_true(ok);
    assert_int_equal(out.len, sizeof "a:1\0Ab\0\0caf\xc3\xa9" /* its own NUL ends the last */);
    assert_memory_equal(out.ptr, "a:1\0Ab\0\0caf\xc3\xa9", out.len + 1);
    /* no such member: an empty list */
    assert_int_equal(list_of(doc, "missing", &out, &ok), 0);
    assert_true(ok);
    assert_int_equal(out.len, 0);
    assert_int_equal(list_of("{}", "ids", &out, &ok), 0);
    assert_true(ok);
    assert_int_equal(list_of("{\"ids\":[]}", "ids", &out, &ok), 0);
    assert_true(ok);
    /* refused: not a list of strings, a NUL inside one, not an object, not valid JSON */
    static const char *const refused[] = {"{\"ids\":\"one\"}",
                                          "{\"ids\":[\"a\",1]}",
                                          "{\"ids\":[\"a\",[\"b\"]]}",
                                          "{\"ids\":[{\"a\":\"b\"}]}",
                                          "{\"ids\":{\"a\":\"b\"}}",
                                          "{\"ids\":null}",
                                          "{\"ids\":[\"a\\u0000b\"]}",
                                          "[\"ids\"]",
                                          "{\"ids\":[\"a\"]",
                                          "{\"ids\":[\"a\"]} x",
                                          "{\"n\":[1],\"ids\":[\"a\",true]}"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        assert_int_equal(list_of(refused[i], "ids", &out, &ok), 0);
        assert_false(ok);
    }
    /* a list in a nested object is not the top-level member */
    assert_int_equal(list_of("{\"a\":{\"ids\":[\"x\"]},\"b\":[\"ids\"]}", "ids", &out, &ok), 0);
    assert_true(ok);
    cbk_buf_release(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_event_type),
        cmocka_unit_test(event_positions),
        cmocka_unit_test(callback_stops_scan),
        cmocka_unit_test(decoded_strings),
        cmocka_unit_test(decoded_keys),
        cmocka_unit_test(utf8_helpers),
        cmocka_unit_test(reject_trailing_commas),
        cmocka_unit_test(reject_numbers),
        cmocka_unit_test(reject_literals),
        cmocka_unit_test(reject_bad_escapes),
        cmocka_unit_test(reject_lone_surrogates),
        cmocka_unit_test(reject_control_characters),
        cmocka_unit_test(reject_invalid_utf8),
        cmocka_unit_test(reject_unterminated),
        cmocka_unit_test(reject_trailing_garbage),
        cmocka_unit_test(reject_empty),
        cmocka_unit_test(depth_limit),
        cmocka_unit_test(error_locations_multiline),
        cmocka_unit_test(top_strings),
        cmocka_unit_test(top_string_list),
    };
    return cmocka_run_group_tests_name("jsonscan", tests, NULL, NULL);
}
