/*
 * cbkit/error.h - result codes and located diagnostics.
 *
 * A function's return value says whether the call worked (enum cbk_code). What is wrong with
 * an input file (a spec, a scenario, a cassette) is described by diagnostics appended to a
 * caller-owned struct cbk_diags, each with the file, line and column it concerns.
 */
#ifndef CBKIT_ERROR_H
#define CBKIT_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * One list generates the enum, cbk_code_name() and cbk_strerror(). Append only; never
 * renumber or remove an entry (values are part of the API).
 */
#define CBK_CODES(X)                                                                               \
    X(OK, "success")                                                                               \
    X(E_USAGE, "invalid argument")                                                                 \
    X(E_IO, "i/o error")                                                                           \
    X(E_SPEC_PARSE, "spec is not valid yaml")                                                      \
    X(E_SPEC, "spec does not follow the spec format")                                              \
    X(E_INVALID, "document violates the contract")                                                 \
    X(E_NOT_FOUND, "not found")                                                                    \
    X(E_LIMIT, "input exceeds a configured limit")                                                 \
    X(E_HTTP, "http server error")                                                                 \
    X(E_UPSTREAM, "upstream request failed")                                                       \
    X(E_SCENARIO, "scenario is not valid")                                                         \
    X(E_CASSETTE, "cassette is not valid")                                                         \
    X(E_INTERNAL, "internal error")

enum cbk_code {
#define CBK_X_(name, msg) CBK_##name,
    CBK_CODES(CBK_X_)
#undef CBK_X_
        CBK_CODE_COUNT_
};

/* "E_IO" for CBK_E_IO; "unknown" for values outside the enum. Static storage. */
const char *cbk_code_name(enum cbk_code code);
/* "i/o error" for CBK_E_IO; "unknown error" outside the enum. Static storage. */
const char *cbk_strerror(enum cbk_code code);

enum cbk_severity { CBK_SEV_ERROR = 0, CBK_SEV_WARNING = 1 };

/*
 * One located problem in an input file. Every string is owned by the struct cbk_diags that
 * holds the diagnostic and lives until cbk_diags_release().
 */
struct cbk_diag {
    enum cbk_code code;         /* CBK_E_SPEC, CBK_E_SPEC_PARSE, CBK_E_IO, ...             */
    enum cbk_severity severity; /* errors make the load fail; warnings do not            */
    char *file;                 /* the file as named by the caller; "" when unknown        */
    int line, column;           /* 1-based; 0 when the problem has no location           */
    char *path;                 /* where in the document: "shapes.Build.members.x"; or "" */
    char *message;              /* lowercase, no trailing period, subject in quotes       */
};

/* A growable list of diagnostics. Initialise with CBK_DIAGS_INIT or cbk_diags_init(). */
struct cbk_diags {
    struct cbk_diag *v;
    size_t nr, alloc;
    size_t max; /* stop recording after this many (0 = no limit); 'dropped' counts the rest */
    size_t dropped;
    size_t errors; /* how many of v[] (plus dropped) are CBK_SEV_ERROR */
};
#define CBK_DIAGS_INIT                                                                             \
    {                                                                                              \
        NULL, 0, 0, 0, 0, 0                                                                        \
    }

/* Set up an empty list that keeps at most 'max' diagnostics (0: no limit). Allocates nothing. */
void cbk_diags_init(struct cbk_diags *d, size_t max);
/* Free every diagnostic and the array; 'd' is left empty and reusable. Accepts NULL. */
void cbk_diags_release(struct cbk_diags *d);
/*
 * Append a diagnostic. 'file' and 'path' may be NULL (stored as ""). Returns -1 for errors
 * and 0 for warnings so that loaders can write `return cbk_diags_addf(...)`. Never fails
 * (out of memory aborts).
 */
int cbk_diags_addf(struct cbk_diags *d, enum cbk_code code, enum cbk_severity sev, const char *file,
                   int line, int column, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));
/* Number of error-severity diagnostics recorded (including dropped ones). */
size_t cbk_diags_error_count(const struct cbk_diags *d);

#ifdef __cplusplus
}
#endif
#endif
