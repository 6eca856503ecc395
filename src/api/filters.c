/* api/filters: parsing and matching of filters. */
#include "api/filters.h"

#include <regex.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/str.h"

/* A filter's value set: {"v": true} (any booleans) or ["v"]; null means no values. */
static json_t *values_of(const char *name, json_t *v, struct err *e)
{
	json_t *out = json_array();
	const char *k;
	json_t *x;
	size_t i;
	if (json_is_object(v)) {
		json_object_foreach (v, k, x)
			json_array_append_new(out, json_string(k));
	} else if (json_is_array(v)) {
		json_array_foreach (v, i, x) {
			if (!json_is_string(x)) {
				json_decref(out);
				err_invalid(e, "invalid filter '%s': values must be strings", name);
				return NULL;
			}
			json_array_append(out, x);
		}
	} else if (!json_is_null(v)) {
		json_decref(out);
		err_invalid(e, "invalid filter '%s': expected a map or a list of values", name);
		return NULL;
	}
	return out;
}

json_t *api_filters_parse(const char *s, struct err *e)
{
	if (!s || !*s)
		return json_object();
	json_error_t je;
	json_t *raw = json_loads(s, 0, &je);
	if (!json_is_object(raw)) {
		json_decref(raw);
		err_invalid(e, "invalid filter: %s", raw ? "expected a JSON object" : je.text);
		return NULL;
	}
	json_t *f = json_object();
	const char *name;
	json_t *v;
	json_object_foreach (raw, name, v) {
		json_t *vals = values_of(name, v, e);
		if (!vals) {
			json_decref(raw);
			json_decref(f);
			return NULL;
		}
		json_object_set_new(f, name, vals);
	}
	json_decref(raw);
	return f;
}

int api_filters_validate(const json_t *f, const char *const *accepted, struct err *e)
{
	const char *name;
	json_t *v;
	json_object_foreach ((json_t *)f, name, v) {
		bool ok = false;
		for (const char *const *a = accepted; *a && !ok; a++)
			ok = !strcmp(*a, name);
		if (!ok)
			return err_invalid(e, "Invalid filter '%s'", name);
	}
	return 0;
}

json_t *api_filters_get(const json_t *f, const char *name)
{
	return json_object_get(f, name);
}

bool api_filters_match_str(const json_t *vals, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach (vals, i, v)
		if (str_eq(json_string_value(v), s))
			return true;
	return false;
}

bool api_filters_match_regex(const json_t *vals, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach (vals, i, v) {
		regex_t re;
		if (regcomp(&re, json_string_value(v), REG_EXTENDED | REG_NOSUB) != 0)
			continue;
		bool m = regexec(&re, s, 0, NULL, 0) == 0;
		regfree(&re);
		if (m)
			return true;
	}
	return false;
}

int api_filters_bool(const json_t *f, const char *name, bool def, bool *out, struct err *e)
{
	json_t *vals = json_object_get(f, name);
	*out = def;
	if (!vals)
		return 0;
	bool f0 = api_filters_match_str(vals, "0") || api_filters_match_str(vals, "false");
	bool t1 = api_filters_match_str(vals, "1") || api_filters_match_str(vals, "true");
	if (f0 == t1) {
		_cleanup_free_ char *list = NULL;
		char **v = xcalloc(json_array_size(vals) + 1, sizeof(char *));
		size_t i;
		json_t *x;
		json_array_foreach (vals, i, x)
			v[i] = (char *)json_string_value(x);
		list = strv_join(v, " ");
		free(v);
		return err_invalid(e, "Invalid filter '%s=[%s]'", name, list);
	}
	*out = t1;
	return 0;
}

bool api_filters_match_labels(const json_t *f, const char *name, const json_t *labels)
{
	json_t *vals = json_object_get(f, name);
	if (!vals || !json_array_size(vals))
		return true;
	if (!json_object_size(labels))
		return false;
	size_t i;
	json_t *x;
	json_array_foreach (vals, i, x) {
		const char *s = json_string_value(x);
		const char *eq = strchr(s, '=');
		_cleanup_free_ char *k = eq ? str_ndup(s, (size_t)(eq - s)) : str_dup(s);
		const char *have = json_string_value(json_object_get(labels, k));
		if (!have || (eq && strcmp(have, eq + 1) != 0))
			return false;
	}
	return true;
}
