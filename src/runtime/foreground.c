/* foreground: signal forwarding, pty proxy and reaping for run/exec without --detach. */
#include "runtime/foreground.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "runtime/console.h"
#include "util/cleanup.h"

void fg_block_signals(sigset_t *old)
{
	sigset_t all;
	sigfillset(&all);
	/* Faults must stay deliverable to us. */
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGILL);
	sigdelset(&all, SIGFPE);
	sigdelset(&all, SIGABRT);
	sigprocmask(SIG_BLOCK, &all, old);
}

static bool write_all(int fd, const char *buf, ssize_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, (size_t)n);
		if (w < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return false;
		}
		buf += w;
		n -= w;
	}
	return true;
}

/* Copies what is available from one fd to another; false on EOF or error. */
static bool pump(int from, int to)
{
	char buf[8192];
	ssize_t n = read(from, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0)
		return false;
	return write_all(to, buf, n);
}

struct fg {
	pid_t pid;
	int console;
	bool in_open, done;
	int status;
};

static void on_signal(struct fg *f, const struct signalfd_siginfo *si)
{
	if (si->ssi_signo == SIGCHLD) {
		int st;
		pid_t p;
		while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
			if (p != f->pid)
				continue;
			f->done = true;
			f->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		}
		return;
	}
	if (si->ssi_signo == SIGWINCH) {
		if (f->console >= 0)
			console_copy_size(STDIN_FILENO, f->console);
		return;
	}
	kill(f->pid, (int)si->ssi_signo);
}

static void drain(int console)
{
	fcntl(console, F_SETFL, fcntl(console, F_GETFL) | O_NONBLOCK);
	while (pump(console, STDOUT_FILENO))
		;
}

int fg_wait(pid_t pid, int console, const sigset_t *old, int *status, struct err *e)
{
	sigset_t all;
	sigfillset(&all);
	_cleanup_close_ int sfd = signalfd(-1, &all, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		return err_sys(e, "signalfd");
	struct fg f = {.pid = pid, .console = console, .in_open = console >= 0};
	struct termios saved;
	bool raw = console >= 0 && tcgetattr(STDIN_FILENO, &saved) == 0;
	if (raw) {
		struct termios t = saved;
		cfmakeraw(&t);
		tcsetattr(STDIN_FILENO, TCSANOW, &t);
		console_copy_size(STDIN_FILENO, console);
	}
	/* A child that exited before signalfd existed left a pending SIGCHLD: still queued. */
	while (!f.done) {
		struct pollfd p[3] = {{.fd = sfd, .events = POLLIN},
				      {.fd = console, .events = POLLIN},
				      {.fd = f.in_open ? STDIN_FILENO : -1, .events = POLLIN}};
		if (poll(p, console >= 0 ? 3 : 1, -1) < 0 && errno != EINTR)
			break;
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) == sizeof(si))
				on_signal(&f, &si);
		}
		if (console >= 0 && (p[1].revents & (POLLIN | POLLHUP)) &&
		    !pump(console, STDOUT_FILENO))
			console = -1;
		if (f.in_open && (p[2].revents & (POLLIN | POLLHUP)) &&
		    !pump(STDIN_FILENO, f.console))
			f.in_open = false;
	}
	if (console >= 0)
		drain(console);
	if (raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	sigprocmask(SIG_SETMASK, old, NULL);
	*status = f.status;
	return 0;
}
