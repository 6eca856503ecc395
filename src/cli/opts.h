/* cli/opts: docker-style flags: -a, -aq, -e X, -eX, --env X, --env=X, repeatable lists,
 * "--" and (per command) whether flags may follow the first positional argument. */
#ifndef BERTH_CLI_OPTS_H
#define BERTH_CLI_OPTS_H

#include <stdbool.h>
#include <stdio.h>

#include "util/err.h"

enum cli_opt_kind { OPT_BOOL, OPT_STR, OPT_LIST };

struct cli_opt {
	char sh;	 /* short letter, 0 if none */
	const char *lng; /* long name without dashes, NULL if none */
	enum cli_opt_kind kind;
	void *dst;	  /* bool *, const char **, char *** (NULL-terminated, appended) */
	const char *help; /* "VALUE\tdescription" for valued flags */
};

struct cli_cmd_spec {
	const char *name;	/* "run" */
	const char *usage;	/* "[OPTIONS] IMAGE [COMMAND] [ARG...]" */
	const char *about;	/* one line */
	int min_args, max_args; /* max -1: any */
	bool stop_at_arg;	/* flags end at the first positional (run, exec, create) */
	const struct cli_opt *opts;
};

/* Parses argv[1..] (argv[0] is the command name). *pos gets the positional arguments
 * (pointers into argv, NULL-terminated, malloc'd array). Returns 1 when -h/--help was given
 * (usage printed to stdout), 0 on success, -1 with a docker-style message on error. */
int cli_opts_parse(const struct cli_cmd_spec *spec, int argc, char **argv, char ***pos,
		   struct err *e);
void cli_opts_usage(const struct cli_cmd_spec *spec, FILE *f);

#endif
