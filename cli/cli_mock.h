/*
 * cli_mock.h - pieces `cbkit mock` shares with the other serving commands (record): time
 * parsing, signal handling, report files, and the scenario/cassette options applied to a mock.
 */
#ifndef CBK_CLI_MOCK_H
#define CBK_CLI_MOCK_H

#include "core/setup.h"
#include "cbkit/mock.h"
#include "cli/cli.h"

#include <signal.h>

/* Scenario files and the like, collected while parsing options, applied after the mock exists. */
struct cli_mock_extra {
    const char **scenarios;
    size_t nscenarios, alloc;
    const char *cassette;
    bool replay_latency, replay_once, record_missing;
    const char *upstream, *region;
    const char **ignore;
    size_t nignore, ignore_alloc;
};

void cli_mock_extra_init(struct cli_mock_extra *x);
void cli_mock_extra_release(struct cli_mock_extra *x);
void cli_mock_extra_add_scenario(struct cli_mock_extra *x, const char *path);
void cli_mock_extra_add_ignore(struct cli_mock_extra *x, const char *pointer);
/* Load everything into 'm'; prints located errors and returns CLI_SPEC (or CLI_IO) on failure. */
int cli_mock_extra_apply(struct cli_mock_extra *x, struct cbk_mock *m, const struct cbk_spec *spec);

/* The port `cbkit mock` listens on without --port or CBKIT_PORT. */
#define CLI_MOCK_DEFAULT_PORT 7766
/* Where a seeded mock's virtual clock starts without --clock: 2025-01-01T00:00:00Z. */
#define CLI_MOCK_SEED_CLOCK_MS 1735689600000LL

/* Room for the options of `cbkit mock` in struct cli_mock_settings (cli_mock_config.c). */
#define CLI_MOCK_NOPTS 32

enum cli_src { CLI_SRC_DEFAULT, CLI_SRC_ENV, CLI_SRC_FLAG };

/*
 * Everything `cbkit mock` was told, by its flags and by its CBKIT_* variables
 * (cli_mock_config.c; docs/mock.md). Strings are borrowed from argv and the environment, or
 * owned by 'owned' (the pieces of a variable holding several values).
 */
struct cli_mock_settings {
    struct cbk_mock_config cfg; /* spec, more_specs and services left to the caller */
    struct cli_strlist spec_paths;
    const char *report, *junit, *clock;
    bool fail_on_violation, print_config;
    bool admin_remote_auto; /* CBKIT_ADMIN_REMOTE=auto: remote admin when a token is set */
    const char *keys[16];
    size_t nkeys;
    char env_key[1024];
    struct cli_mock_extra extra;
    struct { /* per option, for --print-config: where its value came from, and the value */
        enum cli_src src;
        struct cli_strlist values;
    } seen[CLI_MOCK_NOPTS];
    char **owned;
    size_t nowned, owned_alloc;
};

/* cli_mock_settings_parse() saw -h: the caller prints the usage. */
#define CLI_MOCK_HELP (-1)

void cli_mock_settings_init(struct cli_mock_settings *s);
/* Free what 's' owns (not the strings it borrows). */
void cli_mock_settings_release(struct cli_mock_settings *s);
/*
 * Parse the options of `cbkit mock` (argv[0] is "mock"), then the CBKIT_* variable of every
 * option no flag set, then check the options against each other. Returns CLI_OK,
 * CLI_MOCK_HELP, or CLI_USAGE after a message naming the flag or the variable.
 */
int cli_mock_settings_parse(struct cli_mock_settings *s, int argc, char **argv);
/* Print every option, its effective value (secrets hidden) and its source, one per line. */
void cli_mock_settings_print(const struct cli_mock_settings *s, FILE *f);

/* Parse a port 0..65535 given by 'what' (a flag or a variable); CLI_USAGE after a message
 * pointing at `cbkit CMD -h`. */
int cli_parse_port(const char *cmd, const char *v, const char *what, unsigned *out);
/*
 * The URL of the mock this environment configures: http://HOST:PORT with CBKIT_HOST (a
 * wildcard address or none: loopback) and CBKIT_PORT (default 7766), into buf[n]. CLI_OK, or
 * CLI_USAGE after a message naming the variable.
 */
int cli_mock_env_url(char *buf, size_t n);

int cli_parse_time(const char *s, int64_t *out);
void cli_raise_nofile(void);
void cli_block_stop_signals(sigset_t *set);
/* Print the first stdout line, "listening on http://HOST:PORT" (an IPv6 host in brackets; NULL
 * host = 127.0.0.1), then wait for a signal of 'stop' (cli_block_stop_signals); returns it. */
int cli_listen_until_stopped(const char *host, unsigned port, const sigset_t *stop);

#endif
