/* foreground: the runtime staying attached to a container process: forwarding signals,
 * proxying the pty to the caller's terminal, reaping, and the exit status. */
#ifndef BERTH_RUNTIME_FOREGROUND_H
#define BERTH_RUNTIME_FOREGROUND_H

#include <signal.h>
#include <sys/types.h>

#include "util/err.h"

/* Blocks every forwardable signal (before forking, so none is lost); old mask saved. */
void fg_block_signals(sigset_t *old);
/* Waits for pid (our child or reparented to us as subreaper); console is the pty master
 * or -1. *status: exit code, or 128+signal. Restores the old signal mask. */
int fg_wait(pid_t pid, int console, const sigset_t *old, int *status, struct err *e);

#endif
