/* util/spawn: a child joined to its parent by a pipe, for helpers that hand one end to the
 * child (a tar's stdin or stdout, a user namespace holder's report). */
#ifndef BERTH_UTIL_SPAWN_H
#define BERTH_UTIL_SPAWN_H

#include <sys/types.h>

#include "util/err.h"

/* pipe2(p, O_CLOEXEC), then fork: 0 in the child, its pid in the parent (both have both
 * ends); -1 with nothing left open when either fails. */
pid_t spawn_fork_pipe(int p[2], struct err *e);

#endif
