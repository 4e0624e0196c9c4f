/*
 * cmd_spec.c - `cbkit spec lint [FILE]` (check a spec, report every problem with its
 * location) and `cbkit spec show [OP|SHAPE]` (what the spec says, for a person reading in a
 * terminal); `spec import` and `spec diff` live in cmd_spec_import.c and cmd_spec_diff.c.
 */
#include "core/setup.h"
#include "cli/cli.h"
#include "core/buf.h"

#include <getopt.h>

static const char usage[] =
    "usage: cbkit spec lint [FILE]\n"
    "       cbkit spec show [--spec FILE] [OPERATION | SHAPE]\n"
    "       cbkit spec import MODEL.json [--paginators FILE] [--overlay FILE]...\n"
    "                         [--docs none|summary|full] [--source-id ID] [-o FILE]\n"
    "       cbkit spec diff OLD NEW [--format text|json]\n"
    "\n"
    "lint   load and compile FILE (default: the bundled CodeBuild spec) and report every\n"
    "       problem as file:line:column; exit 0 when it compiles, 3 when it does not\n"
    "show   print the service, an operation (its input, output and errors) or a shape\n"
    "       (members, types, constraints, sources, documentation)\n"
    "import write the cbkit spec of an AWS model (botocore service-2.json); see\n"
    "       'cbkit spec import -h'\n"
    "diff   what changed between two specs or AWS models, each change classified as\n"
    "       breaking, answer risk or compatible; exit 1 when something is breaking; see\n"
    "       'cbkit spec diff -h'\n";

static int lint(int argc, char **argv)
{
    static const struct option longopts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (c == 'h') {
            fputs(usage, stdout);
            return CLI_OK;
        }
        return cli_usage_error("spec", "unknown option '%s'", argv[optind - 1]);
    }
    if (argc - optind > 1)
        return cli_usage_error("spec", "lint takes at most one FILE");
    const char *path = optind < argc ? argv[optind] : NULL;
    struct cbk_spec *spec = NULL;
    int rc = cli_load_spec(path, &spec, false);
    const char *name = path ? path : cbk_spec_bundled_name();
    if (rc != CLI_OK) {
        if (rc == CLI_SPEC) /* not for a file that could not be read */
            fprintf(stderr, "%s: the spec has errors\n", name);
        return rc;
    }
    size_t nshapes = cbk_spec_shape_count(spec), nops = cbk_spec_op_count(spec);
    printf("%s: ok (%zu operation%s, %zu shape%s)\n", name, nops, nops == 1 ? "" : "s", nshapes,
           nshapes == 1 ? "" : "s");
    cbk_spec_free(spec);
    return CLI_OK;
}

/* ---- show --------------------------------------------------------------------------------- */

/* "length 1..", "5..2160", "<= 12 items", "enum(12)", "pattern ^a$" for a constraint set. */
static void describe_constraints(struct cbk_buf *b, enum cbk_type t,
                                 const struct cbk_constraints *c)
{
    const char *sep = b->len ? ", " : "";
    if (c->has_min || c->has_max) {
        const char *what = "";
        if (t == CBK_TYPE_STRING || t == CBK_TYPE_BLOB)
            what = "length ";
        else if (t == CBK_TYPE_LIST || t == CBK_TYPE_MAP)
            what = "items ";
        cbk_buf_addf(b, "%s%s", sep, what);
        if (t == CBK_TYPE_DOUBLE || t == CBK_TYPE_FLOAT) {
            if (c->has_min)
                cbk_buf_addf(b, "%g", c->dmin);
            cbk_buf_adds(b, "..");
            if (c->has_max)
                cbk_buf_addf(b, "%g", c->dmax);
        } else {
            if (c->has_min)
                cbk_buf_addf(b, "%" PRId64, c->min);
            cbk_buf_adds(b, "..");
            if (c->has_max)
                cbk_buf_addf(b, "%" PRId64, c->max);
        }
        sep = ", ";
    }
    if (c->enum_values) {
        cbk_buf_addf(b, "%senum(%zu)", sep, c->enum_count);
        sep = ", ";
    }
    if (c->pattern)
        cbk_buf_addf(b, "%spattern %s", sep, c->pattern);
}

/* Print 'text' wrapped at 'width' columns, each line indented by 'indent' spaces. */
static void wrap(const char *text, int indent, int width)
{
    const char *p = text;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        int avail = width - indent;
        const char *end = p;
        const char *last_space = NULL;
        while (*end && *end != '\n' && end - p < avail) {
            if (*end == ' ')
                last_space = end;
            end++;
        }
        if (*end && *end != '\n' && last_space)
            end = last_space;
        printf("%*s%.*s\n", indent, "", (int)(end - p), p);
        p = end;
        if (*p == '\n')
            p++;
    }
}

static void print_sources(const char *const *sources, int indent)
{
    for (size_t i = 0; sources && sources[i]; i++)
        printf("%*ssource: %s\n", indent, "", sources[i]);
}

static void show_member_line(const struct cbk_member *m, int namew)
{
    struct cbk_buf b = CBK_BUF_INIT(1 << 16);
    if (m->required)
        cbk_buf_adds(&b, "required");
    describe_constraints(&b, m->shape->type, &m->c);
    if (m->sensitive)
        cbk_buf_addf(&b, "%ssensitive", b.len ? ", " : "");
    if (m->is_volatile)
        cbk_buf_addf(&b, "%svolatile", b.len ? ", " : "");
    if (m->deprecated)
        cbk_buf_addf(&b, "%sdeprecated", b.len ? ", " : "");
    char target[160];
    if (m->shape->type == CBK_TYPE_LIST && m->shape->member)
        snprintf(target, sizeof target, "%s (list of %s)", m->shape->name,
                 m->shape->member->shape->name);
    else if (m->shape->type == CBK_TYPE_MAP && m->shape->value)
        snprintf(target, sizeof target, "%s (map of %s)", m->shape->name,
                 m->shape->value->shape->name);
    else
        snprintf(target, sizeof target, "%s (%s)", m->shape->name, cbk_type_name(m->shape->type));
    if (b.len)
        printf("    %-*s %-44s %s\n", namew, m->name, target, cbk_buf_str(&b));
    else
        printf("    %-*s %s\n", namew, m->name, target); /* no trailing blanks */
    cbk_buf_release(&b);
    if (m->documentation)
        wrap(m->documentation, 8, 100);
    if (m->refined)
        print_sources(m->sources, 8);
}

static void show_shape(const struct cbk_shape *sh)
{
    struct cbk_buf b = CBK_BUF_INIT(1 << 16);
    describe_constraints(&b, sh->type, &sh->c);
    printf("%s (%s)%s%s\n", sh->name, cbk_type_name(sh->type), b.len ? ": " : "", cbk_buf_str(&b));
    cbk_buf_release(&b);
    if (sh->documentation)
        wrap(sh->documentation, 2, 100);
    print_sources(sh->sources, 2);
    if (sh->exception)
        printf("  error: HTTP %d, code %s, %s fault\n", sh->http_status, sh->error_code,
               sh->sender_fault ? "sender" : "server");
    if (sh->is_union)
        printf("  union: exactly one member is set\n");
    if (sh->type == CBK_TYPE_TIMESTAMP)
        printf("  on the wire: %s\n", sh->ts_format == CBK_TS_ISO8601  ? "an ISO 8601 string"
                                      : sh->ts_format == CBK_TS_RFC822 ? "an RFC 822 string"
                                                                       : "epoch seconds");
    if (sh->c.enum_values) {
        printf("  values:\n");
        for (size_t i = 0; i < sh->c.enum_count; i++)
            printf("    %s\n", sh->c.enum_values[i]);
    }
    if (sh->type == CBK_TYPE_STRUCTURE && sh->member_count) {
        int w = 0;
        for (size_t i = 0; i < sh->member_count; i++)
            w = CBK_MAX(w, (int)sh->members[i].name_len);
        printf("  members:\n");
        for (size_t i = 0; i < sh->member_count; i++)
            show_member_line(&sh->members[i], w);
    }
    if (sh->member) {
        printf("  items:\n");
        show_member_line(sh->member, 6);
    }
    if (sh->key) {
        printf("  entries:\n");
        show_member_line(sh->key, 6);
        show_member_line(sh->value, 6);
    }
}

static void show_op(const struct cbk_operation *op)
{
    printf("%s%s\n", op->name, op->deprecated ? " (deprecated)" : "");
    if (op->documentation)
        wrap(op->documentation, 2, 100);
    print_sources(op->sources, 2);
    printf("  input:  %s\n", op->input->name);
    printf("  output: %s\n", op->output->name);
    if (op->error_count) {
        printf("  errors:");
        for (size_t i = 0; i < op->error_count; i++)
            printf("%s %s (%d)", i ? "," : "", op->errors[i]->name, op->errors[i]->http_status);
        printf("\n");
    }
    const struct cbk_paginator *p = op->paginator;
    if (p) {
        printf("  pages:  results in");
        for (size_t i = 0; i < p->result_key_count; i++)
            printf("%s %s", i ? "," : "", p->result_keys[i]->name);
        printf("; next page: output %s -> input %s; ", p->output_token->name, p->input_token->name);
        if (p->limit_key)
            printf("%s items a page (default %" PRId64 ")\n", p->limit_key->name, p->page_size);
        else
            printf("%" PRId64 " items a page\n", p->page_size);
        print_sources(p->sources, 2);
    }
    printf("\n");
    show_shape(op->input);
    if (op->output->member_count) {
        printf("\n");
        show_shape(op->output);
    }
}

static void show_service(const struct cbk_spec *spec)
{
    const struct cbk_metadata *md = cbk_spec_metadata(spec);
    printf("%s (%s)\n", md->service_full_name ? md->service_full_name : md->target_prefix,
           cbk_spec_file(spec));
    printf("  apiVersion:   %s\n", md->api_version);
    printf("  protocol:     %s %s (%s)\n", md->protocol, md->json_version, md->content_type);
    printf("  targetPrefix: %s\n", md->target_prefix);
    if (md->signing_name)
        printf("  signingName:  %s\n", md->signing_name);
    printf("\noperations:\n");
    int w = 0;
    for (size_t i = 0; i < cbk_spec_op_count(spec); i++)
        w = CBK_MAX(w, (int)strlen(cbk_spec_op_at(spec, i)->name));
    for (size_t i = 0; i < cbk_spec_op_count(spec); i++) {
        const struct cbk_operation *op = cbk_spec_op_at(spec, i);
        printf("  %-*s %s -> %s%s\n", w, op->name, op->input->name, op->output->name,
               op->paginator ? " (pages)" : "");
    }
    printf("\n%zu shapes; see 'cbkit spec show NAME' for an operation or a shape\n",
           cbk_spec_shape_count(spec));
    if (cbk_spec_source_count(spec)) {
        printf("\nsources:\n");
        for (size_t i = 0; i < cbk_spec_source_count(spec); i++) {
            const struct cbk_source *s = cbk_spec_source_at(spec, i);
            printf("  %-14s %s%s%s\n", s->id, s->title ? s->title : "", s->file ? " - " : "",
                   s->file ? s->file : "");
        }
    }
}

static int show(int argc, char **argv)
{
    enum { OPT_SPEC = 256 };
    static const struct option longopts[] = {{"help", no_argument, NULL, 'h'},
                                             {"spec", required_argument, NULL, OPT_SPEC},
                                             {NULL, 0, NULL, 0}};
    const char *spec_path = NULL;
    int c;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        if (c == 'h') {
            fputs(usage, stdout);
            return CLI_OK;
        }
        if (c == OPT_SPEC) {
            spec_path = optarg;
            continue;
        }
        if (c == ':')
            return cli_usage_error("spec", "option '%s' needs a value", argv[optind - 1]);
        return cli_usage_error("spec", "unknown option '%s'", argv[optind - 1]);
    }
    if (argc - optind > 1)
        return cli_usage_error("spec", "show takes at most one OPERATION or SHAPE");
    struct cbk_spec *spec = NULL;
    int rc = cli_load_spec(spec_path, &spec, true);
    if (rc != CLI_OK)
        return rc;
    if (optind == argc) {
        show_service(spec);
    } else {
        const char *name = argv[optind];
        const struct cbk_operation *op = cbk_spec_op(spec, name);
        const struct cbk_shape *sh = cbk_spec_shape(spec, name);
        if (op)
            show_op(op);
        else if (sh)
            show_shape(sh);
        else {
            cli_error("'%s' is neither an operation nor a shape of this spec", name);
            fprintf(stderr, "see 'cbkit spec show' for the operations\n");
            rc = CLI_USAGE;
        }
    }
    cbk_spec_free(spec);
    return rc;
}

int cmd_spec(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error("spec", "missing subcommand (expected lint, show, import or diff)");
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        fputs(usage, stdout);
        return CLI_OK;
    }
    if (strcmp(argv[1], "lint") == 0)
        return lint(argc - 1, argv + 1);
    if (strcmp(argv[1], "show") == 0)
        return show(argc - 1, argv + 1);
    if (strcmp(argv[1], "import") == 0)
        return cmd_spec_import(argc - 1, argv + 1);
    if (strcmp(argv[1], "diff") == 0)
        return cmd_spec_diff(argc - 1, argv + 1);
    return cli_usage_error("spec", "unknown subcommand '%s' (expected lint, show, import or diff)",
                           argv[1]);
}
