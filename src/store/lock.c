/* store/lock: one daemon per root, enforced with flock on root/berth.lock. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "store/store.h"
#include "util/cleanup.h"
#include "util/str.h"

int store_lock_root(const char *root, struct err *e)
{
	_cleanup_free_ char *path = str_printf("%s/berth.lock", root);
	_cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return err_sys(e, "open lock file %s", path);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK)
			return err_sys(e, "lock %s", path);
		char buf[32] = "";
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		return err_conflict(e, "another daemon (pid %s) is already using root directory %s",
				    buf[0] ? buf : "unknown", root);
	}
	char pid[32];
	int n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n)
		return err_sys(e, "write %s", path);
	return TAKE_FD(fd);
}
