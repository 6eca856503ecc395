/* json: helpers over jansson: load with positioned errors, atomic save, and typed member
 * getters whose errors name the field by its dotted path ("process.args: ..."). */
#ifndef BERTH_UTIL_JSON_H
#define BERTH_UTIL_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

/* jansson >= 2.9 provides json_decrefp() for cleanup use. */
#define _cleanup_json_ __attribute__((cleanup(json_decrefp)))

json_t *jx_load_file(const char *path, struct err *e);
json_t *jx_loads(const char *buf, size_t len, struct err *e);
int jx_save_atomic(const char *path, const json_t *j, struct err *e);
/* Compact serialisation; aborts on allocation failure. */
char *jx_dumps(const json_t *j);
const char *jx_type_name(const json_t *j);

/* Getters: an absent or null member leaves *out untouched (and *present false when given);
 * a member of the wrong type is an ERR_INVALID naming "ctx.key". */
int jx_str(const json_t *o, const char *key, const char *ctx, const char **out, struct err *e);
int jx_bool(const json_t *o, const char *key, const char *ctx, bool *out, struct err *e);
int jx_i64(const json_t *o, const char *key, const char *ctx, int64_t *out, bool *present,
	   struct err *e);
int jx_u64(const json_t *o, const char *key, const char *ctx, uint64_t *out, bool *present,
	   struct err *e);
int jx_obj(const json_t *o, const char *key, const char *ctx, json_t **out, struct err *e);
int jx_arr(const json_t *o, const char *key, const char *ctx, json_t **out, struct err *e);
/* An array of strings into a new NULL-terminated vector (*out NULL when absent). */
int jx_strv(const json_t *o, const char *key, const char *ctx, char ***out, struct err *e);

#endif
