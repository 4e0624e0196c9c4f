/*
 * test_spec.c - unit tests of the spec loader and compiler (spec/spec_load.c): the bundled
 * CodeBuild spec, every kind of located error in a bad spec (all of them reported, no spec
 * returned), recursive shapes, blobs/maps/doubles through a custom spec, and loading files.
 */
#include "core/setup.h"

#include <setjmp.h>
#include <cmocka.h>
#include <json-c/json.h>
#include <unistd.h>

#include "cbkit/cbkit.h"
#include "core/buf.h"

/* ---- helpers ------------------------------------------------------------------------------ */

/* "LINE:COL: PATH: MESSAGE", or "LINE:COL: MESSAGE" when the path is empty. Caller frees. */
static char *diag_text(const struct cbk_diag *g)
{
    struct cbk_buf b = CBK_BUF_INIT(1 << 16);
    cbk_buf_addf(&b, "%d:%d: ", g->line, g->column);
    if (g->path[0])
        cbk_buf_addf(&b, "%s: ", g->path);
    cbk_buf_adds(&b, g->message);
    return cbk_buf_detach(&b, NULL);
}

static void print_diags(const struct cbk_diags *d)
{
    for (size_t i = 0; i < d->nr; i++) {
        char *t = diag_text(&d->v[i]);
        print_error("  [%s %s] %s:%s\n", d->v[i].severity == CBK_SEV_ERROR ? "error" : "warning",
                    cbk_code_name(d->v[i].code), d->v[i].file, t);
        free(t);
    }
}

/*
 * Load 'yaml' as "bad.yaml" and require: result 'code', no spec, and exactly the error
 * diagnostics in 'want' (NULL-terminated, any order), each in file "bad.yaml".
 */
static void spec_bad(const char *yaml, enum cbk_code code, const char *const *want)
{
    struct cbk_diags d = CBK_DIAGS_INIT;
    struct cbk_spec *spec = (struct cbk_spec *)&d; /* must be reset to NULL */
    enum cbk_code rc = cbk_spec_load_buffer(yaml, strlen(yaml), "bad.yaml", &spec, &d);
    size_t nwant = 0;
    while (want[nwant])
        nwant++;
    bool ok = rc == code && spec == NULL && d.nr == nwant && cbk_diags_error_count(&d) == nwant;
    bool *used = calloc(d.nr + 1, sizeof(bool));
    for (size_t i = 0; ok && i < nwant; i++) {
        bool found = false;
        for (size_t j = 0; j < d.nr && !found; j++) {
            if (used[j] || strcmp(d.v[j].file, "bad.yaml") != 0)
                continue;
            char *t = diag_text(&d.v[j]);
            if (strcmp(t, want[i]) == 0) {
                used[j] = true;
                found = true;
            }
            free(t);
        }
        if (!found) {
            print_error("missing diagnostic: %s\n", want[i]);
            ok = false;
        }
    }
    if (!ok) {
        print_error("want %s and %zu diagnostics:\n", cbk_code_name(code), nwant);
        for (size_t i = 0; i < nwant; i++)
            print_error("  %s\n", want[i]);
        print_error("got %s, spec %s, %zu diagnostics:\n", cbk_code_name(rc),
                    spec ? "returned" : "NULL", d.nr);
        print_diags(&d);
    }
    free(used);
    if (spec && spec != (struct cbk_spec *)&d)
        cbk_spec_free(spec);
    cbk_diags_release(&d);
    if (!ok)
        fail();
}

/* Load 'yaml' and require success with no diagnostics at all. Caller frees. */
static struct cbk_spec *spec_ok(const char *yaml)
{
    struct cbk_diags d = CBK_DIAGS_INIT;
    struct cbk_spec *spec = NULL;
    enum cbk_code rc = cbk_spec_load_buffer(yaml, strlen(yaml), "ok.yaml", &spec, &d);
    if (rc != CBK_OK || !spec || d.nr) {
        print_error("spec did not load cleanly (%s):\n", cbk_code_name(rc));
        print_diags(&d);
        cbk_diags_release(&d);
        if (spec)
            cbk_spec_free(spec);
        fail();
    }
    cbk_diags_release(&d);
    return spec;
}

/* 8 lines: version, metadata, one source (s1). */
#define HEAD                                                                                       \
    "cbkit-spec: 1\n"                                                                              \
    "metadata:\n"                                                                                  \
    "  apiVersion: \"2016-10-06\"\n"                                                               \
    "  protocol: json\n"                                                                           \
    "  jsonVersion: \"1.1\"\n"                                                                     \
    "  targetPrefix: Test_1\n"                                                                     \
    "sources:\n"                                                                                   \
    "  s1: {title: T}\n"

/* 3 lines (9-11): one operation Op with input In. */
#define OPS                                                                                        \
    "operations:\n"                                                                                \
    "  Op:\n"                                                                                      \
    "    input: In\n"

/* ---- the bundled spec ------------------------------------------------------------------- */

static int bundled_setup(void **state)
{
    struct cbk_diags d = CBK_DIAGS_INIT;
    struct cbk_spec *spec = NULL;
    enum cbk_code rc = cbk_spec_load_bundled(&spec, &d);
    if (rc != CBK_OK || d.nr != 0) {
        print_diags(&d);
        cbk_diags_release(&d);
        return -1;
    }
    cbk_diags_release(&d);
    *state = spec;
    return 0;
}

static int bundled_teardown(void **state)
{
    cbk_spec_free(*state);
    return 0;
}

static const struct cbk_shape *S(const struct cbk_spec *spec, const char *name)
{
    const struct cbk_shape *sh = cbk_spec_shape(spec, name);
    if (!sh)
        fail_msg("no shape %s", name);
    return sh;
}

static const struct cbk_member *M(const struct cbk_shape *sh, const char *name)
{
    const struct cbk_member *m = cbk_shape_member(sh, name, strlen(name));
    if (!m)
        fail_msg("no member %s.%s", sh->name, name);
    return m;
}

static void bundled_loads_cleanly(void **state)
{
    (void)state;
    struct cbk_diags d = CBK_DIAGS_INIT;
    struct cbk_spec *spec = NULL;
    assert_int_equal(cbk_spec_load_bundled(&spec, &d), CBK_OK);
    assert_non_null(spec);
    assert_int_equal(d.nr, 0); /* no errors and no warnings */
    assert_int_equal(cbk_diags_error_count(&d), 0);
    assert_string_equal(cbk_spec_file(spec), "spec/codebuild/2016-10-06.yaml");
    assert_string_equal(cbk_spec_bundled_name(), "spec/codebuild/2016-10-06.yaml");
    size_t len = 0;
    const char *text = cbk_spec_bundled_text(&len);
    assert_true(len > 1000);
    assert_non_null(strstr(text, "cbkit-spec: 1"));
    assert_non_null(cbk_spec_bundled_text(NULL));
    cbk_spec_free(spec);
    cbk_spec_free(NULL);
    cbk_diags_release(&d);
}

static void bundled_operations(void **state)
{
    const struct cbk_spec *spec = *state;
    /* the whole API, in the model's (alphabetical) order */
    assert_int_equal(cbk_spec_op_count(spec), 59);
    assert_string_equal(cbk_spec_op_at(spec, 0)->name, "BatchDeleteBuilds");
    assert_string_equal(cbk_spec_op_at(spec, 58)->name, "UpdateWebhook");
    assert_null(cbk_spec_op_at(spec, 59));
    for (size_t i = 1; i < cbk_spec_op_count(spec); i++)
        assert_true(strcmp(cbk_spec_op_at(spec, i - 1)->name, cbk_spec_op_at(spec, i)->name) < 0);
    assert_non_null(cbk_spec_op(spec, "RetryBuild"));
    assert_non_null(cbk_spec_op(spec, "StopBuild"));
    assert_non_null(cbk_spec_op(spec, "StartBuildBatch"));
    assert_non_null(cbk_spec_op(spec, "StartBuild"));
    assert_null(cbk_spec_op(spec, "stopbuild"));
    assert_ptr_equal(cbk_spec_op_n(spec, "StopBuildXYZ", 9), cbk_spec_op(spec, "StopBuild"));

    const struct cbk_metadata *md = cbk_spec_metadata(spec);
    assert_string_equal(md->target_prefix, "CodeBuild_20161006");
    assert_string_equal(md->protocol, "json");
    assert_string_equal(md->json_version, "1.1");
    assert_string_equal(md->api_version, "2016-10-06");
    assert_string_equal(md->content_type, "application/x-amz-json-1.1");
    assert_string_equal(md->signing_name, "codebuild");

    const struct cbk_operation *stop = cbk_spec_op(spec, "StopBuild");
    assert_ptr_equal(stop->input, S(spec, "StopBuildInput"));
    assert_ptr_equal(stop->output, S(spec, "StopBuildOutput"));
    assert_int_equal(stop->error_count, 2);
    assert_string_equal(stop->errors[0]->name, "InvalidInputException");
    assert_string_equal(stop->errors[1]->name, "ResourceNotFoundException");
    assert_non_null(stop->sources[0]);
    assert_int_equal(cbk_spec_op(spec, "RetryBuild")->error_count, 3);

    /* StopBuild requires id; StartBuildBatch requires projectName; RetryBuild nothing */
    const struct cbk_shape *si = S(spec, "StopBuildInput");
    assert_int_equal(si->type, CBK_TYPE_STRUCTURE);
    assert_int_equal(si->required_count, 1);
    assert_true(M(si, "id")->required);
    assert_ptr_equal(M(si, "id")->shape, S(spec, "NonEmptyString"));
    const struct cbk_shape *sb = cbk_spec_op(spec, "StartBuildBatch")->input;
    assert_int_equal(sb->required_count, 1);
    assert_true(M(sb, "projectName")->required);
    assert_false(M(sb, "sourceVersion")->required);
    const struct cbk_shape *rb = cbk_spec_op(spec, "RetryBuild")->input;
    assert_int_equal(rb->required_count, 0);
    for (size_t i = 0; i < rb->member_count; i++)
        assert_false(rb->members[i].required);
    assert_true(M(rb, "idempotencyToken")->is_volatile);
}

static void bundled_constraints(void **state)
{
    const struct cbk_spec *spec = *state;
    const struct cbk_shape *bt = S(spec, "BuildTimeOut");
    assert_int_equal(bt->type, CBK_TYPE_INTEGER);
    assert_true(bt->c.has_min && bt->c.has_max);
    assert_int_equal(bt->c.min, 5);
    assert_int_equal(bt->c.max, 2160);
    const struct cbk_shape *to = S(spec, "TimeOut");
    assert_int_equal(to->c.min, 5);
    assert_int_equal(to->c.max, 480);
    const struct cbk_shape *gd = S(spec, "GitCloneDepth");
    assert_true(gd->c.has_min);
    assert_int_equal(gd->c.min, 0);
    assert_false(gd->c.has_max);
    static const char *const lists[] = {"ProjectSources", "ProjectSecondarySourceVersions",
                                        "ProjectArtifactsList"};
    for (size_t i = 0; i < CBK_ARRAY_SIZE(lists); i++) {
        const struct cbk_shape *l = S(spec, lists[i]);
        assert_int_equal(l->type, CBK_TYPE_LIST);
        assert_true(l->c.has_min && l->c.has_max);
        assert_int_equal(l->c.min, 0);
        assert_int_equal(l->c.max, 12);
        assert_non_null(l->member);
        assert_string_equal(l->member->name, "member");
    }
    const struct cbk_shape *nes = S(spec, "NonEmptyString");
    assert_int_equal(nes->type, CBK_TYPE_STRING);
    assert_true(nes->c.has_min);
    assert_int_equal(nes->c.min, 1);
    assert_false(nes->c.has_max);

    /* Build.timeoutInMinutes: member-level 5..2160 on an unconstrained WrapperInt */
    const struct cbk_member *tim = M(S(spec, "Build"), "timeoutInMinutes");
    assert_true(tim->refined);
    assert_ptr_equal(tim->shape, S(spec, "WrapperInt"));
    assert_true(tim->c.has_min && tim->c.has_max);
    assert_int_equal(tim->c.min, 5);
    assert_int_equal(tim->c.max, 2160);
    assert_false(tim->shape->c.has_min);
    assert_false(tim->shape->c.has_max);
    assert_false(M(S(spec, "Build"), "queuedTimeoutInMinutes")->refined);

    /* members inherit their target's constraints */
    const struct cbk_member *bto =
        M(S(spec, "StartBuildBatchInput"), "buildTimeoutInMinutesOverride");
    assert_false(bto->refined);
    assert_int_equal(bto->c.min, 5);
    assert_int_equal(bto->c.max, 2160);

    /* the sourceIdentifier pattern is compiled; max narrowed to 127 */
    const struct cbk_member *sid = M(S(spec, "ProjectSource"), "sourceIdentifier");
    assert_true(sid->refined);
    assert_non_null(sid->c.re);
    assert_string_equal(sid->c.pattern, "^[A-Za-z0-9_]*$");
    assert_true(sid->c.has_max);
    assert_int_equal(sid->c.max, 127);
    assert_null(sid->shape->c.re);
    assert_non_null(M(S(spec, "ProjectSourceVersion"), "sourceIdentifier")->c.re);
}

static void bundled_enums(void **state)
{
    const struct cbk_spec *spec = *state;
    static const struct {
        const char *name;
        size_t n;
    } enums[] = {{"ComputeType", 12},   {"EnvironmentType", 12}, {"SourceType", 9},
                 {"SourceAuthType", 3}, {"StatusType", 6},       {"BuildPhaseType", 11}};
    for (size_t i = 0; i < CBK_ARRAY_SIZE(enums); i++) {
        const struct cbk_shape *e = S(spec, enums[i].name);
        assert_int_equal(e->type, CBK_TYPE_STRING);
        if (e->c.enum_count != enums[i].n)
            fail_msg("%s has %zu values, expected %zu", enums[i].name, e->c.enum_count, enums[i].n);
        for (size_t j = 0; j < e->c.enum_count; j++)
            assert_true(
                cbk_constraints_enum_has(&e->c, e->c.enum_values[j], strlen(e->c.enum_values[j])));
    }
    const struct cbk_constraints *et = &S(spec, "EnvironmentType")->c;
    assert_string_equal(et->enum_values[1], "LINUX_CONTAINER");
    assert_true(cbk_constraints_enum_has(et, "LINUX_CONTAINER", 15));
    assert_false(cbk_constraints_enum_has(et, "linux_container", 15)); /* case-sensitive */
    assert_false(cbk_constraints_enum_has(et, "LINUX", 5));
    assert_false(cbk_constraints_enum_has(et, "LINUX_CONTAINERS", 16));
    assert_true(cbk_constraints_enum_has(et, "LINUX_CONTAINERS", 15)); /* uses the length */
    /* no enum: everything is allowed */
    assert_true(cbk_constraints_enum_has(&S(spec, "String")->c, "anything", 8));
}

static void bundled_errors(void **state)
{
    const struct cbk_spec *spec = *state;
    static const char *const errs[] = {"AccountLimitExceededException", "InvalidInputException",
                                       "ResourceNotFoundException"};
    for (size_t i = 0; i < CBK_ARRAY_SIZE(errs); i++) {
        const struct cbk_shape *e = S(spec, errs[i]);
        assert_true(e->exception);
        assert_int_equal(e->http_status, 400);
        assert_true(e->sender_fault);
        assert_string_equal(e->error_code, errs[i]);
        assert_non_null(cbk_shape_member(e, "message", 7));
    }
    assert_false(S(spec, "Build")->exception);
}

static void bundled_member_lookup(void **state)
{
    const struct cbk_spec *spec = *state;
    const struct cbk_shape *sb = S(spec, "StartBuildBatchInput");
    assert_true(sb->member_count > 30);
    for (size_t i = 0; i < sb->member_count; i++) {
        const struct cbk_member *m = &sb->members[i];
        assert_int_equal(m->index, i);
        assert_int_equal(m->name_len, strlen(m->name));
        assert_ptr_equal(cbk_shape_member(sb, m->name, m->name_len), m);
    }
    const struct cbk_member *pn = cbk_shape_member(sb, "projectName", 11);
    assert_non_null(pn);
    assert_int_equal(pn->index, 0);
    assert_true(pn->line > 0 && pn->column > 0);
    assert_null(cbk_shape_member(sb, "projectname", 11));
    assert_null(cbk_shape_member(sb, "project", 7));
    assert_null(cbk_shape_member(sb, "", 0));
    assert_ptr_equal(cbk_shape_member(sb, "projectNameXX", 11), pn);
    /* non-structures have no members */
    assert_null(cbk_shape_member(S(spec, "String"), "x", 1));
    assert_null(cbk_shape_member(S(spec, "ProjectSources"), "member", 6));
    /* the shape index matches iteration order */
    for (size_t i = 0; i < cbk_spec_shape_count(spec); i++) {
        const struct cbk_shape *sh = cbk_spec_shape_at(spec, i);
        assert_ptr_equal(cbk_spec_shape(spec, sh->name), sh);
        assert_true(sh->line > 0 && sh->column == 3);
    }
    assert_null(cbk_spec_shape_at(spec, cbk_spec_shape_count(spec)));
    assert_null(cbk_spec_shape(spec, "NoSuchShape"));
    assert_string_equal(cbk_type_name(CBK_TYPE_TIMESTAMP), "timestamp");
    assert_string_equal(cbk_type_name((enum cbk_type)99), "unknown");
}

static bool has_sources(const char *const *s)
{
    return s && s[0] && s[0][0];
}

static void bundled_constraints_cite_sources(void **state)
{
    const struct cbk_spec *spec = *state;
    size_t checked = 0, missing = 0;
    for (size_t i = 0; i < cbk_spec_shape_count(spec); i++) {
        const struct cbk_shape *sh = cbk_spec_shape_at(spec, i);
        const struct cbk_constraints *c = &sh->c;
        if (c->has_min || c->has_max || c->enum_values || c->pattern || sh->required_count) {
            checked++;
            if (!has_sources(sh->sources)) {
                print_error("shape %s has constraints but no source\n", sh->name);
                missing++;
            }
        }
        for (size_t j = 0; j < sh->member_count; j++) {
            const struct cbk_member *m = &sh->members[j];
            if (!m->refined)
                continue;
            checked++;
            if (!has_sources(m->sources)) {
                print_error("member %s.%s has constraints but no source\n", sh->name, m->name);
                missing++;
            }
        }
    }
    assert_int_equal(missing, 0);
    assert_true(checked >= 40); /* enums, lists, timeouts, required lists, member refinements */
    /* every citation starts with a declared source id */
    assert_true(cbk_spec_source_count(spec) >= 6);
    /* the import declares the model first; the overlay adds the seed pages after it */
    assert_string_equal(cbk_spec_source_at(spec, 0)->id, "model-1.43.11");
    assert_string_equal(cbk_spec_source_at(spec, 1)->id, "seed-000");
    assert_null(cbk_spec_source_at(spec, cbk_spec_source_count(spec)));
    for (size_t i = 0; i < cbk_spec_shape_count(spec); i++) {
        const struct cbk_shape *sh = cbk_spec_shape_at(spec, i);
        for (size_t k = 0; sh->sources[k]; k++) {
            bool ok = false;
            for (size_t s = 0; s < cbk_spec_source_count(spec); s++) {
                const char *id = cbk_spec_source_at(spec, s)->id;
                size_t n = strlen(id);
                if (strncmp(sh->sources[k], id, n) == 0 &&
                    (sh->sources[k][n] == '\0' || sh->sources[k][n] == ':'))
                    ok = true;
            }
            assert_true(ok);
        }
    }
}

/* ---- bad specs: every problem, located ----------------------------------------------------- */

static void bad_unknown_keys(void **state)
{
    (void)state;
    spec_bad(
        HEAD "opertions: {}\n" OPS "shapes:\n  In: {type: structure}\n", CBK_E_SPEC,
        (const char *const[]){"9:1: unknown key 'opertions' (expected one of: cbkit-spec, "
                              "metadata, documentation, sources, operations, paginators, shapes)",
                              NULL});
    spec_bad("cbkit-spec: 1\n"
             "metadata:\n"
             "  apiVersion: \"2016-10-06\"\n"
             "  protocol: json\n"
             "  jsonVersion: \"1.1\"\n"
             "  targetPrefix: Test_1\n"
             "  targetPrefx: Test_2\n" OPS "shapes:\n  In: {type: structure}\n",
             CBK_E_SPEC,
             (const char *const[]){"7:3: metadata: unknown key 'targetPrefx' (expected one of: "
                                   "apiVersion, protocol, jsonVersion, targetPrefix, serviceId, "
                                   "serviceFullName, endpointPrefix, signingName, "
                                   "signatureVersion, uid)",
                                   NULL});
    spec_bad(HEAD OPS "shapes:\n"             /* 12 */
                      "  In:\n"               /* 13 */
                      "    type: structure\n" /* 14 */
                      "    members:\n"        /* 15 */
                      "      x: {shape: S}\n" /* 16 */
                      "    requird: [x]\n"    /* 17 */
                      "  S:\n"                /* 18 */
                      "    type: string\n"    /* 19 */
                      "    lenght: 5\n",      /* 20 */
             CBK_E_SPEC,
             (const char *const[]){
                 "17:5: shapes.In: unknown key 'requird' (expected one of: type, documentation, "
                 "source, sensitive, deprecated, members, required, exception, error, union)",
                 "20:5: shapes.S: unknown key 'lenght' (expected one of: type, documentation, "
                 "source, sensitive, deprecated, min, max, enum, pattern)",
                 NULL});
    spec_bad(HEAD OPS "shapes:\n"             /* 12 */
                      "  In:\n"               /* 13 */
                      "    type: structure\n" /* 14 */
                      "    members:\n"        /* 15 */
                      "      x:\n"            /* 16 */
                      "        shpae: S\n"    /* 17 */
                      "  S:\n"                /* 18 */
                      "    type: string\n",   /* 19 */
             CBK_E_SPEC,
             (const char *const[]){
                 "17:9: shapes.In.members.x: unknown key 'shpae' (expected one of: shape, "
                 "documentation, source, deprecated, sensitive, min, max, enum, pattern, "
                 "volatile)",
                 "17:9: shapes.In.members.x: missing required key 'shape'", NULL});
    /* unknown keys in sources, operations and error blocks */
    spec_bad("cbkit-spec: 1\n"
             "metadata: {apiVersion: a, protocol: json, jsonVersion: \"1.0\", targetPrefix: T}\n"
             "sources:\n"
             "  s1: {titel: T}\n"
             "operations:\n"
             "  Op: {input: In, ouput: In}\n"
             "shapes:\n"
             "  In: {type: structure}\n"
             "  E:\n"
             "    type: structure\n"
             "    exception: true\n"
             "    error: {httpStatus: 400}\n",
             CBK_E_SPEC,
             (const char *const[]){
                 "4:8: sources.s1: unknown key 'titel' (expected one of: file, title, url, note)",
                 "6:19: operations.Op: unknown key 'ouput' (expected one of: input, output, "
                 "errors, documentation, source, deprecated)",
                 "12:13: shapes.E.error: unknown key 'httpStatus' (expected one of: "
                 "httpStatusCode, senderFault, code)",
                 NULL});
}

static void bad_wrong_types(void **state)
{
    (void)state;
    spec_bad(HEAD OPS "shapes:\n"                   /* 12 */
                      "  In:\n"                     /* 13 */
                      "    type: structure\n"       /* 14 */
                      "    required: id\n"          /* 15 */
                      "    documentation: {a: b}\n" /* 16 */
                      "    members:\n"              /* 17 */
                      "      id: {shape: S}\n"      /* 18 */
                      "  S:\n"                      /* 19 */
                      "    type: string\n"          /* 20 */
                      "    min: \"x\"\n"            /* 21 */
                      "  E:\n"                      /* 22 */
                      "    type: string\n"          /* 23 */
                      "    enum: A\n"               /* 24 */
                      "  T:\n"                      /* 25 */
                      "    type: 5\n"               /* 26 */
                      "  B:\n"                      /* 27 */
                      "    type: boolean\n"         /* 28 */
                      "    sensitive: maybe\n"      /* 29 */
                      "  L:\n"                      /* 30 */
                      "    type: list\n"            /* 31 */
                      "    member: Str\n"           /* 32 */
                      "  N:\n"                      /* 33 */
                      "    type: [string]\n",       /* 34 */
             CBK_E_SPEC,
             (const char *const[]){
                 "15:15: shapes.In.required: expected a sequence, found a string",
                 "16:20: shapes.In.documentation: expected a string, found a mapping",
                 "21:10: shapes.S.min: expected an integer, found 'x'",
                 "24:11: shapes.E.enum: expected a sequence, found a string",
                 "26:11: shapes.T.type: unknown type '5' (expected one of: structure, list, map, "
                 "string, integer, long, boolean, timestamp, double, float, blob, document)",
                 "29:16: shapes.B.sensitive: expected true or false, found a string",
                 "32:13: shapes.L.member: expected a mapping, found a string",
                 "34:11: shapes.N.type: expected a string, found a sequence", NULL});
    /* a shape that is not a mapping; a member that is not a mapping; shapes not a mapping */
    spec_bad(HEAD OPS "shapes:\n"
                      "  In:\n"
                      "    type: structure\n"
                      "    members:\n"
                      "      x: S\n"
                      "  S: string\n",
             CBK_E_SPEC,
             (const char *const[]){"16:10: shapes.In.members.x: expected a mapping, found a string",
                                   "17:6: shapes.S: expected a mapping, found a string", NULL});
    spec_bad(HEAD OPS "shapes: [In]\n", CBK_E_SPEC,
             (const char *const[]){"12:9: shapes: expected a mapping, found a sequence",
                                   "11:12: operations.Op.input: unknown shape 'In'", NULL});
}

static void bad_unknown_type(void **state)
{
    (void)state;
    spec_bad(HEAD OPS "shapes:\n"
                      "  In:\n"
                      "    type: strucure\n",
             CBK_E_SPEC,
             (const char *const[]){
                 "14:11: shapes.In.type: unknown type 'strucure' (expected one of: structure, "
                 "list, map, string, integer, long, boolean, timestamp, double, float, blob, "
                 "document)",
                 NULL});
    spec_bad(HEAD OPS "shapes:\n"
                      "  In:\n"
                      "    members: {}\n",
             CBK_E_SPEC,
             (const char *const[]){"14:5: shapes.In: missing required key 'type'", NULL});
}

static void bad_dangling_references(void **state)
{
    (void)state;
    spec_bad(HEAD "operations:\n"                  /* 9 */
                  "  Op:\n"                        /* 10 */
                  "    input: In\n"                /* 11 */
                  "    output: Outt\n"             /* 12 */
                  "    errors: [Err, Nope]\n"      /* 13 */
                  "  Op2:\n"                       /* 14 */
                  "    input: Missing\n"           /* 15 */
                  "shapes:\n"                      /* 16 */
                  "  In:\n"                        /* 17 */
                  "    type: structure\n"          /* 18 */
                  "    members:\n"                 /* 19 */
                  "      a: {shape: Strin}\n"      /* 20 */
                  "      l: {shape: L}\n"          /* 21 */
                  "      m: {shape: M}\n"          /* 22 */
                  "  L:\n"                         /* 23 */
                  "    type: list\n"               /* 24 */
                  "    member: {shape: Nothing}\n" /* 25 */
                  "  M:\n"                         /* 26 */
                  "    type: map\n"                /* 27 */
                  "    key: {shape: K}\n"          /* 28 */
                  "    value: {shape: V}\n"        /* 29 */
                  "  Err:\n"                       /* 30 */
                  "    type: structure\n"          /* 31 */
                  "    exception: true\n",         /* 32 */
             CBK_E_SPEC,
             (const char *const[]){"20:18: shapes.In.members.a.shape: unknown shape 'Strin'",
                                   "25:21: shapes.L.member.shape: unknown shape 'Nothing'",
                                   "28:18: shapes.M.key.shape: unknown shape 'K'",
                                   "29:20: shapes.M.value.shape: unknown shape 'V'",
                                   "12:13: operations.Op.output: unknown shape 'Outt'",
                                   "13:19: operations.Op.errors[1]: unknown shape 'Nope'",
                                   "15:12: operations.Op2.input: unknown shape 'Missing'", NULL});
    /* list and map parts are required */
    spec_bad(HEAD OPS "shapes:\n"
                      "  In:\n"
                      "    type: structure\n"
                      "    members:\n"
                      "      l: {shape: L}\n"
                      "      m: {shape: M}\n"
                      "  L: {type: list}\n"
                      "  M: {type: map, key: {shape: In}}\n",
             CBK_E_SPEC,
             (const char *const[]){
                 "18:6: shapes.L: missing required key 'member'",
                 "19:6: shapes.M: missing required key 'value'",
                 "19:23: shapes.M.key: map keys must be a string shape, not 'In' (structure)",
                 NULL});
}

static void bad_min_greater_than_max(void **state)
{
    (void)state;
    spec_bad(HEAD OPS "shapes:\n"             /* 12 */
                      "  In:\n"               /* 13 */
                      "    type: structure\n" /* 14 */
                      "    members:\n"        /* 15 */
                      "      x:\n"            /* 16 */
                      "        shape: S\n"    /* 17 */
                      "        min: 10\n"     /* 18 */
                      "        max: 2\n"      /* 19 */
                      "      y:\n"            /* 20 */
                      "        shape: S\n"    /* 21 */
                      "        min: 9\n"      /* 22 */
                      "  S:\n"                /* 23 */
                      "    type: string\n"    /* 24 */
                      "    min: 5\n"          /* 25 */
                      "    max: 1\n"          /* 26 */
                      "  D:\n"                /* 27 */
                      "    type: double\n"    /* 28 */
                      "    min: 2.5\n"        /* 29 */
                      "    max: 0.5\n",       /* 30 */
             CBK_E_SPEC,
             (const char *const[]){
                 "24:5: shapes.S: min 5 is greater than max 1",
                 "28:5: shapes.D: min 2.5 is greater than max 0.5",
                 "17:9: shapes.In.members.x: min 10 is greater than max 2",
                 /* a member-level min replaces the target's min, the max is inherited */
                 "21:9: shapes.In.members.y: min 9 is greater than max 1", NULL});
    /* min == max is fine */
    struct cbk_spec *spec = spec_ok(HEAD OPS "shapes:\n"
                                             "  In:\n"
                                             "    type: structure\n"
                                             "    members:\n"
                                             "      x: {shape: S, min: 3, max: 3}\n"
                                             "  S: {type: string, min: 1, max: 8}\n");
    const struct cbk_member *x = cbk_shape_member(cbk_spec_shape(spec, "In"), "x", 1);
    assert_int_equal(x->c.min, 3);
    assert_int_equal(x->c.max, 3);
    assert_int_equal(cbk_spec_shape(spec, "S")->c.max, 8); /* the target is not changed */
    cbk_spec_free(spec);
}

static void bad_enums(void **state)
{
    (void)state;
    spec_bad(
        HEAD OPS "shapes:\n"
                 "  In: {type: structure, members: {e: {shape: E}, f: {shape: F}}}\n"
                 "  E:\n"
                 "    type: string\n"
                 "    enum: [A, B, A, C, B]\n"
                 "  F:\n"
                 "    type: string\n"
                 "    enum: []\n",
        CBK_E_SPEC,
        (const char *const[]){"16:18: shapes.E.enum[2]: duplicate enum value 'A' (also item 0)",
                              "16:24: shapes.E.enum[4]: duplicate enum value 'B' (also item 1)",
                              "19:11: shapes.F.enum: an enum needs at least one value", NULL});
    /* enum values are case-sensitive: these are all different */
    struct cbk_spec *spec = spec_ok(HEAD OPS "shapes:\n"
                                             "  In: {type: structure, members: {e: {shape: E}}}\n"
                                             "  E: {type: string, enum: [a, A, \"a \"]}\n");
    assert_int_equal(cbk_spec_shape(spec, "E")->c.enum_count, 3);
    cbk_spec_free(spec);
}

static void bad_regex(void **state)
{
    (void)state;
    spec_bad(HEAD OPS "shapes:\n"
                      "  In:\n"
                      "    type: structure\n"
                      "    members:\n"
                      "      a: {shape: S}\n"
                      "      b: {shape: S, pattern: \"[z-a]\"}\n"
                      "  S:\n"
                      "    type: string\n"
                      "    pattern: \"^(ab$\"\n",
             CBK_E_SPEC,
             (const char *const[]){
                 "20:14: shapes.S.pattern: invalid regular expression at offset 5: missing "
                 "closing parenthesis",
                 "17:30: shapes.In.members.b.pattern: invalid regular expression at offset 3: "
                 "range out of order in character class",
                 NULL});
}

static void bad_operations(void **state)
{
    (void)state;
    spec_bad(HEAD "operations:\n"                 /* 9 */
                  "  NoInput:\n"                  /* 10 */
                  "    output: Out\n"             /* 11 */
                  "  BadInput:\n"                 /* 12 */
                  "    input: S\n"                /* 13 */
                  "    output: Err\n"             /* 14 */
                  "  BadErrors:\n"                /* 15 */
                  "    input: Err\n"              /* 16 */
                  "    errors: [Out, Err, Err]\n" /* 17 */
                  "  1Bad:\n"                     /* 18 */
                  "    input: Out\n"              /* 19 */
                  "shapes:\n"                     /* 20 */
                  "  Out: {type: structure}\n"    /* 21 */
                  "  S: {type: string}\n"         /* 22 */
                  "  Err:\n"                      /* 23 */
                  "    type: structure\n"         /* 24 */
                  "    exception: true\n",        /* 25 */
             CBK_E_SPEC,
             (const char *const[]){
                 "10:3: operations.NoInput: missing required key 'input'",
                 "13:12: operations.BadInput.input: input shape 'S' must be a structure, not a "
                 "string",
                 "14:13: operations.BadInput.output: output shape 'Err' is an exception",
                 "16:12: operations.BadErrors.input: input shape 'Err' is an exception",
                 "17:14: operations.BadErrors.errors[0]: error shape 'Out' is not marked "
                 "'exception: true'",
                 "17:24: operations.BadErrors.errors[2]: error 'Err' is listed twice",
                 "18:3: operations.1Bad: invalid operation name '1Bad'", NULL});
    /* an operation that is not a mapping; errors that are not a list */
    spec_bad(HEAD "operations:\n"
                  "  A: In\n"
                  "  B: {input: In, errors: E}\n"
                  "shapes:\n"
                  "  In: {type: structure}\n",
             CBK_E_SPEC,
             (const char *const[]){"10:6: operations.A: expected a mapping, found a string",
                                   "11:26: operations.B.errors: expected a sequence, found a "
                                   "string",
                                   NULL});
}

static void bad_structures(void **state)
{
    (void)state;
    spec_bad(HEAD OPS "shapes:\n"                          /* 12 */
                      "  In:\n"                            /* 13 */
                      "    type: structure\n"              /* 14 */
                      "    required: [x, nope, x]\n"       /* 15 */
                      "    members:\n"                     /* 16 */
                      "      x: {shape: S}\n"              /* 17 */
                      "  S:\n"                             /* 18 */
                      "    type: string\n"                 /* 19 */
                      "  E:\n"                             /* 20 */
                      "    type: structure\n"              /* 21 */
                      "    error: {httpStatusCode: 400}\n" /* 22 */
                      "  F:\n"                             /* 23 */
                      "    type: structure\n"              /* 24 */
                      "    exception: true\n"              /* 25 */
                      "    error: {httpStatusCode: 200}\n" /* 26 */
                      "  1Bad: {type: string}\n",          /* 27 */
             CBK_E_SPEC,
             (const char *const[]){
                 "15:19: shapes.In.required[1]: required member 'nope' is not a member of 'In'",
                 "15:25: shapes.In.required[2]: member 'x' is listed as required twice",
                 "22:12: shapes.E.error: 'error' requires 'exception: true'",
                 "26:29: shapes.F.error.httpStatusCode: 200 is out of range (400..599)",
                 "27:3: shapes.1Bad: invalid shape name '1Bad' (expected letters, digits and '_', "
                 "not starting with a digit)",
                 NULL});
    /* error blocks fill in the shape */
    struct cbk_spec *spec = spec_ok(HEAD "operations:\n"
                                         "  Op: {input: In, errors: [E]}\n"
                                         "shapes:\n"
                                         "  In: {type: structure}\n"
                                         "  E:\n"
                                         "    type: structure\n"
                                         "    exception: true\n"
                                         "    error: {httpStatusCode: 503, senderFault: false, "
                                         "code: Throttled}\n");
    const struct cbk_shape *e = cbk_spec_shape(spec, "E");
    assert_int_equal(e->http_status, 503);
    assert_false(e->sender_fault);
    assert_string_equal(e->error_code, "Throttled");
    cbk_spec_free(spec);
}

static void bad_keys_that_do_not_apply(void **state)
{
    (void)state;
    spec_bad(HEAD OPS "shapes:\n"                         /* 12 */
                      "  In:\n"                           /* 13 */
                      "    type: structure\n"             /* 14 */
                      "    min: 1\n"                      /* 15 */
                      "    members:\n"                    /* 16 */
                      "      n: {shape: I, enum: [A]}\n"  /* 17 */
                      "      l: {shape: L, pattern: x}\n" /* 18 */
                      "  I:\n"                            /* 19 */
                      "    type: integer\n"               /* 20 */
                      "    enum: [1, 2]\n"                /* 21 */
                      "  L:\n"                            /* 22 */
                      "    type: list\n"                  /* 23 */
                      "    member: {shape: I}\n"          /* 24 */
                      "    members: {}\n"                 /* 25 */
                      "  B:\n"                            /* 26 */
                      "    type: boolean\n"               /* 27 */
                      "    max: 1\n",                     /* 28 */
             CBK_E_SPEC,
             (const char *const[]){"15:10: shapes.In.min: 'min' does not apply to a structure",
                                   "21:11: shapes.I.enum: 'enum' does not apply to an integer",
                                   "25:5: shapes.L: 'members' does not apply to a list",
                                   "28:10: shapes.B.max: 'max' does not apply to a boolean",
                                   "17:27: shapes.In.members.n.enum: 'enum' does not apply to an "
                                   "integer",
                                   "18:30: shapes.In.members.l.pattern: 'pattern' does not apply "
                                   "to a list",
                                   NULL});
}

static void bad_integer_ranges(void **state)
{
    (void)state;
    spec_bad(HEAD OPS "shapes:\n"                              /* 12 */
                      "  In:\n"                                /* 13 */
                      "    type: structure\n"                  /* 14 */
                      "    members:\n"                         /* 15 */
                      "      a: {shape: I, max: 2147483648}\n" /* 16 */
                      "  I:\n"                                 /* 17 */
                      "    type: integer\n"                    /* 18 */
                      "    min: -2147483649\n"                 /* 19 */
                      "  J:\n"                                 /* 20 */
                      "    type: integer\n"                    /* 21 */
                      "    max: 1.5\n"                         /* 22 */
                      "  S:\n"                                 /* 23 */
                      "    type: string\n"                     /* 24 */
                      "    min: -1\n"                          /* 25 */
                      "  G:\n"                                 /* 26 */
                      "    type: long\n"                       /* 27 */
                      "    max: 9223372036854775808\n",        /* 28 */
             CBK_E_SPEC,
             (const char *const[]){
                 "19:10: shapes.I.min: -2147483649 is out of range (-2147483648..2147483647)",
                 "22:10: shapes.J.max: expected an integer, found '1.5'",
                 "25:10: shapes.S.min: -1 is out of range (0..9223372036854775807)",
                 "28:10: shapes.G.max: expected an integer, found '9223372036854775808'",
                 "16:26: shapes.In.members.a.max: 2147483648 is out of range "
                 "(-2147483648..2147483647)",
                 NULL});
    /* the extremes themselves are fine, for integer and long */
    struct cbk_spec *spec = spec_ok(
        HEAD OPS "shapes:\n"
                 "  In: {type: structure, members: {i: {shape: I}, g: {shape: G}}}\n"
                 "  I: {type: integer, min: -2147483648, max: 2147483647}\n"
                 "  G: {type: long, min: -9223372036854775808, max: 9223372036854775807}\n");
    assert_true(cbk_spec_shape(spec, "I")->c.min == INT32_MIN);
    assert_true(cbk_spec_shape(spec, "G")->c.min == INT64_MIN);
    assert_true(cbk_spec_shape(spec, "G")->c.max == INT64_MAX);
    cbk_spec_free(spec);
}

static void bad_sources(void **state)
{
    (void)state;
    spec_bad(HEAD "operations:\n"                                /* 9 */
                  "  Op:\n"                                      /* 10 */
                  "    input: In\n"                              /* 11 */
                  "    source: \"s2: nope\"\n"                   /* 12 */
                  "shapes:\n"                                    /* 13 */
                  "  In:\n"                                      /* 14 */
                  "    type: structure\n"                        /* 15 */
                  "    source: [\"s1: fine\", s1, \"s11: x\"]\n" /* 16 */
                  "    members:\n"                               /* 17 */
                  "      x: {shape: S, source: \"S1\"}\n"        /* 18 */
                  "  S:\n"                                       /* 19 */
                  "    type: string\n"                           /* 20 */
                  "    source: [\"s1\", 5, {a: b}]\n",           /* 21 */
             CBK_E_SPEC,
             (const char *const[]){
                 "16:30: shapes.In.source[2]: unknown source 's11' (declare it under 'sources')",
                 "21:20: shapes.S.source[1]: unknown source '5' (declare it under 'sources')",
                 "21:23: shapes.S.source[2]: expected a string, found a mapping",
                 "18:29: shapes.In.members.x.source: unknown source 'S1' (declare it under "
                 "'sources')",
                 "12:13: operations.Op.source: unknown source 's2' (declare it under 'sources')",
                 NULL});
    /* source ids must not contain ':' or spaces */
    spec_bad("cbkit-spec: 1\n"
             "metadata: {apiVersion: a, protocol: json, jsonVersion: \"1.1\", targetPrefix: T}\n"
             "sources:\n"
             "  \"a b\": {}\n"
             "  ok: ~\n" OPS "shapes:\n  In: {type: structure, source: ok}\n",
             CBK_E_SPEC,
             (const char *const[]){"4:3: sources.\"a b\": source id 'a b' must be non-empty and "
                                   "contain no ':' or space",
                                   NULL});
}

static void bad_metadata(void **state)
{
    (void)state;
    spec_bad("cbkit-spec: 1\n"
             "metadata:\n"
             "  apiVersion: \"2016-10-06\"\n"
             "  protocol: json\n"
             "  jsonVersion: \"1.1\"\n" OPS "shapes:\n  In: {type: structure}\n",
             CBK_E_SPEC,
             (const char *const[]){"3:3: metadata: missing required key 'targetPrefix'", NULL});
    spec_bad("cbkit-spec: 1\n"
             "metadata:\n"
             "  apiVersion: \"2016-10-06\"\n"
             "  protocol: rest-json\n"
             "  jsonVersion: \"2.0\"\n"
             "  targetPrefix: \"\"\n" OPS "shapes:\n  In: {type: structure}\n",
             CBK_E_SPEC,
             (const char *const[]){
                 "4:13: metadata.protocol: unsupported protocol 'rest-json' (expected 'json')",
                 "5:16: metadata.jsonVersion: unsupported jsonVersion '2.0' (expected \"1.1\" or "
                 "\"1.0\")",
                 "6:17: metadata.targetPrefix: targetPrefix must not be empty", NULL});
    spec_bad("cbkit-spec: 2\n"
             "metadata: [x]\n" OPS "shapes:\n  In: {type: structure}\n",
             CBK_E_SPEC,
             (const char *const[]){"1:13: cbkit-spec: 2 is out of range (1..1)",
                                   "2:11: metadata: expected a mapping, found a sequence", NULL});
    spec_bad(OPS "shapes:\n  In: {type: structure}\n", CBK_E_SPEC,
             (const char *const[]){"1:1: missing required key 'cbkit-spec'",
                                   "1:1: missing required key 'metadata'", NULL});
    spec_bad(HEAD, CBK_E_SPEC,
             (const char *const[]){"1:1: missing required key 'shapes'",
                                   "1:1: missing required key 'operations'", NULL});
}

static void bad_not_a_spec(void **state)
{
    (void)state;
    spec_bad("", CBK_E_SPEC,
             (const char *const[]){"1:1: the spec is empty (expected a mapping with cbkit-spec, "
                                   "metadata, operations and shapes)",
                                   NULL});
    spec_bad("# nothing here\n\n", CBK_E_SPEC,
             (const char *const[]){"1:1: the spec is empty (expected a mapping with cbkit-spec, "
                                   "metadata, operations and shapes)",
                                   NULL});
    spec_bad(
        "cbkit-spec: [1\n", CBK_E_SPEC_PARSE,
        (const char *const[]){"2:1: invalid yaml: flow sequence without a closing bracket", NULL});
    spec_bad("{\"json\": true, \"json\": false}", CBK_E_SPEC_PARSE,
             (const char *const[]){"1:16: duplicate key 'json' (first at line 1)", NULL});
    spec_bad("- cbkit-spec: 1\n- metadata: {}\n", CBK_E_SPEC,
             (const char *const[]){"1:1: expected a mapping, found a sequence", NULL});
    spec_bad("just some words\n", CBK_E_SPEC,
             (const char *const[]){"1:1: expected a mapping, found a string", NULL});
    spec_bad(HEAD "shapes: &s {}\noperations: *s\n", CBK_E_SPEC_PARSE,
             (const char *const[]){"10:14: yaml aliases are not supported", NULL});
    spec_bad(HEAD OPS "shapes:\n  In: {type: structure}\n---\nmore: 1\n", CBK_E_SPEC_PARSE,
             (const char *const[]){"14:1: a second yaml document is not allowed here", NULL});
}

static void bad_all_errors_reported(void **state)
{
    (void)state;
    /* three independent problems: exactly three diagnostics, no spec */
    spec_bad("cbkit-spec: 1\n"
             "metadata:\n"
             "  apiVersion: \"2016-10-06\"\n"
             "  protocol: xml\n"
             "  jsonVersion: \"1.1\"\n"
             "  targetPrefix: T\n" OPS "shapes:\n"
             "  In:\n"
             "    type: structure\n"
             "    members:\n"
             "      a: {shape: Strng}\n"
             "  N:\n"
             "    type: integer\n"
             "    min: 10\n"
             "    max: 1\n",
             CBK_E_SPEC,
             (const char *const[]){
                 "4:13: metadata.protocol: unsupported protocol 'xml' (expected 'json')",
                 "14:18: shapes.In.members.a.shape: unknown shape 'Strng'",
                 "16:5: shapes.N: min 10 is greater than max 1", NULL});

    /* a diagnostics limit stops the listing, not the counting, and still fails the load */
    struct cbk_diags d;
    cbk_diags_init(&d, 1);
    struct cbk_spec *spec = NULL;
    const char *text = HEAD OPS "shapes:\n"
                                "  In:\n"
                                "    type: structure\n"
                                "    members: {a: {shape: X}, b: {shape: Y}, c: {shape: Z}}\n";
    assert_int_equal(cbk_spec_load_buffer(text, strlen(text), NULL, &spec, &d), CBK_E_SPEC);
    assert_null(spec);
    assert_int_equal(d.nr, 1);
    assert_int_equal(d.dropped, 2);
    assert_int_equal(cbk_diags_error_count(&d), 3);
    assert_string_equal(d.v[0].file, "<spec>"); /* the name used without a file name */
    cbk_diags_release(&d);
}

static void warnings_do_not_fail(void **state)
{
    (void)state;
    const char *text = HEAD OPS "shapes:\n"                   /* 12 */
                                "  In: {type: structure}\n"   /* 13 */
                                "  Unused: {type: string}\n"; /* 14 */
    struct cbk_diags d = CBK_DIAGS_INIT;
    struct cbk_spec *spec = NULL;
    assert_int_equal(cbk_spec_load_buffer(text, strlen(text), "w.yaml", &spec, &d), CBK_OK);
    assert_non_null(spec);
    assert_int_equal(d.nr, 1);
    assert_int_equal(cbk_diags_error_count(&d), 0);
    assert_int_equal(d.v[0].severity, CBK_SEV_WARNING);
    char *t = diag_text(&d.v[0]);
    assert_string_equal(t, "14:3: shape 'Unused' is not reachable from any operation");
    free(t);
    /* an operation without output gets an empty structure */
    const struct cbk_operation *op = cbk_spec_op(spec, "Op");
    assert_non_null(op->output);
    assert_int_equal(op->output->type, CBK_TYPE_STRUCTURE);
    assert_int_equal(op->output->member_count, 0);
    assert_int_equal(op->error_count, 0);
    assert_string_equal(cbk_spec_metadata(spec)->content_type, "application/x-amz-json-1.1");
    assert_null(cbk_spec_metadata(spec)->signing_name);
    cbk_spec_free(spec);
    cbk_diags_release(&d);
}

/* ---- a custom spec: recursion, blobs, maps, doubles, longs, timestamps ---------------------- */

static const char custom_spec[] = "cbkit-spec: 1\n"
                                  "metadata:\n"
                                  "  apiVersion: \"1\"\n"
                                  "  protocol: json\n"
                                  "  jsonVersion: \"1.0\"\n"
                                  "  targetPrefix: Custom\n"
                                  "  endpointPrefix: custom\n"
                                  "operations:\n"
                                  "  Put:\n"
                                  "    input: PutInput\n"
                                  "    output: Node\n"
                                  "shapes:\n"
                                  "  PutInput:\n"
                                  "    type: structure\n"
                                  "    members:\n"
                                  "      data: {shape: Data}\n"
                                  "      small: {shape: Data, max: 3}\n"
                                  "      tags: {shape: TagMap}\n"
                                  "      ratio: {shape: Ratio}\n"
                                  "      weight: {shape: Weight}\n"
                                  "      when: {shape: Time}\n"
                                  "      big: {shape: Big}\n"
                                  "      tree: {shape: Node}\n"
                                  "      \"a/b~c\": {shape: Weight}\n"
                                  "  Data: {type: blob, min: 1, max: 6}\n"
                                  "  TagMap:\n"
                                  "    type: map\n"
                                  "    key: {shape: TagKey}\n"
                                  "    value: {shape: TagValue}\n"
                                  "    max: 2\n"
                                  "  TagKey: {type: string, pattern: \"^[a-z]+$\", min: 1}\n"
                                  "  TagValue: {type: integer, min: 0}\n"
                                  "  Ratio: {type: double, min: 0.5, max: 1.5}\n"
                                  "  Weight: {type: float}\n"
                                  "  Time: {type: timestamp}\n"
                                  "  Big: {type: long, min: -5, max: 9223372036854775807}\n"
                                  "  Node:\n"
                                  "    type: structure\n"
                                  "    required: [name]\n"
                                  "    members:\n"
                                  "      name: {shape: Name}\n"
                                  "      children: {shape: Nodes}\n"
                                  "  Nodes: {type: list, member: {shape: Node}}\n"
                                  "  Name: {type: string, enum: [a, b]}\n";

static int custom_setup(void **state)
{
    struct cbk_diags d = CBK_DIAGS_INIT;
    struct cbk_spec *spec = NULL;
    enum cbk_code rc =
        cbk_spec_load_buffer(custom_spec, strlen(custom_spec), "custom.yaml", &spec, &d);
    if (rc != CBK_OK || d.nr) {
        print_diags(&d);
        cbk_diags_release(&d);
        return -1;
    }
    cbk_diags_release(&d);
    *state = spec;
    return 0;
}

/*
 * Validate 'text' against the Put input (or output) through both entry points and return the
 * findings as "pointer rule[!]" joined by ", " ('!' marks warnings). The two paths must agree.
 */
static char *check(const struct cbk_spec *spec, const char *text, enum cbk_direction dir)
{
    struct cbk_validate_opts o = CBK_VALIDATE_OPTS_INIT;
    o.direction = dir;
    struct cbk_report *r = cbk_report_new();
    struct cbk_buf a = CBK_BUF_INIT(1 << 20), b = CBK_BUF_INIT(1 << 20);
    enum cbk_code rc1 = cbk_validate_op_buffer(spec, "Put", text, strlen(text), &o, r);
    for (size_t i = 0; i < cbk_report_count(r); i++) {
        const struct cbk_violation *v = cbk_report_at(r, i);
        cbk_buf_addf(&a, "%s%s %s%s", i ? ", " : "", v->pointer, cbk_rule_name(v->rule),
                     v->severity == CBK_SEV_WARNING ? "!" : "");
    }
    assert_int_equal(rc1, cbk_report_error_count(r) ? CBK_E_INVALID : CBK_OK);
    struct json_tokener *tok = json_tokener_new_ex(1000);
    struct json_object *doc = json_tokener_parse_ex(tok, text, (int)strlen(text));
    assert_int_equal(json_tokener_get_error(tok), json_tokener_success);
    json_tokener_free(tok);
    enum cbk_code rc2 = cbk_validate_op_json(spec, "Put", doc, &o, r);
    for (size_t i = 0; i < cbk_report_count(r); i++) {
        const struct cbk_violation *v = cbk_report_at(r, i);
        cbk_buf_addf(&b, "%s%s %s%s", i ? ", " : "", v->pointer, cbk_rule_name(v->rule),
                     v->severity == CBK_SEV_WARNING ? "!" : "");
    }
    json_object_put(doc);
    cbk_report_free(r);
    if (rc1 != rc2 || strcmp(cbk_buf_str(&a), cbk_buf_str(&b)) != 0)
        fail_msg("text and json-c paths differ for %s:\n  text: %s\n  json: %s", text,
                 cbk_buf_str(&a), cbk_buf_str(&b));
    cbk_buf_release(&b);
    return cbk_buf_detach(&a, NULL);
}

static void expect_findings(const struct cbk_spec *spec, const char *text, const char *want)
{
    char *got = check(spec, text, CBK_REQUEST);
    if (strcmp(got, want) != 0) {
        print_error("doc:  %s\nwant: %s\ngot:  %s\n", text, want, got);
        free(got);
        fail();
    }
    free(got);
}

static void custom_loads(void **state)
{
    const struct cbk_spec *spec = *state;
    const struct cbk_metadata *md = cbk_spec_metadata(spec);
    assert_string_equal(md->content_type, "application/x-amz-json-1.0");
    assert_string_equal(md->signing_name, "custom"); /* defaults to endpointPrefix */
    const struct cbk_shape *node = cbk_spec_shape(spec, "Node");
    const struct cbk_shape *nodes = cbk_spec_shape(spec, "Nodes");
    /* the recursion is resolved to pointers */
    assert_ptr_equal(cbk_shape_member(node, "children", 8)->shape, nodes);
    assert_ptr_equal(nodes->member->shape, node);
    assert_ptr_equal(cbk_spec_op(spec, "Put")->output, node);
    const struct cbk_shape *tm = cbk_spec_shape(spec, "TagMap");
    assert_string_equal(tm->key->name, "key");
    assert_string_equal(tm->value->name, "value");
    assert_non_null(tm->key->c.re);
    assert_true(cbk_spec_shape(spec, "Ratio")->c.dmin == 0.5);
    assert_true(cbk_spec_shape(spec, "Ratio")->c.dmax == 1.5);
    const struct cbk_member *small = cbk_shape_member(cbk_spec_shape(spec, "PutInput"), "small", 5);
    assert_true(small->refined);
    assert_int_equal(small->c.min, 1);
    assert_int_equal(small->c.max, 3);
    assert_non_null(cbk_shape_member(cbk_spec_shape(spec, "PutInput"), "a/b~c", 5));
}

static void custom_recursive_documents(void **state)
{
    const struct cbk_spec *spec = *state;
    /* 20 levels of nodes (40 levels of JSON nesting) */
    struct cbk_buf b = CBK_BUF_INIT(1 << 16);
    cbk_buf_adds(&b, "{\"tree\":");
    for (int i = 0; i < 20; i++)
        cbk_buf_adds(&b, "{\"name\":\"a\",\"children\":[");
    cbk_buf_adds(&b, "{\"name\":\"b\"}");
    for (int i = 0; i < 20; i++)
        cbk_buf_adds(&b, "]}");
    cbk_buf_adds(&b, "}");
    expect_findings(spec, cbk_buf_str(&b), "");

    /* the same with a missing name and a bad enum value at the deepest level */
    cbk_buf_reset(&b);
    struct cbk_buf ptr = CBK_BUF_INIT(4096);
    cbk_buf_adds(&ptr, "/tree");
    cbk_buf_adds(&b, "{\"tree\":");
    for (int i = 0; i < 20; i++) {
        cbk_buf_adds(&b, "{\"name\":\"a\",\"children\":[");
        cbk_buf_adds(&ptr, "/children/0");
    }
    cbk_buf_adds(&b, "{\"children\":[]},{\"name\":\"c\"}");
    for (int i = 0; i < 20; i++)
        cbk_buf_adds(&b, "]}");
    cbk_buf_adds(&b, "}");
    struct cbk_buf want = CBK_BUF_INIT(1 << 16);
    cbk_buf_addf(&want, "%s/name required, ", cbk_buf_str(&ptr));
    cbk_buf_truncate(&ptr, ptr.len - 1);
    cbk_buf_addf(&want, "%s1/name enum", cbk_buf_str(&ptr));
    expect_findings(spec, cbk_buf_str(&b), cbk_buf_str(&want));

    /* the output is the recursive shape itself */
    char *got =
        check(spec, "{\"name\":\"a\",\"children\":[{\"name\":\"b\",\"x\":1}]}", CBK_RESPONSE);
    assert_string_equal(got, "/children/0/x unknown!");
    free(got);
    got = check(spec, "{\"children\":[]}", CBK_RESPONSE);
    assert_string_equal(got, "/name required");
    free(got);
    cbk_buf_release(&b);
    cbk_buf_release(&ptr);
    cbk_buf_release(&want);
}

static void custom_blobs(void **state)
{
    const struct cbk_spec *spec = *state;
    expect_findings(spec, "{\"data\":\"AAAA\"}", "");                     /* 3 bytes */
    expect_findings(spec, "{\"data\":\"AA==\"}", "");                     /* 1 byte */
    expect_findings(spec, "{\"data\":\"AAAAAA==\"}", "");                 /* 4 bytes */
    expect_findings(spec, "{\"data\":\"AAAAAAAA\"}", "");                 /* 6 bytes: the maximum */
    expect_findings(spec, "{\"data\":\"YWJj+/8=\"}", "");                 /* + and / */
    expect_findings(spec, "{\"data\":\"\"}", "/data length");             /* 0 bytes */
    expect_findings(spec, "{\"data\":\"AAAAAAAAAA==\"}", "/data length"); /* 7 bytes */
    expect_findings(spec, "{\"data\":\"AAA\"}", "/data type");            /* not padded */
    expect_findings(spec, "{\"data\":\"A===\"}", "/data type");
    expect_findings(spec, "{\"data\":\"AA=A\"}", "/data type");
    expect_findings(spec, "{\"data\":\"AA AA\"}", "/data type");
    expect_findings(spec, "{\"data\":\"AA-_\"}", "/data type"); /* base64url */
    expect_findings(spec, "{\"data\":5}", "/data type");
    expect_findings(spec, "{\"small\":\"AAAA\"}", "");                  /* 3 <= 3 */
    expect_findings(spec, "{\"small\":\"AAAAAA==\"}", "/small length"); /* 4 > 3 */

    /* the message and AWS wording of a blob length finding */
    struct cbk_report *r = cbk_report_new();
    const char *doc = "{\"small\":\"AAAAAA==\"}";
    assert_int_equal(cbk_validate_op_buffer(spec, "Put", doc, strlen(doc), NULL, r), CBK_E_INVALID);
    const struct cbk_violation *v = cbk_report_at(r, 0);
    assert_string_equal(v->message, "blob length 4 is greater than the maximum 3");
    assert_string_equal(v->aws_constraint, "Member must have length less than or equal to 3");
    assert_string_equal(v->shape, "Data");
    assert_string_equal(v->member, "small");
    doc = "{\"data\":\"AAA\"}";
    cbk_validate_op_buffer(spec, "Put", doc, strlen(doc), NULL, r);
    assert_string_equal(cbk_report_at(r, 0)->message, "value \"AAA\" is not valid padded base64");
    cbk_report_free(r);
}

static void custom_maps(void **state)
{
    const struct cbk_spec *spec = *state;
    expect_findings(spec, "{\"tags\":{}}", "");
    expect_findings(spec, "{\"tags\":{\"ab\":1,\"c\":0}}", "");
    expect_findings(spec, "{\"tags\":{\"A\":1}}", "/tags/A pattern");
    expect_findings(spec, "{\"tags\":{\"\":1}}", "/tags/ length, /tags/ pattern");
    expect_findings(spec, "{\"tags\":{\"a\":-1}}", "/tags/a range");
    expect_findings(spec, "{\"tags\":{\"a\":null}}", "/tags/a type");
    expect_findings(spec, "{\"tags\":{\"a\":\"1\"}}", "/tags/a type");
    expect_findings(spec, "{\"tags\":{\"a\":1.5}}", "/tags/a type");
    expect_findings(spec, "{\"tags\":{\"a\":1,\"b\":2,\"c\":3}}", "/tags items");
    expect_findings(spec, "{\"tags\":{\"a\":1,\"b\":2,\"C\":-3}}",
                    "/tags items, /tags/C pattern, /tags/C range");
    expect_findings(spec, "{\"tags\":[]}", "/tags type");
    expect_findings(spec, "{\"tags\":{\"a\":{\"x\":[1]}}}", "/tags/a type");
    /* map keys are not members: escaping in pointers */
    expect_findings(spec, "{\"tags\":{\"a/b\":1}}", "/tags/a~1b pattern");
}

static void custom_numbers(void **state)
{
    const struct cbk_spec *spec = *state;
    expect_findings(spec, "{\"ratio\":0.5}", "");
    expect_findings(spec, "{\"ratio\":1.5}", "");
    expect_findings(spec, "{\"ratio\":1}", "");
    expect_findings(spec, "{\"ratio\":5e-1}", "");
    expect_findings(spec, "{\"ratio\":\"NaN\"}", "");
    expect_findings(spec, "{\"ratio\":0.49}", "/ratio range");
    expect_findings(spec, "{\"ratio\":1.51}", "/ratio range");
    expect_findings(spec, "{\"ratio\":\"Infinity\"}", "/ratio range");
    expect_findings(spec, "{\"ratio\":\"-Infinity\"}", "/ratio range");
    expect_findings(spec, "{\"ratio\":\"nan\"}", "/ratio type");
    expect_findings(spec, "{\"ratio\":\"1.0\"}", "/ratio type");
    expect_findings(spec, "{\"ratio\":true}", "/ratio type");
    expect_findings(spec, "{\"weight\":\"Infinity\",\"a/b~c\":-1e308}", "");
    expect_findings(spec, "{\"weight\":[1]}", "/weight type");
    expect_findings(spec, "{\"a/b~c\":\"x\"}", "/a~1b~0c type");
    expect_findings(spec, "{\"when\":1700000000.123}", "");
    expect_findings(spec, "{\"when\":0}", "");
    expect_findings(spec, "{\"when\":-1.5e3}", "");
    expect_findings(spec, "{\"when\":\"2023-11-14T22:13:20Z\"}", "/when type");
    expect_findings(spec, "{\"when\":false}", "/when type");
    expect_findings(spec, "{\"big\":9223372036854775807}", "");
    expect_findings(spec, "{\"big\":-5}", "");
    expect_findings(spec, "{\"big\":-6}", "/big range");
    expect_findings(spec, "{\"big\":9223372036854775808}", "/big type");
    expect_findings(spec, "{\"big\":1e19}", "/big type");
    expect_findings(spec, "{\"big\":9.2e18}", "");
    expect_findings(spec, "{\"big\":4.5}", "/big type");

    struct cbk_report *r = cbk_report_new();
    const char *doc = "{\"ratio\":0.25}";
    cbk_validate_op_buffer(spec, "Put", doc, strlen(doc), NULL, r);
    const struct cbk_violation *v = cbk_report_at(r, 0);
    assert_string_equal(v->message, "value 0.25 is less than the minimum 0.5");
    assert_string_equal(v->expected, ">= 0.5");
    assert_string_equal(v->aws_constraint, "Member must have value greater than or equal to 0.5");
    doc = "{\"big\":9223372036854775808}";
    cbk_validate_op_buffer(spec, "Put", doc, strlen(doc), NULL, r);
    assert_string_equal(cbk_report_at(r, 0)->message,
                        "value 9223372036854775808 does not fit in a 64-bit integer");
    cbk_report_free(r);
}

/* ---- files ---------------------------------------------------------------------------------- */

static void load_missing_file(void **state)
{
    (void)state;
    struct cbk_diags d = CBK_DIAGS_INIT;
    struct cbk_spec *spec = (struct cbk_spec *)&d;
    assert_int_equal(cbk_spec_load_file("/nonexistent/dir/spec.yaml", &spec, &d), CBK_E_IO);
    assert_null(spec);
    assert_int_equal(d.nr, 1);
    assert_int_equal(d.v[0].code, CBK_E_IO);
    assert_int_equal(d.v[0].severity, CBK_SEV_ERROR);
    assert_string_equal(d.v[0].file, "/nonexistent/dir/spec.yaml");
    assert_int_equal(d.v[0].line, 0);
    assert_string_equal(d.v[0].message,
                        "cannot open '/nonexistent/dir/spec.yaml': No such file or directory");
    cbk_diags_release(&d);
}

static void load_files(void **state)
{
    (void)state;
    char path[] = "/tmp/cbk-test-spec-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(custom_spec, f);
    fclose(f);
    struct cbk_diags d = CBK_DIAGS_INIT;
    struct cbk_spec *spec = NULL;
    assert_int_equal(cbk_spec_load_file(path, &spec, &d), CBK_OK);
    assert_non_null(spec);
    assert_int_equal(d.nr, 0);
    assert_string_equal(cbk_spec_file(spec), path);
    assert_non_null(cbk_spec_op(spec, "Put"));
    cbk_spec_free(spec);

    /* a bad file names the file in its diagnostics */
    f = fopen(path, "w");
    fputs("cbkit-spec: 1\nbogus: [\n", f);
    fclose(f);
    spec = NULL;
    assert_int_equal(cbk_spec_load_file(path, &spec, &d), CBK_E_SPEC_PARSE);
    assert_null(spec);
    assert_int_equal(d.nr, 1);
    assert_string_equal(d.v[0].file, path);
    assert_int_equal(d.v[0].line, 3);
    cbk_diags_release(&d);

    /* a directory cannot be read */
    assert_int_equal(cbk_spec_load_file("/tmp", &spec, &d), CBK_E_IO);
    assert_null(spec);
    assert_int_equal(d.nr, 1);
    assert_string_equal(d.v[0].message, "cannot read '/tmp': Is a directory");
    cbk_diags_release(&d);
    unlink(path);

    /* the bundled spec as a file, from the source tree */
    const char *src = getenv("CBK_SOURCE_DIR");
    if (src && *src) {
        char p[4096];
        snprintf(p, sizeof p, "%s/spec/codebuild/2016-10-06.yaml", src);
        assert_int_equal(cbk_spec_load_file(p, &spec, &d), CBK_OK);
        assert_int_equal(d.nr, 0);
        assert_int_equal(cbk_spec_op_count(spec), 59);
        cbk_spec_free(spec);
    }
}

/* ---- documents, unions, timestamp formats, paginators ------------------------------------ */

static void new_kinds_and_paginators(void **state)
{
    (void)state;
    struct cbk_spec *spec =
        spec_ok(HEAD "operations:\n"
                     "  List: {input: In, output: Out}\n"
                     "  Other: {input: In, output: Out}\n"
                     "paginators:\n"
                     "  List:\n"
                     "    inputToken: next\n"
                     "    outputToken: next\n"
                     "    limitKey: max\n"
                     "    resultKeys: [items, more]\n"
                     "    source: \"s1: pages\"\n"
                     "  Other: {inputToken: next, outputToken: next, resultKeys: "
                     "items, pageSize: 7}\n"
                     "shapes:\n"
                     "  In: {type: structure, members: {next: {shape: S}, max: "
                     "{shape: Max}, d: {shape: D}, u: {shape: U}, t: {shape: T}}}\n"
                     "  Out: {type: structure, members: {next: {shape: S}, items: "
                     "{shape: L}, more: {shape: L}}}\n"
                     "  S: {type: string}\n"
                     "  Max: {type: integer, min: 1, max: 40}\n"
                     "  L: {type: list, member: {shape: S}}\n"
                     "  D: {type: document}\n"
                     "  U: {type: structure, union: true, members: {a: {shape: S}}}\n"
                     "  T: {type: timestamp, timestampFormat: rfc822}\n");
    assert_int_equal(cbk_spec_shape(spec, "D")->type, CBK_TYPE_DOCUMENT);
    assert_string_equal(cbk_type_name(CBK_TYPE_DOCUMENT), "document");
    assert_true(cbk_spec_shape(spec, "U")->is_union);
    assert_int_equal(cbk_spec_shape(spec, "T")->ts_format, CBK_TS_RFC822);
    assert_int_equal(cbk_spec_shape(spec, "S")->ts_format, CBK_TS_EPOCH_SECONDS);
    const struct cbk_operation *op = cbk_spec_op(spec, "List");
    const struct cbk_paginator *p = op->paginator;
    assert_non_null(p);
    assert_ptr_equal(p->input_token, cbk_shape_member(op->input, "next", 4));
    assert_ptr_equal(p->output_token, cbk_shape_member(op->output, "next", 4));
    assert_ptr_equal(p->limit_key, cbk_shape_member(op->input, "max", 3));
    assert_int_equal(p->result_key_count, 2);
    assert_string_equal(p->result_keys[0]->name, "items");
    assert_string_equal(p->result_keys[1]->name, "more");
    assert_int_equal(p->page_size, 40); /* 100 narrowed to the limit's max */
    assert_string_equal(p->sources[0], "s1: pages");
    assert_int_equal(p->line, 13);
    assert_int_equal(cbk_spec_op(spec, "Other")->paginator->page_size, 7);
    assert_int_equal(cbk_spec_op(spec, "Other")->paginator->result_key_count, 1);
    assert_null(cbk_spec_op(spec, "Other")->paginator->limit_key);
    /* near names for "did you mean" */
    assert_ptr_equal(cbk_spec_op_suggest(spec, "list"), op);
    assert_ptr_equal(cbk_spec_op_suggest(spec, "Lists"), op);
    assert_null(cbk_spec_op_suggest(spec, "Describe"));
    cbk_spec_free(spec);
}

static void bad_paginators(void **state)
{
    (void)state;
    /* a paginator naming a member whose target did not resolve: only the member's error
     * (found by fuzz_spec_load: the limit member's shape was dereferenced) */
    spec_bad(HEAD "operations:\n  L: {input: In, output: In}\n"
                  "paginators:\n  L: {inputToken: x, outputToken: x, limitKey: n, resultKeys: x}\n"
                  "shapes:\n  In: {type: structure, members: {x: {shape: S}, n: {shpe: N}}}\n"
                  "  S: {type: string}\n  N: {type: integer}\n",
             CBK_E_SPEC,
             (const char *const[]){
                 "14:54: shapes.In.members.n: unknown key 'shpe' (expected one of: shape, "
                 "documentation, source, deprecated, sensitive, min, max, enum, pattern, volatile)",
                 "14:53: shapes.In.members.n: missing required key 'shape'", NULL});
    spec_bad(HEAD "operations:\n" /* 9 */
                  "  List: {input: In, output: Out}\n"
                  "paginators:\n" /* 11 */
                  "  Nope: {inputToken: next}\n"
                  "  List:\n"
                  "    inputToken: nxt\n"    /* 14 */
                  "    outputToken: items\n" /* 15 */
                  "    limitKey: next\n"     /* 16 */
                  "    resultKeys: [items, items, gone]\n"
                  "    pageSize: 0\n" /* 18 */
                  "    pages: 3\n"    /* 19 */
                  "shapes:\n"
                  "  In: {type: structure, members: {next: {shape: S}}}\n"
                  "  Out: {type: structure, members: {items: {shape: S}}}\n"
                  "  S: {type: string}\n",
             CBK_E_SPEC,
             (const char *const[]){
                 "12:3: paginators.Nope: unknown operation 'Nope'",
                 "19:5: paginators.List: unknown key 'pages' (expected one of: inputToken, "
                 "outputToken, limitKey, resultKeys, pageSize, source)",
                 "14:17: paginators.List.inputToken: 'nxt' is not a member of the input shape 'In'",
                 "16:15: paginators.List.limitKey: limit member 'next' must be an integer, not a "
                 "string",
                 "17:25: paginators.List.resultKeys[1]: 'items' is listed twice",
                 "17:32: paginators.List.resultKeys[2]: 'gone' is not a member of the output shape "
                 "'Out'",
                 NULL});
    spec_bad(HEAD OPS "paginators:\n  Op: {inputToken: x, outputToken: x, resultKeys: []}\n"
                      "shapes:\n  In: {type: structure, members: {x: {shape: S}}}\n"
                      "  S: {type: string}\n",
             CBK_E_SPEC,
             (const char *const[]){"13:36: paginators.Op.outputToken: 'x' is not a member of the "
                                   "output shape '(empty)'",
                                   "13:51: paginators.Op.resultKeys: resultKeys needs at least one "
                                   "member",
                                   NULL});
    spec_bad(HEAD "operations:\n  L: {input: In, output: In}\n"
                  "paginators:\n  L: {inputToken: x, outputToken: x, limitKey: n, resultKeys: x, "
                  "pageSize: 11}\n"
                  "shapes:\n  In: {type: structure, members: {x: {shape: S}, n: {shape: N}}}\n"
                  "  S: {type: string}\n  N: {type: long, max: 10}\n"
                  "  T: {type: timestamp, timestampFormat: epoch}\n",
             CBK_E_SPEC,
             (const char *const[]){
                 "12:76: paginators.L.pageSize: pageSize 11 is outside the range of limit member "
                 "'n' (1..10)",
                 "17:41: shapes.T.timestampFormat: unknown timestampFormat 'epoch' (expected one "
                 "of: unixTimestamp, iso8601, rfc822)",
                 NULL});
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(new_kinds_and_paginators),
        cmocka_unit_test(bad_paginators),
        cmocka_unit_test(bundled_loads_cleanly),
        cmocka_unit_test_setup_teardown(bundled_operations, bundled_setup, bundled_teardown),
        cmocka_unit_test_setup_teardown(bundled_constraints, bundled_setup, bundled_teardown),
        cmocka_unit_test_setup_teardown(bundled_enums, bundled_setup, bundled_teardown),
        cmocka_unit_test_setup_teardown(bundled_errors, bundled_setup, bundled_teardown),
        cmocka_unit_test_setup_teardown(bundled_member_lookup, bundled_setup, bundled_teardown),
        cmocka_unit_test_setup_teardown(bundled_constraints_cite_sources, bundled_setup,
                                        bundled_teardown),
        cmocka_unit_test(bad_unknown_keys),
        cmocka_unit_test(bad_wrong_types),
        cmocka_unit_test(bad_unknown_type),
        cmocka_unit_test(bad_dangling_references),
        cmocka_unit_test(bad_min_greater_than_max),
        cmocka_unit_test(bad_enums),
        cmocka_unit_test(bad_regex),
        cmocka_unit_test(bad_operations),
        cmocka_unit_test(bad_structures),
        cmocka_unit_test(bad_keys_that_do_not_apply),
        cmocka_unit_test(bad_integer_ranges),
        cmocka_unit_test(bad_sources),
        cmocka_unit_test(bad_metadata),
        cmocka_unit_test(bad_not_a_spec),
        cmocka_unit_test(bad_all_errors_reported),
        cmocka_unit_test(warnings_do_not_fail),
        cmocka_unit_test_setup_teardown(custom_loads, custom_setup, bundled_teardown),
        cmocka_unit_test_setup_teardown(custom_recursive_documents, custom_setup, bundled_teardown),
        cmocka_unit_test_setup_teardown(custom_blobs, custom_setup, bundled_teardown),
        cmocka_unit_test_setup_teardown(custom_maps, custom_setup, bundled_teardown),
        cmocka_unit_test_setup_teardown(custom_numbers, custom_setup, bundled_teardown),
        cmocka_unit_test(load_missing_file),
        cmocka_unit_test(load_files),
    };
    return cmocka_run_group_tests_name("spec", tests, NULL, NULL);
}
