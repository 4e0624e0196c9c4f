/*
 * fuzz_model_import.c - libFuzzer target: import arbitrary bytes as an AWS model with
 * cbk_spec_import() (`cbkit spec import`), optionally with a paginators file and an overlay cut
 * from the same input, and check the importer's contract:
 *  - a spec text xor at least one error, every diagnostic named and located sanely;
 *  - round trip: what imports (without the library's own verification) always compiles;
 *  - the output is deterministic (a second import gives the same bytes);
 *  - a compiled import differs from itself in nothing (cbk_spec_diff).
 * The input is the model, then optionally "\n#paginators\n" and a paginators file, then
 * optionally "\n#overlay\n" and an overlay (YAML): the seeds in fuzz/corpus/fuzz_model_import/
 * show the form.
 */
#include "core/setup.h"
#include "fuzz/fuzz_common.h"
#include "cbkit/cbkit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The part of text[0..*len) after 'marker' (and cut *len before it), or NULL. */
static const char *cut(const char *text, size_t *len, const char *marker, size_t *part_len)
{
    size_t m = strlen(marker);
    for (size_t i = 0; i + m <= *len; i++)
        if (memcmp(text + i, marker, m) == 0) {
            *part_len = *len - i - m;
            *len = i;
            return text + i + m;
        }
    *part_len = 0;
    return NULL;
}

static void check_diags(const struct cbk_diags *d)
{
    for (size_t i = 0; i < d->nr; i++) {
        const struct cbk_diag *g = &d->v[i];
        CHECK(g->file && g->path && g->message && g->message[0]);
        CHECK(g->line >= 0 && g->column >= 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    size_t len = size, olen = 0, plen = 0;
    const char *overlay = cut(text, &len, "\n#overlay\n", &olen);
    const char *pag = cut(text, &len, "\n#paginators\n", &plen);

    struct cbk_import_input model = {text, len, "fuzz.json"};
    struct cbk_import_input pin = {pag, plen, "fuzz.paginators.json"};
    struct cbk_import_input oin = {overlay, olen, "fuzz-overlay.yaml"};
    struct cbk_import_opts o = CBK_IMPORT_OPTS_INIT;
    o.docs = size % 3 == 0 ? CBK_DOCS_NONE : size % 3 == 1 ? CBK_DOCS_SUMMARY : CBK_DOCS_FULL;
    o.paginators = pag ? &pin : NULL;
    o.overlays = overlay ? &oin : NULL;
    o.overlay_count = overlay ? 1 : 0;
    /* without an overlay, nothing but the importer decides: skip its verification and check
     * the round trip here; with one, the verification is what is under test */
    o.no_verify = !overlay;

    struct cbk_diags d = CBK_DIAGS_INIT;
    cbk_diags_init(&d, 64);
    char *yaml = NULL;
    size_t ylen = 0;
    enum cbk_code rc = cbk_spec_import(&model, &o, &yaml, &ylen, &d);
    check_diags(&d);
    if (rc != CBK_OK) {
        CHECK(yaml == NULL && ylen == 0);
        CHECK(cbk_diags_error_count(&d) > 0);
        cbk_diags_release(&d);
        return 0;
    }
    CHECK(yaml != NULL && strlen(yaml) == ylen);
    CHECK(cbk_diags_error_count(&d) == 0);
    cbk_diags_release(&d);

    /* round trip: an import always compiles */
    struct cbk_spec *spec = NULL;
    cbk_diags_init(&d, 64);
    rc = cbk_spec_load_buffer(yaml, ylen, "imported.yaml", &spec, &d);
    if (rc != CBK_OK) {
        fprintf(stderr, "fuzz: the import does not compile:\n%s\n", yaml);
        for (size_t i = 0; i < d.nr; i++)
            fprintf(stderr, "  %d:%d: %s: %s\n", d.v[i].line, d.v[i].column, d.v[i].path,
                    d.v[i].message);
    }
    CHECK(rc == CBK_OK);
    cbk_diags_release(&d);

    /* deterministic */
    char *again = NULL;
    size_t alen = 0;
    cbk_diags_init(&d, 64);
    CHECK(cbk_spec_import(&model, &o, &again, &alen, &d) == CBK_OK);
    CHECK(alen == ylen && memcmp(again, yaml, ylen) == 0);
    cbk_diags_release(&d);
    free(again);

    /* nothing differs from itself */
    struct cbk_spec_diff *diff = cbk_spec_diff(spec, spec);
    CHECK(cbk_spec_diff_count(diff) == 0);
    cbk_spec_diff_free(diff);
    cbk_spec_free(spec);
    free(yaml);
    return 0;
}
