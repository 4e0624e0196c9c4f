/*
 * test_spec_image.c - the build-time image of a compiled spec (spec/spec_image.h): a spec loaded
 * from its image equals, field by field, the spec compiled from its YAML; the bundled spec is
 * loaded from the image this build made; damaged images are refused without a crash.
 */
#include "core/setup.h"

#include <setjmp.h>
#include <cmocka.h>
#include <math.h>

#include "cbkit/cbkit.h"
#include "core/buf.h"
#include "core/file.h"
#include "core/regex.h"
#include "spec/spec_image.h"

/* ---- field-by-field comparison --------------------------------------------------------------- */

static void same_str(const char *a, const char *b)
{
    if (!a || !b)
        assert_ptr_equal(a, b);
    else
        assert_string_equal(a, b);
}

static void same_list(const char *const *a, const char *const *b)
{
    assert_true((a == NULL) == (b == NULL));
    for (size_t i = 0; a && (a[i] || b[i]); i++)
        same_str(a[i], b[i]);
}

static void same_shape_ref(const struct cbk_spec *sa, const struct cbk_shape *a,
                           const struct cbk_spec *sb, const struct cbk_shape *b)
{
    assert_true((a == NULL) == (b == NULL));
    if (!a)
        return;
    /* the same place in each spec: a shape of the array, or the spec's empty output */
    bool a_in =
        a >= cbk_spec_shape_at(sa, 0) && a < cbk_spec_shape_at(sa, 0) + cbk_spec_shape_count(sa);
    bool b_in =
        b >= cbk_spec_shape_at(sb, 0) && b < cbk_spec_shape_at(sb, 0) + cbk_spec_shape_count(sb);
    assert_int_equal(a_in, b_in);
    if (a_in)
        assert_int_equal(a - cbk_spec_shape_at(sa, 0), b - cbk_spec_shape_at(sb, 0));
    same_str(a->name, b->name);
}

/* Patterns: the same text, and the same verdict on a few values. */
static void same_pattern(const struct cbk_constraints *a, const struct cbk_constraints *b)
{
    same_str(a->pattern, b->pattern);
    assert_true((a->re == NULL) == (b->re == NULL));
    static const char *const samples[] = {"", "a", "my-project_1", "-x", "Ünïcödé", "a b", "1"};
    for (size_t i = 0; a->re && i < CBK_ARRAY_SIZE(samples); i++)
        assert_int_equal(cbk_regex_match(a->re, samples[i], strlen(samples[i]), NULL, 0),
                         cbk_regex_match(b->re, samples[i], strlen(samples[i]), NULL, 0));
}

static void same_constraints(const struct cbk_constraints *a, const struct cbk_constraints *b)
{
    assert_int_equal(a->has_min, b->has_min);
    assert_int_equal(a->has_max, b->has_max);
    assert_int_equal(a->min, b->min);
    assert_int_equal(a->max, b->max);
    assert_memory_equal(&a->dmin, &b->dmin, sizeof a->dmin);
    assert_memory_equal(&a->dmax, &b->dmax, sizeof a->dmax);
    assert_int_equal(a->enum_count, b->enum_count);
    assert_true((a->enum_values == NULL) == (b->enum_values == NULL));
    assert_true((a->enum_index == NULL) == (b->enum_index == NULL));
    for (size_t i = 0; i < a->enum_count; i++) {
        same_str(a->enum_values[i], b->enum_values[i]);
        assert_true(cbk_constraints_enum_has(b, a->enum_values[i], strlen(a->enum_values[i])));
    }
    if (a->enum_values) {
        assert_null(b->enum_values[b->enum_count]);
        assert_false(cbk_constraints_enum_has(b, "not-a-value", 11));
    }
    same_pattern(a, b);
}

static void same_member(const struct cbk_spec *sa, const struct cbk_member *a,
                        const struct cbk_spec *sb, const struct cbk_member *b)
{
    assert_true((a == NULL) == (b == NULL));
    if (!a)
        return;
    same_str(a->name, b->name);
    assert_int_equal(a->name_len, b->name_len);
    same_shape_ref(sa, a->shape, sb, b->shape);
    same_constraints(&a->c, &b->c);
    /* constraints inherited from the shape are the shape's own tables and patterns */
    if (a->shape && b->shape) {
        assert_int_equal(a->c.enum_index == a->shape->c.enum_index,
                         b->c.enum_index == b->shape->c.enum_index);
        assert_int_equal(a->c.re == a->shape->c.re, b->c.re == b->shape->c.re);
    }
    assert_int_equal(a->index, b->index);
    assert_int_equal(a->required, b->required);
    assert_int_equal(a->sensitive, b->sensitive);
    assert_int_equal(a->deprecated, b->deprecated);
    assert_int_equal(a->is_volatile, b->is_volatile);
    assert_int_equal(a->refined, b->refined);
    same_str(a->documentation, b->documentation);
    same_list(a->sources, b->sources);
    assert_int_equal(a->line, b->line);
    assert_int_equal(a->column, b->column);
}

static void same_shape(const struct cbk_spec *sa, const struct cbk_shape *a,
                       const struct cbk_spec *sb, const struct cbk_shape *b)
{
    same_str(a->name, b->name);
    assert_int_equal(a->type, b->type);
    same_constraints(&a->c, &b->c);
    assert_int_equal(a->member_count, b->member_count);
    for (size_t j = 0; j < a->member_count; j++) {
        same_member(sa, &a->members[j], sb, &b->members[j]);
        /* every member is found by name */
        const struct cbk_member *m = &b->members[j];
        assert_ptr_equal(cbk_shape_member(b, m->name, m->name_len), m);
    }
    assert_true((a->member_index == NULL) == (b->member_index == NULL));
    if (b->member_index)
        assert_null(cbk_shape_member(b, "noSuchMember", 12));
    assert_int_equal(a->required_count, b->required_count);
    same_member(sa, a->member, sb, b->member);
    same_member(sa, a->key, sb, b->key);
    same_member(sa, a->value, sb, b->value);
    assert_int_equal(a->sensitive, b->sensitive);
    assert_int_equal(a->deprecated, b->deprecated);
    assert_int_equal(a->exception, b->exception);
    assert_int_equal(a->is_union, b->is_union);
    assert_int_equal(a->ts_format, b->ts_format);
    assert_int_equal(a->http_status, b->http_status);
    assert_int_equal(a->sender_fault, b->sender_fault);
    same_str(a->error_code, b->error_code);
    same_str(a->documentation, b->documentation);
    same_list(a->sources, b->sources);
    assert_int_equal(a->line, b->line);
    assert_int_equal(a->column, b->column);
}

/* A member of an operation's input or output: the same member of the same shape. */
static void same_member_ref(const struct cbk_member *a, const struct cbk_member *b)
{
    assert_true((a == NULL) == (b == NULL));
    if (a) {
        same_str(a->name, b->name);
        assert_int_equal(a->index, b->index);
    }
}

static void same_operation(const struct cbk_spec *sa, const struct cbk_operation *a,
                           const struct cbk_spec *sb, const struct cbk_operation *b)
{
    same_str(a->name, b->name);
    assert_ptr_equal(a->spec, sa);
    assert_ptr_equal(b->spec, sb);
    assert_ptr_equal(cbk_spec_op(sb, b->name), b);
    same_shape_ref(sa, a->input, sb, b->input);
    same_shape_ref(sa, a->output, sb, b->output);
    assert_non_null(b->output);
    assert_int_equal(a->error_count, b->error_count);
    for (size_t j = 0; j < a->error_count; j++)
        same_shape_ref(sa, a->errors[j], sb, b->errors[j]);
    assert_int_equal(a->deprecated, b->deprecated);
    same_str(a->documentation, b->documentation);
    same_list(a->sources, b->sources);
    assert_int_equal(a->line, b->line);
    assert_int_equal(a->column, b->column);
    const struct cbk_paginator *pa = a->paginator, *pb = b->paginator;
    assert_true((pa == NULL) == (pb == NULL));
    if (!pa)
        return;
    same_member_ref(pa->input_token, pb->input_token);
    same_member_ref(pa->output_token, pb->output_token);
    same_member_ref(pa->limit_key, pb->limit_key);
    /* they are members of this operation's shapes */
    if (pb->input_token)
        assert_ptr_equal(
            cbk_shape_member(b->input, pb->input_token->name, pb->input_token->name_len),
            pb->input_token);
    assert_int_equal(pa->result_key_count, pb->result_key_count);
    for (size_t j = 0; j < pa->result_key_count; j++)
        same_member_ref(pa->result_keys[j], pb->result_keys[j]);
    assert_int_equal(pa->page_size, pb->page_size);
    same_list(pa->sources, pb->sources);
    assert_int_equal(pa->line, pb->line);
    assert_int_equal(pa->column, pb->column);
}

static void same_spec(const struct cbk_spec *a, const struct cbk_spec *b)
{
    same_str(cbk_spec_file(a), cbk_spec_file(b));
    const struct cbk_metadata *ma = cbk_spec_metadata(a), *mb = cbk_spec_metadata(b);
    same_str(ma->api_version, mb->api_version);
    same_str(ma->protocol, mb->protocol);
    same_str(ma->json_version, mb->json_version);
    same_str(ma->target_prefix, mb->target_prefix);
    same_str(ma->service_id, mb->service_id);
    same_str(ma->service_full_name, mb->service_full_name);
    same_str(ma->endpoint_prefix, mb->endpoint_prefix);
    same_str(ma->signing_name, mb->signing_name);
    same_str(ma->signature_version, mb->signature_version);
    same_str(ma->uid, mb->uid);
    same_str(ma->content_type, mb->content_type);
    assert_int_equal(cbk_spec_source_count(a), cbk_spec_source_count(b));
    for (size_t i = 0; i < cbk_spec_source_count(a); i++) {
        const struct cbk_source *x = cbk_spec_source_at(a, i), *y = cbk_spec_source_at(b, i);
        same_str(x->id, y->id);
        same_str(x->file, y->file);
        same_str(x->title, y->title);
        same_str(x->url, y->url);
        same_str(x->note, y->note);
    }
    assert_int_equal(cbk_spec_shape_count(a), cbk_spec_shape_count(b));
    for (size_t i = 0; i < cbk_spec_shape_count(a); i++) {
        const struct cbk_shape *sb = cbk_spec_shape_at(b, i);
        same_shape(a, cbk_spec_shape_at(a, i), b, sb);
        assert_ptr_equal(cbk_spec_shape(b, sb->name), sb);
    }
    assert_int_equal(cbk_spec_op_count(a), cbk_spec_op_count(b));
    for (size_t i = 0; i < cbk_spec_op_count(a); i++)
        same_operation(a, cbk_spec_op_at(a, i), b, cbk_spec_op_at(b, i));
    assert_null(cbk_spec_op(b, "NoSuchOperation"));
    assert_null(cbk_spec_shape(b, "NoSuchShape"));
}

/* ---- tests ------------------------------------------------------------------------------------
 */

static struct cbk_spec *compile_yaml(const char *text, size_t len, const char *name)
{
    struct cbk_diags d = CBK_DIAGS_INIT;
    struct cbk_spec *s = NULL;
    assert_int_equal(cbk_spec_load_buffer(text, len, name, &s, &d), CBK_OK);
    cbk_diags_release(&d);
    return s;
}

/* The image of 's', in a buffer the caller releases. */
static struct cbk_buf image_of(const struct cbk_spec *s)
{
    struct cbk_buf b = CBK_BUF_INIT((size_t)64 << 20);
    assert_int_equal(cbk__spec_image_write(s, &b), CBK_OK);
    return b;
}

/* The bundled spec as cbkit loads it is the image of this build, equal to the YAML compiled. */
static void bundled_image_equals_yaml(void **state)
{
    (void)state;
    const unsigned char *img;
    size_t len;
    if (!cbk__spec_bundled_image(&img, &len))
        skip(); /* a build with CBK_SPEC_IMAGE=OFF */
    struct cbk_diags d = CBK_DIAGS_INIT;
    struct cbk_spec *loaded = NULL;
    assert_int_equal(cbk_spec_load_bundled(&loaded, &d), CBK_OK);
    assert_int_equal(d.nr, 0);
    cbk_diags_release(&d);
    /* it came from the image: its strings are the image's own bytes, not a copy */
    const char *name = cbk_spec_op_at(loaded, 0)->name;
    assert_true((const unsigned char *)name >= img && (const unsigned char *)name < img + len);

    size_t ylen;
    const char *text = cbk_spec_bundled_text(&ylen);
    struct cbk_spec *compiled = compile_yaml(text, ylen, cbk_spec_bundled_name());
    same_spec(compiled, loaded);
    assert_int_equal(cbk_spec_op_count(loaded), 59);
    assert_int_equal(cbk_spec_shape_count(loaded), 328);
    cbk_spec_free(compiled);
    cbk_spec_free(loaded);
}

/* Any spec survives the trip through its image: every kind of shape, trait and paginator. */
static void round_trip(void **state)
{
    (void)state;
    const char *root = getenv("CBK_SOURCE_DIR");
    assert_non_null(root);
    static const char *const files[] = {
        "fuzz/corpus/fuzz_spec_load/valid-alltypes.yaml",
        "fuzz/corpus/fuzz_spec_load/valid-paginators-kinds.yaml",
        "fuzz/corpus/fuzz_spec_load/valid-minimal.yaml",
        "tests/cli/data/spec-good.yaml",
        "tests/cli/data/spec-warn.yaml",
        "tests/cli/data/diff-old.yaml",
        "tests/cli/data/diff-new.yaml",
    };
    for (size_t i = 0; i < CBK_ARRAY_SIZE(files); i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", root, files[i]);
        struct cbk_diags d = CBK_DIAGS_INIT;
        char *text = NULL;
        size_t len = 0;
        assert_int_equal(cbk_file_read(path, (size_t)1 << 24, "spec", &text, &len, &d), CBK_OK);
        cbk_diags_release(&d);
        struct cbk_spec *compiled = compile_yaml(text, len, files[i]);
        struct cbk_buf img = image_of(compiled);
        struct cbk_spec *loaded = NULL;
        assert_int_equal(
            cbk__spec_image_load((const unsigned char *)img.ptr, img.len, files[i], &loaded),
            CBK_OK);
        same_spec(compiled, loaded);
        /* the compiled spec may go: the loaded one holds nothing of it */
        cbk_spec_free(compiled);
        assert_non_null(cbk_spec_op_at(loaded, 0)->name);
        cbk_spec_free(loaded);
        cbk_buf_release(&img);
        free(text);
    }
}

/* Writing the same spec twice gives the same bytes (a reproducible build). */
static void image_is_deterministic(void **state)
{
    (void)state;
    size_t ylen;
    const char *text = cbk_spec_bundled_text(&ylen);
    struct cbk_spec *a = compile_yaml(text, ylen, "a"), *b = compile_yaml(text, ylen, "a");
    struct cbk_buf ia = image_of(a), ib = image_of(b);
    assert_int_equal(ia.len, ib.len);
    assert_memory_equal(ia.ptr, ib.ptr, ia.len);
    cbk_buf_release(&ia);
    cbk_buf_release(&ib);
    cbk_spec_free(a);
    cbk_spec_free(b);
}

static void refused(const unsigned char *img, size_t len)
{
    struct cbk_spec *s = (struct cbk_spec *)1;
    assert_int_equal(cbk__spec_image_load(img, len, "damaged", &s), CBK_E_SPEC_PARSE);
    assert_null(s);
}

/* Damaged images are refused: cut anywhere, wrong magic, version or layout, pointers or
 * relocations out of bounds. */
static void damaged_images_are_refused(void **state)
{
    (void)state;
    const char *text =
        "cbkit-spec: 1\nmetadata: {apiVersion: '1', protocol: json, jsonVersion: '1.1', "
        "targetPrefix: T}\noperations:\n  Op: {input: In}\nshapes:\n  In:\n    type: structure\n"
        "    members:\n      a: {shape: S}\n  S: {type: string, enum: [x, y], pattern: '^[xy]$'}\n";
    struct cbk_spec *s = compile_yaml(text, strlen(text), "t.yaml");
    struct cbk_buf b = image_of(s);
    cbk_spec_free(s);
    unsigned char *img = (unsigned char *)b.ptr;
    size_t len = b.len;
    struct cbk_spec *ok = NULL;
    assert_int_equal(cbk__spec_image_load(img, len, "t.yaml", &ok), CBK_OK);
    cbk_spec_free(ok);
    refused(NULL, 0);
    for (size_t cut = 0; cut < len; cut++)
        refused(img, cut); /* the relocation table is last: any cut loses some of it */
    unsigned char *copy = malloc(len);
    assert_non_null(copy);
    /* magic, version, layout signature: bytes 0..15 */
    for (size_t i = 0; i < 16; i++) {
        memcpy(copy, img, len);
        copy[i] ^= 0x40;
        refused(copy, len);
    }
    /* sizes and offsets of the header, made huge one by one (bytes 16..119) */
    for (size_t i = 16; i + 8 <= 120; i += 8) {
        memcpy(copy, img, len);
        uint64_t huge = UINT64_MAX - 3;
        memcpy(copy + i, &huge, sizeof huge);
        refused(copy, len);
    }
    /* a relocation pointing outside the data, or at a pointer field whose value is out of range */
    uint64_t reloc_off, nrelocs, data_off;
    memcpy(&data_off, img + 16, 8);
    memcpy(&reloc_off, img + 48, 8);
    memcpy(&nrelocs, img + 56, 8);
    assert_true(nrelocs > 0);
    memcpy(copy, img, len);
    uint32_t far = UINT32_MAX - 7;
    memcpy(copy + reloc_off, &far, sizeof far);
    refused(copy, len);
    memcpy(copy, img, len);
    uint32_t at;
    memcpy(&at, img + reloc_off, sizeof at);
    uint64_t v = UINT64_MAX - 1; /* area 0, an offset far beyond the data */
    memcpy(copy + data_off + at, &v, sizeof v);
    refused(copy, len);
    free(copy);
    cbk_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bundled_image_equals_yaml),
        cmocka_unit_test(round_trip),
        cmocka_unit_test(image_is_deterministic),
        cmocka_unit_test(damaged_images_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
