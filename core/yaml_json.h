/*
 * yaml_json.h - YAML trees (core/yaml.h) as JSON values: scenario bodies, templates and
 * matchers are written in YAML and used as JSON.
 */
#ifndef CBK_YAML_JSON_H
#define CBK_YAML_JSON_H

#include "core/yaml.h"

struct json_object;

/*
 * Convert a YAML node to a new json-c value (caller puts it). Plain scalars follow the YAML
 * core schema (null, true/false, integers, floats); quoted and block scalars are strings.
 * Returns NULL for a null node (and *is_null = true) — JSON null is represented by NULL in
 * json-c.
 */
struct json_object *cbk_yaml_to_json(const struct cbk_ynode *n);
/* The YAML node a JSON pointer designates inside 'n' (for locating problems), or NULL. */
const struct cbk_ynode *cbk_yaml_at_pointer(const struct cbk_ynode *n, const char *pointer);

#endif
