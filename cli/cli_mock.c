/*
 * cli_mock.c - options of `cbkit mock` that load files into the mock (see cli_mock.h).
 */
#include "core/setup.h"
#include "cli/cli_mock.h"
#include "cli/cli.h"
#include "core/alloc.h"

void cli_mock_extra_init(struct cli_mock_extra *x)
{
    memset(x, 0, sizeof(*x));
}

void cli_mock_extra_release(struct cli_mock_extra *x)
{
    free(x->scenarios);
    memset(x, 0, sizeof(*x));
}

void cli_mock_extra_add_scenario(struct cli_mock_extra *x, const char *path)
{
    CBK_GROW(x->scenarios, x->nscenarios + 1, x->alloc);
    x->scenarios[x->nscenarios++] = path;
}

int cli_mock_extra_apply(struct cli_mock_extra *x, struct cbk_mock *m)
{
    CBK_UNUSED(m);
    if (x->nscenarios) {
        cli_error("cannot load '%s': scenarios are not available in this build", x->scenarios[0]);
        return CLI_SPEC;
    }
    return CLI_OK;
}
