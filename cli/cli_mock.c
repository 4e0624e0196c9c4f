/*
 * cli_mock.c - options of `cbkit mock` that load files into the mock (see cli_mock.h).
 */
#include "core/setup.h"
#include "cli/cli_mock.h"
#include "cli/cli.h"
#include "core/alloc.h"
#include "cbkit/scenario.h"

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

int cli_mock_extra_apply(struct cli_mock_extra *x, struct cbk_mock *m, const struct cbk_spec *spec)
{
    for (size_t i = 0; i < x->nscenarios; i++) {
        struct cbk_diags d = CBK_DIAGS_INIT;
        cbk_diags_init(&d, 200);
        struct cbk_scenario *s = NULL;
        enum cbk_code rc = cbk_scenario_load_file(spec, x->scenarios[i], &s, &d);
        if (rc == CBK_OK)
            rc = cbk_mock_add_scenario_take(m, s, &d);
        cli_print_diags(&d, NULL, 0, NULL);
        cbk_diags_release(&d);
        if (rc != CBK_OK)
            return rc == CBK_E_IO ? CLI_IO : CLI_SPEC;
    }
    return CLI_OK;
}
