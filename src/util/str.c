/* str: string helpers. */
#include "util/str.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		abort();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		abort();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		abort();
	return p;
}

char *str_dup(const char *s)
{
	if (!s)
		return NULL;
	char *d = strdup(s);
	if (!d)
		abort();
	return d;
}

char *str_ndup(const char *s, size_t n)
{
	char *d = strndup(s, n);
	if (!d)
		abort();
	return d;
}

char *str_printf(const char *fmt, ...)
{
	char *s;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		abort();
	return s;
}

bool str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool str_has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

int str_to_i64(const char *s, int64_t *out, const char *what, struct err *e)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end || errno)
		return err_invalid(e, "invalid %s: '%s' is not an integer", what, s);
	*out = v;
	return 0;
}

int str_to_u64(const char *s, uint64_t *out, const char *what, struct err *e)
{
	char *end;
	errno = 0;
	if (*s == '-')
		return err_invalid(e, "invalid %s: '%s' is negative", what, s);
	unsigned long long v = strtoull(s, &end, 10);
	if (!*s || *end || errno)
		return err_invalid(e, "invalid %s: '%s' is not an integer", what, s);
	*out = v;
	return 0;
}

int str_to_int(const char *s, int *out, const char *what, struct err *e)
{
	int64_t v;
	if (str_to_i64(s, &v, what, e) < 0)
		return -1;
	if (v < -2147483648LL || v > 2147483647LL)
		return err_invalid(e, "invalid %s: '%s' is out of range", what, s);
	*out = (int)v;
	return 0;
}

char *str_unescape_octal(const char *s)
{
	char *out = xmalloc(strlen(s) + 1), *o = out;
	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
	return out;
}

size_t strv_len(char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

void strv_push_take(char ***v, char *s)
{
	size_t n = strv_len(*v);
	*v = xrealloc(*v, (n + 2) * sizeof(char *));
	(*v)[n] = s;
	(*v)[n + 1] = NULL;
}

void strv_push(char ***v, const char *s)
{
	strv_push_take(v, str_dup(s));
}

void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

char **strv_copy(char *const *v)
{
	char **r = xcalloc(strv_len(v) + 1, sizeof(char *));
	for (size_t i = 0; v && v[i]; i++)
		r[i] = str_dup(v[i]);
	return r;
}

char **strv_split(const char *s, const char *seps)
{
	char **r = xcalloc(1, sizeof(char *));
	const char *p = s;
	while (*p) {
		size_t n = strcspn(p, seps);
		if (n > 0)
			strv_push_take(&r, str_ndup(p, n));
		p += n;
		if (*p)
			p++;
	}
	return r;
}

char *strv_join(char *const *v, const char *sep)
{
	size_t len = 1, sl = strlen(sep);
	for (size_t i = 0; v && v[i]; i++)
		len += strlen(v[i]) + sl;
	char *r = xmalloc(len), *p = r;
	*p = '\0';
	for (size_t i = 0; v && v[i]; i++) {
		if (i > 0)
			p = stpcpy(p, sep);
		p = stpcpy(p, v[i]);
	}
	return r;
}
