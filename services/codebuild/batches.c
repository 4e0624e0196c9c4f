/*
 * batches.c - build batches (see world.h): StartBuildBatch makes a batch of a project with the
 * request's overrides applied to the project's members (the same rules as StartBuild's,
 * builds.c), and how a batch renders.
 */
#include "core/setup.h"
#include "services/codebuild/world.h"
#include "core/alloc.h"

enum {
    BP_SUBMITTED,
    BP_DOWNLOAD_BATCHSPEC,
    BP_IN_PROGRESS,
    BP_COMBINE_ARTIFACTS,
    BP_SUCCEEDED,
    BP_FAILED,
    BP_STOPPED
};
static const char *const batch_phase_names[] = {
    "SUBMITTED", "DOWNLOAD_BATCHSPEC", "IN_PROGRESS", "COMBINE_ARTIFACTS", "SUCCEEDED", "FAILED",
    "STOPPED"};

static void write_phase(struct cbk_jsonw *w, const char *type, const char *status, int64_t start,
                        int64_t end, bool ended)
{
    cbk_jsonw_obj(w);
    cbk_jsonw_kstr(w, "phaseType", type);
    if (status)
        cbk_jsonw_kstr(w, "phaseStatus", status);
    cbk_jsonw_kepoch_ms(w, "startTime", start);
    if (ended) {
        cbk_jsonw_kepoch_ms(w, "endTime", end);
        cbk_jsonw_kint(w, "durationInSeconds", (end - start) / 1000);
    }
    cbk_jsonw_end_obj(w);
}

void cb_render_batch(struct cbk_cb *cb, const struct item *it, int64_t now, struct cbk_jsonw *w)
{
    CBK_UNUSED(now);
    char buf[1024];
    cbk_jsonw_obj(w);
    cbk_jsonw_kstr(w, "id", it->id);
    snprintf(buf, sizeof buf, "arn:aws:codebuild:%s:%s:build-batch/%s", cb->region, cb->account,
             it->id);
    cbk_jsonw_kstr(w, "arn", buf);
    cbk_jsonw_kepoch_ms(w, "startTime", it->start_ms);
    bool complete = it->bstatus != CB_ST_IN_PROGRESS;
    if (complete)
        cbk_jsonw_kepoch_ms(w, "endTime", it->end_ms);
    cbk_jsonw_kstr(w, "currentPhase", batch_phase_names[it->bphase]);
    cbk_jsonw_kstr(w, "buildBatchStatus", cb_status_names[it->bstatus]);
    if (it->source_version)
        cbk_jsonw_kstr(w, "sourceVersion", it->source_version);
    cbk_jsonw_key(w, "projectName");
    cbk_jsonw_strn(w, it->id, it->plen);
    cbk_jsonw_key(w, "phases");
    cbk_jsonw_arr(w);
    write_phase(w, "SUBMITTED", "SUCCEEDED", it->start_ms, it->start_ms, true);
    if (!complete) {
        write_phase(w, batch_phase_names[it->bphase], NULL, it->start_ms, 0, false);
    } else {
        write_phase(w, "DOWNLOAD_BATCHSPEC", it->bstatus == CB_ST_STOPPED ? "STOPPED" : "SUCCEEDED",
                    it->start_ms, it->end_ms, true);
        write_phase(w, batch_phase_names[it->bphase], NULL, it->end_ms, 0, false);
    }
    cbk_jsonw_end_arr(w);
    cb_write_config(w, it);
    cbk_jsonw_kbool(w, "complete", complete);
    cbk_jsonw_kstr(w, "initiator", it->initiator ? it->initiator : "cbkit-mock");
    cbk_jsonw_kint(w, "buildBatchNumber", it->number);
    cbk_jsonw_key(w, "buildGroups");
    cbk_jsonw_arr(w);
    cbk_jsonw_end_arr(w);
    cbk_jsonw_end_obj(w);
}

static void render_batch_output(struct cbk_cb *cb, const struct item *it, int64_t now,
                                struct cbk_buf *out)
{
    struct cbk_jsonw w;
    cbk_jsonw_init(&w, out);
    cbk_jsonw_obj(&w);
    cbk_jsonw_key(&w, "buildBatch");
    cb_render_batch(cb, it, now, &w);
    cbk_jsonw_end_obj(&w);
}

void cb_start_build_batch(struct cbk_cb *cb, struct cbk_cb_call *c, struct cbk_cb_result *res)
{
    struct json_object *rq = cb_doc(c);
    const char *name = cb_get_str(rq, "projectName");
    if (!name || !*name) {
        cb_error(res, "InvalidInputException", "Project name is required");
        return;
    }
    if (strlen(name) > 255) {
        cb_error(res, "InvalidInputException", "Invalid project name");
        return;
    }
    const char *token = cb_get_str(rq, "idempotencyToken");
    struct cbk_buf params = CBK_BUF_INIT(1 << 22), key = CBK_BUF_INIT(1 << 20);
    if (token) {
        cb_token_key("StartBuildBatch", token, rq, &key, &params);
        if (cb_idempotent_answer(cb, c, token, &key, &params, res, render_batch_output))
            goto out;
    }
    struct project *p = cb_project_for_run(cb, c, name, res);
    if (!p)
        goto out;
    int64_t timeout, queued;
    struct item *it = cb_item_new(cb, true, name, c->rng, c->now_ms);
    cb_run_config(cb, name, p, rq, true, it, &timeout, &queued);
    it->number = ++p->batches;
    it->bstatus = CB_ST_IN_PROGRESS;
    it->bphase = BP_DOWNLOAD_BATCHSPEC;
    const char *sv = cb_get_str(rq, "sourceVersion");
    if (sv && *sv)
        it->source_version = cbk_xstrdup(sv);
    cb_item_store(cb, it);
    if (token)
        cb_token_put(cb, &key, &params, it->id, c->now_ms);
    render_batch_output(cb, it, c->now_ms, c->out);
    res->status = 200;
out:
    cbk_buf_release(&params);
    cbk_buf_release(&key);
}
