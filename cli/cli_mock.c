/*
 * cli_mock.c - options of `cbkit mock` that load files into the mock (see cli_mock.h).
 */
#include "core/setup.h"
#include "cli/cli_mock.h"
#include "cli/cli.h"
#include "core/alloc.h"
#include "cbkit/cassette.h"
#include "cbkit/scenario.h"

void cli_mock_extra_init(struct cli_mock_extra *x)
{
    memset(x, 0, sizeof(*x));
}

void cli_mock_extra_release(struct cli_mock_extra *x)
{
    free(x->scenarios);
    free(x->ignore);
    memset(x, 0, sizeof(*x));
}

void cli_mock_extra_add_scenario(struct cli_mock_extra *x, const char *path)
{
    CBK_GROW(x->scenarios, x->nscenarios + 1, x->alloc);
    x->scenarios[x->nscenarios++] = path;
}

void cli_mock_extra_add_ignore(struct cli_mock_extra *x, const char *pointer)
{
    CBK_GROW(x->ignore, x->nignore + 1, x->ignore_alloc);
    x->ignore[x->nignore++] = pointer;
}

int cli_mock_extra_apply(struct cli_mock_extra *x, struct cbk_mock *m, const struct cbk_spec *spec)
{
    for (size_t i = 0; i < x->nscenarios; i++) {
        struct cbk_diags d = CBK_DIAGS_INIT;
        cbk_diags_init(&d, 200);
        struct cbk_scenario *s = NULL;
        struct cbk_scenario_env env;
        cbk_mock_scenario_env(m, &env);
        enum cbk_code rc = cbk_scenario_load_file(&env, x->scenarios[i], &s, &d);
        if (rc == CBK_OK)
            rc = cbk_mock_add_scenario_take(m, s, &d);
        cli_print_diags(&d, NULL, 0, NULL);
        cbk_diags_release(&d);
        if (rc != CBK_OK)
            return rc == CBK_E_IO ? CLI_IO : CLI_SPEC;
    }
    if (x->cassette) {
        struct cbk_diags d = CBK_DIAGS_INIT;
        cbk_diags_init(&d, 200);
        struct cbk_cassette *c = NULL;
        enum cbk_code rc = cbk_cassette_load_file(spec, x->cassette, &c, &d);
        cli_print_diags(&d, NULL, 0, NULL);
        cbk_diags_release(&d);
        if (rc != CBK_OK)
            return rc == CBK_E_IO ? CLI_IO : CLI_SPEC;
        for (size_t i = 0; i < x->nignore; i++)
            cbk_cassette_ignore(c, x->ignore[i]);
        cbk_cassette_repeat_last(c, !x->replay_once);
        cbk_mock_set_cassette_take(m, c, x->replay_latency);
        if (x->record_missing) {
            struct cli_aws_env env;
            if (!cli_aws_env(x->region, &env)) {
                cli_error("--record-missing needs AWS credentials: set AWS_ACCESS_KEY_ID and "
                          "AWS_SECRET_ACCESS_KEY");
                return CLI_USAGE;
            }
            cbk_diags_init(&d, 200);
            rc = cbk_mock_record_missing(m, x->upstream, x->cassette, env.region, env.access_key,
                                         env.secret_key, env.session_token, &d);
            cli_print_diags(&d, NULL, 0, NULL);
            cbk_diags_release(&d);
            if (rc != CBK_OK)
                return rc == CBK_E_IO ? CLI_IO : rc == CBK_E_USAGE ? CLI_USAGE : CLI_SPEC;
        }
    }
    return CLI_OK;
}
