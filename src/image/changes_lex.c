/* image/changes_lex: the Dockerfile word rules used by `changes`: splitting at unquoted
 * blanks, then quote removal, backslash escapes and $VAR / ${VAR[:][-+?]word} expansion. */
#include <ctype.h>
#include <string.h>

#include "image/changes.h"
#include "util/cleanup.h"
#include "util/str.h"

char **changes_split_words(const char *s)
{
	char **v = xcalloc(1, sizeof(char *));
	size_t len = strlen(s);
	_cleanup_free_ char *w = xmalloc(len + 1);
	size_t n = 0;
	char quote = 0;
	bool in_word = false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!quote && isspace((unsigned char)c)) {
			if (in_word) {
				strv_push_take(&v, str_ndup(w, n));
				n = 0;
				in_word = false;
			}
			continue;
		}
		in_word = true;
		w[n++] = c;
		if (c == '\\' && i + 1 < len && quote != '\'') {
			w[n++] = s[++i];
		} else if (!quote && (c == '"' || c == '\'')) {
			quote = c;
		} else if (c == quote) {
			quote = 0;
		}
	}
	if (in_word)
		strv_push_take(&v, str_ndup(w, n));
	return v;
}

static const char *env_get(char *const *env, const char *name, size_t nlen)
{
	const char *found = NULL;
	for (char *const *p = env; p && *p; p++)
		if (!strncmp(*p, name, nlen) && (*p)[nlen] == '=')
			found = *p + nlen + 1;
	return found;
}

struct buf {
	char *s;
	size_t n, cap;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->s = xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
}

static bool is_name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* At s[*i] == '$': appends the expansion and advances *i past it. */
static int expand_var(const char *s, size_t *i, char *const *env, struct buf *b, struct err *e)
{
	size_t j = *i + 1;
	if (s[j] != '{') {
		size_t k = j;
		while (is_name_char(s[k]))
			k++;
		if (k == j) {
			put(b, "$", 1);
			*i = j;
			return 0;
		}
		const char *v = env_get(env, s + j, k - j);
		if (v)
			put(b, v, strlen(v));
		*i = k;
		return 0;
	}
	const char *close = strchr(s + j, '}');
	if (!close)
		return err_invalid(e, "missing '}' in '%s'", s);
	size_t k = j + 1;
	while (is_name_char(s[k]))
		k++;
	const char *v = env_get(env, s + j + 1, k - j - 1);
	/* ${V:-w} ${V:+w} ${V:?m} test set and non-empty; ${V-w} ${V+w} ${V?m} only set */
	bool colon = s[k] == ':';
	char op = s[k + colon];
	if (k > j + 1 && (op == '-' || op == '+' || op == '?')) {
		size_t w0 = k + colon + 1;
		_cleanup_free_ char *word = str_ndup(s + w0, (size_t)(close - s) - w0);
		bool set = v && (!colon || *v);
		if (op == '?' && !set)
			return err_invalid(e, "%.*s: %s", (int)(k - j - 1), s + j + 1,
					   *word ? word : "is not allowed to be unset");
		const char *use = op == '-' ? (set ? v : word) : op == '+' ? (set ? word : "") : v;
		put(b, use, strlen(use));
	} else if (s + k == close && k > j + 1) {
		if (v)
			put(b, v, strlen(v));
	} else {
		return err_invalid(e, "unsupported modifier in '%s'", s);
	}
	*i = (size_t)(close - s) + 1;
	return 0;
}

char *changes_expand(const char *s, char *const *env, struct err *e)
{
	struct buf b = {xcalloc(1, 1), 0, 1};
	char quote = 0;
	for (size_t i = 0; s[i];) {
		char c = s[i];
		if (quote != '\'' && c == '$') {
			if (expand_var(s, &i, env, &b, e) < 0) {
				free(b.s);
				return NULL;
			}
			continue;
		}
		if (c == '\\' && s[i + 1] && quote != '\'') {
			/* inside double quotes only \" \\ \$ are escapes */
			if (quote == '"' && !strchr("\"\\$", s[i + 1]))
				put(&b, &c, 1);
			put(&b, s + i + 1, 1);
			i += 2;
			continue;
		}
		if (!quote && (c == '"' || c == '\'')) {
			quote = c;
		} else if (quote && c == quote) {
			quote = 0;
		} else {
			put(&b, &c, 1);
		}
		i++;
	}
	if (quote) {
		free(b.s);
		err_invalid(e, "unexpected end of statement while looking for matching %c", quote);
		return NULL;
	}
	return b.s;
}
