/* json: jansson helpers. */
#include "util/json.h"

#include <stdlib.h>
#include <string.h>

#include "util/fs.h"
#include "util/str.h"

json_t *jx_load_file(const char *path, struct err *e)
{
	json_error_t je;
	json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		if (!fs_exists(path))
			err_errno(e, 2, "open %s", path);
		else
			err_invalid(e, "parse %s: line %d column %d: %s", path, je.line, je.column,
				    je.text);
	}
	return j;
}

json_t *jx_loads(const char *buf, size_t len, struct err *e)
{
	json_error_t je;
	json_t *j = json_loadb(buf, len, 0, &je);
	if (!j)
		err_invalid(e, "invalid JSON: line %d column %d: %s", je.line, je.column, je.text);
	return j;
}

char *jx_dumps(const json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!s)
		abort();
	return s;
}

int jx_save_atomic(const char *path, const json_t *j, struct err *e)
{
	char *s = jx_dumps(j);
	int r = fs_write_atomic(path, s, strlen(s), 0600, e);
	free(s);
	return r;
}

const char *jx_type_name(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
		return "integer";
	case JSON_REAL:
		return "number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "boolean";
	case JSON_NULL:
		return "null";
	}
	return "unknown";
}

static int wrong_type(const json_t *v, const char *key, const char *ctx, const char *want,
		      struct err *e)
{
	return err_invalid(e, "%s%s%s: expected %s, got %s", ctx ? ctx : "", ctx && *ctx ? "." : "",
			   key, want, jx_type_name(v));
}

static json_t *member(const json_t *o, const char *key)
{
	json_t *v = o ? json_object_get(o, key) : NULL;
	return json_is_null(v) ? NULL : v;
}

int jx_str(const json_t *o, const char *key, const char *ctx, const char **out, struct err *e)
{
	json_t *v = member(o, key);
	if (!v)
		return 0;
	if (!json_is_string(v))
		return wrong_type(v, key, ctx, "string", e);
	*out = json_string_value(v);
	return 0;
}

int jx_bool(const json_t *o, const char *key, const char *ctx, bool *out, struct err *e)
{
	json_t *v = member(o, key);
	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return wrong_type(v, key, ctx, "boolean", e);
	*out = json_is_true(v);
	return 0;
}

int jx_i64(const json_t *o, const char *key, const char *ctx, int64_t *out, bool *present,
	   struct err *e)
{
	json_t *v = member(o, key);
	if (present)
		*present = v != NULL;
	if (!v)
		return 0;
	if (json_is_real(v)) {
		double d = json_real_value(v);
		if (d != (double)(int64_t)d)
			return wrong_type(v, key, ctx, "integer", e);
		*out = (int64_t)d;
		return 0;
	}
	if (!json_is_integer(v))
		return wrong_type(v, key, ctx, "integer", e);
	*out = json_integer_value(v);
	return 0;
}

int jx_u64(const json_t *o, const char *key, const char *ctx, uint64_t *out, bool *present,
	   struct err *e)
{
	int64_t v = 0;
	bool have = false;
	if (jx_i64(o, key, ctx, &v, &have, e) < 0)
		return -1;
	if (present)
		*present = have;
	if (!have)
		return 0;
	if (v < 0)
		return err_invalid(e, "%s%s%s: must not be negative", ctx ? ctx : "",
				   ctx && *ctx ? "." : "", key);
	*out = (uint64_t)v;
	return 0;
}

int jx_obj(const json_t *o, const char *key, const char *ctx, json_t **out, struct err *e)
{
	json_t *v = member(o, key);
	if (!v)
		return 0;
	if (!json_is_object(v))
		return wrong_type(v, key, ctx, "object", e);
	*out = v;
	return 0;
}

int jx_arr(const json_t *o, const char *key, const char *ctx, json_t **out, struct err *e)
{
	json_t *v = member(o, key);
	if (!v)
		return 0;
	if (!json_is_array(v))
		return wrong_type(v, key, ctx, "array", e);
	*out = v;
	return 0;
}

int jx_strv(const json_t *o, const char *key, const char *ctx, char ***out, struct err *e)
{
	json_t *a = NULL;
	if (jx_arr(o, key, ctx, &a, e) < 0)
		return -1;
	if (!a)
		return 0;
	char **v = xcalloc(json_array_size(a) + 1, sizeof(char *));
	size_t i;
	json_t *it;
	json_array_foreach (a, i, it) {
		if (!json_is_string(it)) {
			strv_free(v);
			return err_invalid(e, "%s%s%s[%zu]: expected string, got %s",
					   ctx ? ctx : "", ctx && *ctx ? "." : "", key, i,
					   jx_type_name(it));
		}
		v[i] = str_dup(json_string_value(it));
	}
	*out = v;
	return 0;
}
