/* cli/cmd_check: `berth system check`: the daemon's consistency check (GET /system/check):
 * one line per problem and exit status 1, or "consistent" and 0. */
#include <stdio.h>

#include "cli/cli.h"
#include "util/cleanup.h"
#include "util/json.h"

int cmd_system_check(struct cli *c, int argc, char **argv)
{
	bool quiet = false;
	const struct cli_opt opts[] = {
	    {'q', "quiet", OPT_BOOL, &quiet, "\tPrint only the problems"}, {0}};
	const struct cli_cmd_spec spec = {
	    "system check",
	    "[OPTIONS]",
	    "Check the consistency of the daemon's store: records, images, layers, mounts, "
	    "cgroups, monitors, networks",
	    0,
	    0,
	    false,
	    opts};
	_cleanup_free_ char **pos = NULL;
	int st;
	if (cli_parse(&spec, argc, argv, &pos, &st) < 0)
		return st;
	struct err e = ERR_INIT;
	_cleanup_json_ json_t *r = NULL;
	if (cli_get(c, "/system/check", &r, &e) < 0)
		return cli_report(&e, 1);
	json_t *problems = json_object_get(r, "Problems"), *v;
	size_t i;
	json_array_foreach (problems, i, v)
		printf("%s\n", json_string_value(v));
	if (json_array_size(problems))
		return 1;
	if (!quiet)
		printf("consistent\n");
	return 0;
}
