/*
 * jsonloc.c - find the line and column of the value a JSON pointer designates (jsonloc.h),
 * by scanning the text with the streaming scanner and building the pointer of every value.
 */
#include "core/setup.h"
#include "core/jsonloc.h"
#include "core/jsonptr.h"
#include "core/jsonscan.h"

#define LOC_MAX_DEPTH 256

struct loc {
    const char *buf;
    const char *target;
    size_t target_len;
    struct cbk_buf path;
    size_t depth;                /* open containers */
    size_t marks[LOC_MAX_DEPTH]; /* path length of each open container */
    size_t index[LOC_MAX_DEPTH]; /* next item index of each open array */
    bool is_array[LOC_MAX_DEPTH];
    int line, column;
};

static int on_event(void *ctx, const struct cbk_jevent *ev)
{
    struct loc *l = ctx;
    switch (ev->type) {
    case CBK_JEV_OBJ_END:
    case CBK_JEV_ARR_END:
        l->depth--;
        return 0;
    case CBK_JEV_KEY:
        cbk_buf_truncate(&l->path, l->marks[l->depth - 1]);
        cbk_buf_addc(&l->path, '/');
        cbk_ptr_escape(&l->path, ev->str, ev->len);
        return 0;
    default:
        break;
    }
    /* a value: its pointer is the path built so far (plus the index inside an array) */
    if (l->depth && l->is_array[l->depth - 1]) {
        cbk_buf_truncate(&l->path, l->marks[l->depth - 1]);
        cbk_buf_addf(&l->path, "/%zu", l->index[l->depth - 1]++);
    }
    if (l->path.len == l->target_len &&
        memcmp(cbk_buf_str(&l->path), l->target, l->target_len) == 0) {
        l->line = ev->line;
        l->column = cbk_json_column(l->buf, ev->line_start, ev->offset);
        return 1;
    }
    if (ev->type == CBK_JEV_OBJ_START || ev->type == CBK_JEV_ARR_START) {
        if (l->depth == LOC_MAX_DEPTH)
            return 1; /* deeper than any pointer we look for */
        l->marks[l->depth] = l->path.len;
        l->index[l->depth] = 0;
        l->is_array[l->depth] = ev->type == CBK_JEV_ARR_START;
        l->depth++;
    }
    return 0;
}

bool cbk_json_locate(const char *buf, size_t len, const char *pointer, int *line, int *column)
{
    struct loc l = {0};
    l.buf = buf;
    l.target = pointer;
    l.target_len = strlen(pointer);
    cbk_buf_init(&l.path, 2 * len + l.target_len + 64); /* "~" and "/" escape to two bytes */
    struct cbk_buf scratch = CBK_BUF_INIT(len + 1);
    struct cbk_json_error err;
    cbk_json_scan(buf, len, LOC_MAX_DEPTH, &scratch, on_event, &l, &err);
    cbk_buf_release(&scratch);
    cbk_buf_release(&l.path);
    *line = l.line;
    *column = l.column;
    return l.line > 0;
}
