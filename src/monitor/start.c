/* start: the container (run) or a process in it (exec) started through the runtime
 * library, its stdio being pipes to the monitor or the pty whose master it keeps. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "monitor/monitor_priv.h"
#include "runtime/container.h"
#include "runtime/spec.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/id.h"
#include "util/json.h"
#include "util/str.h"

int mon_start_exit_code(const char *msg)
{
	if (strcasestr(msg, "executable file not found") ||
	    strcasestr(msg, "no such file or directory"))
		return 127;
	if (strcasestr(msg, "permission denied"))
		return 126;
	return 125;
}

/* The process's ends of its stdio: [0] stdin, [1] stdout, [2] stderr. */
struct stdio_plan {
	int child[3];
};

static void plan_close(struct stdio_plan *p)
{
	for (int i = 0; i < 3; i++)
		if (p->child[i] >= 0)
			close(p->child[i]);
}

static int make_pipes(struct monitor *m, struct stdio_plan *p, struct err *e)
{
	int fds[2];
	for (int i = 0; i < 3; i++)
		p->child[i] = -1;
	if (!m->tty && m->o.stdin_open) {
		if (pipe2(fds, O_CLOEXEC) < 0)
			return err_sys(e, "pipe");
		p->child[0] = fds[0];
		m->in_fd = fds[1];
	}
	for (int i = 1; !m->tty && i < 3; i++) {
		if (pipe2(fds, O_CLOEXEC) < 0)
			return err_sys(e, "pipe");
		p->child[i] = fds[1];
		m->out_fd[i - 1] = fds[0];
	}
	return 0;
}

/* The runtime hands our fds 0-2 to the process: the pipes (or /dev/null) during the call. */
static void stdio_install(const struct stdio_plan *p)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int i = 0; i < 3; i++)
		dup2(p->child[i] >= 0 ? p->child[i] : null, i);
	if (null >= 0)
		close(null);
}

static void stdio_reset(void)
{
	struct stdio_plan none = {{-1, -1, -1}};
	stdio_install(&none);
}

/* Monitor-side fds must never block the loop. */
static void set_nonblock(int fd)
{
	if (fd >= 0)
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* The bundle's process.terminal decides (the daemon sets it from --tty). */
static int config_terminal(const char *bundle, bool *tty, struct err *e)
{
	_cleanup_free_ char *path = str_printf("%s/config.json", bundle);
	_cleanup_json_ json_t *j = jx_load_file(path, e);
	if (!j)
		return -1;
	*tty = json_is_true(json_object_get(json_object_get(j, "process"), "terminal"));
	return 0;
}

static int start_run(struct monitor *m, int *console, struct err *e)
{
	struct container_opts co = {
	    .root = m->o.root,
	    .id = m->o.id,
	    .bundle = m->o.bundle,
	    .systemd_cgroup = m->o.systemd_cgroup,
	};
	return container_create_internal(&co, false, true, console, &m->pid, NULL, e);
}

static int recv_fd(int lfd, struct err *e)
{
	_cleanup_close_ int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return err_sys(e, "accept on console socket");
	char name[256];
	struct iovec iov = {.iov_base = name, .iov_len = sizeof(name)};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf)};
	if (recvmsg(c, &msg, MSG_CMSG_CLOEXEC) < 0)
		return err_sys(e, "receive pty master");
	struct cmsghdr *h = CMSG_FIRSTHDR(&msg);
	if (!h || h->cmsg_type != SCM_RIGHTS)
		return err_set(e, ERR_INTERNAL, 0, "no pty master received");
	int fd;
	memcpy(&fd, CMSG_DATA(h), sizeof(fd));
	return fd;
}

#define EXEC_CONSOLE_SOCK "exec-console.sock"

static int exec_process(struct monitor *m, struct spec_process *p, struct err *e)
{
	_cleanup_free_ char *pidfile = path_join(m->o.state_dir, "exec.pid");
	struct exec_opts xo = {
	    .c = {.root = m->o.root, .id = m->o.id, .detach = true, .pid_file = pidfile},
	    .proc = p,
	};
	_cleanup_close_ int lfd = -1;
	if (p->terminal) {
		/* The runtime sends the master to a socket: ours, by a short relative name. */
		lfd = mon_listen(EXEC_CONSOLE_SOCK, e);
		if (lfd < 0)
			return -1;
		xo.c.console_socket = EXEC_CONSOLE_SOCK;
	}
	int status;
	int r = container_exec(&xo, &status, e);
	if (lfd >= 0)
		unlink(EXEC_CONSOLE_SOCK);
	if (r < 0)
		return -1;
	_cleanup_free_ char *pid = fs_read_file(pidfile, NULL, e);
	unlink(pidfile);
	if (!pid || str_to_int(pid, &m->pid, "exec pid file", e) < 0)
		return -1;
	/* an exec racing the container's end can be told pid 0: no process to wait for (the
	 * monitor would wait for it forever) */
	if (m->pid <= 0)
		return err_set(e, ERR_INTERNAL, 0,
			       "exec: the process did not start: container %s is gone", m->o.id);
	if (lfd >= 0) {
		int fd = recv_fd(lfd, e);
		if (fd < 0) {
			kill(m->pid, SIGKILL);
			return -1;
		}
		m->master = fd;
	}
	return 0;
}

static int start_exec(struct monitor *m, struct err *e)
{
	_cleanup_json_ json_t *j = jx_load_file(m->o.process, e);
	if (!j)
		return -1;
	struct spec_process p = {0};
	int r = spec_process_parse(j, "process", &p, e);
	if (r == 0) {
		p.terminal = m->tty;
		r = exec_process(m, &p, e);
	}
	spec_process_release(&p);
	return r;
}

static void wire_console(struct monitor *m, int console)
{
	m->master = console;
	m->out_fd[0] = console;
	m->in_fd = m->o.stdin_open ? console : -1;
}

int mon_start(struct monitor *m, int *exit_code, struct err *e)
{
	*exit_code = 125;
	m->tty = m->o.tty;
	if (m->o.mode == MON_RUN && config_terminal(m->o.bundle, &m->tty, e) < 0)
		return -1;
	struct stdio_plan p;
	int r = make_pipes(m, &p, e);
	int console = -1;
	if (r == 0) {
		stdio_install(&p);
		r = m->o.mode == MON_RUN ? start_run(m, &console, e) : start_exec(m, e);
		stdio_reset();
	}
	plan_close(&p);
	if (r < 0) {
		*exit_code = mon_start_exit_code(e->msg);
		return -1;
	}
	if (m->o.mode == MON_EXEC)
		console = m->master;
	if (console >= 0)
		wire_console(m, console);
	for (int i = 0; i < 2; i++)
		set_nonblock(m->out_fd[i]);
	set_nonblock(m->in_fd);
	return 0;
}
