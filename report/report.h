/*
 * report.h - writers for machine-readable reports shared by the mock, the recorder and replay:
 * JUnit XML (one test case per request or exchange, a failure per finding) and small helpers.
 * They write into a bounded buffer; the caller writes the buffer to its file.
 */
#ifndef CBK_REPORT_H
#define CBK_REPORT_H

#include "core/setup.h"
#include "core/buf.h"
#include "core/timefmt.h"

/* Append 's' escaped for XML 1.0 text or attributes (control characters and invalid UTF-8
 * become U+FFFD). */
void cbk_xml_escape(struct cbk_buf *b, const char *s, size_t len);

/* <testsuites><testsuite ...> */
void cbk_junit_begin(struct cbk_buf *b, const char *suite, size_t tests, size_t failures,
                     double seconds, const char *timestamp);
/* <properties> from n name/value pairs (kv[2i], kv[2i+1]); call before the first case. */
void cbk_junit_properties(struct cbk_buf *b, const char *const *kv, size_t n);
void cbk_junit_case_begin(struct cbk_buf *b, const char *classname, const char *name,
                          double seconds);
void cbk_junit_failure(struct cbk_buf *b, const char *type, const char *message, const char *text);
/* Attach text (the request body, say) as <system-out>. */
void cbk_junit_system_out(struct cbk_buf *b, const char *text, size_t len);
void cbk_junit_case_end(struct cbk_buf *b);
void cbk_junit_end(struct cbk_buf *b);

/* Write the whole buffer to 'f'; CBK_E_IO when it could not (errno kept). */
enum cbk_code cbk_write_all(FILE *f, const struct cbk_buf *b);

#endif
