/* berth-runc: the OCI runtime on its own (runc's CLI). The same code is `berth runtime`
 * in the full binary; this entry point is linked without the daemon's libraries.
 * Called as berth-monitor (a hard link), it is the per-container monitor. */
#include <string.h>

#include "monitor/monitor.h"
#include "runtime/cli.h"

int main(int argc, char **argv)
{
	const char *base = argc > 0 ? strrchr(argv[0], '/') : NULL;
	base = base ? base + 1 : (argc > 0 ? argv[0] : "");
	if (!strcmp(base, "berth-monitor"))
		return monitor_main(argc, argv);
	return runtime_cli_main(argc, argv);
}
