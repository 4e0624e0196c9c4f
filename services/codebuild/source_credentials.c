/*
 * source_credentials.c - Import/List/DeleteSourceCredentials (see world.h): one credential per
 * server type and account, named by the ARN arn:aws:codebuild:REGION:ACCOUNT:token/<type in
 * lower case>. The token itself is never kept: no answer, journal entry (the spec marks it
 * sensitive, the journal redacts it) or state dump can show it.
 */
#include "core/setup.h"
#include "services/codebuild/world.h"
#include "core/alloc.h"

#include <ctype.h>

void cb_credential_free(void *p)
{
    struct credential *cr = p;
    if (!cr)
        return;
    free(cr->server_type);
    free(cr->auth_type);
    free(cr->resource);
    free(cr);
}

static void credential_arn(struct cbk_cb *cb, const char *server_type, char *out, size_t n)
{
    int k = snprintf(out, n, "arn:aws:codebuild:%s:%s:token/", cb->region, cb->account);
    for (const char *s = server_type; k > 0 && (size_t)k + 1 < n && *s; s++)
        out[k++] = (char)tolower((unsigned char)*s);
    if (k > 0 && (size_t)k < n)
        out[k] = '\0';
}

static void answer_arn(struct cbk_cb_call *c, const char *arn)
{
    struct cbk_jsonw w;
    cbk_jsonw_init(&w, c->out);
    cbk_jsonw_obj(&w);
    cbk_jsonw_kstr(&w, "arn", arn);
    cbk_jsonw_end_obj(&w);
}

void cb_import_source_credentials(struct cbk_cb *cb, struct cbk_cb_call *c,
                                  struct cbk_cb_result *res)
{
    struct json_object *rq = cb_doc(c);
    const char *type = cb_get_str(rq, "serverType"), *auth = cb_get_str(rq, "authType");
    if (!type || !auth) {
        cb_error(res, "InvalidInputException", "serverType and authType are required");
        return;
    }
    struct json_object *ow = cb_get(rq, "shouldOverwrite");
    struct credential *cr = cbk_hmap_get(&cb->credentials, type, strlen(type));
    char arn[512];
    credential_arn(cb, type, arn, sizeof arn);
    if (cr && ow && !json_object_get_boolean(ow)) {
        cb_error(res, "ResourceAlreadyExistsException",
                 "Source credentials already exist for %.40s: %.300s", type, arn);
        return;
    }
    if (!cr) {
        if (cb->credentials.n >= CB_MAX_CREDENTIALS) {
            cb_error(res, "AccountLimitExceededException", "Too many source credentials");
            return;
        }
        cr = cbk_xcalloc(1, sizeof(*cr));
        cr->server_type = cbk_xstrdup(type);
        cbk_hmap_put(&cb->credentials, type, strlen(type), cr);
    }
    free(cr->auth_type);
    cr->auth_type = cbk_xstrdup(auth);
    free(cr->resource);
    /* what the credential is for: a Secrets Manager or CodeConnections token names its ARN;
     * other kinds name none */
    const char *token = cb_get_str(rq, "token");
    cr->resource =
        token && (strcmp(auth, "SECRETS_MANAGER") == 0 || strcmp(auth, "CODECONNECTIONS") == 0) &&
                strncmp(token, "arn:", 4) == 0
            ? cbk_xstrdup(token)
            : NULL;
    answer_arn(c, arn);
    res->status = 200;
}

struct list_ctx {
    struct cbk_cb *cb;
    const char **types;
    size_t n;
};

static void collect(const char *key, size_t klen, void *value, void *arg)
{
    CBK_UNUSED(klen);
    CBK_UNUSED(value);
    struct list_ctx *l = arg;
    l->types[l->n++] = key;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void cb_list_source_credentials(struct cbk_cb *cb, struct cbk_cb_call *c, struct cbk_cb_result *res)
{
    struct list_ctx l = {cb, cbk_xcalloc(cb->credentials.n + 1, sizeof(char *)), 0};
    cbk_hmap_each(&cb->credentials, collect, &l);
    qsort(l.types, l.n, sizeof *l.types, cmp_str);
    struct cbk_jsonw w;
    cbk_jsonw_init(&w, c->out);
    cbk_jsonw_obj(&w);
    cbk_jsonw_key(&w, "sourceCredentialsInfos");
    cbk_jsonw_arr(&w);
    for (size_t i = 0; i < l.n; i++) {
        const struct credential *cr =
            cbk_hmap_get(&cb->credentials, l.types[i], strlen(l.types[i]));
        char arn[512];
        credential_arn(cb, cr->server_type, arn, sizeof arn);
        cbk_jsonw_obj(&w);
        cbk_jsonw_kstr(&w, "arn", arn);
        cbk_jsonw_kstr(&w, "serverType", cr->server_type);
        cbk_jsonw_kstr(&w, "authType", cr->auth_type);
        if (cr->resource)
            cbk_jsonw_kstr(&w, "resource", cr->resource);
        cbk_jsonw_end_obj(&w);
    }
    cbk_jsonw_end_arr(&w);
    cbk_jsonw_end_obj(&w);
    free(l.types);
    res->status = 200;
}

void cb_delete_source_credentials(struct cbk_cb *cb, struct cbk_cb_call *c,
                                  struct cbk_cb_result *res)
{
    const char *arn = cb_get_str(cb_doc(c), "arn");
    char prefix[256];
    int pl =
        snprintf(prefix, sizeof prefix, "arn:aws:codebuild:%s:%s:token/", cb->region, cb->account);
    const struct credential *found = NULL;
    char type[64] = "";
    if (arn && strncmp(arn, prefix, (size_t)pl) == 0 && strlen(arn + pl) < sizeof type) {
        for (size_t i = 0; arn[pl + i]; i++)
            type[i] = (char)toupper((unsigned char)arn[pl + i]);
        type[strlen(arn + pl)] = '\0';
        found = cbk_hmap_get(&cb->credentials, type, strlen(type));
    }
    if (!found && c->world == CBK_WORLD_STRICT) {
        cb_error(res, "ResourceNotFoundException", "Source credentials %.300s do not exist",
                 arn ? arn : "");
        return;
    }
    if (found)
        cb_credential_free(cbk_hmap_del(&cb->credentials, type, strlen(type)));
    answer_arn(c, arn ? arn : "");
    res->status = 200;
}
