/* build/dockerfile: parses a Dockerfile into instructions as buildkit's parser (which the
 * legacy builder uses) does: directives first, then logical lines, then name, flags, args. */
#include "build/dockerfile.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

static const char *const known[] = {"add",	  "arg",     "cmd",	"copy",	       "entrypoint",
				    "env",	  "expose",  "from",	"healthcheck", "label",
				    "maintainer", "onbuild", "run",	"shell",       "stopsignal",
				    "user",	  "volume",  "workdir", NULL};

/* Instructions whose arguments may be a JSON array (exec form). */
static const char *const json_cmds[] = {"cmd",	  "entrypoint", "run", "shell",
					"volume", "copy",	"add", NULL};

static bool in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

static char *trim_dup(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return str_ndup(s, n);
}

static char **json_form(const char *rest)
{
	if (rest[0] != '[')
		return NULL;
	_cleanup_json_ json_t *j = json_loads(rest, JSON_DECODE_ANY, NULL);
	if (!json_is_array(j))
		return NULL;
	char **v = xcalloc(1, sizeof(char *));
	size_t i;
	json_t *x;
	json_array_foreach (j, i, x) {
		if (!json_is_string(x)) {
			strv_free(v);
			return NULL;
		}
		strv_push(&v, json_string_value(x));
	}
	return v;
}

const char *df_flag(const struct df_instr *in, const char *name)
{
	size_t n = strlen(name);
	for (char **f = in->flags; f && *f; f++) {
		const char *s = *f + 2;
		if (!strncmp(s, name, n) && (s[n] == '=' || !s[n]))
			return s[n] ? s + n + 1 : "";
	}
	return NULL;
}

void df_instr_release(struct df_instr *in)
{
	free(in->cmd);
	free(in->orig);
	free(in->rest);
	strv_free(in->flags);
	strv_free(in->json);
	memset(in, 0, sizeof(*in));
}

int dockerfile_parse_line(const char *line, char escape, struct df_instr *out, struct err *e)
{
	(void)escape;
	memset(out, 0, sizeof(*out));
	out->orig = trim_dup(line, strlen(line));
	size_t w = strcspn(out->orig, " \t");
	out->cmd = str_ndup(out->orig, w);
	for (char *p = out->cmd; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (!in_list(out->cmd, known)) {
		err_invalid(e, "unknown instruction: %.*s", (int)w, out->orig);
		df_instr_release(out);
		return -1;
	}
	const char *p = out->orig + w;
	out->flags = xcalloc(1, sizeof(char *));
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (strncmp(p, "--", 2) != 0)
			break;
		size_t n = strcspn(p, " \t");
		if (n == 2) { /* a lone "--" ends the flags */
			p += 2;
			break;
		}
		strv_push_take(&out->flags, str_ndup(p, n));
		p += n;
	}
	out->rest = trim_dup(p, strlen(p));
	if (in_list(out->cmd, json_cmds))
		out->json = json_form(out->rest);
	return 0;
}

/* "# escape=`" style directive: key and value, or false. */
static bool directive(const char *line, char **key, char **val)
{
	const char *p = line;
	if (*p++ != '#')
		return false;
	while (isspace((unsigned char)*p))
		p++;
	size_t k = 0;
	while (isalpha((unsigned char)p[k]) || (k && isdigit((unsigned char)p[k])))
		k++;
	const char *q = p + k;
	while (isspace((unsigned char)*q))
		q++;
	if (!k || *q != '=')
		return false;
	*key = str_ndup(p, k);
	for (char *c = *key; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	*val = trim_dup(q + 1, strlen(q + 1));
	return true;
}

struct lines {
	char **v;
	size_t n, i;
};

/* Directives at the top; sets *escape. Advances past them. */
static int parse_directives(struct lines *L, char *escape, struct err *e)
{
	bool seen_escape = false;
	for (; L->i < L->n; L->i++) {
		_cleanup_free_ char *key = NULL, *val = NULL;
		if (!directive(L->v[L->i], &key, &val))
			return 0;
		if (strcmp(key, "escape") != 0 || seen_escape)
			continue; /* syntax= and others are ignored by the legacy builder */
		if (strcmp(val, "`") != 0 && strcmp(val, "\\") != 0)
			return err_invalid(e, "invalid escape token '%s' does not match ` or \\",
					   val);
		*escape = val[0];
		seen_escape = true;
	}
	return 0;
}

static bool blank_or_comment(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return !*s || *s == '#';
}

/* The next logical line (continuations joined), NULL at the end; *line its first line. */
static char *next_logical(struct lines *L, char escape, int *line)
{
	while (L->i < L->n && blank_or_comment(L->v[L->i]))
		L->i++;
	if (L->i >= L->n)
		return NULL;
	*line = (int)L->i + 1;
	_cleanup_free_ char *acc = str_dup("");
	for (bool first = true; L->i < L->n; first = false) {
		const char *raw = L->v[L->i++];
		if (!first && blank_or_comment(raw))
			continue;
		size_t n = strlen(raw);
		while (n && isspace((unsigned char)raw[n - 1]))
			n--;
		bool cont = n && raw[n - 1] == escape;
		char *joined = str_printf("%s%.*s", acc, (int)(cont ? n - 1 : n), raw);
		free(acc);
		acc = joined;
		if (!cont)
			break;
	}
	return TAKE_PTR(acc);
}

static int parse_body(struct dockerfile *df, struct lines *L, struct err *e)
{
	size_t cap = 0;
	int line = 0;
	char *s;
	while ((s = next_logical(L, df->escape, &line))) {
		_cleanup_free_ char *text = s;
		if (blank_or_comment(text))
			continue; /* only a continuation of nothing */
		if (df->n == cap) {
			cap = cap ? cap * 2 : 16;
			df->v = xrealloc(df->v, cap * sizeof(*df->v));
		}
		if (dockerfile_parse_line(text, df->escape, &df->v[df->n], e) < 0)
			return err_wrap(e, "dockerfile parse error on line %d", line);
		df->v[df->n++].line = line;
	}
	if (df->n == 0)
		return err_invalid(e, "file with no instructions");
	return 0;
}

struct dockerfile *dockerfile_parse(const char *text, struct err *e)
{
	struct dockerfile *df = xcalloc(1, sizeof(*df));
	df->escape = '\\';
	struct lines L = {0};
	L.v = xcalloc(1, sizeof(char *));
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		size_t m = n && p[n - 1] == '\r' ? n - 1 : n;
		strv_push_take(&L.v, str_ndup(p, m));
		p += n + (p[n] == '\n');
	}
	L.n = strv_len(L.v);
	int r = parse_directives(&L, &df->escape, e);
	if (r == 0)
		r = parse_body(df, &L, e);
	strv_free(L.v);
	if (r < 0) {
		dockerfile_free(df);
		return NULL;
	}
	return df;
}

void dockerfile_free(struct dockerfile *df)
{
	if (!df)
		return;
	for (size_t i = 0; i < df->n; i++)
		df_instr_release(&df->v[i]);
	free(df->v);
	free(df);
}
