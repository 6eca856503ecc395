/* cli/template: the part of Go's text/template that docker users write in --format:
 * {{.A.B}}, {{json .}}, {{index .M "k"}}, {{range}}, {{if}}/{{else}}, {{with}}, pipes, {{- -}}. */
#ifndef BERTH_CLI_TEMPLATE_H
#define BERTH_CLI_TEMPLATE_H

#include <jansson.h>

#include "util/err.h"

struct tmpl;

/* Parses src; errors read like Go's ("template: :1: unexpected EOF"). */
struct tmpl *tmpl_parse(const char *src, struct err *e);
void tmpl_free(struct tmpl *t);
/* Runs t over dot (a JSON value); the output is malloc'd. */
char *tmpl_exec(const struct tmpl *t, json_t *dot, struct err *e);
/* Go's %v of a JSON value: strings raw, map[k:v], [a b], <nil>. Malloc'd. */
char *tmpl_value_str(const json_t *v);

#endif
