/* image/changes_lex: the Dockerfile word rules used by `changes`: splitting at unquoted
 * blanks, then quote removal, backslash escapes and $VAR / ${VAR[:][-+?]word} /
 * ${VAR#pattern} ${VAR##p} ${VAR%p} ${VAR%%p} expansion (buildkit's shell lexer). */
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

/* The '}' closing the ${ whose body starts at s[j]: backslash escapes skipped, nested ${...}
 * counted. NULL when missing. */
static const char *find_close(const char *s, size_t j)
{
	int depth = 0;
	for (size_t k = j; s[k]; k++) {
		if (s[k] == '\\' && s[k + 1])
			k++;
		else if (s[k] == '$' && s[k + 1] == '{')
			depth++, k++;
		else if (s[k] == '}' && depth-- == 0)
			return s + k;
	}
	return NULL;
}

static char *expand_str(const char *s, char *const *env, bool raw_escapes, struct err *e);

/* A shell pattern of ${V#p} ${V%p}: '*' any string, '?' one byte, '\' escapes '*', '?', '\'
 * and '}' (buildkit's convertShellPatternToRegex: no bracket expressions). */
static bool pattern_match(const char *p, const char *s, const char *end)
{
	for (; *p; p++) {
		if (*p == '*') {
			for (const char *t = end; t >= s; t--)
				if (pattern_match(p + 1, t, end))
					return true;
			return false;
		}
		if (s == end)
			return false;
		if (*p == '\\')
			p++;
		else if (*p == '?') {
			s++;
			continue;
		}
		if (*p != *s++)
			return false;
	}
	return s == end;
}

static int pattern_check(const char *p, struct err *e)
{
	for (const char *q = p; *q; q++) {
		if (*q != '\\')
			continue;
		q++;
		if (!*q || !strchr("*?\\}/", *q))
			return err_invalid(
			    e, "invalid pattern (%s) in substitution: invalid escape '\\%c'", p,
			    *q ? *q : ' ');
	}
	return 0;
}

/* ${V#p} ${V##p}: the shortest (longest) matching prefix removed; % and %%: the suffix. */
static char *trim_pattern(const char *v, char op, bool greedy, const char *pat)
{
	size_t n = strlen(v);
	for (size_t k = 0; k <= n; k++) {
		size_t l = greedy ? n - k : k; /* the length removed */
		const char *from = op == '#' ? v : v + n - l;
		if (pattern_match(pat, from, from + l))
			return op == '#' ? str_dup(v + l) : str_ndup(v, n - l);
	}
	return str_dup(v);
}

/* The ${V<op>word} forms; name is s[j+1..k), the word s[w0..close). */
static int expand_op(const char *s, size_t j, size_t k, const char *close, char *const *env,
		     struct buf *b, struct err *e)
{
	const char *v = env_get(env, s + j + 1, k - j - 1);
	int nlen = (int)(k - j - 1);
	/* ${V:-w} ${V:+w} ${V:?m} test set and non-empty; ${V-w} ${V+w} ${V?m} only set */
	bool colon = s[k] == ':';
	char op = s[k + colon];
	if (!strchr("-+?#%", op) || (colon && (op == '#' || op == '%')) || !op)
		return err_invalid(e, "unsupported modifier (%.*s) in substitution", 1 + colon,
				   s + k);
	size_t w0 = k + colon + 1;
	bool greedy = (op == '#' || op == '%') && s[w0] == op;
	_cleanup_free_ char *raw = str_ndup(s + w0 + greedy, (size_t)(close - s) - w0 - greedy);
	_cleanup_free_ char *word = expand_str(raw, env, op == '#' || op == '%', e);
	if (!word)
		return -1;
	if (op == '#' || op == '%') {
		if (pattern_check(word, e) < 0)
			return -1;
		_cleanup_free_ char *t = trim_pattern(v ? v : "", op, greedy, word);
		put(b, t, strlen(t));
		return 0;
	}
	bool set = v && (!colon || *v);
	if (op == '?' && !set)
		return err_invalid(e, "%.*s: %s", nlen, s + j + 1,
				   *word ? word
				   : v	 ? "is not allowed to be empty"
					 : "is not allowed to be unset");
	const char *use = op == '-' ? (set ? v : word) : op == '+' ? (set ? word : "") : v;
	put(b, use, strlen(use));
	return 0;
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
	const char *close = find_close(s, j + 1);
	if (!close)
		return err_invalid(e, "missing '}' in '%s'", s);
	size_t k = j + 1;
	while (is_name_char(s[k]))
		k++;
	if (k == j + 1)
		return err_invalid(e, "bad substitution in '%s'", s);
	if (s + k == close) {
		const char *v = env_get(env, s + j + 1, k - j - 1);
		if (v)
			put(b, v, strlen(v));
	} else if (expand_op(s, j, k, close, env, b, e) < 0) {
		return -1;
	}
	*i = (size_t)(close - s) + 1;
	return 0;
}

/* raw_escapes (a pattern's word): a backslash and the byte after it are kept as they are. */
static char *expand_str(const char *s, char *const *env, bool raw_escapes, struct err *e)
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
			if (raw_escapes)
				put(&b, &c, 1);
			/* inside double quotes only \" \\ \$ are escapes */
			else if (quote == '"' && !strchr("\"\\$", s[i + 1]))
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

char *changes_expand(const char *s, char *const *env, struct err *e)
{
	return expand_str(s, env, false, e);
}
