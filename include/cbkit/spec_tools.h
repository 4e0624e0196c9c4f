/*
 * cbkit/spec_tools.h - make specs from AWS models and compare API versions:
 *  - cbk_spec_import(): a botocore service-2.json (any AWS JSON 1.0 or 1.1 service), its
 *    paginators-1.json and overlays become the YAML text of a cbkit spec (docs/spec-format.md);
 *  - cbk_spec_load_any(): compile either a cbkit spec or an AWS model;
 *  - cbk_spec_diff(): what changed between two compiled specs, each change classified for a
 *    client as breaking, answer risk or compatible (docs/spec-diff.md).
 */
#ifndef CBKIT_SPEC_TOOLS_H
#define CBKIT_SPEC_TOOLS_H

#include <stddef.h>
#include <stdbool.h>

#include "cbkit/error.h"
#include "cbkit/spec.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How much of the model's documentation the import keeps (HTML always becomes plain text). */
enum cbk_docs {
    CBK_DOCS_NONE,    /* none */
    CBK_DOCS_SUMMARY, /* the first sentence of each text */
    CBK_DOCS_FULL,    /* everything, paragraphs separated by a blank line */
};

/* One input file: its text (need not be NUL-terminated) and the name diagnostics use. */
struct cbk_import_input {
    const char *text;
    size_t len;
    const char *file;
};

struct cbk_import_opts {
    enum cbk_docs docs;
    /* the id under which the model is declared in 'sources' and cited by every constraint it
     * gives (NULL: "model") */
    const char *source_id;
    const struct cbk_import_input *paginators; /* botocore paginators-1.json, or NULL */
    const struct cbk_import_input *overlays;   /* merged in order over the import */
    size_t overlay_count;
    /* false (the default): compile the result before returning it, so that a spec that does
     * not load is never returned (errors an overlay causes are reported in the overlay) */
    bool no_verify;
};
#define CBK_IMPORT_OPTS_INIT                                                                       \
    {                                                                                              \
        CBK_DOCS_SUMMARY, NULL, NULL, NULL, 0, false                                               \
    }

/*
 * Import the AWS model 'model' with the options 'o' (NULL: defaults). On success returns
 * CBK_OK and sets *yaml to the spec's text (NUL-terminated, *len bytes; caller frees with
 * free()); warnings (constraints cbkit cannot represent and dropped, paginators skipped) may
 * be appended to 'diags'. On failure *yaml is NULL, *len 0, the result is CBK_E_SPEC_PARSE (a
 * file is not JSON or YAML), CBK_E_SPEC (a file does not follow its format, or the result does
 * not compile) or CBK_E_LIMIT, and every problem is in 'diags' with its file and line/column,
 * the JSON pointer in the model or the dotted path in an overlay. Output is deterministic:
 * operations and shapes in model order, then those an overlay adds, keys in a fixed order.
 */
enum cbk_code cbk_spec_import(const struct cbk_import_input *model, const struct cbk_import_opts *o,
                              char **yaml, size_t *len, struct cbk_diags *diags);

/* Does text[0..len) look like an AWS model (a JSON object with "metadata" and "shapes" and no
 * "cbkit-spec" key) rather than a cbkit spec? */
bool cbk_spec_is_model(const char *text, size_t len);

/*
 * Compile text[0..len) named 'file': an AWS model is imported (without documentation) and
 * then compiled, anything else is compiled as a cbkit spec. Results and ownership as for
 * cbk_spec_load_buffer().
 */
enum cbk_code cbk_spec_load_any(const char *text, size_t len, const char *file,
                                struct cbk_spec **out, struct cbk_diags *diags);

/* ---- diff --------------------------------------------------------------------------------- */

/* What a change means for a client written against the old spec (worst first). */
enum cbk_change_class {
    CBK_CHANGE_BREAKING,    /* requests that were valid may now be refused, or a type changed */
    CBK_CHANGE_ANSWER_RISK, /* answers may carry what a strict client does not expect */
    CBK_CHANGE_COMPATIBLE,  /* nothing a client relies on changes */
};

/* Where a changed shape is reachable from (a bit set). */
enum cbk_change_ctx {
    CBK_CTX_INPUT = 1,  /* from an operation's input */
    CBK_CTX_OUTPUT = 2, /* from an operation's output or errors */
};

struct cbk_change {
    enum cbk_change_class cls;
    const char *kind;  /* static: "operation-added", "member-removed", "max-changed", ... */
    const char *path;  /* "StartBuildBatchInput.buildTimeoutInMinutesOverride", "ListFleets" */
    unsigned contexts; /* enum cbk_change_ctx bits; 0 for operations and unreachable shapes */
    const char *old_value, *new_value; /* the values compared, or NULL */
    const char *message;               /* one line: "max 480 -> 2160 (widened)" */
};

struct cbk_spec_diff;

/*
 * Compare 'old_spec' with 'new_spec' and return the changes (caller frees with
 * cbk_spec_diff_free()); never fails (out of memory aborts). Changes are sorted by class
 * (breaking first), then path, then kind.
 */
struct cbk_spec_diff *cbk_spec_diff(const struct cbk_spec *old_spec,
                                    const struct cbk_spec *new_spec);
size_t cbk_spec_diff_count(const struct cbk_spec_diff *d);
const struct cbk_change *cbk_spec_diff_at(const struct cbk_spec_diff *d, size_t i);
/* Number of changes of one class. */
size_t cbk_spec_diff_class_count(const struct cbk_spec_diff *d, enum cbk_change_class cls);
void cbk_spec_diff_free(struct cbk_spec_diff *d);
/* "breaking", "answer-risk", "compatible" (static). */
const char *cbk_change_class_name(enum cbk_change_class cls);

#ifdef __cplusplus
}
#endif
#endif
