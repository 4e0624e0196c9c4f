/*
 * cli_mock_config.c - the settings of `cbkit mock`: one table of options, each with its
 * command-line flag and its CBKIT_* environment variable (docs/mock.md, "Configuration from
 * the environment"). A flag overrides its variable; a bad value is a usage error naming the
 * flag or the variable; --print-config shows every value and where it came from.
 */
#include "core/setup.h"
#include "cli/cli_mock.h"
#include "cli/cli.h"
#include "core/alloc.h"
#include "core/buf.h"

#include <ctype.h>
#include <getopt.h>
#include <strings.h>

enum {
    O_SPEC,
    O_HOST,
    O_PORT,
    O_SEED,
    O_CLOCK,
    O_REGION,
    O_ACCOUNT,
    O_WORLD,
    O_MAX_BODY,
    O_CLIENT_TIMEOUT,
    O_THREADS,
    O_CONNECTIONS,
    O_JOURNAL_CAP,
    O_JOURNAL_BODY,
    O_STATE_CAP,
    O_BUILD_DURATION,
    O_ADMIN_TOKEN,
    O_ADMIN_REMOTE,
    O_REPORT,
    O_JUNIT,
    O_FAIL_ON_VIOLATION,
    O_SCENARIO,
    O_CASSETTE,
    O_IGNORE,
    O_REPLAY_LATENCY,
    O_REPLAY_ONCE,
    O_RECORD_MISSING,
    O_UPSTREAM,
    O_SIGV4,
    O_SIGV4_KEY,
    O_COUNT,
    /* options without a variable */
    O_PRINT_CONFIG = O_COUNT,
    O_HELP,
};

_Static_assert(O_COUNT <= CLI_MOCK_NOPTS, "raise CLI_MOCK_NOPTS");

#define F_LIST   1u /* repeatable; its variable holds several values separated by ',' */
#define F_SECRET 2u /* never printed */

/* One option: --NAME and CBKIT_NAME (upper case, '-' -> '_'); 'deflt' is what --print-config
 * shows when neither is set. Rows follow the enum above. */
static const struct mock_opt {
    const char *name;
    bool arg; /* takes a value (else a switch: its variable is a boolean) */
    unsigned flags;
    const char *deflt;
} opts[O_COUNT] = {
    [O_SPEC] = {"spec", true, F_LIST, "bundled"},
    [O_HOST] = {"host", true, 0, "127.0.0.1"},
    [O_PORT] = {"port", true, 0, "7766"},
    [O_SEED] = {"seed", true, 0, "none (random ids)"},
    [O_CLOCK] = {"clock", true, 0, "now"},
    [O_REGION] = {"region", true, 0, "us-east-1"},
    [O_ACCOUNT] = {"account", true, 0, "123456789012"},
    [O_WORLD] = {"world", true, 0, "open"},
    [O_MAX_BODY] = {"max-body", true, 0, "1M"},
    [O_CLIENT_TIMEOUT] = {"client-timeout", true, 0, "30"},
    [O_THREADS] = {"threads", true, 0, "CPUs, at most 8"},
    [O_CONNECTIONS] = {"connections", true, 0, "4096"},
    [O_JOURNAL_CAP] = {"journal-cap", true, 0, "10000"},
    [O_JOURNAL_BODY] = {"journal-body", true, 0, "4096"},
    [O_STATE_CAP] = {"state-cap", true, 0, "10000"},
    [O_BUILD_DURATION] = {"build-duration", true, 0, "3s (realistic: virtual clock)"},
    [O_ADMIN_TOKEN] = {"admin-token", true, F_SECRET, "none"},
    [O_ADMIN_REMOTE] = {"admin-remote", false, 0, "off"},
    [O_REPORT] = {"report", true, 0, "none"},
    [O_JUNIT] = {"junit", true, 0, "none"},
    [O_FAIL_ON_VIOLATION] = {"fail-on-violation", false, 0, "off"},
    [O_SCENARIO] = {"scenario", true, F_LIST, "none"},
    [O_CASSETTE] = {"cassette", true, 0, "none"},
    [O_IGNORE] = {"ignore", true, F_LIST, "none"},
    [O_REPLAY_LATENCY] = {"replay-latency", false, 0, "off"},
    [O_REPLAY_ONCE] = {"replay-once", false, 0, "off"},
    [O_RECORD_MISSING] = {"record-missing", false, 0, "off"},
    [O_UPSTREAM] = {"upstream", true, 0, "none"},
    [O_SIGV4] = {"sigv4", false, 0, "off"},
    [O_SIGV4_KEY] = {"sigv4-key", true, F_LIST | F_SECRET, "none"},
};

/* "CBKIT_" + the option's name in upper case with '_' for '-', into buf[n]. */
static const char *env_name(int id, char *buf, size_t n)
{
    int len = snprintf(buf, n, "CBKIT_%s", opts[id].name);
    for (int i = 6; i < len && (size_t)i < n; i++)
        buf[i] = buf[i] == '-' ? '_' : (char)toupper((unsigned char)buf[i]);
    return buf;
}

int cli_parse_port(const char *cmd, const char *v, const char *what, unsigned *out)
{
    long lv;
    if (cli_parse_long(v, 0, 65535, &lv) != 0 || !isdigit((unsigned char)v[0])) {
        char *pv = cli_printable(v);
        cli_usage_error(cmd, "%s wants 0..65535, not '%s'", what, pv);
        free(pv);
        return CLI_USAGE;
    }
    *out = (unsigned)lv;
    return CLI_OK;
}

/* A decimal in [min, max] (digits only: no sign, no spaces); -1 otherwise. */
static int parse_count(const char *v, long min, long max, long *out)
{
    if (!isdigit((unsigned char)v[0]))
        return -1;
    return cli_parse_long(v, min, max, out);
}

/*
 * Apply one value of option 'id' to 's'; 'what' names where it came from ("--port" or
 * "CBKIT_PORT") in the error. Switches get v == NULL. Returns CLI_OK, or CLI_USAGE after a
 * message naming 'what'. 'v' must outlive 's' (argv, the environment or s->owned).
 */
static int set_opt(struct cli_mock_settings *s, int id, const char *v, const char *what)
{
    struct cbk_mock_config *cfg = &s->cfg;
    long lv;
    size_t sz = 0;
    const char *want = NULL;
    switch (id) {
    case O_SPEC:
        cli_strlist_push(&s->spec_paths, v);
        break;
    case O_HOST:
        if (!*v)
            want = "an address";
        cfg->host = v;
        break;
    case O_PORT:
        if (cli_parse_port("mock", v, what, &cfg->port) != CLI_OK)
            return CLI_USAGE;
        break;
    case O_SEED: {
        char *end = NULL;
        errno = 0;
        unsigned long long seed = strtoull(v, &end, 10);
        if (errno || !isdigit((unsigned char)*v) || *end) {
            want = "a non-negative integer";
            break;
        }
        cfg->has_seed = true;
        cfg->seed = seed;
        break;
    }
    case O_CLOCK:
        if (strcmp(v, "now") != 0) {
            if (cli_parse_time(v, &cfg->clock_start_ms) != 0) {
                want = "'now' or a UTC time like 2026-01-01T00:00:00Z";
                break;
            }
        }
        s->clock = v;
        break;
    case O_REGION:
        if (!*v)
            want = "a region name";
        cfg->region = v;
        break;
    case O_ACCOUNT:
        if (strlen(v) != 12 || strspn(v, "0123456789") != 12)
            want = "12 digits";
        cfg->account = v;
        break;
    case O_WORLD:
        if (strcmp(v, "open") == 0)
            cfg->world = CBK_WORLD_OPEN;
        else if (strcmp(v, "strict") == 0)
            cfg->world = CBK_WORLD_STRICT;
        else
            want = "open or strict";
        break;
    case O_MAX_BODY:
        if (cli_parse_size(v, &sz) != 0 || sz == 0 || sz > ((size_t)1 << 30))
            want = "1 byte to 1G";
        cfg->max_body = sz;
        break;
    case O_CLIENT_TIMEOUT:
        if (parse_count(v, 1, 86400, &lv) != 0)
            want = "1..86400 seconds";
        else
            cfg->client_timeout = (unsigned)lv;
        break;
    case O_THREADS:
        if (parse_count(v, 1, 64, &lv) != 0)
            want = "1..64";
        else
            cfg->threads = (unsigned)lv;
        break;
    case O_CONNECTIONS:
        if (parse_count(v, 1, 1000000, &lv) != 0)
            want = "1..1000000";
        else
            cfg->connection_limit = (unsigned)lv;
        break;
    case O_JOURNAL_CAP:
        if (parse_count(v, 1, 100000000, &lv) != 0)
            want = "1..100000000";
        else
            cfg->journal_cap = (size_t)lv;
        break;
    case O_JOURNAL_BODY:
        if (cli_parse_size(v, &sz) != 0 || sz > ((size_t)1 << 30))
            want = "0 to 1G bytes";
        cfg->journal_body_max = sz ? sz : 1;
        break;
    case O_STATE_CAP:
        if (parse_count(v, 1, 100000000, &lv) != 0)
            want = "1..100000000";
        else
            cfg->state_cap = (size_t)lv;
        break;
    case O_BUILD_DURATION:
        if (strcmp(v, "realistic") == 0)
            cfg->build_duration_ms = -1;
        else if (cli_parse_duration_ms(v, 7LL * 24 * 3600 * 1000, &cfg->build_duration_ms) != 0)
            want = "1ms to 168h (500ms, 90s, 3m, 2h) or 'realistic'";
        break;
    case O_ADMIN_TOKEN:
        if (!*v)
            return cli_usage_error("mock", "%s must not be empty", what);
        cfg->admin_token = v;
        break;
    case O_ADMIN_REMOTE:
        cfg->admin_remote = true;
        break;
    case O_REPORT:
        s->report = v;
        break;
    case O_JUNIT:
        s->junit = v;
        break;
    case O_FAIL_ON_VIOLATION:
        s->fail_on_violation = true;
        break;
    case O_SCENARIO:
        cli_mock_extra_add_scenario(&s->extra, v);
        break;
    case O_CASSETTE:
        s->extra.cassette = v;
        break;
    case O_IGNORE:
        if (v[0] != '/')
            want = "a JSON pointer like /idempotencyToken";
        else
            cli_mock_extra_add_ignore(&s->extra, v);
        break;
    case O_REPLAY_LATENCY:
        s->extra.replay_latency = true;
        break;
    case O_REPLAY_ONCE:
        s->extra.replay_once = true;
        break;
    case O_RECORD_MISSING:
        s->extra.record_missing = true;
        break;
    case O_UPSTREAM:
        s->extra.upstream = v;
        break;
    case O_SIGV4:
        cfg->sigv4 = true;
        break;
    case O_SIGV4_KEY:
        cfg->sigv4 = true;
        if (!strchr(v, ':'))
            return cli_usage_error("mock", "%s wants ACCESS_KEY:SECRET[:TOKEN]", what);
        if (s->nkeys < CBK_ARRAY_SIZE(s->keys))
            s->keys[s->nkeys++] = v;
        break;
    default:
        return CLI_INTERNAL;
    }
    if (want) {
        char *pv = cli_printable(v);
        cli_usage_error("mock", "%s wants %s, not '%s'", what, want, pv);
        free(pv);
        return CLI_USAGE;
    }
    struct cli_strlist *l = &s->seen[id].values;
    if (l->n && !(opts[id].flags & F_LIST))
        l->v[0] = v ? v : "on"; /* a repeated flag: the last one wins */
    else
        cli_strlist_push(l, v ? v : "on");
    return CLI_OK;
}

/* A switch's variable: 1, true, yes, on / 0, false, no, off (any case). -1 otherwise. */
static int parse_bool(const char *v)
{
    static const char *const yes[] = {"1", "true", "yes", "on"};
    static const char *const no[] = {"0", "false", "no", "off"};
    for (size_t i = 0; i < CBK_ARRAY_SIZE(yes); i++) {
        if (strcasecmp(v, yes[i]) == 0)
            return 1;
        if (strcasecmp(v, no[i]) == 0)
            return 0;
    }
    return -1;
}

/* Apply variable 'var' (set, not empty) of option 'id'. CLI_OK or CLI_USAGE after a message. */
static int apply_env(struct cli_mock_settings *s, int id, const char *var, const char *value)
{
    s->seen[id].src = CLI_SRC_ENV;
    if (id == O_ADMIN_REMOTE && strcasecmp(value, "auto") == 0) {
        /* containers: remote admin exactly when a token protects it (check()) */
        s->admin_remote_auto = true;
        cli_strlist_push(&s->seen[id].values, "auto");
        return CLI_OK;
    }
    if (!opts[id].arg) {
        int b = parse_bool(value);
        if (b < 0) {
            char *pv = cli_printable(value);
            cli_usage_error("mock", "%s wants 1, true, yes, on, 0, false, no or off%s, not '%s'",
                            var, id == O_ADMIN_REMOTE ? " (or auto)" : "", pv);
            free(pv);
            return CLI_USAGE;
        }
        if (!b) {
            cli_strlist_push(&s->seen[id].values, "off");
            return CLI_OK;
        }
        return set_opt(s, id, NULL, var);
    }
    if (!(opts[id].flags & F_LIST))
        return set_opt(s, id, value, var);
    /* several values: a copy cut at each ',', items trimmed of spaces, none empty */
    char *copy = cbk_xstrdup(value);
    CBK_GROW(s->owned, s->nowned + 1, s->owned_alloc);
    s->owned[s->nowned++] = copy;
    size_t item = 0;
    for (char *p = copy;; item++) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        char *end = p + strlen(p);
        while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n'))
            *--end = '\0';
        if (!*p)
            return cli_usage_error("mock",
                                   "%s: item %zu is empty (items are separated by ',': "
                                   "%s=a.yaml,b.yaml)",
                                   var, item + 1, var);
        int rc = set_opt(s, id, p, var);
        if (rc != CLI_OK)
            return rc;
        if (!comma)
            break;
        p = comma + 1;
    }
    return CLI_OK;
}

/* The checks between options, after flags and variables are in. CLI_OK or CLI_USAGE. */
static int check(struct cli_mock_settings *s)
{
    struct cbk_mock_config *cfg = &s->cfg;
    struct cli_mock_extra *x = &s->extra;
    if (s->admin_remote_auto)
        cfg->admin_remote = cfg->admin_token != NULL;
    if (cfg->admin_remote && !cfg->admin_token)
        return cli_usage_error("mock",
                               "%s needs a token: set CBKIT_ADMIN_TOKEN in the environment (or "
                               "give --admin-token)",
                               s->seen[O_ADMIN_REMOTE].src == CLI_SRC_ENV ? "CBKIT_ADMIN_REMOTE"
                                                                          : "--admin-remote");
    if (x->record_missing && (!x->cassette || !x->upstream))
        return cli_usage_error("mock", "--record-missing needs --cassette FILE and --upstream URL");
    if ((x->replay_latency || x->replay_once || x->nignore) && !x->cassette)
        return cli_usage_error("mock", "--replay-latency, --replay-once and --ignore go with "
                                       "--cassette");
    if (cfg->sigv4 && !s->nkeys) {
        struct cli_aws_env env;
        if (!cli_aws_env(NULL, &env))
            return cli_usage_error(
                "mock", "--sigv4 needs --sigv4-key ACCESS_KEY:SECRET or "
                        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment");
        snprintf(s->env_key, sizeof s->env_key, "%s:%s%s%s", env.access_key, env.secret_key,
                 env.session_token ? ":" : "", env.session_token ? env.session_token : "");
        s->keys[s->nkeys++] = s->env_key;
    }
    cfg->sigv4_keys = s->keys;
    cfg->nsigv4_keys = s->nkeys;
    if (s->clock && strcmp(s->clock, "now") != 0) {
        cfg->virtual_clock = true; /* clock_start_ms set when the value was parsed */
    } else if (!s->clock && cfg->has_seed) {
        cfg->virtual_clock = true;
        cfg->clock_start_ms = CLI_MOCK_SEED_CLOCK_MS;
    } else {
        cfg->clock_start_ms = 0;
    }
    return CLI_OK;
}

void cli_mock_settings_init(struct cli_mock_settings *s)
{
    memset(s, 0, sizeof(*s));
    struct cbk_mock_config init = CBK_MOCK_CONFIG_INIT;
    s->cfg = init;
    s->cfg.port = CLI_MOCK_DEFAULT_PORT;
    cli_mock_extra_init(&s->extra);
}

void cli_mock_settings_release(struct cli_mock_settings *s)
{
    free(s->spec_paths.v);
    cli_mock_extra_release(&s->extra);
    for (size_t i = 0; i < CLI_MOCK_NOPTS; i++)
        free(s->seen[i].values.v);
    for (size_t i = 0; i < s->nowned; i++)
        free(s->owned[i]);
    free(s->owned);
    memset(s, 0, sizeof(*s));
}

int cli_mock_settings_parse(struct cli_mock_settings *s, int argc, char **argv)
{
    struct option longopts[O_COUNT + 3];
    for (int i = 0; i < O_COUNT; i++)
        longopts[i] = (struct option){opts[i].name, opts[i].arg ? required_argument : no_argument,
                                      NULL, 256 + i};
    longopts[O_COUNT] = (struct option){"print-config", no_argument, NULL, 256 + O_PRINT_CONFIG};
    longopts[O_COUNT + 1] = (struct option){"help", no_argument, NULL, 'h'};
    longopts[O_COUNT + 2] = (struct option){NULL, 0, NULL, 0};
    char what[64];
    int c;
    while ((c = getopt_long(argc, argv, "hp:", longopts, NULL)) != -1) {
        if (c == 'h')
            return CLI_MOCK_HELP;
        if (c == 'p')
            c = 256 + O_PORT;
        if (c == 256 + O_PRINT_CONFIG) {
            s->print_config = true;
            continue;
        }
        if (c < 256 || c >= 256 + O_COUNT)
            return cli_usage_error("mock", "unknown or incomplete option '%s'", argv[optind - 1]);
        int id = c - 256;
        snprintf(what, sizeof what, "--%s", opts[id].name);
        int rc = set_opt(s, id, opts[id].arg ? optarg : NULL, what);
        if (rc != CLI_OK)
            return rc;
        s->seen[id].src = CLI_SRC_FLAG;
    }
    if (optind < argc)
        return cli_usage_error("mock", "unexpected argument '%s'", argv[optind]);
    /* the variables of the options no flag set (an empty variable counts as unset) */
    for (int id = 0; id < O_COUNT; id++) {
        if (s->seen[id].src == CLI_SRC_FLAG)
            continue;
        char var[64];
        env_name(id, var, sizeof var);
        const char *value = getenv(var);
        if (!value || !*value)
            continue;
        int rc = apply_env(s, id, var, value);
        if (rc != CLI_OK)
            return rc;
    }
    return check(s);
}

/* What --print-config shows for option 'id' into b (its values joined by ','). */
static void show_value(const struct cli_mock_settings *s, int id, struct cbk_buf *b)
{
    const struct cli_strlist *l = &s->seen[id].values;
    if (s->seen[id].src == CLI_SRC_DEFAULT) {
        if (id == O_CLOCK && s->cfg.has_seed)
            cbk_buf_adds(b, "2025-01-01T00:00:00Z (virtual, seed)");
        else if (id == O_SIGV4_KEY && s->cfg.sigv4)
            cbk_buf_adds(b, "from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
        else
            cbk_buf_adds(b, opts[id].deflt);
        return;
    }
    if (id == O_ADMIN_REMOTE && s->admin_remote_auto) {
        cbk_buf_adds(b, s->cfg.admin_remote ? "auto (on: a token is set)" : "auto (off: no token)");
        return;
    }
    if (opts[id].flags & F_SECRET) {
        cbk_buf_addf(b, "(hidden: %zu value%s)", l->n, l->n == 1 ? "" : "s");
        return;
    }
    for (size_t i = 0; i < l->n; i++) {
        if (i)
            cbk_buf_adds(b, ",");
        cbk_buf_add_printable(b, l->v[i], strlen(l->v[i]));
    }
}

void cli_mock_settings_print(const struct cli_mock_settings *s, FILE *f)
{
    fprintf(f, "%-18s %-30s %s\n", "# option", "value", "source");
    for (int id = 0; id < O_COUNT; id++) {
        struct cbk_buf b = CBK_BUF_INIT(1 << 20);
        show_value(s, id, &b);
        char src[80];
        switch (s->seen[id].src) {
        case CLI_SRC_FLAG:
            snprintf(src, sizeof src, "flag --%s", opts[id].name);
            break;
        case CLI_SRC_ENV:
            memcpy(src, "env ", 4);
            env_name(id, src + 4, sizeof src - 4);
            break;
        default:
            snprintf(src, sizeof src, "default");
        }
        fprintf(f, "%-18s %-30s %s\n", opts[id].name, cbk_buf_str(&b), src);
        cbk_buf_release(&b);
    }
}

int cli_mock_env_url(char *buf, size_t n)
{
    unsigned port = CLI_MOCK_DEFAULT_PORT;
    const char *p = getenv("CBKIT_PORT");
    if (p && *p) {
        if (cli_parse_port("health", p, "CBKIT_PORT", &port) != CLI_OK)
            return CLI_USAGE;
        if (port == 0)
            return cli_usage_error("health",
                                   "CBKIT_PORT is 0 (a port the kernel picks): give --url");
    }
    const char *h = getenv("CBKIT_HOST");
    if (!h || !*h || strcmp(h, "0.0.0.0") == 0)
        h = "127.0.0.1";
    else if (strcmp(h, "::") == 0 || strcmp(h, "[::]") == 0)
        h = "::1";
    bool v6 = strchr(h, ':') && h[0] != '[';
    if ((size_t)snprintf(buf, n, v6 ? "http://[%s]:%u" : "http://%s:%u", h, port) >= n)
        return cli_usage_error("health", "CBKIT_HOST is too long");
    return CLI_OK;
}
