/* hooks: OCI hooks run as runc runs them: the state JSON on stdin, stdout and stderr
 * captured for the error message, an optional timeout after which the hook is killed. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/proc.h"
#include "runtime/proc_priv.h"
#include "util/cleanup.h"

extern char **environ;

#define CAPTURE_MAX 1024 /* per stream, for the error message */

struct capture {
	int fd;
	char buf[CAPTURE_MAX + 1];
	size_t len;
};

static void pipe_closep(int (*p)[2])
{
	closep(&(*p)[0]);
	closep(&(*p)[1]);
}
#define _cleanup_pipe_ _cleanup_(pipe_closep)

/* stdin is filled before the hook starts: no writer to block or to die of SIGPIPE when
 * the hook does not read it. The pipe is grown when the state does not fit. */
static int stdin_pipe(const char *state, int p[2], struct err *e)
{
	if (pipe2(p, O_CLOEXEC) < 0)
		return err_sys(e, "pipe");
	size_t len = strlen(state);
	int size = fcntl(p[1], F_GETPIPE_SZ);
	if (size >= 0 && len > (size_t)size && len < INT32_MAX &&
	    fcntl(p[1], F_SETPIPE_SZ, (int)len) < 0)
		return err_sys(e, "the state (%zu bytes) does not fit a pipe", len);
	for (size_t off = 0; off < len;) {
		ssize_t n = write(p[1], state + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_sys(e, "writing the state to the hook's stdin");
		off += (size_t)n;
	}
	close(p[1]);
	p[1] = -1;
	return 0;
}

/* In the child: only async-signal-safe calls. */
static bool child_stdio(int in, int out, int err_fd)
{
	int fds[3] = {in, out, err_fd};
	/* Move them out of 0..2 first so that the dup2s below can't clobber each other. */
	for (int i = 0; i < 3; i++)
		fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3); /* the copies must not reach the hook */
	for (int i = 0; i < 3; i++)
		if (fds[i] < 0 || dup2(fds[i], i) < 0)
			return false;
	return true;
}

static __attribute__((noreturn)) void hook_exec(const struct spec_hook *h, int in, int out,
						int err_fd, int report)
{
	if (child_stdio(in, out, err_fd)) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		char *default_args[] = {h->path, NULL};
		execve(h->path, h->args && h->args[0] ? h->args : default_args,
		       h->env ? h->env : environ);
	}
	int errnum = errno;
	(void)!write(report, &errnum, sizeof(errnum));
	_exit(127);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads what is there; the fd is closed (and set to -1) at end of file. */
static void capture_read(struct capture *c)
{
	char scratch[4096];
	ssize_t n;
	while (c->fd >= 0 && (n = read(c->fd, scratch, sizeof(scratch))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			break;
		}
		size_t room = CAPTURE_MAX - c->len, take = (size_t)n < room ? (size_t)n : room;
		memcpy(c->buf + c->len, scratch, take);
		c->len += take;
		c->buf[c->len] = '\0';
	}
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* Collects output until the hook exits or the deadline (0: none) passes. Returns 0 with
 * *status set, or 1 on timeout (the hook is then killed and reaped). */
static int hook_wait(pid_t pid, int64_t deadline, struct capture *out, struct capture *err,
		     int *status)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid || (r < 0 && errno != EINTR)) {
			/* Take what was written before the exit; don't wait for EOF, which a
			 * daemonised grandchild holding the pipes may never send. */
			capture_read(out);
			capture_read(err);
			break;
		}
		int left = deadline ? (int)(deadline - now_ms()) : -1;
		if (deadline && left <= 0) {
			kill(pid, SIGKILL);
			while (waitpid(pid, status, 0) < 0 && errno == EINTR)
				;
			closep(&pidfd);
			return 1;
		}
		if (pidfd < 0 && (left < 0 || left > 10))
			left = 10; /* no pidfd (kernel < 5.3): look again soon */
		struct pollfd fds[3] = {
		    {out->fd, POLLIN, 0}, {err->fd, POLLIN, 0}, {pidfd, POLLIN, 0}};
		if (poll(fds, 3, left) > 0) {
			if (fds[0].revents)
				capture_read(out);
			if (fds[1].revents)
				capture_read(err);
		}
	}
	closep(&pidfd);
	return 0;
}

static int hook_failed(size_t i, const struct spec_hook *h, int status, const struct capture *out,
		       const struct capture *err, struct err *e)
{
	char how[64];
	if (WIFSIGNALED(status)) {
		/* Go's wording ("signal: bad system call"), which callers match on. */
		snprintf(how, sizeof(how), "signal: %s", strsignal(WTERMSIG(status)));
		how[8] = (char)(how[8] >= 'A' && how[8] <= 'Z' ? how[8] - 'A' + 'a' : how[8]);
	} else {
		snprintf(how, sizeof(how), "exit status %d", WEXITSTATUS(status));
	}
	return err_set(e, ERR_INTERNAL, 0,
		       "error running hook #%zu: error running hook %s: %s, stdout: %s, stderr: %s",
		       i, h->path, how, out->buf, err->buf);
}

static int make_pipe(int p[2], struct err *e)
{
	if (pipe2(p, O_CLOEXEC) < 0)
		return err_sys(e, "pipe");
	return 0;
}

static void close_fd(int *fd)
{
	closep(fd);
	*fd = -1;
}

/* The child reports a failed execve on a close-on-exec pipe; EOF means it exec'd. */
static bool exec_failed(pid_t pid, int report, int *errnum)
{
	ssize_t n;
	while ((n = read(report, errnum, sizeof(*errnum))) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(*errnum))
		return false;
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return true;
}

static int hook_run(size_t i, const struct spec_hook *h, const char *state, struct err *e)
{
	_cleanup_pipe_ int in[2] = {-1, -1}, outp[2] = {-1, -1}, errp[2] = {-1, -1},
			   report[2] = {-1, -1};
	if (stdin_pipe(state, in, e) < 0 || make_pipe(outp, e) < 0 || make_pipe(errp, e) < 0 ||
	    make_pipe(report, e) < 0)
		return err_wrap(e, "error running hook #%zu", i);
	pid_t pid = fork();
	if (pid < 0)
		return err_sys(e, "error running hook #%zu: fork", i);
	if (pid == 0)
		hook_exec(h, in[0], outp[1], errp[1], report[1]);
	close_fd(&report[1]);
	close_fd(&outp[1]);
	close_fd(&errp[1]);
	int errnum = 0, status = 0;
	if (exec_failed(pid, report[0], &errnum)) {
		char msg[128];
		proc_go_strerror(errnum, msg, sizeof(msg));
		return err_set(e, ERR_INTERNAL, errnum, "error running hook #%zu: fork/exec %s: %s",
			       i, h->path, msg);
	}
	struct capture out = {.fd = TAKE_FD(outp[0])}, err = {.fd = TAKE_FD(errp[0])};
	fcntl(out.fd, F_SETFL, O_NONBLOCK);
	fcntl(err.fd, F_SETFL, O_NONBLOCK);
	int64_t deadline = h->has_timeout && h->timeout > 0 ? now_ms() + h->timeout * 1000LL : 0;
	int timed_out = hook_wait(pid, deadline, &out, &err, &status);
	close_fd(&out.fd);
	close_fd(&err.fd);
	if (timed_out)
		return err_set(e, ERR_INTERNAL, ETIMEDOUT,
			       "error running hook #%zu: hook %s timed out after %ds", i, h->path,
			       h->timeout);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return hook_failed(i, h, status, &out, &err, e);
	return 0;
}

int hooks_run(const struct spec_hook *hooks, size_t n, const char *state_json, struct err *e)
{
	for (size_t i = 0; i < n; i++)
		if (hook_run(i, &hooks[i], state_json ? state_json : "", e) < 0)
			return -1;
	return 0;
}
