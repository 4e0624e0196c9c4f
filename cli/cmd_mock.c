/*
 * cmd_mock.c - `cbkit mock`: serve the spec as an AWS JSON 1.1 endpoint until SIGINT/SIGTERM,
 * then write the reports. First stdout line: "listening on http://HOST:PORT".
 */
#include "core/setup.h"
#include "cli/cli.h"
#include "cbkit/mock.h"
#include "cbkit/services.h"
#include "core/alloc.h"
#include "cli/cli_mock.h"
#include "core/timefmt.h"

#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>

#define DEFAULT_PORT 7766

static const char usage[] =
    "usage: cbkit mock [options]\n"
    "\n"
    "Serve the spec (default: the bundled CodeBuild spec) as an AWS JSON 1.1 endpoint on\n"
    "127.0.0.1:7766. Every request is validated against the operation's input; valid requests\n"
    "get a response generated from the spec, invalid ones the error AWS would send. Runs until\n"
    "SIGINT or SIGTERM, then writes the reports. The first line on stdout is\n"
    "'listening on http://HOST:PORT'.\n"
    "\n"
    "options:\n"
    "      --spec FILE          serve this spec instead of the bundled one; repeat it to serve\n"
    "                           several services on one endpoint, routed by X-Amz-Target\n"
    "                           prefix ('bundled' names the bundled CodeBuild spec)\n"
    "      --host ADDR          address to bind (default 127.0.0.1)\n"
    "  -p, --port N             port (default 7766; 0 picks a free port)\n"
    "      --seed N             deterministic ids and numbers; also freezes the clock at\n"
    "                           2025-01-01T00:00:00Z unless --clock says otherwise\n"
    "      --clock now|TIME     'now' (real time) or an ISO 8601 UTC time where a virtual\n"
    "                           clock starts (it moves only through the admin API)\n"
    "      --region NAME        region in ARNs (default us-east-1)\n"
    "      --account ID         account in ARNs (default 123456789012)\n"
    "      --world open|strict  unknown build ids: accepted as existing (open, default) or\n"
    "                           ResourceNotFoundException (strict)\n"
    "      --max-body BYTES     request body limit, k/M suffixes allowed (default 1M)\n"
    "      --client-timeout S   drop idle or slow clients after S seconds (default 30)\n"
    "      --threads N          worker threads (default: CPUs, at most 8)\n"
    "      --connections N      concurrent connections (default 4096)\n"
    "      --journal-cap N      journal entries kept (default 10000; counts are never lost)\n"
    "      --journal-body BYTES request body bytes kept per journal entry (default 4096)\n"
    "      --state-cap N        builds and batches remembered (default 10000)\n"
    "      --build-duration D   how long a CodeBuild build lasts: 500ms, 90s, 3m, 2h or\n"
    "                           'realistic' (default: 3s under the real clock, realistic -\n"
    "                           a few minutes - under a virtual clock)\n"
    "      --admin-token T      require header X-Cbkit-Admin-Token: T on /__cbkit/ (visible\n"
    "                           in ps: prefer the environment variable CBKIT_ADMIN_TOKEN)\n"
    "      --admin-remote       let non-loopback clients use the admin API (needs a token)\n"
    "      --report FILE        write a JSON report of every request at exit\n"
    "      --junit FILE         write JUnit XML (a test case per request) at exit\n"
    "      --fail-on-violation  exit 1 if any request violated the contract\n"
    "      --scenario FILE      load a scenario (docs/scenarios.md); repeatable\n"
    "      --cassette FILE      answer recorded requests from this cassette (docs/cassettes.md)\n"
    "      --ignore POINTER     leave this request member out of cassette matching ('*' matches\n"
    "                           any one token); repeatable\n"
    "      --replay-latency     reproduce the recorded latency\n"
    "      --replay-once        a repeated request gets each recording once, then no match\n"
    "      --record-missing     forward requests the cassette lacks to --upstream URL and add\n"
    "                           them to the cassette (credentials from the environment)\n"
    "      --upstream URL       the service --record-missing forwards to\n"
    "      --sigv4              check SigV4 signatures, as AWS does (keys from --sigv4-key or\n"
    "                           the AWS_* environment variables)\n"
    "      --sigv4-key ID:SECRET[:TOKEN]  a key the signature check accepts; repeatable\n"
    "  -h, --help               show this help\n"
    "\n"
    "admin API: GET /__cbkit/health, /__cbkit/requests, /__cbkit/violations, /__cbkit/state,\n"
    "/__cbkit/clock; POST /__cbkit/reset, /__cbkit/clock (see docs/admin-api.md). It refuses\n"
    "web pages of other origins, and Host names other than loopback or --host unless\n"
    "--admin-remote. CBKIT_ADMIN_TOKEN in the environment sets the token.\n"
    "\n"
    "exit status: 0 stopped cleanly, 1 --fail-on-violation and violations were seen,\n"
    "             2 usage error, 3 spec error, 4 cannot listen or write a report\n";

/* Parse an ISO 8601 UTC time (see core/timefmt.h). */
int cli_parse_time(const char *s, int64_t *out)
{
    return cbk_parse_iso8601_ms(s, out);
}

/* Raise the open-file limit so that thousands of connections fit. */
void cli_raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* Block SIGINT/SIGTERM in every thread (started later) and return the set to wait on. */
void cli_block_stop_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, set, NULL);
}

int cli_listen_until_stopped(const char *host, unsigned port, const sigset_t *stop)
{
    host = host ? host : "127.0.0.1";
    printf(strchr(host, ':') ? "listening on http://[%s]:%u\n" : "listening on http://%s:%u\n",
           host, port);
    fflush(stdout);
    int sig = 0;
    sigwait(stop, &sig);
    return sig;
}

static enum cbk_code write_report(void *m, FILE *f)
{
    return cbk_mock_write_report(m, f);
}

static enum cbk_code write_junit(void *m, FILE *f)
{
    return cbk_mock_write_junit(m, f);
}

int cmd_mock(int argc, char **argv)
{
    enum {
        OPT_SPEC = 256,
        OPT_HOST,
        OPT_SEED,
        OPT_CLOCK,
        OPT_REGION,
        OPT_ACCOUNT,
        OPT_WORLD,
        OPT_MAX_BODY,
        OPT_TIMEOUT,
        OPT_THREADS,
        OPT_CONNS,
        OPT_JCAP,
        OPT_JBODY,
        OPT_STATE_CAP,
        OPT_BUILD_DURATION,
        OPT_ADMIN_TOKEN,
        OPT_ADMIN_REMOTE,
        OPT_REPORT,
        OPT_JUNIT,
        OPT_FAIL,
        OPT_SCENARIO,
        OPT_CASSETTE,
        OPT_REPLAY_LATENCY,
        OPT_REPLAY_ONCE,
        OPT_IGNORE,
        OPT_RECORD_MISSING,
        OPT_UPSTREAM,
        OPT_SIGV4,
        OPT_SIGV4_KEY,
    };
    static const struct option longopts[] = {
        {"spec", required_argument, NULL, OPT_SPEC},
        {"host", required_argument, NULL, OPT_HOST},
        {"port", required_argument, NULL, 'p'},
        {"seed", required_argument, NULL, OPT_SEED},
        {"clock", required_argument, NULL, OPT_CLOCK},
        {"region", required_argument, NULL, OPT_REGION},
        {"account", required_argument, NULL, OPT_ACCOUNT},
        {"world", required_argument, NULL, OPT_WORLD},
        {"max-body", required_argument, NULL, OPT_MAX_BODY},
        {"client-timeout", required_argument, NULL, OPT_TIMEOUT},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"connections", required_argument, NULL, OPT_CONNS},
        {"journal-cap", required_argument, NULL, OPT_JCAP},
        {"journal-body", required_argument, NULL, OPT_JBODY},
        {"state-cap", required_argument, NULL, OPT_STATE_CAP},
        {"build-duration", required_argument, NULL, OPT_BUILD_DURATION},
        {"admin-token", required_argument, NULL, OPT_ADMIN_TOKEN},
        {"admin-remote", no_argument, NULL, OPT_ADMIN_REMOTE},
        {"report", required_argument, NULL, OPT_REPORT},
        {"junit", required_argument, NULL, OPT_JUNIT},
        {"fail-on-violation", no_argument, NULL, OPT_FAIL},
        {"scenario", required_argument, NULL, OPT_SCENARIO},
        {"cassette", required_argument, NULL, OPT_CASSETTE},
        {"replay-latency", no_argument, NULL, OPT_REPLAY_LATENCY},
        {"replay-once", no_argument, NULL, OPT_REPLAY_ONCE},
        {"ignore", required_argument, NULL, OPT_IGNORE},
        {"record-missing", no_argument, NULL, OPT_RECORD_MISSING},
        {"upstream", required_argument, NULL, OPT_UPSTREAM},
        {"sigv4", no_argument, NULL, OPT_SIGV4},
        {"sigv4-key", required_argument, NULL, OPT_SIGV4_KEY},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct cbk_mock_config cfg = CBK_MOCK_CONFIG_INIT;
    cfg.port = DEFAULT_PORT;
    struct cli_strlist spec_paths = {0};
    const char *report = NULL, *junit = NULL, *clock = NULL;
    bool fail_on_violation = false;
    const char *keys[16];
    size_t nkeys = 0;
    char env_key[1024];
    struct cli_mock_extra extra;
    cli_mock_extra_init(&extra);
    long lv;
    size_t sz;
    int c;
    int rc = CLI_OK;
    while ((c = getopt_long(argc, argv, "hp:", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(usage, stdout);
            cli_mock_extra_release(&extra);
            return CLI_OK;
        case OPT_SPEC:
            cli_strlist_push(&spec_paths, optarg);
            break;
        case OPT_HOST:
            cfg.host = optarg;
            break;
        case 'p':
            if (cli_parse_long(optarg, 0, 65535, &lv) != 0) {
                rc = cli_usage_error("mock", "--port wants 0..65535, not '%s'", optarg);
                goto out;
            }
            cfg.port = (unsigned)lv;
            break;
        case OPT_SEED: {
            char *end = NULL;
            errno = 0;
            unsigned long long s = strtoull(optarg, &end, 10);
            if (errno || !*optarg || *end || *optarg == '-') {
                rc = cli_usage_error("mock", "--seed wants a non-negative integer, not '%s'",
                                     optarg);
                goto out;
            }
            cfg.has_seed = true;
            cfg.seed = s;
            break;
        }
        case OPT_CLOCK:
            clock = optarg;
            break;
        case OPT_REGION:
            cfg.region = optarg;
            break;
        case OPT_ACCOUNT:
            if (strlen(optarg) != 12 || strspn(optarg, "0123456789") != 12) {
                rc = cli_usage_error("mock", "--account wants 12 digits, not '%s'", optarg);
                goto out;
            }
            cfg.account = optarg;
            break;
        case OPT_WORLD:
            if (strcmp(optarg, "open") == 0)
                cfg.world = CBK_WORLD_OPEN;
            else if (strcmp(optarg, "strict") == 0)
                cfg.world = CBK_WORLD_STRICT;
            else {
                rc = cli_usage_error("mock", "--world wants open or strict, not '%s'", optarg);
                goto out;
            }
            break;
        case OPT_MAX_BODY:
            if (cli_parse_size(optarg, &sz) != 0 || sz == 0 || sz > ((size_t)1 << 30)) {
                rc = cli_usage_error("mock", "--max-body wants 1 byte to 1G, not '%s'", optarg);
                goto out;
            }
            cfg.max_body = sz;
            break;
        case OPT_TIMEOUT:
            if (cli_parse_long(optarg, 1, 86400, &lv) != 0) {
                rc = cli_usage_error("mock", "--client-timeout wants 1..86400 seconds, not '%s'",
                                     optarg);
                goto out;
            }
            cfg.client_timeout = (unsigned)lv;
            break;
        case OPT_THREADS:
            if (cli_parse_long(optarg, 1, 64, &lv) != 0) {
                rc = cli_usage_error("mock", "--threads wants 1..64, not '%s'", optarg);
                goto out;
            }
            cfg.threads = (unsigned)lv;
            break;
        case OPT_CONNS:
            if (cli_parse_long(optarg, 1, 1000000, &lv) != 0) {
                rc = cli_usage_error("mock", "--connections wants 1..1000000, not '%s'", optarg);
                goto out;
            }
            cfg.connection_limit = (unsigned)lv;
            break;
        case OPT_JCAP:
            if (cli_parse_long(optarg, 1, 100000000, &lv) != 0) {
                rc = cli_usage_error("mock", "--journal-cap wants 1..100000000, not '%s'", optarg);
                goto out;
            }
            cfg.journal_cap = (size_t)lv;
            break;
        case OPT_JBODY:
            if (cli_parse_size(optarg, &sz) != 0 || sz > ((size_t)1 << 30)) {
                rc =
                    cli_usage_error("mock", "--journal-body wants 0 to 1G bytes, not '%s'", optarg);
                goto out;
            }
            cfg.journal_body_max = sz ? sz : 1;
            break;
        case OPT_STATE_CAP:
            if (cli_parse_long(optarg, 1, 100000000, &lv) != 0) {
                rc = cli_usage_error("mock", "--state-cap wants 1..100000000, not '%s'", optarg);
                goto out;
            }
            cfg.state_cap = (size_t)lv;
            break;
        case OPT_BUILD_DURATION:
            if (strcmp(optarg, "realistic") == 0) {
                cfg.build_duration_ms = -1;
            } else if (cli_parse_duration_ms(optarg, 7LL * 24 * 3600 * 1000,
                                             &cfg.build_duration_ms) != 0) {
                rc = cli_usage_error("mock",
                                     "--build-duration wants 1ms to 168h (500ms, 90s, 3m, 2h) "
                                     "or 'realistic', not '%s'",
                                     optarg);
                goto out;
            }
            break;
        case OPT_ADMIN_TOKEN:
            if (!*optarg) {
                rc = cli_usage_error("mock", "--admin-token must not be empty");
                goto out;
            }
            cfg.admin_token = optarg;
            break;
        case OPT_ADMIN_REMOTE:
            cfg.admin_remote = true;
            break;
        case OPT_REPORT:
            report = optarg;
            break;
        case OPT_JUNIT:
            junit = optarg;
            break;
        case OPT_FAIL:
            fail_on_violation = true;
            break;
        case OPT_SCENARIO:
            cli_mock_extra_add_scenario(&extra, optarg);
            break;
        case OPT_CASSETTE:
            extra.cassette = optarg;
            break;
        case OPT_REPLAY_LATENCY:
            extra.replay_latency = true;
            break;
        case OPT_REPLAY_ONCE:
            extra.replay_once = true;
            break;
        case OPT_IGNORE:
            if (optarg[0] != '/') {
                rc = cli_usage_error("mock",
                                     "--ignore wants a JSON pointer like /idempotencyToken, "
                                     "not '%s'",
                                     optarg);
                goto out;
            }
            cli_mock_extra_add_ignore(&extra, optarg);
            break;
        case OPT_RECORD_MISSING:
            extra.record_missing = true;
            break;
        case OPT_UPSTREAM:
            extra.upstream = optarg;
            break;
        case OPT_SIGV4:
            cfg.sigv4 = true;
            break;
        case OPT_SIGV4_KEY:
            cfg.sigv4 = true;
            if (nkeys < CBK_ARRAY_SIZE(keys))
                keys[nkeys++] = optarg;
            break;
        default:
            rc = cli_usage_error("mock", "unknown or incomplete option '%s'", argv[optind - 1]);
            goto out;
        }
    }
    if (optind < argc) {
        rc = cli_usage_error("mock", "unexpected argument '%s'", argv[optind]);
        goto out;
    }
    if (!cfg.admin_token) {
        /* from the environment: not visible to other users in ps, as an argument is */
        const char *env_token = getenv("CBKIT_ADMIN_TOKEN");
        if (env_token && *env_token)
            cfg.admin_token = env_token;
    }
    if (cfg.admin_remote && !cfg.admin_token) {
        rc = cli_usage_error("mock", "--admin-remote needs a token: set CBKIT_ADMIN_TOKEN in the "
                                     "environment (or give --admin-token)");
        goto out;
    }
    if (extra.record_missing && (!extra.cassette || !extra.upstream)) {
        rc = cli_usage_error("mock", "--record-missing needs --cassette FILE and --upstream URL");
        goto out;
    }
    if ((extra.replay_latency || extra.replay_once || extra.nignore) && !extra.cassette) {
        rc = cli_usage_error("mock", "--replay-latency, --replay-once and --ignore go with "
                                     "--cassette");
        goto out;
    }
    if (cfg.sigv4 && !nkeys) {
        struct cli_aws_env env;
        if (!cli_aws_env(NULL, &env)) {
            rc = cli_usage_error("mock",
                                 "--sigv4 needs --sigv4-key ACCESS_KEY:SECRET or "
                                 "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment");
            goto out;
        }
        snprintf(env_key, sizeof env_key, "%s:%s%s%s", env.access_key, env.secret_key,
                 env.session_token ? ":" : "", env.session_token ? env.session_token : "");
        keys[nkeys++] = env_key;
    }
    cfg.sigv4_keys = keys;
    cfg.nsigv4_keys = nkeys;
    if (clock && strcmp(clock, "now") != 0) {
        if (cli_parse_time(clock, &cfg.clock_start_ms) != 0) {
            rc = cli_usage_error("mock",
                                 "--clock wants 'now' or a UTC time like 2026-01-01T00:00:00Z, "
                                 "not '%s'",
                                 clock);
            goto out;
        }
        cfg.virtual_clock = true;
    } else if (!clock && cfg.has_seed) {
        cfg.virtual_clock = true;
        cfg.clock_start_ms = 1735689600000LL; /* 2025-01-01T00:00:00Z */
    }

    struct cbk_spec **specs = NULL;
    size_t nspecs = 0;
    rc = cli_load_specs(&spec_paths, &specs, &nspecs);
    if (rc != CLI_OK)
        goto out;
    struct cbk_spec *spec = specs[0];
    cfg.spec = spec;
    cfg.more_specs = (const struct cbk_spec *const *)specs + 1;
    cfg.nmore_specs = nspecs - 1;
    cfg.services = cbk_services_builtin(&cfg.nservices);

    struct cbk_diags d = CBK_DIAGS_INIT;
    struct cbk_mock *m = NULL;
    if (cbk_mock_new(&cfg, &m, &d) != CBK_OK) {
        cli_print_diags(&d, NULL, 0, NULL);
        cbk_diags_release(&d);
        cli_free_specs(specs, nspecs);
        rc = CLI_USAGE;
        goto out;
    }
    rc = cli_mock_extra_apply(&extra, m, spec);
    if (rc != CLI_OK) {
        cbk_mock_free(m);
        cli_free_specs(specs, nspecs);
        goto out;
    }
    sigset_t stop;
    cli_block_stop_signals(&stop);
    cli_raise_nofile();
    unsigned port = 0;
    if (cbk_mock_start(m, &port, &d) != CBK_OK) {
        cli_print_diags(&d, NULL, 0, NULL);
        cbk_diags_release(&d);
        cbk_mock_free(m);
        cli_free_specs(specs, nspecs);
        rc = CLI_IO;
        goto out;
    }
    int sig = cli_listen_until_stopped(cfg.host, port, &stop);
    cbk_mock_stop(m);

    struct cbk_mock_stats st;
    cbk_mock_stats(m, &st);
    if (report && cli_write_file(report, write_report, m) != CLI_OK)
        rc = CLI_IO;
    if (junit && cli_write_file(junit, write_junit, m) != CLI_OK)
        rc = CLI_IO;
    if (!cli_quiet)
        fprintf(stderr,
                "cbkit: mock stopped (%s): %" PRIu64 " requests, %" PRIu64 " valid, %" PRIu64
                " invalid (%" PRIu64 " violations), %" PRIu64 " rejected, %" PRIu64 " faults\n",
                sig == SIGINT ? "SIGINT" : "SIGTERM", st.requests, st.valid, st.invalid,
                st.violations, st.rejected, st.faults);
    if (rc == CLI_OK && fail_on_violation && (st.invalid || st.rejected)) {
        cli_error("%" PRIu64 " request%s violated the contract (--fail-on-violation)",
                  st.invalid + st.rejected, st.invalid + st.rejected == 1 ? "" : "s");
        rc = CLI_VIOLATIONS;
    }
    cbk_mock_free(m);
    cli_free_specs(specs, nspecs);
out:
    free(spec_paths.v);
    cli_mock_extra_release(&extra);
    return rc;
}
