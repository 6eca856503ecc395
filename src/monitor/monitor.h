/* monitor: berth-monitor, the per-container monitor process (run or exec): owns the
 * process's stdio, writes its json-file log, serves attach and control sockets, reaps. */
#ifndef BERTH_MONITOR_MONITOR_H
#define BERTH_MONITOR_MONITOR_H

/* The entry point of the berth-monitor role (docs/monitor-protocol.md). */
int monitor_main(int argc, char **argv);

#endif
