/*
 * lifecycle.h - the life of a CodeBuild build as a pure function of its plan and the clock.
 * A build's plan (how long each phase lasts, how and where it ends) is fixed when the build
 * starts; what BatchGetBuilds shows at any moment (phases with their times and statuses, the
 * current phase, the status, whether it is complete) is computed from the plan, the start time,
 * the stop time if it was stopped, and the mock clock. Nothing runs per build: a build that no
 * client reads costs nothing, and moving the clock moves every build at once.
 *
 * Phase order and transitions follow CodeBuild ("Build phase transitions" in the CodeBuild user
 * guide): a build that fails in PROVISIONING, DOWNLOAD_SOURCE, INSTALL or PRE_BUILD goes on to
 * FINALIZING; one that fails in BUILD still runs POST_BUILD and UPLOAD_ARTIFACTS (UPLOAD_ARTIFACTS
 * is always attempted after BUILD); one that fails in POST_BUILD still runs UPLOAD_ARTIFACTS; a
 * build that times out while queued ends at once; a stopped build marks the phase it was in
 * STOPPED, then runs FINALIZING. Then COMPLETED, which has a start time only.
 */
#ifndef CBK_CB_LIFECYCLE_H
#define CBK_CB_LIFECYCLE_H

#include "core/setup.h"
#include "core/jsonw.h"

/* The phases (PhaseType, in the order a build walks them) and the statuses (StatusType, in the
 * model's order), each listed once: the enums and the name tables are made from these lists. */
#define CB_PHASE_LIST(X)                                                                           \
    X(SUBMITTED)                                                                                   \
    X(QUEUED)                                                                                      \
    X(PROVISIONING)                                                                                \
    X(DOWNLOAD_SOURCE)                                                                             \
    X(INSTALL)                                                                                     \
    X(PRE_BUILD)                                                                                   \
    X(BUILD)                                                                                       \
    X(POST_BUILD)                                                                                  \
    X(UPLOAD_ARTIFACTS)                                                                            \
    X(FINALIZING)                                                                                  \
    X(COMPLETED)
#define CB_STATUS_LIST(X)                                                                          \
    X(SUCCEEDED)                                                                                   \
    X(FAILED)                                                                                      \
    X(FAULT)                                                                                       \
    X(TIMED_OUT)                                                                                   \
    X(IN_PROGRESS)                                                                                 \
    X(STOPPED)

#define CB__PH_ENUM(name) CB_PH_##name,
#define CB__ST_ENUM(name) CB_ST_##name,
enum cb_phase { CB_PHASE_LIST(CB__PH_ENUM) CB_PH_COUNT };
enum cb_status { CB_STATUS_LIST(CB__ST_ENUM) CB_ST_COUNT };
#undef CB__PH_ENUM
#undef CB__ST_ENUM

extern const char *const cb_phase_names[CB_PH_COUNT];
extern const char *const cb_status_names[CB_ST_COUNT];

/* Phase 'ph' (status 'st') as a JSON string value: the names need no escaping, and their
 * lengths are known, so the renderers write them with one copy. */
void cb_jsonw_phase(struct cbk_jsonw *w, int ph);
void cb_jsonw_status(struct cbk_jsonw *w, int st);

/* The phase named 'name' (exact, upper case), or -1. */
int cb_phase_from_name(const char *name);
/* The status named 'name', or -1. */
int cb_status_from_name(const char *name);

/*
 * How a build will go if nothing stops it. Strings are borrowed: they must outlive every use of
 * the plan (the service keeps them in its own storage).
 */
struct cb_plan {
    int64_t dur_ms[CB_PH_COUNT]; /* how long each phase lasts when it runs (COMPLETED: 0) */
    uint8_t outcome;             /* CB_ST_SUCCEEDED, _FAILED, _FAULT or _TIMED_OUT */
    uint8_t end_phase;           /* the phase that ends with 'outcome'; CB_PH_COMPLETED when
                                    the outcome is SUCCEEDED */
    const char *ctx_code;        /* that phase's context (NULL: the default for the outcome) */
    const char *ctx_message;
};

/* One phase as a client sees it. */
struct cb_phase_view {
    uint8_t type;   /* enum cb_phase */
    uint8_t status; /* enum cb_status of an ended phase */
    bool ended;     /* false for the current phase and for COMPLETED */
    bool has_ctx;   /* the phase carries 'contexts' (the failed, timed-out or stopped one) */
    int64_t start_ms, end_ms;
};

/* A build at one moment. */
struct cb_view {
    struct cb_phase_view ph[CB_PH_COUNT];
    size_t n;                           /* phases begun so far, in order */
    uint8_t current;                    /* currentPhase */
    uint8_t status;                     /* buildStatus */
    bool complete;                      /* buildComplete */
    int64_t end_ms;                     /* endTime, when complete */
    const char *ctx_code, *ctx_message; /* contexts of the phase with has_ctx */
};

/*
 * Typical phase durations drawn from 'seed' (the same seed, the same durations), then scaled so
 * that the whole build lasts 'total_ms' (0: keep the typical lengths, a few minutes). The
 * outcome is set to SUCCEEDED.
 */
void cb_plan_init(struct cb_plan *p, uint64_t seed, int64_t total_ms);
/*
 * Make the build end with 'outcome' (SUCCEEDED, FAILED, FAULT or TIMED_OUT) in 'phase'
 * (ignored for SUCCEEDED; -1: the outcome's usual phase, BUILD). A phase the outcome cannot
 * happen in (SUBMITTED, FINALIZING, COMPLETED; QUEUED other than for TIMED_OUT) is moved to the
 * nearest one that can. Context strings are borrowed (NULL: CodeBuild's usual ones).
 */
void cb_plan_set_outcome(struct cb_plan *p, int outcome, int phase, const char *ctx_code,
                         const char *ctx_message);
/*
 * Apply the build's timeouts in minutes (0: none): a build queued longer than
 * 'queued_timeout_min' times out in QUEUED; one whose phases from PROVISIONING on last longer
 * than 'timeout_min' times out in the phase it is in then. A plan that already fails earlier
 * is left alone.
 */
void cb_plan_apply_timeouts(struct cb_plan *p, int64_t timeout_min, int64_t queued_timeout_min);

/*
 * The build at 'now_ms': started at 'start_ms', stopped at 'stop_ms' (-1: never). A stop after
 * the build reached FINALIZING changes nothing. Never fails.
 */
void cb_view_at(const struct cb_plan *p, int64_t start_ms, int64_t stop_ms, int64_t now_ms,
                struct cb_view *out);
/*
 * Change the outcome of a build running at 'now_ms' without rewriting its past: phases that have
 * begun keep their times; if 'phase' has already ended, the build ends with 'outcome' in the
 * phase it is in now. Returns false (plan unchanged) when the build is complete or stopped.
 */
bool cb_plan_change_outcome(struct cb_plan *p, int64_t start_ms, int64_t stop_ms, int64_t now_ms,
                            int outcome, int phase, const char *ctx_code, const char *ctx_message);

/* When the build completes if nothing stops it (start_ms + every phase it runs). */
int64_t cb_plan_end_ms(const struct cb_plan *p, int64_t start_ms);

/* Write "phases":[...] of a view (the key included). */
void cb_view_write_phases(const struct cb_view *v, struct cbk_jsonw *w);

/* The default context of an outcome ended in 'phase': status code and message. */
void cb_default_context(int outcome, int phase, const char **code, const char **message);

#endif
