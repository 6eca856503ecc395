/* json: jansson helpers. */
#include "util/json.h"

#include <stdlib.h>
#include <string.h>

#include "util/fs.h"
#include "util/str.h"

/* jansson refuses integers beyond int64 ("too big integer"), but OCI configs carry
 * uint64 values such as RLIM_INFINITY (18446744073709551615). Such literals are rewritten
 * as reals (digits "e0" -> a double), which jx_u64 maps back. */
static char *widen_big_ints(const char *buf, size_t len, size_t *out_len)
{
	char *out = xmalloc(len * 2 + 1);
	size_t o = 0;
	bool in_str = false;
	for (size_t i = 0; i < len;) {
		char c = buf[i];
		if (in_str) {
			out[o++] = c;
			if (c == '\\' && i + 1 < len)
				out[o++] = buf[++i];
			else if (c == '"')
				in_str = false;
			i++;
			continue;
		}
		if (c == '"') {
			in_str = true;
			out[o++] = buf[i++];
			continue;
		}
		size_t j = i;
		while (j < len && buf[j] >= '0' && buf[j] <= '9')
			j++;
		bool token_start =
		    i == 0 || !(buf[i - 1] == '.' || buf[i - 1] == 'e' || buf[i - 1] == 'E' ||
				(buf[i - 1] >= '0' && buf[i - 1] <= '9'));
		bool plain_int =
		    j < len ? !(buf[j] == '.' || buf[j] == 'e' || buf[j] == 'E') : true;
		memcpy(out + o, buf + i, j > i ? j - i : 1);
		o += j > i ? j - i : 1;
		size_t nd = j - i;
		bool too_big =
		    nd > 19 || (nd == 19 && memcmp(buf + i, "9223372036854775807", 19) > 0);
		if (j > i && too_big && token_start && plain_int) {
			memcpy(out + o, "e0", 2);
			o += 2;
		}
		i = j > i ? j : i + 1;
	}
	out[o] = '\0';
	*out_len = o;
	return out;
}

json_t *jx_loads(const char *buf, size_t len, struct err *e)
{
	json_error_t je;
	json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!j && strstr(je.text, "too big")) {
		size_t n;
		char *wide = widen_big_ints(buf, len, &n);
		j = json_loadb(wide, n, JSON_REJECT_DUPLICATES, &je);
		free(wide);
	}
	if (!j)
		err_invalid(e, "invalid JSON: line %d column %d: %s", je.line, je.column, je.text);
	return j;
}

json_t *jx_load_file(const char *path, struct err *e)
{
	size_t len = 0;
	char *buf = fs_read_file(path, &len, e);
	if (!buf)
		return NULL;
	json_t *j = jx_loads(buf, len, e);
	free(buf);
	if (!j)
		err_wrap(e, "parse %s", path);
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
		/* 2^63 is exactly representable; anything at or above it doesn't fit. */
		bool in_range = d >= -9223372036854775808.0 && d < 9223372036854775808.0;
		if (in_range && d != (double)(int64_t)d)
			return wrong_type(v, key, ctx, "integer", e);
		if (!in_range)
			return err_invalid(e, "%s%s%s: %g is out of range", ctx ? ctx : "",
					   ctx && *ctx ? "." : "", key, d);
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
	json_t *big = member(o, key);
	if (json_is_real(big) && json_real_value(big) >= 9223372036854775808.0) {
		double d = json_real_value(big);
		if (present)
			*present = true;
		/* Values past int64 arrive as reals (see widen_big_ints): 2^64-1 saturates. */
		*out = d >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)d;
		return 0;
	}
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
