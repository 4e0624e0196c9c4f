/*
 * cli.h - the cbkit command: subcommands, exit codes and the helpers that own all user-facing
 * text. Recipe for a new subcommand: write cli/cmd_foo.c with cmd_foo(), declare it here, add
 * a row to commands[] in main.c, write docs/cmd/foo.md, add tests/cli cases (including -h).
 */
#ifndef CBK_CLI_H
#define CBK_CLI_H

#include "core/setup.h"
#include "cbkit/cbkit.h"

/* Exit codes: a stable contract, documented in docs/exit-codes.md. Never renumber. */
enum cli_exit {
    CLI_OK = 0,         /* success / valid */
    CLI_VIOLATIONS = 1, /* contract violations found (or a replay mismatch) */
    CLI_USAGE = 2,      /* bad command line */
    CLI_SPEC = 3,       /* a spec, scenario or cassette could not be loaded */
    CLI_IO = 4,         /* i/o or network error, including a failed write to stdout */
    CLI_INTERNAL = 5,   /* a bug */
    CLI_UNHEALTHY = 6,  /* `health`: an answer, but not a healthy cbkit mock's */
};

/* Global flags set by main.c. */
extern int cli_quiet; /* -q: no warnings */

/* Subcommands; each gets argv[0] = its own name. */
int cmd_health(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_mock(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_scenario(int argc, char **argv);
int cmd_spec(int argc, char **argv);
/* `cbkit spec import` and `cbkit spec diff` (cmd_spec_import.c, cmd_spec_diff.c), dispatched by
 * cmd_spec() with argv[0] = "import" / "diff". */
int cmd_spec_import(int argc, char **argv);
int cmd_spec_diff(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_version(int argc, char **argv);

/* The table main.c dispatches on (for `cbkit help`). */
struct cli_cmd {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};
const struct cli_cmd *cli_commands(size_t *n);

/* Messages on stderr: "cbkit: error: ...", "cbkit: warning: ..." (silenced by -q). */
void cli_error(const char *fmt, ...) CBK_PRINTF(1, 2);
void cli_warn(const char *fmt, ...) CBK_PRINTF(1, 2);
/*
 * 's' made safe to print: text a client or a server sent (request paths and targets, header
 * values, member names) can neither start a line of its own (a forged log line) nor send
 * terminal escapes. Control characters become "\r", "\n", "\t" or "\xHH"
 * (cbk_buf_add_printable()). Returns a malloc'd string the caller frees (never NULL).
 */
char *cli_printable(const char *s);

/* "cbkit: error: MSG" then "see 'cbkit CMD -h'"; returns CLI_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) CBK_PRINTF(2, 3);

/*
 * Print diagnostics compiler-style on stderr: "file:line:col: error: path: message", then
 * the source line and a caret. 'text' is the source of diagnostics naming 'text_name' (may
 * be NULL: the file is read again to show lines).
 */
void cli_print_diags(const struct cbk_diags *d, const char *text, size_t text_len,
                     const char *text_name);

/*
 * Load the spec at 'path', or the bundled one when path is NULL. On failure prints the
 * located errors and returns CLI_SPEC (CLI_IO when the file cannot be read); warnings are
 * printed unless 'quiet_warnings'.
 */
int cli_load_spec(const char *path, struct cbk_spec **out, bool quiet_warnings);

/*
 * Read a whole file ("-" = stdin) into a malloc'd buffer (caller frees; NUL-terminated).
 * Reads at most 'max' + 1 bytes, so callers can tell an over-limit input. Returns 0, or -1
 * with a message "cannot open 'x': reason" in *err (caller frees).
 */
int cli_read_file(const char *path, size_t max, char **buf, size_t *len, char **err);

/* Parse a non-negative decimal size with optional k/M/G suffix; -1 when malformed. */
int cli_parse_size(const char *s, size_t *out);
/* Parse a decimal integer within [min, max]; -1 when malformed or out of range. */
int cli_parse_long(const char *s, long min, long max, long *out);
/* A duration "500ms", "90s", "3m", "2h" or a plain number of seconds, into milliseconds within
 * 1 ms .. 'max_ms'. Returns 0, or -1 (out unchanged) for anything else. */
int cli_parse_duration_ms(const char *s, int64_t max_ms, int64_t *out);

/* Write all of stdout's pending data; returns CLI_IO (after a message) if it failed. */
int cli_flush_stdout(void);

/* A growable list of borrowed strings (repeatable options); the caller frees l->v. Out of
 * memory aborts. */
struct cli_strlist {
    const char **v;
    size_t n, alloc;
};
void cli_strlist_push(struct cli_strlist *l, const char *s);

/*
 * Load the specs of repeated --spec options ('bundled' names the bundled CodeBuild spec; none
 * given: the bundled one), warnings not printed, errors printed. On success returns CLI_OK and
 * sets *out (free with cli_free_specs()) and *n >= 1; else CLI_SPEC or CLI_IO and *out NULL.
 */
int cli_load_specs(const struct cli_strlist *paths, struct cbk_spec ***out, size_t *n);
void cli_free_specs(struct cbk_spec **specs, size_t n);

/*
 * The AWS credentials and region of the environment, as the SDKs read them: access key and
 * secret (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), session token (AWS_SESSION_TOKEN, NULL
 * when unset or empty), region 'region_opt' when given, else AWS_REGION, else
 * AWS_DEFAULT_REGION (NULL when none). Strings are borrowed from the environment or the
 * caller. Returns false when the access key or the secret is missing or empty.
 */
struct cli_aws_env {
    const char *access_key, *secret_key, *session_token, *region;
};
bool cli_aws_env(const char *region_opt, struct cli_aws_env *out);

/* Write file 'path' with fn(ctx, f) (reports, drift reports). CLI_OK, or CLI_IO after an error
 * naming the file and the reason (opening, writing or closing). */
int cli_write_file(const char *path, enum cbk_code (*fn)(void *ctx, FILE *f), void *ctx);

#endif
