/*
 * jsonloc.h - where an RFC 6901 JSON pointer lands in a JSON text (line and column), so that
 * problems found in a parsed document (an AWS model read with json-c) can be reported at
 * file:line:column like every other input error.
 */
#ifndef CBK_JSONLOC_H
#define CBK_JSONLOC_H

#include "core/setup.h"

/*
 * The position of the value 'pointer' designates in the JSON text buf[0..len): true and
 * *line, *column (1-based, the column counts characters) when the pointer resolves; false
 * (outputs set to 0) when it does not, or the text is not JSON up to that value. Scans the
 * text once, allocating only a scratch buffer.
 */
bool cbk_json_locate(const char *buf, size_t len, const char *pointer, int *line, int *column);

#endif
