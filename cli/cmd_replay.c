/*
 * cmd_replay.c - `cbkit replay`: provider verification. Send the requests of a cassette to a
 * live endpoint, re-signed with SigV4, and report where the answers differ from the recorded
 * ones (docs/replay.md). Exit 0 all matched, 1 a mismatch, 2 usage, 3 spec or cassette,
 * 4 i/o or no request answered.
 */
#include "core/setup.h"
#include "cli/cli.h"
#include "cbkit/cassette.h"
#include "cbkit/replay.h"

#include <getopt.h>

static const char usage[] =
    "usage: cbkit replay --cassette FILE --target URL [options]\n"
    "\n"
    "Send the requests of a cassette, one at a time and in order, to a live endpoint,\n"
    "re-signed with SigV4 using the AWS credentials of the environment (AWS_ACCESS_KEY_ID,\n"
    "AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), and compare each answer with the recorded\n"
    "one: the status, the error code a client reads, the live answer against the spec, and\n"
    "the body member by member. Per-call values (the spec's volatile members: ids, ARNs,\n"
    "timestamps, build numbers; UUIDs; redacted values) count only for presence and type.\n"
    "\n"
    "options:\n"
    "      --cassette FILE        the cassette to replay (required)\n"
    "      --target URL           the endpoint, http(s)://host[:port] only (required)\n"
    "      --region NAME          signing region (default $AWS_REGION, $AWS_DEFAULT_REGION)\n"
    "      --ignore POINTER       leave this answer member out of the comparison; '*' matches\n"
    "                             any one token, e.g. /build/phases/*/durationInSeconds\n"
    "                             (repeatable)\n"
    "  -f, --format FORMAT        text (default) or json, on standard output\n"
    "      --report FILE          also write the JSON report to FILE\n"
    "      --junit FILE           also write a JUnit XML report to FILE (a test case per\n"
    "                             exchange, a failure per difference)\n"
    "      --timeout S            answer timeout per request in seconds (default 60)\n"
    "      --connect-timeout S    connect timeout per request in seconds (default 5)\n"
    "      --spec FILE            use this spec instead of the bundled CodeBuild spec\n"
    "  -h, --help                 show this help\n"
    "\n"
    "exit status: 0 every answer matched, 1 a mismatch, 2 usage error, 3 spec or cassette\n"
    "             error, 4 i/o error or the target answered none of the requests\n";

/* Text mode: print each exchange as soon as it is replayed. */
static void progress(void *ctx, const struct cbk_replay_result *x)
{
    CBK_UNUSED(ctx);
    char *s = cbk_replay_result_text(x);
    fputs(s, stdout);
    fflush(stdout);
    free(s);
}

struct report_out {
    const struct cbk_replay *r;
    enum cbk_replay_format fmt;
};

static enum cbk_code write_report(void *ctx, FILE *f)
{
    const struct report_out *o = ctx;
    return cbk_replay_write(o->r, o->fmt, f);
}

static bool http_url(const char *s)
{
    return strncasecmp(s, "http://", 7) == 0 || strncasecmp(s, "https://", 8) == 0;
}

/* The reason the first unanswered exchange gave. */
static const char *first_reason(const struct cbk_replay *r)
{
    for (size_t i = 0; i < cbk_replay_count(r); i++) {
        const struct cbk_replay_result *x = cbk_replay_at(r, i);
        for (size_t k = 0; k < x->diffs.nr; k++)
            if (x->diffs.v[k].kind == CBK_REPLAY_UNREACHABLE && x->diffs.v[k].live[0])
                return x->diffs.v[k].live; /* libcurl's reason */
    }
    return "no answer";
}

int cmd_replay(int argc, char **argv)
{
    enum {
        OPT_CASSETTE = 256,
        OPT_TARGET,
        OPT_REGION,
        OPT_IGNORE,
        OPT_REPORT,
        OPT_JUNIT,
        OPT_TIMEOUT,
        OPT_CTIMEOUT,
        OPT_SPEC,
    };
    static const struct option longopts[] = {
        {"cassette", required_argument, NULL, OPT_CASSETTE},
        {"target", required_argument, NULL, OPT_TARGET},
        {"region", required_argument, NULL, OPT_REGION},
        {"ignore", required_argument, NULL, OPT_IGNORE},
        {"format", required_argument, NULL, 'f'},
        {"report", required_argument, NULL, OPT_REPORT},
        {"junit", required_argument, NULL, OPT_JUNIT},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"connect-timeout", required_argument, NULL, OPT_CTIMEOUT},
        {"spec", required_argument, NULL, OPT_SPEC},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct cbk_replay_opts ro = CBK_REPLAY_OPTS_INIT;
    const char *cassette_path = NULL, *report = NULL, *junit = NULL, *spec_path = NULL;
    struct cli_strlist ignore = {0};
    bool json = false;
    long lv;
    int c, rc = CLI_OK;
    struct cbk_spec *spec = NULL;
    struct cbk_cassette *cas = NULL;
    struct cbk_replay *r = NULL;
    while ((c = getopt_long(argc, argv, ":hf:", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(usage, stdout);
            goto out;
        case OPT_CASSETTE:
            cassette_path = optarg;
            break;
        case OPT_TARGET:
            ro.target = optarg;
            break;
        case OPT_REGION:
            ro.region = optarg;
            break;
        case OPT_IGNORE:
            cli_strlist_push(&ignore, optarg);
            break;
        case 'f':
            if (strcmp(optarg, "json") == 0) {
                json = true;
            } else if (strcmp(optarg, "text") == 0) {
                json = false;
            } else {
                rc = cli_usage_error("replay", "unknown format '%s' (expected text or json)",
                                     optarg);
                goto out;
            }
            break;
        case OPT_REPORT:
            report = optarg;
            break;
        case OPT_JUNIT:
            junit = optarg;
            break;
        case OPT_TIMEOUT:
        case OPT_CTIMEOUT:
            if (cli_parse_long(optarg, 1, 3600, &lv) != 0) {
                rc = cli_usage_error("replay", "%s wants 1..3600 seconds, not '%s'",
                                     c == OPT_TIMEOUT ? "--timeout" : "--connect-timeout", optarg);
                goto out;
            }
            if (c == OPT_TIMEOUT)
                ro.timeout_ms = (unsigned)lv * 1000;
            else
                ro.connect_timeout_ms = (unsigned)lv * 1000;
            break;
        case OPT_SPEC:
            spec_path = optarg;
            break;
        case ':':
            rc = cli_usage_error("replay", "option '%s' needs a value", argv[optind - 1]);
            goto out;
        default:
            rc = cli_usage_error("replay", "unknown option '%s'", argv[optind - 1]);
            goto out;
        }
    }
    if (optind < argc) {
        rc = cli_usage_error("replay", "unexpected argument '%s'", argv[optind]);
        goto out;
    }
    if (!cassette_path) {
        rc = cli_usage_error("replay", "--cassette FILE is required");
        goto out;
    }
    if (!ro.target) {
        rc = cli_usage_error("replay", "--target URL is required");
        goto out;
    }
    if (!http_url(ro.target)) {
        rc = cli_usage_error("replay", "--target wants an http:// or https:// URL, not '%s'",
                             ro.target);
        goto out;
    }
    struct cli_aws_env env;
    bool have_keys = cli_aws_env(ro.region, &env);
    ro.region = env.region;
    if (!ro.region) {
        rc = cli_usage_error("replay", "no region: give --region or set AWS_REGION");
        goto out;
    }
    ro.access_key = env.access_key;
    ro.secret_key = env.secret_key;
    ro.session_token = env.session_token;
    if (!have_keys) {
        rc = cli_usage_error("replay",
                             "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                             "(replay signs the requests it sends)");
        goto out;
    }
    ro.ignore = ignore.v;
    ro.nignore = ignore.n;

    rc = cli_load_spec(spec_path, &spec, true);
    if (rc != CLI_OK)
        goto out;
    struct cbk_diags d = CBK_DIAGS_INIT;
    cbk_diags_init(&d, 200);
    enum cbk_code lrc = cbk_cassette_load_file(spec, cassette_path, &cas, &d);
    cli_print_diags(&d, NULL, 0, NULL); /* errors, or warnings such as a cut tail */
    cbk_diags_release(&d);
    if (lrc != CBK_OK) {
        rc = lrc == CBK_E_IO ? CLI_IO : CLI_SPEC;
        goto out;
    }
    if (cbk_cassette_count(cas) == 0)
        cli_warn("cassette '%s' has no exchanges: nothing to replay", cassette_path);
    if (!json) {
        ro.progress = progress;
        ro.progress_ctx = NULL;
    }
    enum cbk_code xrc = cbk_replay_run(spec, cas, &ro, &r, &d);
    if (xrc != CBK_OK) {
        cli_print_diags(&d, NULL, 0, NULL);
        cbk_diags_release(&d);
        rc = xrc == CBK_E_USAGE ? CLI_USAGE : CLI_IO;
        if (rc == CLI_USAGE)
            fprintf(stderr, "see 'cbkit replay -h'\n");
        goto out;
    }
    cbk_diags_release(&d);

    /* the report on stdout, then the files */
    if (json) {
        if (cbk_replay_write(r, CBK_REPLAY_JSON, stdout) != CBK_OK)
            rc = CLI_IO;
    } else {
        char *s = cbk_replay_summary_text(r);
        fputs(s, stdout);
        free(s);
    }
    if (report &&
        cli_write_file(report, write_report, &(struct report_out){r, CBK_REPLAY_JSON}) != CLI_OK)
        rc = CLI_IO;
    if (junit &&
        cli_write_file(junit, write_report, &(struct report_out){r, CBK_REPLAY_JUNIT}) != CLI_OK)
        rc = CLI_IO;
    struct cbk_replay_summary s;
    cbk_replay_summary(r, &s);
    if (s.exchanges && s.unanswered == s.exchanges) {
        char *why = cli_printable(first_reason(r)); /* libcurl's words may quote the target */
        cli_error("the target '%s' answered none of the %zu request%s (%s)", ro.target, s.exchanges,
                  s.exchanges == 1 ? "" : "s", why);
        free(why);
        rc = CLI_IO;
    } else if (rc == CLI_OK && s.mismatched) {
        rc = CLI_VIOLATIONS;
    }
out:
    cbk_replay_free(r);
    cbk_cassette_free(cas);
    cbk_spec_free(spec);
    free(ignore.v);
    return rc;
}
