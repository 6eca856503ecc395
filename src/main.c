/* berth: multi-call dispatch. berth-runc / `berth runtime` is the OCI runtime; berthd /
 * `berth daemon` the Engine API daemon; any other `berth <command>` the CLI. */
#include <libgen.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "daemon/daemon.h"
#include "runtime/cli.h"

static int usage(void)
{
	fprintf(stderr, "usage: berth <command> [options] (berth help: the commands)\n"
			"       berth runtime <command> [args...]\n"
			"       berth-runc <command> [args...]\n"
			"       berth daemon [options]\n"
			"       berthd [options]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *self = basename(argv[0]);
	if (!strcmp(self, "berth-runc") || !strcmp(self, "runc"))
		return runtime_cli_main(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "runtime"))
		return runtime_cli_main(argc - 1, argv + 1);
	if (!strcmp(self, "berthd"))
		return daemon_main(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "daemon"))
		return daemon_main(argc - 1, argv + 1);
	if (argc >= 2)
		return cli_main(argc, argv);
	return usage();
}
