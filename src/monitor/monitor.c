/* monitor: berth-monitor's main flow: detach from the daemon, create the sockets, start
 * the process, report ready, run the loop, record the exit, clean up. */
#include "monitor/monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <linux/close_range.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "monitor/monitor_priv.h"
#include "runtime/cgroup.h"
#include "runtime/container.h"
#include "runtime/state.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/str.h"

#define ATTACH_SOCK  "attach.sock"
#define CONTROL_SOCK "control.sock"
#define PID_FILE     "monitor.pid"
#define EXIT_FILE    "exit.json"

static void ready_write(struct monitor *m, json_t *j)
{
	if (m->o.ready_fd < 0) {
		json_decref(j);
		return;
	}
	_cleanup_free_ char *s = jx_dumps(j);
	json_decref(j);
	_cleanup_free_ char *line = str_printf("%s\n", s);
	size_t n = strlen(line);
	const char *p = line;
	while (n > 0) {
		ssize_t w = write(m->o.ready_fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		p += w;
		n -= (size_t)w;
	}
	close(m->o.ready_fd);
	m->o.ready_fd = -1;
}

static void ready_error(struct monitor *m, const char *msg, int code)
{
	ready_write(m, json_pack("{s:s, s:i}", "error", msg, "exit_code", code));
}

static bool fd_kept(const struct mon_opts *o, int fd)
{
	return fd == o->ready_fd || fd == o->attach_fd || fd == o->control_fd;
}

/* Only the ready pipe, the daemon's listening sockets (and 0-2) survive from the daemon;
 * 0-2 become /dev/null, our own messages go to the daemon's stderr through a descriptor
 * of their own. */
static void fds_sanitize(const struct mon_opts *o)
{
	int top = o->ready_fd;
	if (o->attach_fd > top)
		top = o->attach_fd;
	if (o->control_fd > top)
		top = o->control_fd;
	for (int fd = 3; fd <= top; fd++) {
		if (fd_kept(o, fd))
			fcntl(fd, F_SETFD, FD_CLOEXEC);
		else
			close(fd);
	}
	syscall(SYS_close_range, top >= 3 ? top + 1 : 3, ~0U, 0);
	struct err e = ERR_INIT;
	if (fcntl(2, F_GETFD) >= 0)
		log_init("/proc/self/fd/2", LOG_TEXT, LOG_WARN, &e);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int i = 0; i < 3; i++)
		if (null >= 0 && null != i)
			dup2(null, i);
	if (null > 2)
		close(null);
}

/* The daemon never waits for us: the first process exits at once, the second one lives
 * in a session of its own, a child of init. */
static void daemonize(void)
{
	pid_t p = fork();
	if (p < 0)
		return; /* carry on undetached rather than not at all */
	if (p > 0)
		_exit(0);
	setsid();
}

static int setup(struct monitor *m, struct err *e)
{
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	m->sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (m->sfd < 0)
		return err_sys(e, "signalfd");
	char pid[32];
	int n = snprintf(pid, sizeof(pid), "%d", (int)getpid());
	/* the state dir is under the daemon's run dir (a tmpfs): replaced atomically for a
	 * crash of either process, no fsync (nothing of it outlives a reboot) */
	if (fs_write_replace(PID_FILE, pid, (size_t)n, 0644, e) < 0)
		return -1;
	/* Listening before the start: a client that connects early gets all the output. The
	 * daemon's sockets (--attach-fd) may have clients queued already. */
	m->attach_l = m->o.attach_fd >= 0 ? mon_adopt(m->o.attach_fd) : mon_listen(ATTACH_SOCK, e);
	if (m->attach_l < 0)
		return -1;
	m->control_l =
	    m->o.control_fd >= 0 ? mon_adopt(m->o.control_fd) : mon_listen(CONTROL_SOCK, e);
	if (m->control_l < 0)
		return -1;
	if (m->o.log_path &&
	    jlog_open(&m->log, m->o.log_path, m->o.log_max_size, m->o.log_max_file, e) < 0)
		return -1;
	return 0;
}

static void remove_files(void)
{
	unlink(ATTACH_SOCK);
	unlink(CONTROL_SOCK);
	unlink(PID_FILE);
}

/* Whether the container's cgroup saw an OOM kill (run: the container is ours alone). */
static bool oom_killed(const struct monitor *m)
{
	if (m->o.mode != MON_RUN)
		return false;
	struct err e = ERR_INIT;
	_cleanup_state_ struct container_state *s = container_load(m->o.root, m->o.id, NULL, &e);
	if (!s)
		return false;
	struct cgroup *cg = state_cgroup(s, &e);
	uint64_t n = 0;
	bool r = cg && cgroup_oom_count(cg, &n, &e) == 0 && n > 0;
	if (cg)
		cgroup_free(cg);
	return r;
}

static void exit_write(struct monitor *m, const char *error)
{
	int st = m->wait_status, sig = 0, code;
	if (WIFSIGNALED(st)) {
		sig = WTERMSIG(st);
		code = 128 + sig;
	} else {
		code = WEXITSTATUS(st);
	}
	_cleanup_json_ json_t *j =
	    json_pack("{s:i, s:i, s:b, s:s, s:s, s:s}", "ExitCode", code, "Signal", sig,
		      "OOMKilled", oom_killed(m), "StartedAt", m->started_at, "FinishedAt",
		      m->finished_at ? m->finished_at : "", "Error", error);
	struct err e = ERR_INIT;
	_cleanup_free_ char *s = jx_dumps(j);
	if (fs_write_replace(EXIT_FILE, s, strlen(s), 0644, &e) < 0)
		log_error("%s: %s", m->o.id, e.msg);
}

static void monitor_release(struct monitor *m)
{
	for (size_t i = 0; i < m->n_clients; i++) {
		close(m->clients[i].fd);
		mon_buf_free(&m->clients[i].in);
		mon_buf_free(&m->clients[i].out);
	}
	free(m->clients);
	for (int i = 0; i < 2; i++)
		if (m->out_fd[i] >= 0)
			close(m->out_fd[i]);
	if (m->in_fd >= 0 && m->in_fd != m->out_fd[0])
		close(m->in_fd);
	if (m->master >= 0 && m->master != m->out_fd[0])
		close(m->master);
	jlog_close(&m->log);
	mon_buf_free(&m->stdin_q);
	free(m->started_at);
	free(m->finished_at);
	mon_opts_release(&m->o);
}

/* The clients queued on the attach socket (the daemon's, connected before we ran) are
 * served from the process's first byte: accepted, their request read, then the start. */
static int mon_start_accepted(struct monitor *m, int *code, struct err *e)
{
	mon_accept(m, m->attach_l, CLIENT_ATTACH);
	return mon_start(m, code, e);
}

static int monitor_run(struct monitor *m)
{
	struct err e = ERR_INIT;
	int code = 125;
	if (setup(m, &e) < 0 || (m->o.wait_start && mon_wait_start(m, &e) < 0) ||
	    mon_start_accepted(m, &code, &e) < 0) {
		log_error("%s: %s", m->o.id, e.msg);
		remove_files();
		ready_error(m, e.msg, code);
		return 1;
	}
	m->started_at = state_now_rfc3339();
	ready_write(m, json_pack("{s:i, s:s}", "pid", (int)m->pid, "started_at", m->started_at));
	/* what creating the container took (the parsed spec, the seccomp filter's compilation)
	 * goes back to the kernel: a monitor lives as long as its container */
	malloc_trim(0);
	if (mon_loop(m, &e) < 0)
		log_error("%s: %s", m->o.id, e.msg);
	exit_write(m, e.msg);
	for (size_t i = 0; i < m->n_clients; i++)
		shutdown(m->clients[i].fd, SHUT_RDWR);
	if (m->o.mode == MON_RUN && container_delete(m->o.root, m->o.id, true, &e) < 0)
		log_error("delete %s: %s", m->o.id, e.msg);
	remove_files();
	return 0;
}

int monitor_main(int argc, char **argv)
{
	struct monitor m = {.pid = 0,
			    .out_fd = {-1, -1},
			    .in_fd = -1,
			    .master = -1,
			    .attach_l = -1,
			    .control_l = -1,
			    .sfd = -1};
	m.log.fd = -1;
	struct err e = ERR_INIT;
	if (mon_opts_parse(&m.o, argc, argv, &e) < 0) {
		fprintf(stderr, "berth-monitor: %s\n", e.msg);
		if (m.o.ready_fd >= 0 && fcntl(m.o.ready_fd, F_GETFD) >= 0)
			ready_error(&m, e.msg, 125);
		mon_opts_release(&m.o);
		return 2;
	}
	fds_sanitize(&m.o);
	daemonize();
	int r;
	if (chdir(m.o.state_dir) < 0) {
		err_sys(&e, "state directory %s", m.o.state_dir);
		ready_error(&m, e.msg, 125);
		r = 1;
	} else {
		r = monitor_run(&m);
	}
	monitor_release(&m);
	return r;
}
