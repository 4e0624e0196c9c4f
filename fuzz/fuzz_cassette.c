/*
 * fuzz_cassette.c - libFuzzer target: load arbitrary bytes as a cassette with
 * cbk_cassette_load_buffer() against the bundled CodeBuild spec (loaded once), check the
 * loader's contract (a cassette xor at least one error; warnings only on success), look up
 * recorded requests and a few that were never recorded, and write every exchange again with
 * cbk_cassette_format_exchange(): the text written must load back to the same exchanges (the
 * writer's "read back byte for byte" promise, docs/cassettes.md).
 */
#include "core/setup.h"
#include "fuzz/fuzz_common.h"
#include "cbkit/cbkit.h"
#include "cbkit/cassette.h"
#include "core/buf.h"

#include <json-c/json.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Work per input stays bounded: lookups and the round trip on the first exchanges only. */
#define MAX_LOOKUPS   32
#define MAX_ROUNDTRIP 64

/* Loaded once and kept for the whole run (reachable, so LeakSanitizer ignores it). */
static struct cbk_spec *spec;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    CBK_UNUSED(argc);
    CBK_UNUSED(argv);
    spec = fuzz_bundled_spec();
    return 0;
}

static bool str_eq(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

/* 'after': the previous exchange's number (0 for the first) */
static void check_exchange(const struct cbk_exchange *x, size_t after)
{
    CHECK(x != NULL);
    CHECK(x->index > after); /* its document's place: ignored documents leave gaps */
    CHECK(x->line >= 1);
    CHECK(x->operation != NULL);
    CHECK(x->status >= 200 && x->status <= 599);
    CHECK(x->latency_ms >= 0);
    CHECK(x->req_body != NULL && x->req_body[x->req_body_len] == '\0');
    CHECK(x->resp_body != NULL && x->resp_body[x->resp_body_len] == '\0');
    CHECK(x->nreq_headers == 0 || x->req_headers != NULL);
    CHECK(x->nresp_headers == 0 || x->resp_headers != NULL);
    for (size_t k = 0; k < x->nreq_headers; k++)
        CHECK(x->req_headers[k].name && x->req_headers[k].value);
    for (size_t k = 0; k < x->nresp_headers; k++)
        CHECK(x->resp_headers[k].name && x->resp_headers[k].value);
    CHECK(x->nreq_findings == 0 || (x->req_checked && x->req_findings != NULL));
    CHECK(x->nresp_findings == 0 || (x->resp_checked && x->resp_findings != NULL));
}

/* Is the body JSON, as the index reads it (json-c, an empty body being {})? */
static bool is_json(const char *s, size_t n)
{
    if (n == 0)
        return true;
    if (n > INT_MAX)
        return false;
    struct json_tokener *tok = json_tokener_new();
    struct json_object *o = json_tokener_parse_ex(tok, s, (int)n);
    bool ok = json_tokener_get_error(tok) == json_tokener_success;
    json_tokener_free(tok);
    if (o)
        json_object_put(o);
    return ok;
}

static void lookups(struct cbk_cassette *c)
{
    size_t n = cbk_cassette_count(c);
    for (size_t i = 0; i < n && i < MAX_LOOKUPS; i++) {
        const struct cbk_exchange *x = cbk_cassette_at(c, i);
        const struct cbk_operation *op = cbk_spec_op(spec, x->operation);
        if (!op)
            continue;
        char *near = NULL;
        const struct cbk_exchange *y =
            cbk_cassette_lookup(c, op, x->req_body, x->req_body_len, &near);
        if (is_json(x->req_body, x->req_body_len)) {
            /* its own request is recorded: some recording of it answers (the last repeats) */
            CHECK(y != NULL);
            CHECK(near == NULL);
            CHECK(strcmp(y->operation, x->operation) == 0);
        } else {
            CHECK(y == NULL);
        }
        if (!y)
            CHECK(near != NULL && near[0]);
        free(near);
        /* a request that was never recorded: no match or a match, a report when none */
        static const char *const others[] = {"{\"id\":\"fuzz:never-recorded\",\"x\":[1,{}]}", "{}",
                                             "[", "null", ""};
        const char *o = others[i % CBK_ARRAY_SIZE(others)];
        near = NULL;
        y = cbk_cassette_lookup(c, op, o, strlen(o), &near);
        CHECK((y == NULL) == (near != NULL));
        if (y)
            CHECK(strcmp(y->operation, op->name) == 0);
        free(near);
    }
    /* ignore everything under the root, then replay-once: still consistent */
    cbk_cassette_ignore(c, "/*");
    cbk_cassette_repeat_last(c, false);
    cbk_cassette_rewind(c);
    for (size_t i = 0; i < n && i < MAX_LOOKUPS / 4; i++) {
        const struct cbk_exchange *x = cbk_cassette_at(c, i);
        const struct cbk_operation *op = cbk_spec_op(spec, x->operation);
        if (!op)
            continue;
        char *near = NULL;
        const struct cbk_exchange *y =
            cbk_cassette_lookup(c, op, x->req_body, x->req_body_len, &near);
        CHECK((y == NULL) == (near != NULL));
        free(near);
    }
}

/* Written again, the exchanges read back the same. */
static void roundtrip(const struct cbk_cassette *c)
{
    size_t n = cbk_cassette_count(c);
    if (n == 0 || n > MAX_ROUNDTRIP)
        return;
    struct cbk_buf b = CBK_BUF_INIT((size_t)1 << 28);
    cbk_buf_adds(&b, "cbkit-cassette: 1\n...\n");
    for (size_t i = 0; i < n; i++)
        cbk_cassette_format_exchange(cbk_cassette_at(c, i), &b);
    struct cbk_diags d = CBK_DIAGS_INIT;
    cbk_diags_init(&d, 32);
    struct cbk_cassette *c2 = NULL;
    enum cbk_code rc = cbk_cassette_load_buffer(spec, b.ptr, b.len, "again.yaml", &c2, &d);
    if (rc != CBK_OK) {
        for (size_t i = 0; i < d.nr; i++)
            fprintf(stderr, "again.yaml:%d:%d: %s\n", d.v[i].line, d.v[i].column, d.v[i].message);
        fprintf(stderr, "%s\n", cbk_buf_str(&b));
    }
    CHECK(rc == CBK_OK);
    CHECK(cbk_cassette_count(c2) == n);
    for (size_t i = 0; i < n; i++) {
        const struct cbk_exchange *x = cbk_cassette_at(c, i), *y = cbk_cassette_at(c2, i);
        CHECK(strcmp(x->operation, y->operation) == 0);
        CHECK(x->status == y->status);
        CHECK(x->latency_ms == y->latency_ms);
        CHECK(x->recorded_ms == y->recorded_ms);
        CHECK(x->req_body_len == y->req_body_len);
        CHECK(memcmp(x->req_body, y->req_body, x->req_body_len) == 0);
        CHECK(x->resp_body_len == y->resp_body_len);
        CHECK(memcmp(x->resp_body, y->resp_body, x->resp_body_len) == 0);
        CHECK(x->nreq_headers == y->nreq_headers && x->nresp_headers == y->nresp_headers);
        for (size_t k = 0; k < x->nreq_headers; k++)
            CHECK(str_eq(x->req_headers[k].name, y->req_headers[k].name) &&
                  str_eq(x->req_headers[k].value, y->req_headers[k].value));
        for (size_t k = 0; k < x->nresp_headers; k++)
            CHECK(str_eq(x->resp_headers[k].name, y->resp_headers[k].name) &&
                  str_eq(x->resp_headers[k].value, y->resp_headers[k].value));
        CHECK(x->req_checked == y->req_checked && x->resp_checked == y->resp_checked);
        CHECK(x->nreq_findings == y->nreq_findings && x->nresp_findings == y->nresp_findings);
        for (size_t k = 0; k < x->nresp_findings; k++)
            CHECK(str_eq(x->resp_findings[k].path, y->resp_findings[k].path) &&
                  str_eq(x->resp_findings[k].message, y->resp_findings[k].message));
    }
    cbk_cassette_free(c2);
    cbk_diags_release(&d);
    cbk_buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cbk_diags d = CBK_DIAGS_INIT;
    cbk_diags_init(&d, 64);
    struct cbk_cassette *c = (struct cbk_cassette *)&d; /* must be reset */
    enum cbk_code rc =
        cbk_cassette_load_buffer(spec, (const char *)data, size, "fuzz.yaml", &c, &d);
    for (size_t i = 0; i < d.nr; i++) {
        CHECK(d.v[i].message && d.v[i].message[0]);
        CHECK(d.v[i].line >= 0 && d.v[i].column >= 0);
        CHECK(strcmp(d.v[i].file, "fuzz.yaml") == 0);
    }
    if (rc == CBK_OK) {
        CHECK(c != NULL);
        CHECK(cbk_diags_error_count(&d) == 0);
        CHECK(strcmp(cbk_cassette_file(c), "fuzz.yaml") == 0);
        size_t n = cbk_cassette_count(c);
        for (size_t i = 0, last = 0; i < n; i++) {
            check_exchange(cbk_cassette_at(c, i), last);
            last = cbk_cassette_at(c, i)->index;
        }
        CHECK(cbk_cassette_at(c, n) == NULL);
        roundtrip(c);
        lookups(c);
        cbk_cassette_free(c);
    } else {
        CHECK(c == NULL);
        CHECK(rc == CBK_E_CASSETTE || rc == CBK_E_LIMIT);
        CHECK(cbk_diags_error_count(&d) > 0);
    }
    cbk_diags_release(&d);
    return 0;
}
