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

static const char usage[] =
    "usage: cbkit mock [options]\n"
    "\n"
    "Serve the spec (default: the bundled CodeBuild spec) as an AWS JSON 1.1 endpoint on\n"
    "127.0.0.1:7766. Every request is validated against the operation's input; valid requests\n"
    "get a response generated from the spec, invalid ones the error AWS would send. Runs until\n"
    "SIGINT or SIGTERM, then writes the reports. The first line on stdout is\n"
    "'listening on http://HOST:PORT'.\n"
    "\n"
    "Every option --NAME also comes from the environment variable CBKIT_NAME (upper case,\n"
    "'_' for '-': CBKIT_PORT, CBKIT_ADMIN_TOKEN, ...); a flag overrides its variable. Switches\n"
    "take 1/true/yes/on or 0/false/no/off; repeatable options take several values separated by\n"
    "',' (CBKIT_SCENARIO=a.yaml,b.yaml). An empty variable counts as unset.\n"
    "CBKIT_ADMIN_REMOTE=auto (the container image's setting) means --admin-remote when a\n"
    "token is set.\n"
    "\n"
    "options:\n"
    "      --spec FILE          serve this spec instead of the bundled one; repeat it to serve\n"
    "                           several services on one endpoint, routed by X-Amz-Target\n"
    "                           prefix ('bundled' names the bundled CodeBuild spec)\n"
    "      --host ADDR          address to bind (default 127.0.0.1; 0.0.0.0 in a container)\n"
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
    "      --print-config       print every option's effective value and where it came from\n"
    "                           (flag, env or default; secrets hidden), then exit\n"
    "  -h, --help               show this help\n"
    "\n"
    "admin API: GET /__cbkit/health, /__cbkit/requests, /__cbkit/violations, /__cbkit/state,\n"
    "/__cbkit/clock; POST /__cbkit/reset, /__cbkit/clock; a live page at /__cbkit/ui (see\n"
    "docs/admin-api.md). It refuses web pages of other origins, and Host names other than\n"
    "loopback or --host unless --admin-remote. GET /__cbkit/health answers\n"
    "{\"status\":\"ok\"} to anyone else (health checks); its details need the admin API's rules.\n"
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
    struct cli_mock_settings set;
    cli_mock_settings_init(&set);
    struct cbk_mock_config cfg;
    int rc = cli_mock_settings_parse(&set, argc, argv);
    if (rc == CLI_MOCK_HELP) {
        fputs(usage, stdout);
        rc = CLI_OK;
        goto out;
    }
    if (rc != CLI_OK)
        goto out;
    if (set.print_config) {
        cli_mock_settings_print(&set, stdout);
        goto out;
    }
    cfg = set.cfg;

    struct cbk_spec **specs = NULL;
    size_t nspecs = 0;
    rc = cli_load_specs(&set.spec_paths, &specs, &nspecs);
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
    rc = cli_mock_extra_apply(&set.extra, m, spec);
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
    if (set.report && cli_write_file(set.report, write_report, m) != CLI_OK)
        rc = CLI_IO;
    if (set.junit && cli_write_file(set.junit, write_junit, m) != CLI_OK)
        rc = CLI_IO;
    if (!cli_quiet)
        fprintf(stderr,
                "cbkit: mock stopped (%s): %" PRIu64 " requests, %" PRIu64 " valid, %" PRIu64
                " invalid (%" PRIu64 " violations), %" PRIu64 " rejected, %" PRIu64 " faults\n",
                sig == SIGINT ? "SIGINT" : "SIGTERM", st.requests, st.valid, st.invalid,
                st.violations, st.rejected, st.faults);
    if (rc == CLI_OK && set.fail_on_violation && (st.invalid || st.rejected)) {
        cli_error("%" PRIu64 " request%s violated the contract (--fail-on-violation)",
                  st.invalid + st.rejected, st.invalid + st.rejected == 1 ? "" : "s");
        rc = CLI_VIOLATIONS;
    }
    cbk_mock_free(m);
    cli_free_specs(specs, nspecs);
out:
    cli_mock_settings_release(&set);
    return rc;
}
