/* cli: runc-compatible command line (placeholder until the lifecycle lands). */
#include "runtime/cli.h"

#include <stdio.h>

int runtime_cli_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "berth-runc: no command\n");
	return 1;
}
