/* api/router: segment-wise matching of request paths against route patterns. */
#include "api/router.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "util/str.h"

/* Segments of a path or pattern: [start, start+len) pairs, leading '/' skipped. */
struct segs {
	const char *s[64];
	size_t len[64];
	size_t n;
};

static bool split(const char *p, struct segs *out)
{
	out->n = 0;
	if (*p != '/')
		return false;
	p++;
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		if (out->n == 64)
			return false;
		out->s[out->n] = p;
		out->len[out->n++] = len;
		if (!slash)
			return true;
		p = slash + 1;
	}
}

static bool is_var(const char *s, size_t len, bool *greedy)
{
	if (len < 3 || s[0] != '{' || s[len - 1] != '}')
		return false;
	*greedy = s[len - 2] == '*';
	return true;
}

static void capture(struct api_match *m, const char *pat, size_t plen, bool greedy,
		    const char *start, size_t len)
{
	if (m->n == API_MAX_PARAMS)
		return;
	m->names[m->n] = pat + 1;
	m->name_len[m->n] = plen - 2 - (greedy ? 1 : 0);
	m->values[m->n++] = str_ndup(start, len);
}

static bool match_one(const char *pattern, const struct segs *path, struct api_match *m)
{
	struct segs pat;
	if (!split(pattern, &pat))
		return false;
	size_t i = 0, j = 0;
	for (; i < pat.n; i++) {
		bool greedy = false;
		if (!is_var(pat.s[i], pat.len[i], &greedy)) {
			if (j >= path->n || path->len[j] != pat.len[i] ||
			    strncmp(path->s[j], pat.s[i], pat.len[i]) != 0)
				return false;
			j++;
			continue;
		}
		size_t take = 1;
		if (greedy) { /* all but what the literal segments after it need */
			size_t after = pat.n - i - 1;
			if (path->n < j + after + 1)
				return false;
			take = path->n - j - after;
		}
		if (j + take > path->n)
			return false;
		const char *start = path->s[j];
		const char *end = path->s[j + take - 1] + path->len[j + take - 1];
		if (end == start)
			return false; /* empty names never match */
		capture(m, pat.s[i], pat.len[i], greedy, start, (size_t)(end - start));
		j += take;
	}
	return j == path->n;
}

bool api_route_match(const struct api_route *routes, size_t n, const char *method, const char *path,
		     struct api_match *m)
{
	memset(m, 0, sizeof(*m));
	struct segs segs;
	if (!split(path, &segs))
		return false;
	for (size_t r = 0; r < n; r++) {
		if (strcmp(routes[r].method, method) != 0)
			continue;
		if (match_one(routes[r].pattern, &segs, m)) {
			m->route = &routes[r];
			return true;
		}
		api_match_release(m);
	}
	return false;
}

const char *api_match_param(const struct api_match *m, const char *name)
{
	size_t len = strlen(name);
	for (size_t i = 0; i < m->n; i++)
		if (m->name_len[i] == len && !strncmp(m->names[i], name, len))
			return m->values[i];
	return NULL;
}

void api_match_release(struct api_match *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->values[i]);
	memset(m, 0, sizeof(*m));
}

bool api_split_version(const char *path, unsigned *version, const char **rest)
{
	*version = 0;
	*rest = path;
	if (strncmp(path, "/v", 2) != 0 || !isdigit((unsigned char)path[2]))
		return true;
	const char *p = path + 2;
	unsigned maj = 0, min = 0;
	for (int n = 0; isdigit((unsigned char)*p); n++)
		maj = n < 5 ? maj * 10 + (unsigned)(*p++ - '0') : (p++, 10000);
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return false;
		for (int n = 0; isdigit((unsigned char)*p); n++)
			min = n < 3 ? min * 10 + (unsigned)(*p++ - '0') : (p++, 999);
	}
	if (*p != '/')
		return false;
	*version = API_VERSION(maj, min);
	*rest = p;
	return true;
}
