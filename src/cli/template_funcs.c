/* cli/template_funcs: the functions templates call: Go's builtins (and or not len index
 * print printf println eq ne lt le gt ge) and docker's (json join split upper lower title
 * truncate). */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/template_priv.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

static char *as_str(const json_t *v)
{
	return tmpl_value_str(v);
}

static bool values_equal(const json_t *a, const json_t *b)
{
	if (!a || !b)
		return a == b;
	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	return json_equal((json_t *)a, (json_t *)b);
}

static int compare(const json_t *a, const json_t *b)
{
	if (json_is_number(a) && json_is_number(b)) {
		double d = json_number_value(a) - json_number_value(b);
		return d < 0 ? -1 : d > 0;
	}
	_cleanup_free_ char *sa = as_str(a), *sb = as_str(b);
	return strcmp(sa, sb);
}

static json_t *fn_index(json_t **v, size_t n, struct err *e)
{
	json_t *cur = v[0];
	for (size_t i = 1; i < n && cur; i++) {
		if (json_is_object(cur) && json_is_string(v[i]))
			cur = json_object_get(cur, json_string_value(v[i]));
		else if (json_is_array(cur) && json_is_integer(v[i]))
			cur = json_array_get(cur, (size_t)json_integer_value(v[i]));
		else if (json_is_null(cur))
			cur = NULL;
		else {
			err_invalid(e, "template: can't index item of type %s", jx_type_name(cur));
			return NULL;
		}
	}
	return json_incref(cur);
}

static json_t *fn_printf(json_t **v, size_t n)
{
	_cleanup_free_ char *fmt = as_str(v[0]);
	char *buf = NULL;
	size_t len = 0, ai = 1;
	FILE *f = open_memstream(&buf, &len);
	for (const char *p = fmt; *p; p++) {
		if (*p != '%' || !p[1]) {
			fputc(*p, f);
			continue;
		}
		p++;
		if (*p == '%') {
			fputc('%', f);
			continue;
		}
		if (ai < n) {
			if (*p == 'q')
				fputc('"', f);
			tmpl_value_print(f, v[ai++], true);
			if (*p == 'q')
				fputc('"', f);
		} else {
			fprintf(f, "%%!%c(MISSING)", *p);
		}
	}
	fclose(f);
	json_t *r = json_string(buf);
	free(buf);
	return r;
}

static json_t *fn_strcase(json_t *v, int mode)
{
	_cleanup_free_ char *s = as_str(v);
	bool start = true;
	for (char *p = s; *p; p++) {
		if (mode == 0)
			*p = (char)tolower((unsigned char)*p);
		else if (mode == 1 || start)
			*p = (char)toupper((unsigned char)*p);
		start = *p == ' ';
	}
	return json_string(s);
}

static json_t *fn_join(json_t *arr, json_t *sep)
{
	_cleanup_strv_ char **parts = NULL;
	size_t i;
	json_t *it;
	json_array_foreach (arr, i, it)
		strv_push_take(&parts, as_str(it));
	_cleanup_free_ char *s =
	    parts ? strv_join(parts, json_string_value(sep) ?: "") : str_dup("");
	return json_string(s);
}

static json_t *fn_split(json_t *s, json_t *sep)
{
	json_t *r = json_array();
	const char *p = json_string_value(s) ?: "", *d = json_string_value(sep) ?: "";
	size_t dl = strlen(d);
	for (const char *q; dl && (q = strstr(p, d)); p = q + dl)
		json_array_append_new(r, json_stringn(p, (size_t)(q - p)));
	json_array_append_new(r, json_string(p));
	return r;
}

static json_t *fn_json(json_t **v, size_t n, struct err *e)
{
	_cleanup_free_ char *s =
	    json_dumps(v[0] ?: json_null(), JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
	return json_string(s);
}

static json_t *fn_len(json_t **v, size_t n, struct err *e)
{
	return json_integer(json_is_array(v[0])	   ? (json_int_t)json_array_size(v[0])
			    : json_is_object(v[0]) ? (json_int_t)json_object_size(v[0])
						   : (json_int_t)json_string_length(v[0]));
}

static json_t *fn_lower(json_t **v, size_t n, struct err *e)
{
	return fn_strcase(v[0], 0);
}

static json_t *fn_upper(json_t **v, size_t n, struct err *e)
{
	return fn_strcase(v[0], 1);
}

static json_t *fn_title(json_t **v, size_t n, struct err *e)
{
	return fn_strcase(v[0], 2);
}

static json_t *fn_join2(json_t **v, size_t n, struct err *e)
{
	return fn_join(v[0], v[1]);
}

static json_t *fn_split2(json_t **v, size_t n, struct err *e)
{
	return fn_split(v[0], v[1]);
}

static json_t *fn_printf2(json_t **v, size_t n, struct err *e)
{
	return fn_printf(v, n);
}

/* print: spaces only between operands when neither is a string; println: always, + \n */
static json_t *fn_print_any(json_t **v, size_t n, bool ln)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	for (size_t i = 0; i < n; i++) {
		if (i && (ln || (!json_is_string(v[i]) && !json_is_string(v[i - 1]))))
			fputc(' ', f);
		tmpl_value_print(f, v[i], true);
	}
	if (ln)
		fputc('\n', f);
	fclose(f);
	json_t *r = json_string(buf);
	free(buf);
	return r;
}

static json_t *fn_print(json_t **v, size_t n, struct err *e)
{
	return fn_print_any(v, n, false);
}

static json_t *fn_println(json_t **v, size_t n, struct err *e)
{
	return fn_print_any(v, n, true);
}

static json_t *fn_truncate(json_t **v, size_t n, struct err *e)
{
	_cleanup_free_ char *s = as_str(v[0]);
	json_int_t k = json_integer_value(v[1]);
	if (k >= 0 && (size_t)k < strlen(s))
		s[k] = 0;
	return json_string(s);
}

static json_t *fn_not(json_t **v, size_t n, struct err *e)
{
	return json_boolean(!tmpl_truthy(v[0]));
}

/* and/or return the deciding operand, as Go */
static json_t *fn_andor(json_t **v, size_t n, bool want)
{
	size_t i = 0;
	for (; i + 1 < n && tmpl_truthy(v[i]) == want; i++)
		;
	return n ? json_incref(v[i]) : json_null();
}

static json_t *fn_and(json_t **v, size_t n, struct err *e)
{
	return fn_andor(v, n, true);
}

static json_t *fn_or(json_t **v, size_t n, struct err *e)
{
	return fn_andor(v, n, false);
}

static json_t *fn_eq(json_t **v, size_t n, struct err *e)
{
	for (size_t i = 1; i < n; i++)
		if (values_equal(v[0], v[i]))
			return json_true();
	return json_false();
}

static json_t *fn_ne(json_t **v, size_t n, struct err *e)
{
	return json_boolean(!values_equal(v[0], v[1]));
}

static json_t *fn_lt(json_t **v, size_t n, struct err *e)
{
	return json_boolean(compare(v[0], v[1]) < 0);
}

static json_t *fn_le(json_t **v, size_t n, struct err *e)
{
	return json_boolean(compare(v[0], v[1]) <= 0);
}

static json_t *fn_gt(json_t **v, size_t n, struct err *e)
{
	return json_boolean(compare(v[0], v[1]) > 0);
}

static json_t *fn_ge(json_t **v, size_t n, struct err *e)
{
	return json_boolean(compare(v[0], v[1]) >= 0);
}

static const struct {
	const char *name;
	size_t min_args;
	json_t *(*fn)(json_t **v, size_t n, struct err *e);
} FUNCS[] = {
    {"and", 1, fn_and},		{"eq", 2, fn_eq},
    {"ge", 2, fn_ge},		{"gt", 2, fn_gt},
    {"index", 1, fn_index},	{"join", 2, fn_join2},
    {"json", 1, fn_json},	{"le", 2, fn_le},
    {"len", 1, fn_len},		{"lower", 1, fn_lower},
    {"lt", 2, fn_lt},		{"ne", 2, fn_ne},
    {"not", 1, fn_not},		{"or", 1, fn_or},
    {"print", 0, fn_print},	{"printf", 1, fn_printf2},
    {"println", 0, fn_println}, {"split", 2, fn_split2},
    {"title", 1, fn_title},	{"truncate", 2, fn_truncate},
    {"upper", 1, fn_upper},
};

json_t *tmpl_call(const char *fn, json_t **v, size_t n, struct err *e)
{
	for (size_t i = 0; i < ARRAY_SIZE(FUNCS); i++) {
		if (strcmp(FUNCS[i].name, fn))
			continue;
		if (n < FUNCS[i].min_args) {
			err_invalid(e, "template: wrong number of args for %s: want %zu got %zu",
				    fn, FUNCS[i].min_args, n);
			return NULL;
		}
		return FUNCS[i].fn(v, n, e);
	}
	err_invalid(e, "template: function \"%s\" not defined", fn);
	return NULL;
}
