/* cli/template_priv: the parsed form of a template, shared by the parser (template.c) and
 * the evaluator (template_exec.c). */
#ifndef BERTH_CLI_TEMPLATE_PRIV_H
#define BERTH_CLI_TEMPLATE_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cli/template.h"

enum targ_kind { TA_FIELD, TA_VAR, TA_STR, TA_NUM, TA_BOOL, TA_NIL, TA_FUNC, TA_PIPE };

struct tpipe;

struct targ {
	enum targ_kind kind;
	char *s; /* string value, function name, or field path ".A.B" ("." = dot) */
	double num;
	int b;
	struct tpipe *pipe; /* TA_PIPE: a parenthesised pipeline */
};

struct tcmd {
	struct targ *args;
	size_t n;
};

struct tpipe {
	struct tcmd *cmds;
	size_t n;
	char *decl; /* "$x" in {{range $x := ...}} / {{$x := ...}}; NULL if none */
};

enum tnode_kind { TN_TEXT, TN_ACTION, TN_IF, TN_RANGE, TN_WITH };

struct tnode {
	enum tnode_kind kind;
	char *text;
	struct tpipe *pipe;
	struct tnode *body, *else_body;
	struct tnode *next;
};

struct tmpl {
	struct tnode *root;
};

void tpipe_free(struct tpipe *p);

/* Go's %v of v (top: a missing value prints "<no value>"); template_exec.c */
void tmpl_value_print(FILE *f, const json_t *v, bool top);
/* Go's truth: false, 0, nil, empty string/array/map are false. */
bool tmpl_truthy(const json_t *v);
/* Calls the template function fn with n evaluated arguments (template_funcs.c). */
json_t *tmpl_call(const char *fn, json_t **v, size_t n, struct err *e);

#endif
