/* console: the container's pty: created inside the container (its devpts), the master
 * handed to the runtime, then to a --console-socket or proxied to the caller's terminal. */
#ifndef BERTH_RUNTIME_CONSOLE_H
#define BERTH_RUNTIME_CONSOLE_H

#include <stdbool.h>

#include "util/err.h"

/* In the container after pivot_root: opens /dev/ptmx, sizes it, returns the master in
 * *master, makes the slave the controlling terminal and stdio, bind-mounts it on
 * /dev/console. */
int console_setup(unsigned rows, unsigned cols, int *master, struct err *e);
/* Sends master to the unix socket at path (runc's recvtty protocol). */
int console_send(const char *socket_path, int master, struct err *e);
/* Copies the size of the terminal on fd `from` onto the pty. */
void console_copy_size(int from, int master);

#endif
