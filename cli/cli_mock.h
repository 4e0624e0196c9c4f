/*
 * cli_mock.h - pieces `cbkit mock` shares with the other serving commands (record): time
 * parsing, signal handling, report files, and the scenario/cassette options applied to a mock.
 */
#ifndef CBK_CLI_MOCK_H
#define CBK_CLI_MOCK_H

#include "core/setup.h"
#include "cbkit/mock.h"

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

int cli_parse_time(const char *s, int64_t *out);
void cli_raise_nofile(void);
void cli_block_stop_signals(sigset_t *set);
/* Print the first stdout line, "listening on http://HOST:PORT" (an IPv6 host in brackets; NULL
 * host = 127.0.0.1), then wait for a signal of 'stop' (cli_block_stop_signals); returns it. */
int cli_listen_until_stopped(const char *host, unsigned port, const sigset_t *stop);

#endif
