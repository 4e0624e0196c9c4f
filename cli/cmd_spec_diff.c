/*
 * cmd_spec_diff.c - `cbkit spec diff OLD NEW`: what changed between two API versions, each side
 * a cbkit spec or an AWS model, every change classified as breaking, answer risk or compatible
 * (docs/spec-diff.md). Exit 0 nothing breaking, 1 something breaking, 2 usage, 3 a side that
 * does not load, 4 i/o.
 */
#include "core/setup.h"
#include "cli/cli.h"
#include "core/buf.h"

#include <getopt.h>

#define INPUT_MAX ((size_t)64 << 20)

static const char usage[] =
    "usage: cbkit spec diff OLD NEW [--format text|json]\n"
    "\n"
    "What changed from OLD to NEW, each a cbkit spec (YAML) or an AWS model (botocore\n"
    "service-2.json): operations, shapes and members added or removed, required members, types,\n"
    "constraints (min, max, enum values, pattern). Each change is classified for a client of\n"
    "OLD: breaking (requests that were valid may be refused, a type changed, something was\n"
    "removed), answer-risk (answers may carry what a strict client does not expect: new enum\n"
    "values, new members) or compatible.\n"
    "\n"
    "options:\n"
    "  -f, --format FORMAT    text (default) or json\n"
    "  -h, --help             show this help\n"
    "\n"
    "exit status: 0 nothing breaking, 1 something breaking, 2 usage error, 3 a side could\n"
    "             not be loaded, 4 a file could not be read\n";

/* Load one side (a spec or a model). CLI_OK, CLI_SPEC or CLI_IO after messages. */
static int load_side(const char *path, struct cbk_spec **out)
{
    char *buf = NULL, *err = NULL;
    size_t len = 0;
    *out = NULL;
    if (cli_read_file(path, INPUT_MAX, &buf, &len, &err) != 0) {
        cli_error("%s", err);
        free(err);
        return CLI_IO;
    }
    struct cbk_diags d = CBK_DIAGS_INIT;
    cbk_diags_init(&d, 200);
    enum cbk_code rc = cbk_spec_load_any(buf, len, path, out, &d);
    if (rc != CBK_OK) {
        cli_print_diags(&d, buf, len, path);
        fprintf(stderr, "%s: neither a spec nor an AWS model that loads\n", path);
    }
    cbk_diags_release(&d);
    free(buf);
    if (rc == CBK_OK)
        return CLI_OK;
    return rc == CBK_E_IO ? CLI_IO : CLI_SPEC;
}

static void contexts_text(struct cbk_buf *b, unsigned ctx)
{
    if (!ctx)
        return;
    cbk_buf_adds(b, " (");
    if (ctx & CBK_CTX_INPUT)
        cbk_buf_adds(b, "input");
    if ((ctx & CBK_CTX_INPUT) && (ctx & CBK_CTX_OUTPUT))
        cbk_buf_adds(b, ", ");
    if (ctx & CBK_CTX_OUTPUT)
        cbk_buf_adds(b, "output");
    cbk_buf_adds(b, ")");
}

static void print_text(const struct cbk_spec_diff *d, const char *a, const char *b)
{
    struct cbk_buf line = CBK_BUF_INIT(1 << 24);
    for (size_t i = 0; i < cbk_spec_diff_count(d); i++) {
        const struct cbk_change *c = cbk_spec_diff_at(d, i);
        cbk_buf_reset(&line);
        cbk_buf_addf(&line, "%-11s %s: %s", cbk_change_class_name(c->cls), c->path, c->message);
        contexts_text(&line, c->contexts);
        puts(cbk_buf_str(&line));
    }
    cbk_buf_release(&line);
    size_t n = cbk_spec_diff_count(d);
    printf("%s -> %s: %zu change%s: %zu breaking, %zu answer risk, %zu compatible\n", a, b, n,
           n == 1 ? "" : "s", cbk_spec_diff_class_count(d, CBK_CHANGE_BREAKING),
           cbk_spec_diff_class_count(d, CBK_CHANGE_ANSWER_RISK),
           cbk_spec_diff_class_count(d, CBK_CHANGE_COMPATIBLE));
}

static void json_str_or_null(struct cbk_buf *b, const char *s)
{
    if (s)
        cbk_buf_add_json_str(b, s, strlen(s));
    else
        cbk_buf_adds(b, "null");
}

static void print_json(const struct cbk_spec_diff *d, const char *a, const char *b)
{
    struct cbk_buf o = CBK_BUF_INIT((size_t)1 << 30);
    cbk_buf_adds(&o, "{\"old\":");
    cbk_buf_add_json_str(&o, a, strlen(a));
    cbk_buf_adds(&o, ",\"new\":");
    cbk_buf_add_json_str(&o, b, strlen(b));
    cbk_buf_addf(&o, ",\"breaking\":%zu,\"answerRisk\":%zu,\"compatible\":%zu,\"changes\":[",
                 cbk_spec_diff_class_count(d, CBK_CHANGE_BREAKING),
                 cbk_spec_diff_class_count(d, CBK_CHANGE_ANSWER_RISK),
                 cbk_spec_diff_class_count(d, CBK_CHANGE_COMPATIBLE));
    for (size_t i = 0; i < cbk_spec_diff_count(d); i++) {
        const struct cbk_change *c = cbk_spec_diff_at(d, i);
        cbk_buf_addf(&o, "%s{\"class\":\"%s\",\"kind\":\"%s\",\"path\":", i ? "," : "",
                     cbk_change_class_name(c->cls), c->kind);
        cbk_buf_add_json_str(&o, c->path, strlen(c->path));
        cbk_buf_adds(&o, ",\"contexts\":[");
        if (c->contexts & CBK_CTX_INPUT)
            cbk_buf_adds(&o, "\"input\"");
        if (c->contexts == (CBK_CTX_INPUT | CBK_CTX_OUTPUT))
            cbk_buf_addc(&o, ',');
        if (c->contexts & CBK_CTX_OUTPUT)
            cbk_buf_adds(&o, "\"output\"");
        cbk_buf_adds(&o, "],\"old\":");
        json_str_or_null(&o, c->old_value);
        cbk_buf_adds(&o, ",\"new\":");
        json_str_or_null(&o, c->new_value);
        cbk_buf_adds(&o, ",\"message\":");
        cbk_buf_add_json_str(&o, c->message, strlen(c->message));
        cbk_buf_addc(&o, '}');
    }
    cbk_buf_adds(&o, "]}\n");
    fwrite(o.ptr, 1, o.len, stdout);
    cbk_buf_release(&o);
}

int cmd_spec_diff(int argc, char **argv)
{
    static const struct option longopts[] = {{"help", no_argument, NULL, 'h'},
                                             {"format", required_argument, NULL, 'f'},
                                             {NULL, 0, NULL, 0}};
    bool json = false;
    int c;
    while ((c = getopt_long(argc, argv, ":hf:", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(usage, stdout);
            return CLI_OK;
        case 'f':
            if (strcmp(optarg, "json") == 0)
                json = true;
            else if (strcmp(optarg, "text") != 0)
                return cli_usage_error("spec", "--format must be text or json, not '%s'", optarg);
            break;
        case ':':
            return cli_usage_error("spec", "option '%s' needs a value", argv[optind - 1]);
        default:
            return cli_usage_error("spec", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 2)
        return cli_usage_error("spec", "diff takes exactly two files, OLD and NEW");
    const char *a = argv[optind], *b = argv[optind + 1];
    struct cbk_spec *old_spec = NULL, *new_spec = NULL;
    int rc = load_side(a, &old_spec);
    if (rc == CLI_OK)
        rc = load_side(b, &new_spec);
    if (rc == CLI_OK) {
        struct cbk_spec_diff *d = cbk_spec_diff(old_spec, new_spec);
        if (json)
            print_json(d, a, b);
        else
            print_text(d, a, b);
        if (cbk_spec_diff_class_count(d, CBK_CHANGE_BREAKING))
            rc = CLI_VIOLATIONS;
        cbk_spec_diff_free(d);
    }
    cbk_spec_free(old_spec);
    cbk_spec_free(new_spec);
    return rc;
}
