/* cli/template: parser of the Go template subset. */
#include "cli/template.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cli/template_priv.h"
#include "util/cleanup.h"
#include "util/str.h"

struct parser {
	const char *src, *p;
	struct err *e;
};

/* Tokens of one action: words (fields, idents, numbers), strings, | ( ) :=. */
struct tok {
	char kind; /* 'w' word, 's' string, '|', '(', ')', '=' (:=), ',' */
	char *s;
};

struct toks {
	struct tok *v;
	size_t n, i;
};

static void toks_free(struct toks *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].s);
	free(t->v);
}

static void toks_push(struct toks *t, char kind, char *s)
{
	t->v = xrealloc(t->v, (t->n + 1) * sizeof(*t->v));
	t->v[t->n++] = (struct tok){kind, s};
}

static int lex_string(const char **pp, const char *end, struct toks *t, struct err *e)
{
	const char *p = *pp;
	char q = *p++;
	_cleanup_free_ char *out = xmalloc((size_t)(end - p) + 1);
	size_t n = 0;
	for (; p < end && *p != q; p++) {
		if (q == '"' && *p == '\\' && p + 1 < end) {
			p++;
			out[n++] = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
		} else {
			out[n++] = *p;
		}
	}
	if (p >= end)
		return err_invalid(e, "template: unterminated quoted string");
	out[n] = 0;
	toks_push(t, 's', TAKE_PTR(out));
	*pp = p + 1;
	return 0;
}

static int lex_action(const char *p, const char *end, struct toks *t, struct err *e)
{
	while (p < end) {
		if (isspace((unsigned char)*p)) {
			p++;
		} else if (*p == '"' || *p == '`') {
			if (lex_string(&p, end, t, e) < 0)
				return -1;
		} else if (strchr("|(),", *p)) {
			toks_push(t, *p, NULL);
			p++;
		} else if (*p == ':' && p + 1 < end && p[1] == '=') {
			toks_push(t, '=', NULL);
			p += 2;
		} else {
			const char *s = p;
			while (p < end && !isspace((unsigned char)*p) && !strchr("|(),\"`", *p) &&
			       !(*p == ':' && p + 1 < end && p[1] == '='))
				p++;
			toks_push(t, 'w', str_ndup(s, (size_t)(p - s)));
		}
	}
	return 0;
}

static struct tpipe *parse_pipe(struct toks *t, struct err *e);

static int parse_arg(struct toks *t, struct targ *a, bool first, struct err *e)
{
	struct tok *k = &t->v[t->i++];
	if (k->kind == 's') {
		*a = (struct targ){.kind = TA_STR, .s = str_dup(k->s)};
		return 0;
	}
	if (k->kind == '(') {
		a->kind = TA_PIPE;
		a->pipe = parse_pipe(t, e);
		if (!a->pipe)
			return -1;
		if (t->i >= t->n || t->v[t->i].kind != ')')
			return err_invalid(e, "template: unclosed left paren");
		t->i++;
		/* (pipeline).Field */
		if (t->i < t->n && t->v[t->i].kind == 'w' && t->v[t->i].s[0] == '.' &&
		    t->v[t->i].s[1])
			a->s = str_dup(t->v[t->i++].s);
		return 0;
	}
	if (k->kind != 'w')
		return err_invalid(e, "template: unexpected \"%c\" in command", k->kind);
	const char *w = k->s;
	char *end = NULL;
	if (w[0] == '.')
		*a = (struct targ){.kind = TA_FIELD, .s = str_dup(w)};
	else if (w[0] == '$')
		*a = (struct targ){.kind = TA_VAR, .s = str_dup(w)};
	else if (!strcmp(w, "true") || !strcmp(w, "false"))
		*a = (struct targ){.kind = TA_BOOL, .b = w[0] == 't'};
	else if (!strcmp(w, "nil"))
		*a = (struct targ){.kind = TA_NIL};
	else if ((a->num = strtod(w, &end)), end && !*end && end != w)
		a->kind = TA_NUM;
	else if (isalpha((unsigned char)w[0]) && first)
		*a = (struct targ){.kind = TA_FUNC, .s = str_dup(w)};
	else if (isalpha((unsigned char)w[0]))
		return err_invalid(e, "template: function \"%s\" not defined", w);
	else
		return err_invalid(e, "template: bad character in \"%s\"", w);
	return 0;
}

static struct tpipe *parse_pipe(struct toks *t, struct err *e)
{
	struct tpipe *p = xcalloc(1, sizeof(*p));
	if (t->i + 1 < t->n && t->v[t->i].kind == 'w' && t->v[t->i].s[0] == '$') {
		size_t j = t->i + 1;
		if (t->v[j].kind == ',' && j + 2 < t->n && t->v[j + 2].kind == '=')
			j += 2; /* {{range $i, $v := ...}}: keep the element variable */
		if (t->v[j].kind == '=') {
			p->decl = str_dup(t->v[j - 1].s);
			t->i = j + 1;
		}
	}
	while (t->i < t->n && t->v[t->i].kind != ')') {
		struct tcmd c = {0};
		while (t->i < t->n && t->v[t->i].kind != '|' && t->v[t->i].kind != ')') {
			c.args = xrealloc(c.args, (c.n + 1) * sizeof(*c.args));
			memset(&c.args[c.n], 0, sizeof(*c.args));
			bool first = c.n == 0;
			if (parse_arg(t, &c.args[c.n++], first, e) < 0) {
				p->cmds = xrealloc(p->cmds, (p->n + 1) * sizeof(*p->cmds));
				p->cmds[p->n++] = c;
				tpipe_free(p);
				return NULL;
			}
		}
		p->cmds = xrealloc(p->cmds, (p->n + 1) * sizeof(*p->cmds));
		p->cmds[p->n++] = c;
		if (!c.n) {
			tpipe_free(p);
			err_invalid(e, "template: missing value for command");
			return NULL;
		}
		if (t->i < t->n && t->v[t->i].kind == '|')
			t->i++;
	}
	if (!p->n) {
		tpipe_free(p);
		err_invalid(e, "template: missing value for command");
		return NULL;
	}
	return p;
}

void tpipe_free(struct tpipe *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		for (size_t j = 0; j < p->cmds[i].n; j++) {
			free(p->cmds[i].args[j].s);
			tpipe_free(p->cmds[i].args[j].pipe);
		}
		free(p->cmds[i].args);
	}
	free(p->cmds);
	free(p->decl);
	free(p);
}

static void nodes_free(struct tnode *n)
{
	while (n) {
		struct tnode *next = n->next;
		free(n->text);
		tpipe_free(n->pipe);
		nodes_free(n->body);
		nodes_free(n->else_body);
		free(n);
		n = next;
	}
}

void tmpl_free(struct tmpl *t)
{
	if (t) {
		nodes_free(t->root);
		free(t);
	}
}

/* One action's inside (between the delimiters, trim markers removed). */
struct action {
	char *kw; /* if range with else end, or NULL */
	struct toks toks;
};

/* Reads the next text run and action; *text gets the text before it. Returns 0 at the
 * end of input, 1 with an action, -1 on error. */
static int next_action(struct parser *ps, char **text, struct action *act)
{
	const char *open = strstr(ps->p, "{{");
	const char *tend = open ? open : ps->p + strlen(ps->p);
	if (open && open[2] == '-' && isspace((unsigned char)open[3]))
		while (tend > ps->p && isspace((unsigned char)tend[-1]))
			tend--;
	*text = str_ndup(ps->p, (size_t)(tend - ps->p));
	if (!open) {
		ps->p = tend;
		return 0;
	}
	const char *a = open + 2, *close = strstr(a, "}}");
	if (!close)
		return err_invalid(ps->e, "template: unclosed action");
	const char *aend = close;
	if (*a == '-' && isspace((unsigned char)a[1]))
		a += 2;
	if (aend - a >= 2 && aend[-1] == '-' && isspace((unsigned char)aend[-2]))
		aend -= 2;
	ps->p = close + 2;
	if (close > open + 2 && close[-1] == '-' && isspace((unsigned char)close[-2]))
		while (isspace((unsigned char)*ps->p))
			ps->p++;
	memset(act, 0, sizeof(*act));
	if (lex_action(a, aend, &act->toks, ps->e) < 0)
		return -1;
	if (act->toks.n && act->toks.v[0].kind == 'w') {
		const char *w = act->toks.v[0].s;
		if (!strcmp(w, "if") || !strcmp(w, "range") || !strcmp(w, "with") ||
		    !strcmp(w, "else") || !strcmp(w, "end")) {
			act->kw = str_dup(w);
			act->toks.i = 1;
		}
	}
	return 1;
}

static struct tnode *parse_list(struct parser *ps, char **stop);

static void append(struct tnode ***tail, struct tnode *n)
{
	**tail = n;
	*tail = &n->next;
}

/* if/range/with: the pipeline, the body, an optional else (or else-if), the end. */
static struct tnode *parse_block(struct parser *ps, const char *kw, struct action *act)
{
	struct tnode *n = xcalloc(1, sizeof(*n));
	n->kind = !strcmp(kw, "if") ? TN_IF : !strcmp(kw, "range") ? TN_RANGE : TN_WITH;
	n->pipe = parse_pipe(&act->toks, ps->e);
	_cleanup_free_ char *stop = NULL;
	if (n->pipe)
		n->body = parse_list(ps, &stop);
	if (!n->pipe || ps->e->kind) {
		nodes_free(n);
		return NULL;
	}
	if (stop && str_has_prefix(stop, "else if ")) {
		/* {{else if x}} is {{else}}{{if x}}...{{end}} sharing the outer end */
		struct action sub = {0};
		lex_action(stop + 5, stop + strlen(stop), &sub.toks, ps->e);
		sub.toks.i = 1;
		n->else_body = parse_block(ps, "if", &sub);
		toks_free(&sub.toks);
		if (!n->else_body) {
			nodes_free(n);
			return NULL;
		}
		return n;
	}
	if (stop && !strcmp(stop, "else")) {
		free(stop);
		stop = NULL;
		n->else_body = parse_list(ps, &stop);
		if (ps->e->kind) {
			nodes_free(n);
			return NULL;
		}
	}
	if (!stop || strcmp(stop, "end")) {
		nodes_free(n);
		err_invalid(ps->e, "template: unexpected EOF");
		return NULL;
	}
	return n;
}

/* Parses nodes until {{end}}/{{else...}} (its text in *stop) or the end of input. */
static struct tnode *parse_list(struct parser *ps, char **stop)
{
	struct tnode *head = NULL, **tail = &head;
	*stop = NULL;
	for (;;) {
		char *text = NULL;
		struct action act = {0};
		int r = next_action(ps, &text, &act);
		if (r >= 0 && *text) {
			struct tnode *tn = xcalloc(1, sizeof(*tn));
			tn->kind = TN_TEXT;
			tn->text = text;
			append(&tail, tn);
		} else {
			free(text);
		}
		if (r <= 0) {
			toks_free(&act.toks);
			if (r < 0) {
				nodes_free(head);
				return NULL;
			}
			return head;
		}
		struct tnode *n = NULL;
		if (act.kw && (!strcmp(act.kw, "end") || !strcmp(act.kw, "else"))) {
			*stop = str_dup(act.kw);
			if (!strcmp(act.kw, "else") && act.toks.n > 1) {
				/* {{else if c}}: keep the condition's source, re-lexed by
				 * parse_block */
				for (size_t i = 1; i < act.toks.n; i++) {
					struct tok *k = &act.toks.v[i];
					char *q = k->kind == 's'   ? str_printf("\"%s\"", k->s)
						  : k->kind == 'w' ? str_dup(k->s)
						  : k->kind == '=' ? str_dup(":=")
								   : str_printf("%c", k->kind);
					char *nr = str_printf("%s %s", *stop, q);
					free(q);
					free(*stop);
					*stop = nr;
				}
			}
			free(act.kw);
			toks_free(&act.toks);
			return head;
		}
		if (act.kw) {
			n = parse_block(ps, act.kw, &act);
		} else if (act.toks.n) {
			n = xcalloc(1, sizeof(*n));
			n->kind = TN_ACTION;
			n->pipe = parse_pipe(&act.toks, ps->e);
			if (!n->pipe) {
				free(n);
				n = NULL;
			}
		} else {
			err_invalid(ps->e, "template: missing value for command");
		}
		free(act.kw);
		toks_free(&act.toks);
		if (!n) {
			nodes_free(head);
			return NULL;
		}
		append(&tail, n);
	}
}

struct tmpl *tmpl_parse(const char *src, struct err *e)
{
	struct parser ps = {.src = src, .p = src, .e = e};
	_cleanup_free_ char *stop = NULL;
	err_clear(e);
	struct tnode *root = parse_list(&ps, &stop);
	if (e->kind)
		return NULL;
	if (stop) {
		nodes_free(root);
		err_invalid(e, "template: unexpected {{%s}}", stop);
		return NULL;
	}
	struct tmpl *t = xcalloc(1, sizeof(*t));
	t->root = root;
	return t;
}
