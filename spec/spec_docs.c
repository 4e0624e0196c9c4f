/*
 * spec_docs.c - the documentation of an AWS model (HTML fragments: <p>, <ul><li>, <code>,
 * <a>, entities) as the plain text a cbkit spec keeps (spec_import_internal.h).
 */
#include "core/setup.h"
#include "spec/spec_import_internal.h"

/* Tags that separate paragraphs; every other tag is dropped and its text kept. */
static const char *const block_tags[] = {
    "p",  "div", "ul", "ol",  "dl",   "dd",        "dt",    "h1", "h2", "h3", "h4",
    "h5", "h6",  "br", "pre", "note", "important", "table", "tr", "td", "th", "blockquote"};

static bool is_block_tag(const char *name, size_t n)
{
    for (size_t i = 0; i < CBK_ARRAY_SIZE(block_tags); i++)
        if (strlen(block_tags[i]) == n && strncasecmp(block_tags[i], name, n) == 0)
            return true;
    return false;
}

/* The first occurrence of 'needle' in s[0..n), or NULL. */
static const char *strstr_n(const char *s, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(s + i, needle, k) == 0)
            return s + i;
    return NULL;
}

struct text {
    struct cbk_buf *out;
    bool want_space, want_para, want_item;
    bool in_item; /* the text written last is a list item's */
};

static void put_utf8(struct cbk_buf *b, unsigned long cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    cbk_buf_add(b, u, n);
}

/* Before text: the separator the tags and white space since the last text asked for. */
static void flush(struct text *t)
{
    struct cbk_buf *b = t->out;
    if (b->len) {
        /* items of one list on consecutive lines; a blank line around paragraphs and lists */
        if (t->want_item && t->in_item)
            cbk_buf_addc(b, '\n');
        else if (t->want_para || t->want_item)
            cbk_buf_adds(b, "\n\n");
        else if (t->want_space)
            cbk_buf_addc(b, ' ');
    }
    if (t->want_item) {
        cbk_buf_adds(b, "- ");
        t->in_item = true;
    } else if (t->want_para) {
        t->in_item = false;
    }
    t->want_space = t->want_para = t->want_item = false;
}

/* Decode the entity at s[0..n) (s[0] == '&'): its length, or 0 when it is not one. */
static size_t entity(struct text *t, const char *s, size_t n)
{
    static const struct {
        const char *name;
        const char *text;
    } named[] = {{"amp", "&"},  {"lt", "<"},   {"gt", ">"},  {"quot", "\""},
                 {"apos", "'"}, {"nbsp", " "}, {"#39", "'"}, {"ndash", "-"}};
    size_t end = 1;
    while (end < n && end < 12 && s[end] != ';')
        end++;
    if (end >= n || s[end] != ';')
        return 0;
    for (size_t i = 0; i < CBK_ARRAY_SIZE(named); i++)
        if (strlen(named[i].name) == end - 1 && memcmp(named[i].name, s + 1, end - 1) == 0) {
            if (strcmp(named[i].name, "nbsp") == 0) {
                t->want_space = true;
            } else {
                flush(t);
                cbk_buf_adds(t->out, named[i].text);
            }
            return end + 1;
        }
    if (s[1] != '#' || end < 3)
        return 0;
    bool hex = s[2] == 'x' || s[2] == 'X';
    unsigned long cp = 0;
    for (size_t i = hex ? 3 : 2; i < end; i++) {
        int d;
        char c = s[i];
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (hex && c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (hex && c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return 0;
        cp = cp * (hex ? 16 : 10) + (unsigned long)d;
        if (cp > 0x10FFFF)
            return 0;
    }
    if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0) || (cp >= 0xD800 && cp < 0xE000)) {
        t->want_space = true; /* controls and surrogates are not text */
    } else {
        flush(t);
        put_utf8(t->out, cp);
    }
    return end + 1;
}

/* Is s[i] the end of a sentence (., ! or ? followed by white space or the end)? */
static bool sentence_end(const char *s, size_t i, size_t n)
{
    if (s[i] != '.' && s[i] != '!' && s[i] != '?')
        return false;
    if (i + 1 == n)
        return true;
    if (s[i + 1] != ' ' && s[i + 1] != '\n')
        return false;
    if (s[i] != '.')
        return true;
    /* abbreviations that do not end a sentence */
    size_t w = i;
    while (w > 0 && s[w - 1] != ' ' && s[w - 1] != '(')
        w--;
    static const char *const abbrev[] = {"e.g", "i.e", "E.g", "I.e", "vs", "approx", "etc"};
    for (size_t k = 0; k < CBK_ARRAY_SIZE(abbrev); k++)
        if (strlen(abbrev[k]) == i - w && memcmp(abbrev[k], s + w, i - w) == 0)
            return false;
    /* the next sentence starts with a capital, a digit or punctuation, not a lowercase word */
    size_t j = i + 1;
    while (j < n && (s[j] == ' ' || s[j] == '\n'))
        j++;
    return j == n || !(s[j] >= 'a' && s[j] <= 'z');
}

/* Keep only the first sentence of the first paragraph of b. */
static void summarise(struct cbk_buf *b)
{
    const char *s = cbk_buf_str(b);
    size_t n = b->len;
    const char *nl = memchr(s, '\n', n);
    if (nl)
        n = (size_t)(nl - s);
    for (size_t i = 0; i < n; i++)
        if (sentence_end(s, i, n)) {
            n = i + 1;
            break;
        }
    cbk_buf_truncate(b, n);
    if (b->len >= 2 && memcmp(b->ptr, "- ", 2) == 0) {
        memmove(b->ptr, b->ptr + 2, b->len - 2);
        cbk_buf_truncate(b, b->len - 2);
    }
}

void cbk__html_to_text(const char *html, size_t len, enum cbk_docs mode, struct cbk_buf *out)
{
    cbk_buf_reset(out);
    if (mode == CBK_DOCS_NONE)
        return;
    struct text t = {out, false, false, false, false};
    size_t i = 0;
    while (i < len) {
        unsigned char c = (unsigned char)html[i];
        if (c == '<') {
            const char *gt = memchr(html + i, '>', len - i);
            size_t j = i + 1;
            bool closing = j < len && html[j] == '/';
            if (closing)
                j++;
            size_t name = j;
            while (j < len &&
                   ((html[j] >= 'a' && html[j] <= 'z') || (html[j] >= 'A' && html[j] <= 'Z') ||
                    (html[j] >= '0' && html[j] <= '9')))
                j++;
            if (gt && !closing && j - name == 8 && strncasecmp(html + name, "fullname", 8) == 0) {
                /* the service's full name heads its documentation: the metadata has it */
                const char *end = strstr_n(html + i, len - i, "</fullname>");
                i = end ? (size_t)(end - html) + 11 : len;
                t.want_para = true;
                continue;
            }
            if (gt && j > name) {
                bool li = j - name == 2 && strncasecmp(html + name, "li", 2) == 0;
                bool list = (j - name == 2 && (strncasecmp(html + name, "ul", 2) == 0 ||
                                               strncasecmp(html + name, "ol", 2) == 0));
                if (li && !closing) {
                    t.want_item = true;
                    t.want_para = false;
                } else if (list && closing) {
                    t.want_para = true; /* the end of the list: a paragraph follows */
                    t.want_item = false;
                    t.in_item = false;
                } else if (is_block_tag(html + name, j - name) && !t.want_item) {
                    t.want_para = !t.in_item || list; /* <p> inside an item: same line */
                }
                i = (size_t)(gt - html) + 1;
                continue;
            }
            /* a '<' that starts no tag is text */
        } else if (c == '&') {
            size_t n = entity(&t, html + i, len - i);
            if (n) {
                i += n;
                continue;
            }
        } else if (c < 0x20 || c == 0x7F || c == ' ') {
            t.want_space = true;
            i++;
            continue;
        }
        flush(&t);
        cbk_buf_addc(out, (char)c);
        i++;
    }
    if (mode == CBK_DOCS_SUMMARY)
        summarise(out);
    while (out->len && out->ptr[out->len - 1] == ' ')
        cbk_buf_truncate(out, out->len - 1);
}
