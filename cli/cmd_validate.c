/*
 * cmd_validate.c - `cbkit validate`: check JSON requests or responses against the spec and
 * print every violation (text or JSON Lines). Exit 0 valid, 1 violations, 2 usage, 3 spec,
 * 4 i/o (docs/cmd/validate.md).
 */
#include "core/setup.h"
#include "cli/cli.h"
#include "core/buf.h"

#include <getopt.h>

static const char usage[] =
    "usage: cbkit validate --op NAME (--request | --response) [options] FILE...\n"
    "\n"
    "Validate each JSON FILE ('-' reads standard input) against the input (--request) or\n"
    "output (--response) shape of operation NAME and report every violation.\n"
    "\n"
    "options:\n"
    "  -o, --op NAME          the operation (RetryBuild, StopBuild, StartBuildBatch, ...)\n"
    "      --request          validate requests: unknown members are violations\n"
    "      --response         validate responses: unknown members and enum values are\n"
    "                         warnings (as AWS SDKs read them) unless --strict\n"
    "      --strict           responses: treat unknown members and enum values as violations\n"
    "  -f, --format FORMAT    text (default) or json (one JSON object per file and line)\n"
    "      --spec FILE        use this spec instead of the bundled CodeBuild spec\n"
    "      --max-depth N      nesting limit (default 64)\n"
    "      --max-size BYTES   document size limit, k/M/G suffixes allowed (default 8M)\n"
    "      --max-violations N stop listing after N violations per file (default 1000)\n"
    "  -h, --help             show this help\n"
    "\n"
    "exit status: 0 all valid, 1 violations found, 2 usage error, 3 spec error,\n"
    "             4 a file could not be read\n";

struct out_opts {
    bool json;
};

static void print_text(const char *name, const struct cbk_report *r)
{
    for (size_t i = 0; i < cbk_report_count(r); i++) {
        const struct cbk_violation *v = cbk_report_at(r, i);
        if (v->severity == CBK_SEV_WARNING && cli_quiet)
            continue;
        if (v->line > 0)
            printf("%s:%d:%d: ", name, v->line, v->column);
        else
            printf("%s: ", name);
        printf("%s: ", v->severity == CBK_SEV_ERROR ? "error" : "warning");
        if (v->pointer[0])
            printf("%s: ", v->pointer);
        printf("%s [%s]\n", v->message, cbk_rule_name(v->rule));
    }
    size_t ne = cbk_report_error_count(r), nw = cbk_report_warning_count(r);
    if (cbk_report_truncated(r))
        printf("%s: note: only the first %zu findings are listed\n", name, cbk_report_count(r));
    if (ne == 0 && nw == 0)
        printf("%s: valid\n", name);
    else if (ne == 0)
        printf("%s: valid (%zu warning%s)\n", name, nw, nw == 1 ? "" : "s");
    else if (nw == 0)
        printf("%s: invalid (%zu violation%s)\n", name, ne, ne == 1 ? "" : "s");
    else
        printf("%s: invalid (%zu violation%s, %zu warning%s)\n", name, ne, ne == 1 ? "" : "s", nw,
               nw == 1 ? "" : "s");
}

static void json_findings(struct cbk_buf *b, const struct cbk_report *r, enum cbk_severity sev)
{
    bool first = true;
    cbk_buf_addc(b, '[');
    for (size_t i = 0; i < cbk_report_count(r); i++) {
        const struct cbk_violation *v = cbk_report_at(r, i);
        if (v->severity != sev)
            continue;
        if (!first)
            cbk_buf_addc(b, ',');
        first = false;
        cbk_buf_adds(b, "{\"path\":");
        cbk_buf_add_json_str(b, v->pointer, strlen(v->pointer));
        cbk_buf_addf(b, ",\"rule\":\"%s\",\"message\":", cbk_rule_name(v->rule));
        cbk_buf_add_json_str(b, v->message, strlen(v->message));
        cbk_buf_adds(b, ",\"shape\":");
        if (v->shape)
            cbk_buf_add_json_str(b, v->shape, strlen(v->shape));
        else
            cbk_buf_adds(b, "null");
        cbk_buf_adds(b, ",\"expected\":");
        cbk_buf_add_json_str(b, v->expected, strlen(v->expected));
        cbk_buf_adds(b, ",\"actual\":");
        cbk_buf_add_json_str(b, v->actual, strlen(v->actual));
        if (v->line > 0)
            cbk_buf_addf(b, ",\"line\":%d,\"column\":%d", v->line, v->column);
        cbk_buf_addc(b, '}');
    }
    cbk_buf_addc(b, ']');
}

static void print_json(const char *file, const struct cbk_report *r)
{
    struct cbk_buf b = CBK_BUF_INIT((size_t)1 << 30);
    cbk_buf_adds(&b, "{\"file\":");
    cbk_buf_add_json_str(&b, file, strlen(file));
    cbk_buf_addf(&b, ",\"valid\":%s,\"violations\":", cbk_report_error_count(r) ? "false" : "true");
    json_findings(&b, r, CBK_SEV_ERROR);
    cbk_buf_adds(&b, ",\"warnings\":");
    json_findings(&b, r, CBK_SEV_WARNING);
    if (cbk_report_truncated(r))
        cbk_buf_addf(&b, ",\"truncated\":true,\"violationCount\":%zu,\"warningCount\":%zu",
                     cbk_report_error_count(r), cbk_report_warning_count(r));
    cbk_buf_adds(&b, "}\n");
    fwrite(b.ptr, 1, b.len, stdout);
    cbk_buf_release(&b);
}

static void print_json_error(const char *file, const char *err)
{
    struct cbk_buf b = CBK_BUF_INIT(1 << 20);
    cbk_buf_adds(&b, "{\"file\":");
    cbk_buf_add_json_str(&b, file, strlen(file));
    cbk_buf_adds(&b, ",\"valid\":false,\"error\":");
    cbk_buf_add_json_str(&b, err, strlen(err));
    cbk_buf_adds(&b, "}\n");
    fwrite(b.ptr, 1, b.len, stdout);
    cbk_buf_release(&b);
}

/* After "unknown operation 'op'": a near name, and the names when they are few. */
static void list_ops(const struct cbk_spec *spec, const char *op)
{
    const struct cbk_operation *near = cbk_spec_op_suggest(spec, op);
    size_t n = cbk_spec_op_count(spec);
    if (near)
        fprintf(stderr, "did you mean '%s'?\n", near->name);
    if (n > 10) {
        fprintf(stderr, "see 'cbkit spec show' for the %zu operations of the spec\n", n);
        return;
    }
    fprintf(stderr, "known operations:");
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, " %s", cbk_spec_op_at(spec, i)->name);
    fputc('\n', stderr);
}

int cmd_validate(int argc, char **argv)
{
    enum { OPT_REQUEST = 256, OPT_RESPONSE, OPT_STRICT, OPT_SPEC, OPT_DEPTH, OPT_SIZE, OPT_MAXV };
    static const struct option longopts[] = {
        {"op", required_argument, NULL, 'o'},
        {"request", no_argument, NULL, OPT_REQUEST},
        {"response", no_argument, NULL, OPT_RESPONSE},
        {"strict", no_argument, NULL, OPT_STRICT},
        {"format", required_argument, NULL, 'f'},
        {"spec", required_argument, NULL, OPT_SPEC},
        {"max-depth", required_argument, NULL, OPT_DEPTH},
        {"max-size", required_argument, NULL, OPT_SIZE},
        {"max-violations", required_argument, NULL, OPT_MAXV},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *op = NULL, *spec_path = NULL;
    int dir = -1;
    struct cbk_validate_opts vo = CBK_VALIDATE_OPTS_INIT;
    bool json = false;
    int c;
    long lv;
    size_t sz;
    while ((c = getopt_long(argc, argv, ":ho:f:", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(usage, stdout);
            return CLI_OK;
        case 'o':
            op = optarg;
            break;
        case OPT_REQUEST:
        case OPT_RESPONSE:
            if (dir >= 0 && dir != (c == OPT_RESPONSE))
                return cli_usage_error("validate", "--request and --response exclude each other");
            dir = c == OPT_RESPONSE;
            break;
        case OPT_STRICT:
            vo.strict = true;
            break;
        case 'f':
            if (strcmp(optarg, "json") == 0)
                json = true;
            else if (strcmp(optarg, "text") == 0)
                json = false;
            else
                return cli_usage_error("validate", "unknown format '%s' (expected text or json)",
                                       optarg);
            break;
        case OPT_SPEC:
            spec_path = optarg;
            break;
        case OPT_DEPTH:
            if (cli_parse_long(optarg, 1, 1024, &lv) != 0)
                return cli_usage_error("validate", "--max-depth wants 1..1024, not '%s'", optarg);
            vo.max_depth = (size_t)lv;
            break;
        case OPT_SIZE:
            if (cli_parse_size(optarg, &sz) != 0 || sz == 0 || sz > ((size_t)1 << 30))
                return cli_usage_error("validate", "--max-size wants 1 byte to 1G, not '%s'",
                                       optarg);
            vo.max_size = sz;
            break;
        case OPT_MAXV:
            if (cli_parse_long(optarg, 1, 1000000, &lv) != 0)
                return cli_usage_error("validate", "--max-violations wants 1..1000000, not '%s'",
                                       optarg);
            vo.max_violations = (size_t)lv;
            break;
        case ':':
            return cli_usage_error("validate", "option '%s' needs a value", argv[optind - 1]);
        default:
            return cli_usage_error("validate", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (!op)
        return cli_usage_error("validate", "--op NAME is required");
    if (dir < 0)
        return cli_usage_error("validate", "--request or --response is required");
    if (optind >= argc)
        return cli_usage_error("validate", "no FILE given ('-' reads standard input)");
    vo.direction = dir ? CBK_RESPONSE : CBK_REQUEST;

    struct cbk_spec *spec = NULL;
    int rc = cli_load_spec(spec_path, &spec, true);
    if (rc != CLI_OK)
        return rc;
    const struct cbk_operation *o = cbk_spec_op(spec, op);
    if (!o) {
        cli_error("unknown operation '%s'", op);
        list_ops(spec, op);
        fprintf(stderr, "see 'cbkit validate -h'\n");
        cbk_spec_free(spec);
        return CLI_USAGE;
    }
    const struct cbk_shape *root = dir ? o->output : o->input;
    size_t max_size = vo.max_size ? vo.max_size : ((size_t)8 << 20);

    struct cbk_report *r = cbk_report_new();
    bool any_invalid = false, any_io = false;
    for (int i = optind; i < argc; i++) {
        const char *file = argv[i];
        const char *name = strcmp(file, "-") == 0 ? "<stdin>" : file;
        char *buf = NULL, *err = NULL;
        size_t len = 0;
        if (cli_read_file(file, max_size, &buf, &len, &err) != 0) {
            cli_error("%s", err);
            if (json)
                print_json_error(name, err);
            free(err);
            any_io = true;
            continue;
        }
        enum cbk_code vrc = cbk_validate_buffer(spec, root, buf, len, &vo, r);
        if (vrc != CBK_OK)
            any_invalid = true;
        if (json)
            print_json(name, r);
        else
            print_text(name, r);
        free(buf);
    }
    cbk_report_free(r);
    cbk_spec_free(spec);
    if (any_io)
        return CLI_IO;
    return any_invalid ? CLI_VIOLATIONS : CLI_OK;
}
