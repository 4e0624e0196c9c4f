/*
 * cmd_scenario.c - `cbkit scenario lint FILE...`: check scenario files against the spec and
 * report every problem with file:line:column.
 */
#include "core/setup.h"
#include "cli/cli.h"
#include "cbkit/scenario.h"
#include "cbkit/services.h"

#include <getopt.h>

static const char usage[] =
    "usage: cbkit scenario lint [--spec FILE]... FILE...\n"
    "\n"
    "Check each scenario FILE (docs/scenarios.md) against the spec (default: the bundled\n"
    "CodeBuild spec; repeat --spec for a mock serving several, 'bundled' names the bundled one)\n"
    "and cbkit's service behaviours: keys, types, operations, patterns, schedules, faults,\n"
    "seeded projects and builds, and canned success bodies against the operation's output\n"
    "shape. Every problem is reported as file:line:column.\n"
    "\n"
    "exit status: 0 all valid, 2 usage error, 3 a scenario (or the spec) has errors,\n"
    "             4 a file could not be read\n";

static int lint(int argc, char **argv)
{
    enum { OPT_SPEC = 256 };
    static const struct option longopts[] = {{"help", no_argument, NULL, 'h'},
                                             {"spec", required_argument, NULL, OPT_SPEC},
                                             {NULL, 0, NULL, 0}};
    struct cli_strlist spec_paths = {0};
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (c == 'h') {
            fputs(usage, stdout);
            return CLI_OK;
        }
        if (c == OPT_SPEC) {
            cli_strlist_push(&spec_paths, optarg);
            continue;
        }
        free(spec_paths.v);
        return cli_usage_error("scenario", "unknown or incomplete option '%s'", argv[optind - 1]);
    }
    if (optind >= argc) {
        free(spec_paths.v);
        return cli_usage_error("scenario", "lint needs at least one FILE");
    }
    struct cbk_spec **specs = NULL;
    size_t nspecs = 0;
    int rc = cli_load_specs(&spec_paths, &specs, &nspecs);
    free(spec_paths.v);
    if (rc != CLI_OK)
        return rc;
    struct cbk_scenario_env env;
    env.specs = (const struct cbk_spec *const *)specs;
    env.nspecs = nspecs;
    env.services = cbk_services_builtin(&env.nservices);
    bool any_bad = false, any_io = false;
    for (int i = optind; i < argc; i++) {
        struct cbk_diags d = CBK_DIAGS_INIT;
        cbk_diags_init(&d, 200);
        struct cbk_scenario *s = NULL;
        enum cbk_code lrc = cbk_scenario_load_file(&env, argv[i], &s, &d);
        cli_print_diags(&d, NULL, 0, NULL);
        if (lrc == CBK_OK) {
            size_t n = cbk_scenario_rule_count(s);
            printf("%s: ok (scenario '%s', %zu rule%s)\n", argv[i], cbk_scenario_name(s), n,
                   n == 1 ? "" : "s");
        } else if (lrc == CBK_E_IO) {
            any_io = true;
        } else {
            size_t n = cbk_diags_error_count(&d);
            fprintf(stderr, "%s: %zu error%s\n", argv[i], n, n == 1 ? "" : "s");
            any_bad = true;
        }
        cbk_scenario_free(s);
        cbk_diags_release(&d);
    }
    cli_free_specs(specs, nspecs);
    if (any_bad)
        return CLI_SPEC;
    return any_io ? CLI_IO : CLI_OK;
}

int cmd_scenario(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error("scenario", "say 'lint'");
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        fputs(usage, stdout);
        return CLI_OK;
    }
    if (strcmp(argv[1], "lint") == 0)
        return lint(argc - 1, argv + 1);
    return cli_usage_error("scenario", "unknown subcommand '%s' (expected lint)", argv[1]);
}
