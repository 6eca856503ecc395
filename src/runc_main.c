/* berth-runc: the OCI runtime on its own (runc's CLI). The same code is `berth runtime`
 * in the full binary; this entry point is linked without the daemon's libraries. */
#include "runtime/cli.h"

int main(int argc, char **argv)
{
	return runtime_cli_main(argc, argv);
}
