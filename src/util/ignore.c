/* util/ignore: .dockerignore parsing and matching (fnmatch with FNM_PATHNAME, "**" across
 * directories or none, each parent of a path tried as docker's MatchesOrParentMatches does). */
#include "util/ignore.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/id.h"
#include "util/str.h"

char **ignore_patterns(const char *text)
{
	_cleanup_strv_ char **lines = strv_split(text ? text : "", "\n");
	char **pats = xcalloc(1, sizeof(char *));
	for (char **l = lines; *l; l++) {
		char *s = *l;
		while (*s == ' ' || *s == '\t' || *s == '\r')
			s++;
		size_t n = strlen(s);
		while (n && strchr(" \t\r", s[n - 1]))
			s[--n] = '\0';
		if (!*s || *s == '#')
			continue;
		bool neg = *s == '!';
		const char *body = s + neg;
		while (*body == ' ' || *body == '\t')
			body++;
		_cleanup_free_ char *abs = str_printf("/%s", body);
		_cleanup_free_ char *clean = path_clean(abs);
		if (!clean[1])
			continue; /* "/" or "." would exclude everything but is ignored by docker */
		strv_push_take(&pats, str_printf("%s%s", neg ? "!" : "", clean + 1));
	}
	return pats;
}

/* fnmatch, where "**" also crosses directories and "**\/" may match no directory at all. */
static bool glob_match(const char *pat, const char *path, int depth)
{
	if (fnmatch(pat, path, strstr(pat, "**") ? 0 : FNM_PATHNAME) == 0)
		return true;
	/* each "**\/" dropped in turn; a few levels deep at most (a hostile pattern of many
	 * would branch exponentially) */
	for (const char *s = strstr(pat, "**/"); s && depth < 4; s = strstr(s + 1, "**/")) {
		_cleanup_free_ char *shorter = str_printf("%.*s%s", (int)(s - pat), pat, s + 3);
		if (glob_match(shorter, path, depth + 1))
			return true;
	}
	return false;
}

static bool match_one(const char *pat, const char *path)
{
	_cleanup_free_ char *p = str_dup(path);
	for (;;) {
		if (glob_match(pat, p, 0))
			return true;
		char *slash = strrchr(p, '/');
		if (!slash)
			return false;
		*slash = '\0';
	}
}

bool ignore_match(char *const *pats, const char *path)
{
	bool excluded = false;
	for (char *const *p = pats; p && *p; p++) {
		bool neg = (*p)[0] == '!';
		if (match_one(*p + neg, path))
			excluded = !neg;
	}
	return excluded;
}

bool ignore_has_exceptions(char *const *pats)
{
	for (char *const *p = pats; p && *p; p++)
		if ((*p)[0] == '!')
			return true;
	return false;
}
