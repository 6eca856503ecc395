/* berth: the CLI on its own, linked with nothing but libc and jansson so a command starts in
 * a fraction of docker's time. `berth daemon` and `berth runtime` exec the full binaries
 * beside it (berthd, berth-runc): same PID, so a supervisor's signals reach the daemon. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

/* argv[1] becomes the binary `name` next to this one, run with the remaining arguments. */
static int exec_sibling(const char *name, char **argv)
{
	char *path = cli_sibling_path(name);
	argv[1] = (char *)name;
	execv(path, argv + 1);
	if (errno == ENOENT) /* installed apart: the one in PATH */
		execvp(name, argv + 1);
	int en = errno;
	fprintf(stderr, "berth: cannot run %s: %s\n", path, strerror(en));
	free(path);
	return en == ENOENT ? 127 : 126;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "daemon"))
		return exec_sibling("berthd", argv);
	if (argc >= 2 && !strcmp(argv[1], "runtime"))
		return exec_sibling("berth-runc", argv);
	return cli_main(argc, argv);
}
