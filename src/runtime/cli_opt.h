/* cli_opt: urfave/cli-style option parsing as runc's CLI accepts it: --name value,
 * --name=value, -n value, single-dash long names, bool flags, options before arguments. */
#ifndef BERTH_RUNTIME_CLI_OPT_H
#define BERTH_RUNTIME_CLI_OPT_H

#include <stdbool.h>

#include "util/err.h"

struct cli_opt {
	const char *name; /* long name */
	char short_name;  /* 0 if none */
	bool has_arg;
	int id;
	const char *help;
};

/* Called for each option: val is NULL for bool flags set to true, "false" when given so. */
typedef int (*cli_opt_fn)(void *ctx, int id, const char *val, struct err *e);

/* Parses options in argv[0..argc) and returns the number of arguments left, which
 * *args points at (a NULL-terminated vector owned by the caller, free() it); -1 with e
 * set ("flag provided but not defined: -x"). Parsing stops at the first argument or "--";
 * with interleaved, options may also follow arguments (as `runc ps ID -e -x` doesn't:
 * there the rest is passed through). */
int cli_opt_parse(int argc, char **argv, const struct cli_opt *opts, cli_opt_fn fn, void *ctx,
		  bool interleaved, char ***args, struct err *e);
bool cli_opt_bool(const char *val);

#endif
