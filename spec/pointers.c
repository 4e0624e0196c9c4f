/*
 * pointers.c - JSON pointer patterns of the members a shape marks volatile or sensitive (see
 * pointers.h): what cassette matching leaves out, what redaction blanks, what replay compares by
 * presence and type only.
 */
#include "core/setup.h"
#include "spec/pointers.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/jsonptr.h"

bool cbk_ptrpat_match(const char *pat, const char *ptr)
{
    while (*pat && *ptr) {
        if (*pat != '/' || *ptr != '/')
            return false;
        pat++;
        ptr++;
        size_t pl = strcspn(pat, "/"), tl = strcspn(ptr, "/");
        if (!(pl == 1 && pat[0] == '*') && (pl != tl || memcmp(pat, ptr, pl) != 0))
            return false;
        pat += pl;
        ptr += tl;
    }
    return *pat == '\0' && *ptr == '\0';
}

void cbk_ptrpats_add(struct cbk_ptrpats *set, const char *pattern)
{
    for (size_t i = 0; i < set->n; i++)
        if (strcmp(set->patterns[i], pattern) == 0)
            return;
    CBK_GROW(set->patterns, set->n + 1, set->alloc);
    set->patterns[set->n++] = cbk_xstrdup(pattern);
}

void cbk_ptrpats_release(struct cbk_ptrpats *set)
{
    for (size_t i = 0; i < set->n; i++)
        free(set->patterns[i]);
    free(set->patterns);
    memset(set, 0, sizeof(*set));
}

static void collect(struct cbk_ptrpats *set, const struct cbk_shape *sh, struct cbk_buf *path,
                    int depth, bool vol)
{
    if (!sh || depth > 12)
        return;
    if (sh->type == CBK_TYPE_STRUCTURE) {
        for (size_t i = 0; i < sh->member_count; i++) {
            const struct cbk_member *m = &sh->members[i];
            size_t mark = path->len;
            cbk_buf_addc(path, '/');
            cbk_ptr_escape(path, m->name, strlen(m->name));
            if ((vol && m->is_volatile) || m->sensitive)
                cbk_ptrpats_add(set, cbk_buf_str(path));
            else
                collect(set, m->shape, path, depth + 1, vol);
            cbk_buf_truncate(path, mark);
        }
    } else if (sh->type == CBK_TYPE_LIST || sh->type == CBK_TYPE_MAP) {
        const struct cbk_member *m = sh->type == CBK_TYPE_LIST ? sh->member : sh->value;
        size_t mark = path->len;
        cbk_buf_adds(path, "/*");
        if ((vol && m->is_volatile) || m->sensitive)
            cbk_ptrpats_add(set, cbk_buf_str(path));
        else
            collect(set, m->shape, path, depth + 1, vol);
        cbk_buf_truncate(path, mark);
    }
}

void cbk_ptrpats_from_shape(struct cbk_ptrpats *set, const struct cbk_shape *shape,
                            bool volatile_too)
{
    struct cbk_buf path = CBK_BUF_INIT(1 << 16);
    collect(set, shape, &path, 0, volatile_too);
    cbk_buf_release(&path);
}
