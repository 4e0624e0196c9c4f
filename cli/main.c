/*
 * main.c - the cbkit command: global options, then dispatch to one subcommand per file
 * (git's builtin table). Every subcommand's stdout is flushed and checked before exit.
 */
#include "core/setup.h"
#include "cli/cli.h"

#include <getopt.h>
#include <signal.h>

/* Keep sorted by name: `cbkit help` prints it in this order. */
static const struct cli_cmd commands[] = {
    {"health", cmd_health, "ask a running mock whether it is healthy (container health checks)"},
    {"help", cmd_help, "show help for cbkit or one of its commands"},
    {"mock", cmd_mock, "serve the spec as a validating AWS endpoint with faults and a journal"},
    {"record", cmd_record, "record real traffic into a cassette through a reverse proxy"},
    {"replay", cmd_replay, "send a cassette's requests to a live endpoint and compare answers"},
    {"scenario", cmd_scenario, "check scenario files (lint)"},
    {"spec", cmd_spec, "check a spec (lint) or show its operations and shapes"},
    {"validate", cmd_validate, "validate JSON requests or responses against the spec"},
    {"version", cmd_version, "print the version of cbkit and of the libraries it links"},
};

const struct cli_cmd *cli_commands(size_t *n)
{
    *n = CBK_ARRAY_SIZE(commands);
    return commands;
}

static const char usage[] = "usage: cbkit [-q | --quiet] <command> [<args>]\n"
                            "       cbkit -h | --help | --version\n";

static void print_commands(FILE *out)
{
    fputs(usage, out);
    fputs("\ncommands:\n", out);
    for (size_t i = 0; i < CBK_ARRAY_SIZE(commands); i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fputs("\nSee 'cbkit <command> -h' for the options of one command.\n", out);
}

int cmd_help(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "-h") != 0 && strcmp(argv[1], "--help") != 0 &&
        strcmp(argv[1], "help") != 0) {
        for (size_t i = 0; i < CBK_ARRAY_SIZE(commands); i++) {
            if (strcmp(argv[1], commands[i].name) == 0 && commands[i].fn != cmd_help) {
                char *args[] = {argv[1], "-h", NULL};
                optind = 0;
                return commands[i].fn(2, args);
            }
        }
        cli_error("'%s' is not a cbkit command; see 'cbkit help'", argv[1]);
        return CLI_USAGE;
    }
    print_commands(stdout);
    return CLI_OK;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {"quiet", no_argument, NULL, 'q'},
        {NULL, 0, NULL, 0},
    };
    signal(SIGPIPE, SIG_IGN);
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+hqV", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            print_commands(stdout);
            return cli_flush_stdout();
        case 'q':
            cli_quiet = 1;
            break;
        case 'V': {
            char *args[] = {"version", NULL};
            optind = 0;
            int rc = cmd_version(1, args);
            int frc = cli_flush_stdout();
            return rc ? rc : frc;
        }
        default:
            return cli_usage_error(NULL, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc) {
        print_commands(stderr);
        return CLI_USAGE;
    }
    const char *name = argv[optind];
    for (size_t i = 0; i < CBK_ARRAY_SIZE(commands); i++) {
        if (strcmp(name, commands[i].name) != 0)
            continue;
        int sub_argc = argc - optind;
        char **sub_argv = argv + optind;
        optind = 0; /* reset getopt for the subcommand (glibc: 0 reinitialises) */
        opterr = 0;
        int rc = commands[i].fn(sub_argc, sub_argv);
        int frc = cli_flush_stdout();
        return rc ? rc : frc;
    }
    cli_error("'%s' is not a cbkit command; see 'cbkit help'", name);
    return CLI_USAGE;
}
