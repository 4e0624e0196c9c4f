/*
 * spec_image_gen.c - a build step: compile the bundled spec's YAML once and write its image
 * (spec/spec_image.h) as a C source that cbk_spec_load_bundled() loads at every start instead
 * of compiling the YAML (docs/internals.md, "Start-up").
 *
 * usage: spec_image_gen SPEC.yaml NAME OUT.c SYMBOL
 *   NAME names the spec in diagnostics (as cbk_spec_bundled_name()). OUT.c defines
 *   `const unsigned char SYMBOL[]` and `const size_t SYMBOL_len`.
 *
 * The spec must compile without any diagnostic, warnings included: a spec loaded from its
 * image reports none, so it must have none to report. The image is loaded back before it is
 * written. Exit status 0 when OUT.c was written, 1 otherwise (with the reason on stderr).
 * Linked against the library objects with an empty image (generated/bundled_image_none.c).
 */
#include "core/setup.h"
#include "cbkit/cbkit.h"
#include "core/buf.h"
#include "core/file.h"
#include "spec/spec_image.h"

static int fail(const char *what, const char *detail)
{
    fprintf(stderr, "spec_image_gen: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 5)
        return fail("usage: spec_image_gen SPEC.yaml NAME OUT.c SYMBOL", NULL);
    const char *in = argv[1], *name = argv[2], *outp = argv[3], *sym = argv[4];
    struct cbk_diags d = CBK_DIAGS_INIT;
    char *text = NULL;
    size_t len = 0;
    struct cbk_spec *spec = NULL;
    enum cbk_code rc = cbk_file_read(in, (size_t)64 << 20, "spec", &text, &len, &d);
    if (rc == CBK_OK)
        rc = cbk_spec_load_buffer(text, len, name, &spec, &d);
    free(text);
    for (size_t i = 0; i < d.nr; i++)
        fprintf(stderr, "%s:%d:%d: %s: %s\n", d.v[i].file, d.v[i].line, d.v[i].column,
                d.v[i].severity == CBK_SEV_ERROR ? "error" : "warning", d.v[i].message);
    if (rc != CBK_OK || d.nr || d.dropped) {
        cbk_diags_release(&d);
        cbk_spec_free(spec);
        return fail(in, "the bundled spec must compile without errors or warnings");
    }
    cbk_diags_release(&d);

    struct cbk_buf img = CBK_BUF_INIT((size_t)256 << 20);
    rc = cbk__spec_image_write(spec, &img);
    cbk_spec_free(spec);
    struct cbk_spec *back = NULL;
    if (rc == CBK_OK)
        rc = cbk__spec_image_load((const unsigned char *)img.ptr, img.len, name, &back);
    cbk_spec_free(back);
    if (rc != CBK_OK) {
        cbk_buf_release(&img);
        return fail(in, "its image does not load back");
    }

    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", outp);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        cbk_buf_release(&img);
        return fail(tmp, strerror(errno));
    }
    fprintf(f,
            "/* generated from %s by spec/tools/spec_image_gen.c; do not edit */\n"
            "#include <stddef.h>\n"
            "const unsigned char %s[] __attribute__((aligned(16))) = {\n",
            name, sym);
    const unsigned char *p = (const unsigned char *)img.ptr;
    for (size_t i = 0; i < img.len; i++)
        fprintf(f, "%u,%s", p[i], i % 24 == 23 ? "\n" : "");
    fprintf(f, "};\nconst size_t %s_len = %zu;\n", sym, img.len);
    cbk_buf_release(&img);
    if (fclose(f) != 0 || rename(tmp, outp) != 0) {
        remove(tmp);
        return fail(outp, strerror(errno));
    }
    return 0;
}
