/* util/spawn: fork with a pipe made first; a failed fork closes the pipe again, so callers
 * have a single error path. */
#include "util/spawn.h"

#include <fcntl.h>
#include <unistd.h>

pid_t spawn_fork_pipe(int p[2], struct err *e)
{
	if (pipe2(p, O_CLOEXEC) < 0)
		return err_sys(e, "pipe");
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return err_sys(e, "fork");
	}
	return pid;
}
