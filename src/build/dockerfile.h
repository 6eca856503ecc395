/* build/dockerfile: the Dockerfile parser of the legacy builder: parser directives (escape,
 * syntax), comments, line continuations, instruction names, --flags and the JSON forms. */
#ifndef BERTH_BUILD_DOCKERFILE_H
#define BERTH_BUILD_DOCKERFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

struct df_instr {
	char *cmd;    /* lower case: "from", "run", ... */
	char *orig;   /* the instruction as written, continuations joined ("RUN a &&  b") */
	char *rest;   /* the arguments after the flags, trimmed */
	char **flags; /* "--from=x", "--chown=u:g", ... (NULL-terminated) */
	char **json;  /* the exec form's strings when rest is a JSON array of strings, else NULL */
	int line;     /* first line (1-based) */
};

struct dockerfile {
	struct df_instr *v;
	size_t n;
	char escape; /* '\\' or '`' */
};

/* Parses text. ERR_INVALID with dockerd's texts ("dockerfile parse error on line 3: unknown
 * instruction: FOO", "file with no instructions"). */
struct dockerfile *dockerfile_parse(const char *text, struct err *e);
void dockerfile_free(struct dockerfile *df);
/* Parses one instruction line (ONBUILD triggers, --label options) with the given escape. */
int dockerfile_parse_line(const char *line, char escape, struct df_instr *out, struct err *e);
void df_instr_release(struct df_instr *in);
/* The value of --name=value among flags; NULL when absent ("" for --name alone). */
const char *df_flag(const struct df_instr *in, const char *name);

#endif
