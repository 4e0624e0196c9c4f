/*
 * cmd_spec_import.c - `cbkit spec import MODEL.json`: make a cbkit spec from an AWS model (a
 * botocore service-2.json of an AWS JSON 1.0 or 1.1 service), its paginators and overlays
 * (docs/spec-format.md, "Importing an AWS model"). Exit 0, 2 usage, 3 a file that does not
 * follow its format (or a result that does not compile), 4 i/o.
 */
#include "core/setup.h"
#include "cli/cli.h"

#include <getopt.h>

#define INPUT_MAX ((size_t)16 << 20)

static const char usage[] =
    "usage: cbkit spec import MODEL.json [options]\n"
    "\n"
    "Write the cbkit spec of an AWS model (botocore service-2.json, AWS JSON 1.0 or 1.1).\n"
    "\n"
    "options:\n"
    "      --paginators FILE  botocore paginators-1.json: the spec's 'paginators' section\n"
    "      --overlay FILE     a spec fragment merged over the import (repeatable, in order):\n"
    "                         what it states replaces the imported, null deletes\n"
    "      --docs MODE        none, summary (default: the first sentence) or full\n"
    "      --source-id ID     the id the model is declared and cited under (default: model)\n"
    "  -o, --output FILE      write the spec to FILE (default: standard output)\n"
    "  -h, --help             show this help\n"
    "\n"
    "exit status: 0 imported, 2 usage error, 3 a file does not follow its format or the\n"
    "             result does not compile, 4 a file could not be read or written\n";

struct loaded {
    struct cbk_import_input in;
    char *buf;
};

/* Read 'path' into 'l'. CLI_OK, or CLI_IO after a message. */
static int load(const char *path, struct loaded *l)
{
    char *err = NULL;
    size_t len = 0;
    if (cli_read_file(path, INPUT_MAX, &l->buf, &len, &err) != 0) {
        cli_error("%s", err);
        free(err);
        return CLI_IO;
    }
    l->in.text = l->buf;
    l->in.len = len; /* over INPUT_MAX: the library says so, located at the file */
    l->in.file = path;
    return CLI_OK;
}

struct out_ctx {
    const char *text;
    size_t len;
};

static enum cbk_code write_spec(void *ctx, FILE *f)
{
    const struct out_ctx *o = ctx;
    return fwrite(o->text, 1, o->len, f) == o->len ? CBK_OK : CBK_E_IO;
}

int cmd_spec_import(int argc, char **argv)
{
    enum { OPT_PAGINATORS = 256, OPT_OVERLAY, OPT_DOCS, OPT_SOURCE_ID };
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {"paginators", required_argument, NULL, OPT_PAGINATORS},
        {"overlay", required_argument, NULL, OPT_OVERLAY},
        {"docs", required_argument, NULL, OPT_DOCS},
        {"source-id", required_argument, NULL, OPT_SOURCE_ID},
        {"output", required_argument, NULL, 'o'},
        {NULL, 0, NULL, 0}};
    const char *paginators = NULL, *output = NULL;
    struct cli_strlist overlays = {0};
    struct cbk_import_opts o = CBK_IMPORT_OPTS_INIT;
    int c, rc = CLI_OK;
    while ((c = getopt_long(argc, argv, ":ho:", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(usage, stdout);
            free(overlays.v);
            return CLI_OK;
        case OPT_PAGINATORS:
            paginators = optarg;
            break;
        case OPT_OVERLAY:
            cli_strlist_push(&overlays, optarg);
            break;
        case OPT_DOCS:
            if (strcmp(optarg, "none") == 0) {
                o.docs = CBK_DOCS_NONE;
            } else if (strcmp(optarg, "summary") == 0) {
                o.docs = CBK_DOCS_SUMMARY;
            } else if (strcmp(optarg, "full") == 0) {
                o.docs = CBK_DOCS_FULL;
            } else {
                free(overlays.v);
                return cli_usage_error("spec", "--docs must be none, summary or full, not '%s'",
                                       optarg);
            }
            break;
        case OPT_SOURCE_ID:
            if (!*optarg || strchr(optarg, ':') || strchr(optarg, ' ')) {
                free(overlays.v);
                return cli_usage_error("spec", "--source-id must be non-empty, without ':' or "
                                               "spaces");
            }
            o.source_id = optarg;
            break;
        case 'o':
            output = optarg;
            break;
        case ':':
            free(overlays.v);
            return cli_usage_error("spec", "option '%s' needs a value", argv[optind - 1]);
        default:
            free(overlays.v);
            return cli_usage_error("spec", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 1) {
        free(overlays.v);
        return cli_usage_error("spec", "import takes exactly one MODEL.json");
    }

    struct loaded model = {0}, pag = {0};
    struct loaded *ovl = calloc(overlays.n ? overlays.n : 1, sizeof(*ovl));
    struct cbk_import_input *ovin = calloc(overlays.n ? overlays.n : 1, sizeof(*ovin));
    char *yaml = NULL;
    size_t ylen = 0;
    if (!ovl || !ovin) {
        cli_error("out of memory");
        rc = CLI_INTERNAL;
        goto out;
    }
    rc = load(argv[optind], &model);
    if (rc == CLI_OK && paginators)
        rc = load(paginators, &pag);
    for (size_t i = 0; rc == CLI_OK && i < overlays.n; i++) {
        rc = load(overlays.v[i], &ovl[i]);
        ovin[i] = ovl[i].in;
    }
    if (rc != CLI_OK)
        goto out;
    o.paginators = paginators ? &pag.in : NULL;
    o.overlays = ovin;
    o.overlay_count = overlays.n;

    struct cbk_diags d = CBK_DIAGS_INIT;
    cbk_diags_init(&d, 200);
    enum cbk_code irc = cbk_spec_import(&model.in, &o, &yaml, &ylen, &d);
    cli_print_diags(&d, NULL, 0, NULL);
    cbk_diags_release(&d);
    if (irc != CBK_OK) {
        fprintf(stderr, "%s: the model was not imported\n", argv[optind]);
        rc = CLI_SPEC;
        goto out;
    }
    struct out_ctx oc = {yaml, ylen};
    if (output)
        rc = cli_write_file(output, write_spec, &oc);
    else
        fwrite(yaml, 1, ylen, stdout); /* checked by main's flush */

out:
    free(yaml);
    free(model.buf);
    free(pag.buf);
    for (size_t i = 0; ovl && i < overlays.n; i++)
        free(ovl[i].buf);
    free(ovl);
    free(ovin);
    free(overlays.v);
    return rc;
}
