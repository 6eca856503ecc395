/* engine/container_monitor: starting a berth-monitor (run or exec). The daemon makes the
 * monitor's listening sockets itself and hands them over, so attaches connect at once. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/container_priv.h"
#include "util/cleanup.h"
#include "util/str.h"
#include "util/unixsock.h"

extern char **environ;

/* A listening socket at dir/name (through /proc/self/fd when the path is longer than
 * sun_path allows). Mode 0600 from the start (fchmod before bind: the file gets the socket
 * inode's mode, and umask is the whole daemon's, not a thread's to change). */
static int listen_at(const char *dir, const char *name, struct err *e)
{
	struct sockaddr_un sa;
	_cleanup_close_ int dfd = -1;
	if (unixsock_addr(&sa, dir, name, &dfd, e) < 0)
		return -1;
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return err_sys(e, "socket");
	fchmod(fd, 0600);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return err_sys(e, "bind %s/%s", dir, name);
	if (listen(fd, 64) < 0)
		return err_sys(e, "listen on %s/%s", dir, name);
	return TAKE_FD(fd);
}

int container_monitor_listen(const char *dir, struct monitor_socks *ms, struct err *e)
{
	ms->attach = listen_at(dir, "attach.sock", e);
	ms->control = ms->attach < 0 ? -1 : listen_at(dir, "control.sock", e);
	if (ms->control < 0) {
		container_monitor_socks_close(ms);
		return -1;
	}
	return 0;
}

void container_monitor_socks_close(struct monitor_socks *ms)
{
	if (ms->attach >= 0)
		close(ms->attach);
	if (ms->control >= 0)
		close(ms->control);
	ms->attach = ms->control = -1;
}

/* The sources are first copied above the targets (close-on-exec), so that no dup2 of
 * the file actions overwrites a source still to be copied. */
static int spawn_fds(posix_spawn_file_actions_t *fa, const int *src, int n, int *tmp, struct err *e)
{
	for (int i = 0; i < n; i++) {
		tmp[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 10);
		if (tmp[i] < 0)
			return err_sys(e, "dup");
		posix_spawn_file_actions_adddup2(fa, tmp[i], 3 + i);
	}
	posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDWR, 0);
	posix_spawn_file_actions_addopen(fa, 1, "/dev/null", O_RDWR, 0);
	return 0;
}

/* posix_spawn (vfork-like: no copy of the daemon's page tables) with the ready pipe as fd
 * 3 and the sockets as 4 and 5. */
int container_monitor_spawn(char **argv, const struct monitor_socks *ms, pid_t *first,
			    struct err *e)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return err_sys(e, "pipe");
	int src[3] = {p[1], ms->attach, ms->control}, tmp[3] = {-1, -1, -1};
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_t at;
	posix_spawnattr_init(&at);
	sigset_t none;
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK);
	pid_t pid = -1;
	int r = spawn_fds(&fa, src, ms->attach >= 0 ? 3 : 1, tmp, e);
	if (r == 0) {
		r = posix_spawn(&pid, argv[0], &fa, &at, argv, environ);
		if (r != 0) {
			errno = r;
			r = err_sys(e, "start %s", argv[0]);
		}
	}
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	for (int i = 0; i < 3; i++)
		if (tmp[i] >= 0)
			close(tmp[i]);
	close(p[1]);
	if (r < 0) {
		close(p[0]);
		return -1;
	}
	*first = pid;
	return p[0];
}

void container_monitor_reap(pid_t first)
{
	while (first > 0 && waitpid(first, NULL, 0) < 0 && errno == EINTR)
		;
}

char *container_monitor_bin(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	if (n <= 0)
		return str_dup("berth-monitor");
	buf[n] = '\0';
	char *slash = strrchr(buf, '/');
	if (slash)
		*slash = '\0';
	return str_printf("%s/berth-monitor", buf);
}
