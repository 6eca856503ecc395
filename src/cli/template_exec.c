/* cli/template_exec: runs a parsed template over a JSON value, with the functions docker
 * users call (json index len join split upper lower title printf eq ne not and or ...). */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/template_priv.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/str.h"

struct var {
	const char *name;
	json_t *v;
	bool owned; /* {{$x := ...}} keeps a reference */
};

struct exec {
	FILE *out;
	json_t *root;
	struct var vars[16];
	size_t nvars;
	struct err *e;
};

static void jdecref(json_t **v)
{
	json_decref(*v);
}
#define _cleanup_jv_ _cleanup_(jdecref)

void tmpl_value_print(FILE *f, const json_t *v, bool top)
{
	const char *k;
	json_t *x;
	size_t i;
	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_STRING:
		fwrite(json_string_value(v), 1, json_string_length(v), f);
		return;
	case JSON_INTEGER:
		fprintf(f, "%lld", (long long)json_integer_value(v));
		return;
	case JSON_REAL: {
		double d = json_real_value(v);
		if (d > -9e18 && d < 9e18 && d == (double)(long long)d)
			fprintf(f, "%.0f", d);
		else
			fprintf(f, "%g", d);
		return;
	}
	case JSON_TRUE:
	case JSON_FALSE:
		fputs(json_is_true(v) ? "true" : "false", f);
		return;
	case JSON_NULL:
		fputs(v || !top ? "<nil>" : "<no value>", f);
		return;
	case JSON_ARRAY:
		fputc('[', f);
		json_array_foreach (v, i, x) {
			if (i)
				fputc(' ', f);
			tmpl_value_print(f, x, false);
		}
		fputc(']', f);
		return;
	case JSON_OBJECT: {
		/* Go prints maps with sorted keys */
		_cleanup_free_ char *s = json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT);
		_cleanup_json_ json_t *sorted = json_loads(s, JSON_PRESERVE_ORDER, NULL);
		bool first = true;
		fputs("map[", f);
		json_object_foreach (sorted, k, x) {
			fprintf(f, "%s%s:", first ? "" : " ", k);
			tmpl_value_print(f, x, false);
			first = false;
		}
		fputc(']', f);
		return;
	}
	}
}

char *tmpl_value_str(const json_t *v)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	tmpl_value_print(f, v, true);
	fclose(f);
	return buf;
}

bool tmpl_truthy(const json_t *v)
{
	if (!v)
		return false;
	switch (json_typeof(v)) {
	case JSON_STRING:
		return json_string_length(v) > 0;
	case JSON_INTEGER:
	case JSON_REAL:
		return json_number_value(v) != 0;
	case JSON_TRUE:
		return true;
	case JSON_ARRAY:
		return json_array_size(v) > 0;
	case JSON_OBJECT:
		return json_object_size(v) > 0;
	default:
		return false;
	}
}

/* Follows ".A.B" from v (borrowed). *out gets a new reference or NULL (missing key). */
static int field_walk(json_t *v, const char *path, json_t **out, struct err *e)
{
	_cleanup_free_ char *p = str_dup(path);
	char *save = NULL;
	json_t *cur = v;
	for (char *k = strtok_r(p, ".", &save); k; k = strtok_r(NULL, ".", &save)) {
		if (!cur || json_is_null(cur)) {
			cur = NULL;
			break;
		}
		if (!json_is_object(cur))
			return err_invalid(e, "template: can't evaluate field %s in type %s", k,
					   jx_type_name(cur));
		cur = json_object_get(cur, k);
	}
	*out = json_incref(cur);
	return 0;
}

static json_t *eval_pipe(struct exec *x, struct tpipe *p, json_t *dot);

static int lookup_var(struct exec *x, const char *name, json_t **out)
{
	if (!strcmp(name, "$")) {
		*out = x->root;
		return 0;
	}
	for (size_t i = x->nvars; i-- > 0;)
		if (!strcmp(x->vars[i].name, name)) {
			*out = x->vars[i].v;
			return 0;
		}
	return err_invalid(x->e, "template: undefined variable \"%s\"", name);
}

/* An argument's value as a new reference (NULL = no value); -1 on error. */
static int eval_arg(struct exec *x, struct targ *a, json_t *dot, json_t **out)
{
	*out = NULL;
	switch (a->kind) {
	case TA_FIELD:
		return field_walk(dot, a->s, out, x->e);
	case TA_VAR: {
		_cleanup_free_ char *name = str_dup(a->s);
		char *dotp = strchr(name, '.');
		if (dotp)
			*dotp = 0;
		json_t *v = NULL;
		if (lookup_var(x, name, &v) < 0)
			return -1;
		return dotp ? field_walk(v, a->s + (dotp - name), out, x->e)
			    : (*out = json_incref(v), 0);
	}
	case TA_STR:
		*out = json_string(a->s);
		return 0;
	case TA_NUM:
		*out = (a->num > -9e18 && a->num < 9e18 && a->num == (double)(long long)a->num)
			   ? json_integer((json_int_t)a->num)
			   : json_real(a->num);
		return 0;
	case TA_BOOL:
		*out = json_boolean(a->b);
		return 0;
	case TA_NIL:
		*out = json_null();
		return 0;
	case TA_PIPE: {
		_cleanup_jv_ json_t *v = eval_pipe(x, a->pipe, dot);
		if (x->e->kind)
			return -1;
		return a->s ? field_walk(v, a->s, out, x->e) : (*out = json_incref(v), 0);
	}
	case TA_FUNC:
		return err_invalid(x->e, "template: %s is not a value", a->s);
	}
	return 0;
}

/* One command; prev (borrowed, may be NULL) is the piped value from the previous one. */
static json_t *eval_cmd(struct exec *x, struct tcmd *c, json_t *dot, json_t *prev, bool piped)
{
	if (c->args[0].kind != TA_FUNC) {
		if (c->n > 1 || piped) {
			err_invalid(x->e, "template: can't give argument to non-function");
			return NULL;
		}
		json_t *v = NULL;
		eval_arg(x, &c->args[0], dot, &v);
		return v;
	}
	size_t n = 0;
	json_t *vals[16] = {0};
	for (size_t i = 1; i < c->n && n < 15; i++)
		if (eval_arg(x, &c->args[i], dot, &vals[n++]) < 0)
			break;
	if (piped && n < 16)
		vals[n++] = json_incref(prev);
	json_t *r = x->e->kind ? NULL : tmpl_call(c->args[0].s, vals, n, x->e);
	for (size_t i = 0; i < n; i++)
		json_decref(vals[i]);
	return r;
}

static json_t *eval_pipe(struct exec *x, struct tpipe *p, json_t *dot)
{
	json_t *v = NULL;
	for (size_t i = 0; i < p->n && !x->e->kind; i++) {
		json_t *next = eval_cmd(x, &p->cmds[i], dot, v, i > 0);
		json_decref(v);
		v = next;
	}
	if (x->e->kind) {
		json_decref(v);
		return NULL;
	}
	return v;
}

static int exec_list(struct exec *x, struct tnode *n, json_t *dot);

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int bind_var(struct exec *x, const char *name, json_t *v)
{
	if (x->nvars >= ARRAY_SIZE(x->vars))
		return err_invalid(x->e, "template: too many variables");
	x->vars[x->nvars++] = (struct var){name, v, false};
	return 0;
}

static int exec_range(struct exec *x, struct tnode *n, json_t *v)
{
	size_t count = json_is_array(v)	   ? json_array_size(v)
		       : json_is_object(v) ? json_object_size(v)
					   : 0;
	if (!count)
		return n->else_body ? exec_list(x, n->else_body, v) : 0;
	if (json_is_array(v)) {
		for (size_t i = 0; i < count; i++) {
			size_t mark = x->nvars;
			if (n->pipe->decl && bind_var(x, n->pipe->decl, json_array_get(v, i)) < 0)
				return -1;
			int r = exec_list(x, n->body, json_array_get(v, i));
			x->nvars = mark;
			if (r < 0)
				return -1;
		}
		return 0;
	}
	/* maps: values in key order, as Go */
	_cleanup_free_ const char **keys = xcalloc(count, sizeof(*keys));
	const char *k;
	json_t *it;
	size_t i = 0;
	json_object_foreach (v, k, it)
		keys[i++] = k;
	qsort(keys, count, sizeof(*keys), cmp_str);
	for (i = 0; i < count; i++) {
		json_t *el = json_object_get(v, keys[i]);
		size_t mark = x->nvars;
		if (n->pipe->decl && bind_var(x, n->pipe->decl, el) < 0)
			return -1;
		int r = exec_list(x, n->body, el);
		x->nvars = mark;
		if (r < 0)
			return -1;
	}
	return 0;
}

static int exec_node(struct exec *x, struct tnode *n, json_t *dot)
{
	if (n->kind == TN_TEXT) {
		fputs(n->text, x->out);
		return 0;
	}
	_cleanup_jv_ json_t *v = eval_pipe(x, n->pipe, dot);
	if (x->e->kind)
		return -1;
	switch (n->kind) {
	case TN_ACTION:
		if (n->pipe->decl) {
			if (bind_var(x, n->pipe->decl, json_incref(v)) < 0)
				return -1;
			x->vars[x->nvars - 1].owned = true;
			return 0;
		}
		tmpl_value_print(x->out, v, true);
		return 0;
	case TN_IF:
		return tmpl_truthy(v) ? exec_list(x, n->body, dot)
				      : (n->else_body ? exec_list(x, n->else_body, dot) : 0);
	case TN_WITH:
		return tmpl_truthy(v) ? exec_list(x, n->body, v)
				      : (n->else_body ? exec_list(x, n->else_body, dot) : 0);
	case TN_RANGE:
		return exec_range(x, n, v);
	default:
		return 0;
	}
}

static int exec_list(struct exec *x, struct tnode *n, json_t *dot)
{
	for (; n; n = n->next)
		if (exec_node(x, n, dot) < 0)
			return -1;
	return 0;
}

char *tmpl_exec(const struct tmpl *t, json_t *dot, struct err *e)
{
	char *buf = NULL;
	size_t len = 0;
	struct exec x = {.root = dot, .e = e};
	err_clear(e);
	x.out = open_memstream(&buf, &len);
	int r = exec_list(&x, t->root, dot);
	fclose(x.out);
	/* variables declared by {{$x := ...}} hold a reference until the end */
	for (size_t i = 0; i < x.nvars; i++)
		if (x.vars[i].name && x.vars[i].name[0] == '$' && x.vars[i].v && x.vars[i].owned)
			json_decref(x.vars[i].v);
	if (r < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
