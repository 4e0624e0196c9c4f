/*
 * build_log.h - the CloudWatch Logs stream of a CodeBuild build, as a pure function of its plan,
 * its times and the clock (like lifecycle.h): the lines CodeBuild's agent writes ("[Container]
 * 2026/01/01 10:00:03.000000 Entering phase BUILD", "Phase complete: BUILD State: FAILED",
 * "Phase context status code: COMMAND_EXECUTION_ERROR Message: ..."), the commands each phase
 * runs and the output lines a scenario gives the BUILD phase. Only events whose time has come
 * are written, so a tailing client sees the log grow as the clock moves.
 */
#ifndef CBK_CB_BUILD_LOG_H
#define CBK_CB_BUILD_LOG_H

#include "core/setup.h"
#include "cbkit/service.h"
#include "services/codebuild/lifecycle.h"

/* What a build's log shows besides its phases. Everything is borrowed. */
struct cb_log_input {
    const char *stream; /* the stream's name (the build id's uuid) */
    const char *output; /* lines the BUILD phase prints (a scenario's), separated by '\n'; at
                           least one line unless NULL */
    size_t output_len;
    uint64_t src_id; /* the number in /codebuild/output/srcN/src */
};

/* The group a project's builds write to: "/aws/codebuild/PROJECT" into out (size >= 16). */
void cb_log_group(const char *project, char *out, size_t size);

/*
 * Write the events of the build's stream that exist at 'now_ms' (a build started at
 * 'start_ms', stopped at 'stop_ms' or -1) to 'sink', in time order. Returns false if the sink
 * asked to stop. Never fails.
 *
 * The log at a later clock time extends the log at an earlier one: events are only ever added
 * at its end, so a reader's place in the stream (GetLogEvents' tokens) stays valid. The output
 * lines are spread over the BUILD phase as planned (plan->dur_ms); a phase cut short (StopBuild)
 * drops the lines that would have come after its end.
 */
bool cb_log_write(const struct cb_plan *p, int64_t start_ms, int64_t stop_ms, int64_t now_ms,
                  const struct cb_log_input *in, const struct cbk_svc_log_sink *sink);

#endif
