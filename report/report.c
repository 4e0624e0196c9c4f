/*
 * report.c - JUnit XML and timestamp helpers for reports (see report.h).
 */
#include "core/setup.h"
#include "report/report.h"

void cbk_xml_escape(struct cbk_buf *b, const char *s, size_t len)
{
    static const char repl[] = "\xEF\xBF\xBD"; /* U+FFFD */
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        unsigned char c = *p;
        if (c == '&') {
            cbk_buf_adds(b, "&amp;");
            p++;
        } else if (c == '<') {
            cbk_buf_adds(b, "&lt;");
            p++;
        } else if (c == '>') {
            cbk_buf_adds(b, "&gt;");
            p++;
        } else if (c == '"') {
            cbk_buf_adds(b, "&quot;");
            p++;
        } else if (c == '\'') {
            cbk_buf_adds(b, "&apos;");
            p++;
        } else if (c < 0x20) {
            if (c == '\n' || c == '\t' || c == '\r')
                cbk_buf_addf(b, "&#%u;", c);
            else
                cbk_buf_adds(b, repl);
            p++;
        } else if (c < 0x80) {
            cbk_buf_addc(b, (char)c);
            p++;
        } else {
            /* copy a valid UTF-8 sequence, replace anything else */
            size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
            bool ok = n && (size_t)(end - p) >= n;
            for (size_t i = 1; ok && i < n; i++)
                if ((p[i] & 0xC0) != 0x80)
                    ok = false;
            if (ok && c > 0xF4)
                ok = false;
            if (ok) {
                cbk_buf_add(b, p, n);
                p += n;
            } else {
                cbk_buf_adds(b, repl);
                p++;
            }
        }
    }
}

static void attr(struct cbk_buf *b, const char *name, const char *value)
{
    cbk_buf_addf(b, " %s=\"", name);
    cbk_xml_escape(b, value, strlen(value));
    cbk_buf_addc(b, '"');
}

void cbk_junit_begin(struct cbk_buf *b, const char *suite, size_t tests, size_t failures,
                     double seconds, const char *timestamp)
{
    cbk_buf_adds(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites");
    attr(b, "name", suite);
    cbk_buf_addf(b, " tests=\"%zu\" failures=\"%zu\" errors=\"0\" time=\"%.3f\">\n", tests,
                 failures, seconds);
    cbk_buf_adds(b, "  <testsuite");
    attr(b, "name", suite);
    cbk_buf_addf(b, " tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"0\" time=\"%.3f\"",
                 tests, failures, seconds);
    if (timestamp)
        attr(b, "timestamp", timestamp);
    cbk_buf_adds(b, ">\n");
}

void cbk_junit_properties(struct cbk_buf *b, const char *const *kv, size_t n)
{
    if (!n)
        return;
    cbk_buf_adds(b, "    <properties>\n");
    for (size_t i = 0; i < n; i++) {
        cbk_buf_adds(b, "      <property");
        attr(b, "name", kv[2 * i]);
        attr(b, "value", kv[2 * i + 1]);
        cbk_buf_adds(b, "/>\n");
    }
    cbk_buf_adds(b, "    </properties>\n");
}

void cbk_junit_case_begin(struct cbk_buf *b, const char *classname, const char *name,
                          double seconds)
{
    cbk_buf_adds(b, "    <testcase");
    attr(b, "classname", classname);
    attr(b, "name", name);
    cbk_buf_addf(b, " time=\"%.6f\">\n", seconds);
}

void cbk_junit_failure(struct cbk_buf *b, const char *type, const char *message, const char *text)
{
    cbk_buf_adds(b, "      <failure");
    attr(b, "type", type);
    attr(b, "message", message);
    cbk_buf_adds(b, ">");
    if (text)
        cbk_xml_escape(b, text, strlen(text));
    cbk_buf_adds(b, "</failure>\n");
}

void cbk_junit_system_out(struct cbk_buf *b, const char *text, size_t len)
{
    cbk_buf_adds(b, "      <system-out>");
    cbk_xml_escape(b, text, len);
    cbk_buf_adds(b, "</system-out>\n");
}

void cbk_junit_case_end(struct cbk_buf *b)
{
    cbk_buf_adds(b, "    </testcase>\n");
}

void cbk_junit_end(struct cbk_buf *b)
{
    cbk_buf_adds(b, "  </testsuite>\n</testsuites>\n");
}

enum cbk_code cbk_write_all(FILE *f, const struct cbk_buf *b)
{
    if (b->len && fwrite(b->ptr, 1, b->len, f) != b->len)
        return CBK_E_IO;
    if (fflush(f) != 0)
        return CBK_E_IO;
    return CBK_OK;
}
