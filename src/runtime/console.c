/* console: pty setup and hand-over. */
#include "runtime/console.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "runtime/sync.h"
#include "util/cleanup.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

static int bind_console(int slave, struct err *e)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", slave);
	/* /dev/console must exist as a file to be a bind target. */
	int fd = open("/dev/console", O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0)
		close(fd);
	else if (errno != EEXIST && errno != EROFS)
		return err_sys(e, "create /dev/console");
	if (mount(path, "/dev/console", NULL, MS_BIND, NULL) < 0 && errno != ENOENT &&
	    errno != EROFS)
		return err_sys(e, "bind pty onto /dev/console");
	return 0;
}

int console_setup(unsigned rows, unsigned cols, int *master, struct err *e)
{
	_cleanup_close_ int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0)
		return err_sys(e, "open /dev/ptmx");
	if (unlockpt(m) < 0)
		return err_sys(e, "unlockpt");
	_cleanup_close_ int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0)
		return err_sys(e, "open pty slave");
	if (rows || cols) {
		struct winsize ws = {.ws_row = (unsigned short)rows,
				     .ws_col = (unsigned short)cols};
		ioctl(m, TIOCSWINSZ, &ws);
	}
	if (bind_console(s, e) < 0)
		return -1;
	if (setsid() < 0 && errno != EPERM)
		return err_sys(e, "setsid");
	if (ioctl(s, TIOCSCTTY, 0) < 0)
		return err_sys(e, "make the pty the controlling terminal");
	for (int fd = 0; fd < 3; fd++)
		if (dup2(s, fd) < 0)
			return err_sys(e, "dup2 pty to fd %d", fd);
	*master = TAKE_FD(m);
	return 0;
}

int console_send(const char *socket_path, int master, struct err *e)
{
	_cleanup_close_ int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return err_sys(e, "socket");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(socket_path) >= sizeof(sa.sun_path))
		return err_invalid(e, "console socket path too long: %s", socket_path);
	strcpy(sa.sun_path, socket_path);
	if (connect(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return err_sys(e, "connect to console socket %s", socket_path);
	char name[64];
	if (ptsname_r(master, name, sizeof(name)) != 0)
		snprintf(name, sizeof(name), "/dev/ptmx");
	return sync_send_fd_named(sock, master, name, e);
}

void console_copy_size(int from, int master)
{
	struct winsize ws;
	/* A terminal without a size (script(1) without one) must not undo consoleSize. */
	if (ioctl(from, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
		ioctl(master, TIOCSWINSZ, &ws);
}
