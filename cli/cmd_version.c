/*
 * cmd_version.c - `cbkit version`: cbkit's version and those of the libraries it links.
 */
#include "core/setup.h"
#include "cli/cli.h"

#include <getopt.h>

static const char usage[] = "usage: cbkit version\n"
                            "\n"
                            "Print the version of cbkit and the run-time versions of the\n"
                            "libraries it links.\n";

int cmd_version(int argc, char **argv)
{
    static const struct option longopts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (c == 'h') {
            fputs(usage, stdout);
            return CLI_OK;
        }
        return cli_usage_error("version", "unknown option '%s'", argv[optind - 1]);
    }
    if (optind < argc)
        return cli_usage_error("version", "unexpected argument '%s'", argv[optind]);
    printf("cbkit %s\n", cbk_version());
    size_t n;
    const struct cbk_libversion *v = cbk_library_versions(&n);
    for (size_t i = 0; i < n; i++)
        printf("  %-14s %s\n", v[i].name, v[i].version);
    return CLI_OK;
}
