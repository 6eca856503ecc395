/* build/words: the builder's word expansion on top of image/changes' lexer (which knows the
 * backslash only): a backtick escape token is translated to it first. */
#include "build/words.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "image/changes.h"
#include "util/cleanup.h"
#include "util/str.h"

/* With escape '`': "\" is a literal backslash, "`x" escapes x. */
static char *to_backslash(const char *s, char escape)
{
	if (escape == '\\')
		return str_dup(s);
	size_t n = strlen(s);
	char *out = xmalloc(2 * n + 1), *o = out;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\') {
			*o++ = '\\';
			*o++ = '\\';
		} else if (s[i] == escape && i + 1 < n) {
			*o++ = '\\';
			*o++ = s[++i];
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

char *build_expand(const char *word, char escape, char *const *env, struct err *e)
{
	_cleanup_free_ char *w = to_backslash(word, escape);
	return changes_expand(w, env, e);
}

char **build_expand_words(const char *rest, char escape, char *const *env, struct err *e)
{
	_cleanup_free_ char *s = to_backslash(rest, escape);
	_cleanup_strv_ char **words = changes_split_words(s);
	char **out = xcalloc(1, sizeof(char *));
	for (char **w = words; *w; w++) {
		char *x = changes_expand(*w, env, e);
		if (!x) {
			strv_free(out);
			return NULL;
		}
		strv_push_take(&out, x);
	}
	return out;
}

const char *build_env_get(char *const *env, const char *key)
{
	size_t k = strlen(key);
	const char *found = NULL;
	for (char *const *p = env; p && *p; p++)
		if (!strncmp(*p, key, k) && (*p)[k] == '=')
			found = *p + k + 1;
	return found;
}

void build_env_set(char ***env, const char *key, const char *value)
{
	size_t k = strlen(key);
	char *kv = str_printf("%s=%s", key, value);
	for (char **p = *env; p && *p; p++) {
		if (!strncmp(*p, key, k) && (*p)[k] == '=') {
			free(*p);
			*p = kv;
			return;
		}
	}
	strv_push_take(env, kv);
}

/* The legacy "ENV k the rest" form: one pair. */
static int legacy_pair(const char *ins, const char *rest, char escape, char *const *env,
		       char ***keys, char ***vals, struct err *e)
{
	size_t k = strcspn(rest, " \t");
	const char *v = rest + k;
	while (isspace((unsigned char)*v))
		v++;
	if (!*v)
		return err_invalid(e, "%s must have two arguments", ins);
	_cleanup_free_ char *rawk = str_ndup(rest, k);
	char *key = build_expand(rawk, escape, env, e);
	char *val = key ? build_expand(v, escape, env, e) : NULL;
	if (!val) {
		free(key);
		return -1;
	}
	strv_push_take(keys, key);
	strv_push_take(vals, val);
	return 0;
}

int build_parse_pairs(const char *ins, const char *rest, char escape, char *const *env,
		      char ***keys, char ***vals, bool arg, struct err *e)
{
	_cleanup_free_ char *s = to_backslash(rest, escape);
	_cleanup_strv_ char **words = changes_split_words(s);
	*keys = xcalloc(1, sizeof(char *));
	*vals = xcalloc(1, sizeof(char *));
	if (!words[0])
		return err_invalid(e, "%s requires at least one argument", ins);
	if (!arg && !strchr(words[0], '='))
		return legacy_pair(ins, s, '\\', env, keys, vals, e);
	for (char **w = words; *w; w++) {
		char *eq = strchr(*w, '=');
		if (!eq && !arg)
			return err_invalid(e,
					   "Syntax error - can't find = in \"%s\". Must be of the "
					   "form: name=value",
					   *w);
		_cleanup_free_ char *rawk = eq ? str_ndup(*w, (size_t)(eq - *w)) : str_dup(*w);
		char *key = arg ? str_dup(rawk) : changes_expand(rawk, env, e);
		char *val = !key || !eq ? NULL : changes_expand(eq + 1, env, e);
		if (!key || (eq && !val)) {
			free(key);
			return -1;
		}
		if (!*key) {
			free(key);
			free(val);
			return err_invalid(e, "%s names can not be blank", ins);
		}
		if (arg && val) {
			strv_push_take(keys, str_printf("%s=%s", key, val));
			free(key);
			free(val);
		} else {
			strv_push_take(keys, key);
			if (val)
				strv_push_take(vals, val);
		}
	}
	return 0;
}
