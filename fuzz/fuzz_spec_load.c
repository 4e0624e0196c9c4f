/*
 * fuzz_spec_load.c - libFuzzer target: compile arbitrary bytes as a cbkit spec with
 * cbk_spec_load_buffer(), check the loader's contract (a spec xor at least one error), walk
 * whatever compiled, validate a few fixed documents against each of its operations, and free
 * everything.
 */
#include "core/setup.h"
#include "fuzz/fuzz_common.h"
#include "cbkit/cbkit.h"

#include <json-c/json.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_constraints(const struct cbk_constraints *c)
{
    if (c->enum_values) {
        CHECK(c->enum_count > 0);
        CHECK(c->enum_index != NULL);
        for (size_t i = 0; i < c->enum_count; i++) {
            CHECK(c->enum_values[i] != NULL);
            CHECK(cbk_constraints_enum_has(c, c->enum_values[i], strlen(c->enum_values[i])));
        }
    }
    CHECK((c->pattern == NULL) == (c->re == NULL));
    if (c->has_min && c->has_max)
        CHECK(c->min <= c->max && !(c->dmin > c->dmax));
}

static void check_member(const struct cbk_member *m)
{
    CHECK(m->name != NULL);
    CHECK(m->shape != NULL);
    CHECK(m->sources != NULL);
    check_constraints(&m->c);
}

static void walk_spec(const struct cbk_spec *spec)
{
    const struct cbk_metadata *md = cbk_spec_metadata(spec);
    CHECK(md->api_version && md->protocol && md->json_version && md->target_prefix);
    CHECK(md->content_type != NULL);
    for (size_t i = 0; i < cbk_spec_source_count(spec); i++)
        CHECK(cbk_spec_source_at(spec, i)->id != NULL);
    for (size_t i = 0; i < cbk_spec_shape_count(spec); i++) {
        const struct cbk_shape *sh = cbk_spec_shape_at(spec, i);
        CHECK(sh && sh->name);
        CHECK(cbk_spec_shape(spec, sh->name) == sh);
        CHECK(sh->sources != NULL);
        check_constraints(&sh->c);
        switch (sh->type) {
        case CBK_TYPE_STRUCTURE: {
            size_t required = 0;
            for (size_t j = 0; j < sh->member_count; j++) {
                const struct cbk_member *m = &sh->members[j];
                check_member(m);
                CHECK(m->index == j);
                CHECK(cbk_shape_member(sh, m->name, m->name_len) == m);
                required += m->required;
            }
            CHECK(required == sh->required_count);
            break;
        }
        case CBK_TYPE_LIST:
            CHECK(sh->member != NULL);
            check_member(sh->member);
            break;
        case CBK_TYPE_MAP:
            CHECK(sh->key && sh->value);
            check_member(sh->key);
            check_member(sh->value);
            CHECK(sh->key->shape->type == CBK_TYPE_STRING);
            break;
        default:
            break;
        }
    }
    for (size_t i = 0; i < cbk_spec_op_count(spec); i++) {
        const struct cbk_operation *op = cbk_spec_op_at(spec, i);
        CHECK(op && op->name);
        CHECK(cbk_spec_op(spec, op->name) == op);
        CHECK(op->input && op->input->type == CBK_TYPE_STRUCTURE);
        CHECK(op->output && op->output->type == CBK_TYPE_STRUCTURE);
        for (size_t j = 0; j < op->error_count; j++)
            CHECK(op->errors[j] && op->errors[j]->exception);
    }
}

/* Documents every compiled spec is checked against (request and response mode). */
static const char *const docs[] = {
    "{}",
    "null",
    "[1, \"x\", true, null, {}, []]",
    "{\"a\": 1, \"b\": \"x\", \"c\": [1, {\"d\": null}], \"e\": {\"f\": true}, \"a\": 2}",
    "{\"id\": \"\", \"name\": \"n\", \"type\": \"X\", \"value\": 1.5e3, \"items\": [\"AA==\"]}",
    "{\"x\": {\"y\": {\"z\": [[[\"deep\"]]]}}}",
};

/* Validate one document against every operation's input and output, both ways in. */
static void validate_docs(const struct cbk_spec *spec, struct cbk_report *r)
{
    static struct json_object *parsed[CBK_ARRAY_SIZE(docs)];
    static bool parsed_once;
    if (!parsed_once) {
        for (size_t i = 0; i < CBK_ARRAY_SIZE(docs); i++)
            parsed[i] = json_tokener_parse(docs[i]); /* kept for the whole run */
        parsed_once = true;
    }
    for (size_t i = 0; i < cbk_spec_op_count(spec); i++) {
        const struct cbk_operation *op = cbk_spec_op_at(spec, i);
        const struct cbk_shape *roots[2] = {op->input, op->output};
        for (size_t k = 0; k < 2; k++) {
            struct cbk_validate_opts o = CBK_VALIDATE_OPTS_INIT;
            o.direction = k ? CBK_RESPONSE : CBK_REQUEST;
            o.max_violations = 8;
            for (size_t d = 0; d < CBK_ARRAY_SIZE(docs); d++) {
                enum cbk_code rc =
                    cbk_validate_buffer(spec, roots[k], docs[d], strlen(docs[d]), &o, r);
                CHECK((rc == CBK_OK) == (cbk_report_error_count(r) == 0));
                rc = cbk_validate_json(spec, roots[k], parsed[d], &o, r);
                CHECK((rc == CBK_OK) == (cbk_report_error_count(r) == 0));
            }
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct cbk_report *report;
    if (!report)
        report = cbk_report_new(); /* reused for the whole run, as the mock does */

    struct cbk_diags d = CBK_DIAGS_INIT;
    cbk_diags_init(&d, 64);
    struct cbk_spec *spec = NULL;
    enum cbk_code rc = cbk_spec_load_buffer((const char *)data, size, "fuzz.yaml", &spec, &d);
    if (rc == CBK_OK) {
        CHECK(spec != NULL);
        CHECK(cbk_diags_error_count(&d) == 0);
        walk_spec(spec);
        validate_docs(spec, report);
    } else {
        CHECK(spec == NULL);
        CHECK(cbk_diags_error_count(&d) > 0);
    }
    for (size_t i = 0; i < d.nr; i++) {
        const struct cbk_diag *g = &d.v[i];
        CHECK(g->file && g->path && g->message && g->message[0]);
        CHECK(g->line >= 0 && g->column >= 0);
    }
    cbk_diags_release(&d);
    cbk_spec_free(spec);
    return 0;
}
