/*
 * cmd_record.c - `cbkit record`: a recording reverse proxy on loopback (docs/record.md).
 * First stdout line: "listening on http://HOST:PORT"; at exit, the drift report.
 */
#include "core/setup.h"
#include "cli/cli.h"
#include "cbkit/record.h"
#include "cli/cli_mock.h"

#include <getopt.h>
#include <pthread.h>

static const char usage[] =
    "usage: cbkit record --cassette FILE [options]\n"
    "\n"
    "Listen on 127.0.0.1 and forward every request to the upstream service, re-signed with\n"
    "SigV4 using the AWS credentials of the environment (AWS_ACCESS_KEY_ID,\n"
    "AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN). Answers go back unchanged. Each exchange is\n"
    "validated in both directions, its secrets are redacted, and it is appended to the\n"
    "cassette (and made durable) before the client gets its answer. Runs until SIGINT or\n"
    "SIGTERM, then prints the drift report.\n"
    "\n"
    "options:\n"
    "      --cassette FILE        the cassette to write (required)\n"
    "      --append               add to an existing cassette\n"
    "      --overwrite            start an existing cassette again (its exchanges are lost)\n"
    "      --upstream URL         the service, scheme://host[:port] only (default\n"
    "                             https://codebuild.REGION.amazonaws.com)\n"
    "      --region NAME          signing region (default $AWS_REGION, $AWS_DEFAULT_REGION)\n"
    "      --host ADDR            address to bind (default 127.0.0.1); a loopback address\n"
    "                             unless --allow-remote\n"
    "      --allow-remote         let --host be an address others can reach: whoever can\n"
    "                             reach it gets requests signed with your credentials\n"
    "  -p, --port N               port (default 7767; 0 picks a free port)\n"
    "      --redact-header NAME   also redact this header (repeatable)\n"
    "      --redact-pointer PTR   also redact this JSON member; '*' matches any one token,\n"
    "                             e.g. /environmentVariablesOverride/*/value (repeatable)\n"
    "      --redact-pattern RE    also redact string values matching this PCRE2 pattern\n"
    "                             (repeatable)\n"
    "      --timeout S            upstream answer timeout in seconds (default 60)\n"
    "      --connect-timeout S    upstream connect timeout in seconds (default 5)\n"
    "      --client-timeout S     drop a client idle this long, or whose request is not in\n"
    "                             this long after its first byte (default 30)\n"
    "      --drift-report FILE    write the drift report as JSON at exit\n"
    "      --fail-on-drift        exit 1 if an upstream answer broke the contract\n"
    "      --spec FILE            use this spec instead of the bundled CodeBuild spec\n"
    "  -h, --help                 show this help\n"
    "\n"
    "Authorization, X-Amz-Security-Token, cookies, API keys and tokens, members the spec\n"
    "marks sensitive and the credentials themselves never reach the cassette or the drift\n"
    "report. Only origin-form request-targets (paths that start with '/') are forwarded.\n"
    "\n"
    "exit status: 0 stopped cleanly, 1 --fail-on-drift and drift was seen, 2 usage error,\n"
    "             3 spec or cassette error, 4 cannot listen or write\n";

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;

/* The recorder's log: its messages may quote what a client sent (a path), so escaped. */
static void log_line(void *ctx, const char *msg)
{
    CBK_UNUSED(ctx);
    char *safe = cli_printable(msg);
    pthread_mutex_lock(&log_mu);
    cli_warn("%s", safe);
    pthread_mutex_unlock(&log_mu);
    free(safe);
}

static enum cbk_code write_drift(void *r, FILE *f)
{
    return cbk_recorder_write_drift_json(r, f);
}

int cmd_record(int argc, char **argv)
{
    enum {
        OPT_CASSETTE = 256,
        OPT_APPEND,
        OPT_OVERWRITE,
        OPT_UPSTREAM,
        OPT_REGION,
        OPT_HOST,
        OPT_RH,
        OPT_RP,
        OPT_RE,
        OPT_TIMEOUT,
        OPT_CTIMEOUT,
        OPT_CLTIMEOUT,
        OPT_DRIFT,
        OPT_FAIL,
        OPT_SPEC,
        OPT_ALLOW_REMOTE,
    };
    static const struct option longopts[] = {
        {"cassette", required_argument, NULL, OPT_CASSETTE},
        {"append", no_argument, NULL, OPT_APPEND},
        {"overwrite", no_argument, NULL, OPT_OVERWRITE},
        {"upstream", required_argument, NULL, OPT_UPSTREAM},
        {"region", required_argument, NULL, OPT_REGION},
        {"host", required_argument, NULL, OPT_HOST},
        {"port", required_argument, NULL, 'p'},
        {"redact-header", required_argument, NULL, OPT_RH},
        {"redact-pointer", required_argument, NULL, OPT_RP},
        {"redact-pattern", required_argument, NULL, OPT_RE},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"connect-timeout", required_argument, NULL, OPT_CTIMEOUT},
        {"client-timeout", required_argument, NULL, OPT_CLTIMEOUT},
        {"drift-report", required_argument, NULL, OPT_DRIFT},
        {"fail-on-drift", no_argument, NULL, OPT_FAIL},
        {"spec", required_argument, NULL, OPT_SPEC},
        {"allow-remote", no_argument, NULL, OPT_ALLOW_REMOTE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct cbk_recorder_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.port = 7767;
    cfg.mode = CBK_CASSETTE_CREATE;
    struct cli_strlist rh = {0}, rp = {0}, re = {0};
    const char *drift = NULL, *spec_path = NULL;
    bool fail_on_drift = false, append = false, overwrite = false;
    long lv;
    int c, rc = CLI_OK;
    while ((c = getopt_long(argc, argv, "hp:", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(usage, stdout);
            goto out;
        case OPT_CASSETTE:
            cfg.cassette = optarg;
            break;
        case OPT_APPEND:
            append = true;
            break;
        case OPT_OVERWRITE:
            overwrite = true;
            break;
        case OPT_UPSTREAM:
            cfg.upstream = optarg;
            break;
        case OPT_REGION:
            cfg.region = optarg;
            break;
        case OPT_HOST:
            cfg.host = optarg;
            break;
        case 'p':
            if (cli_parse_long(optarg, 0, 65535, &lv) != 0) {
                rc = cli_usage_error("record", "--port wants 0..65535, not '%s'", optarg);
                goto out;
            }
            cfg.port = (unsigned)lv;
            break;
        case OPT_RH:
            cli_strlist_push(&rh, optarg);
            break;
        case OPT_RP:
            cli_strlist_push(&rp, optarg);
            break;
        case OPT_RE:
            cli_strlist_push(&re, optarg);
            break;
        case OPT_TIMEOUT:
        case OPT_CTIMEOUT:
            if (cli_parse_long(optarg, 1, 3600, &lv) != 0) {
                rc = cli_usage_error("record", "%s wants 1..3600 seconds, not '%s'",
                                     c == OPT_TIMEOUT ? "--timeout" : "--connect-timeout", optarg);
                goto out;
            }
            if (c == OPT_TIMEOUT)
                cfg.timeout_ms = (unsigned)lv * 1000;
            else
                cfg.connect_timeout_ms = (unsigned)lv * 1000;
            break;
        case OPT_CLTIMEOUT:
            if (cli_parse_long(optarg, 1, 86400, &lv) != 0) {
                rc = cli_usage_error("record", "--client-timeout wants 1..86400 seconds, not '%s'",
                                     optarg);
                goto out;
            }
            cfg.client_timeout = (unsigned)lv;
            break;
        case OPT_DRIFT:
            drift = optarg;
            break;
        case OPT_FAIL:
            fail_on_drift = true;
            break;
        case OPT_SPEC:
            spec_path = optarg;
            break;
        case OPT_ALLOW_REMOTE:
            cfg.allow_remote = true;
            break;
        default:
            rc = cli_usage_error("record", "unknown or incomplete option '%s'", argv[optind - 1]);
            goto out;
        }
    }
    if (optind < argc) {
        rc = cli_usage_error("record", "unexpected argument '%s'", argv[optind]);
        goto out;
    }
    if (!cfg.cassette) {
        rc = cli_usage_error("record", "--cassette FILE is required");
        goto out;
    }
    if (append && overwrite) {
        rc = cli_usage_error("record", "--append and --overwrite exclude each other");
        goto out;
    }
    if (!cbk_recorder_host_is_loopback(cfg.host)) {
        if (!cfg.allow_remote) {
            rc = cli_usage_error("record",
                                 "--host %s is not a loopback address: the recorder would sign "
                                 "requests with your AWS credentials for anyone who can reach it "
                                 "(give --allow-remote if that is what you want)",
                                 cfg.host);
            goto out;
        }
        cli_warn("listening on %s, which is not a loopback address: anyone who can reach it can "
                 "send requests signed with your AWS credentials",
                 cfg.host);
    }
    cfg.mode = append      ? CBK_CASSETTE_APPEND
               : overwrite ? CBK_CASSETTE_OVERWRITE
                           : CBK_CASSETTE_CREATE;
    struct cli_aws_env env;
    bool have_keys = cli_aws_env(cfg.region, &env);
    cfg.region = env.region;
    if (!cfg.region) {
        rc = cli_usage_error("record", "no region: give --region or set AWS_REGION");
        goto out;
    }
    cfg.access_key = env.access_key;
    cfg.secret_key = env.secret_key;
    cfg.session_token = env.session_token;
    if (!have_keys) {
        rc = cli_usage_error("record",
                             "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                             "(the recorder signs the requests it forwards)");
        goto out;
    }
    cfg.redact_headers = rh.v;
    cfg.nredact_headers = rh.n;
    cfg.redact_pointers = rp.v;
    cfg.nredact_pointers = rp.n;
    cfg.redact_patterns = re.v;
    cfg.nredact_patterns = re.n;
    cfg.log = log_line;

    struct cbk_spec *spec = NULL;
    rc = cli_load_spec(spec_path, &spec, true);
    if (rc != CLI_OK)
        goto out;
    cfg.spec = spec;
    char default_upstream[256];
    if (!cfg.upstream) {
        const struct cbk_metadata *md = cbk_spec_metadata(spec);
        snprintf(default_upstream, sizeof default_upstream, "https://%s.%s.amazonaws.com",
                 md->endpoint_prefix ? md->endpoint_prefix : "codebuild", cfg.region);
        cfg.upstream = default_upstream;
    }
    struct cbk_diags d = CBK_DIAGS_INIT;
    struct cbk_recorder *r = NULL;
    enum cbk_code lrc = cbk_recorder_new(&cfg, &r, &d);
    if (lrc != CBK_OK) {
        cli_print_diags(&d, NULL, 0, NULL);
        cbk_diags_release(&d);
        cbk_spec_free(spec);
        rc = lrc == CBK_E_USAGE ? CLI_USAGE : lrc == CBK_E_IO ? CLI_IO : CLI_SPEC;
        goto out;
    }
    cli_print_diags(&d, NULL, 0, NULL); /* warnings, e.g. an appended cassette's cut tail */
    cbk_diags_release(&d);
    sigset_t stop;
    cli_block_stop_signals(&stop);
    cli_raise_nofile();
    unsigned port = 0;
    if (cbk_recorder_start(r, &port, &d) != CBK_OK) {
        cli_print_diags(&d, NULL, 0, NULL);
        cbk_diags_release(&d);
        cbk_recorder_free(r);
        cbk_spec_free(spec);
        rc = CLI_IO;
        goto out;
    }
    (void)cli_listen_until_stopped(cfg.host, port, &stop);
    cbk_recorder_stop(r);
    struct cbk_recorder_stats st;
    cbk_recorder_stats(r, &st);
    if (cbk_recorder_write_drift_text(r, stdout) != CBK_OK)
        rc = CLI_IO;
    if (drift && cli_write_file(drift, write_drift, r) != CLI_OK)
        rc = CLI_IO;
    if (rc == CLI_OK && fail_on_drift && st.response_violations) {
        cli_error("%" PRIu64 " upstream answer%s broke the contract (--fail-on-drift)",
                  st.response_violations, st.response_violations == 1 ? "" : "s");
        rc = CLI_VIOLATIONS;
    }
    cbk_recorder_free(r);
    cbk_spec_free(spec);
out:
    free(rh.v);
    free(rp.v);
    free(re.v);
    return rc;
}
